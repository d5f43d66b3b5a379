"""What the side-by-side speed scripts share (hash_speed.py, format_speed.py, heic_grid_speed.py, heic_memory.py):
where the corpus is, which of its photographs they start from, how a contender is timed per file, and the
reference pipeline they are measured against."""
import os
import time

import numpy as np
import pdqhash
from PIL import Image

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus")


def corpus_photos(count):
    """The first `count` corpus photographs (JPEG), by file name, as the speed measurements use them."""
    photos = []
    with open(os.path.join(CORPUS, "MANIFEST.tsv")) as manifest:
        header = manifest.readline().rstrip("\n").split("\t")
        for line in manifest:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if row["kind"] == "photo" and row["format"] == "JPEG":
                photos.append(row["file"])
    return photos[:count]


def per_file(fn, paths):
    """Seconds per file that `fn(paths)` takes for all of `paths`."""
    start = time.perf_counter()
    fn(paths)
    return (time.perf_counter() - start) / len(paths)


def pillow_pdqhash(paths):
    """The reference pipeline (HMA's): Pillow decode (pillow-heif's when registered), convert("RGB"), pdqhash."""
    for p in paths:
        pdqhash.compute(np.asarray(Image.open(p).convert("RGB")))
