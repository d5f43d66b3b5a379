"""Side-by-side hashing speed on 12-megapixel photos, one core, one run.

    taskset -c 1 python Scripts/measure/hash_speed.py .build/release/nccmatch [ROUNDS]

Makes 12-megapixel JPEGs (quality 90) in a temporary folder from the corpus photographs
(they are public, freely licensed images; the folder is removed at the end), then times per
file, interleaving the contenders round by round so machine noise hits all alike:
  - Pillow decode + convert("RGB") + pdqhash.compute   (the HMA pipeline)
  - imagehash.phash(Image.open(file))
  - djpeg -scale 1/8 (libjpeg-turbo's own scaled decode, the floor for any JPEG hasher)
  - nccmatch hash --mode fast and --mode exact, --jobs 1, one process for all files
Prints the medians and the ratios the hashing issue asks for.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import imagehash
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from speed_common import CORPUS, corpus_photos, per_file, pillow_pdqhash  # noqa: E402


def make_inputs(folder, count):
    paths = []
    for i, name in enumerate(corpus_photos(count)):
        image = Image.open(os.path.join(CORPUS, "images", name)).convert("RGB")
        size = (4000, 3000) if image.width >= image.height else (3000, 4000)
        path = os.path.join(folder, f"photo-{i:02d}.jpg")
        image.resize(size, Image.LANCZOS).save(path, quality=90)
        paths.append(path)
    return paths


def imagehash_phash(paths):
    for p in paths:
        imagehash.phash(Image.open(p))


def djpeg_eighth(paths):
    for p in paths:
        subprocess.run(["djpeg", "-scale", "1/8", "-outfile", os.devnull, p], check=True)


def nccmatch(binary, mode):
    def run(paths):
        subprocess.run([binary, "hash", "--mode", mode, "--jobs", "1", "--format", "jsonl", *paths],
                       check=True, stdout=subprocess.DEVNULL)
    return run


def main():
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    folder = tempfile.mkdtemp(prefix="nccmatch-speed-")
    try:
        paths = make_inputs(folder, 12)
        contenders = {
            "pillow+pdqhash": pillow_pdqhash,
            "imagehash.phash": imagehash_phash,
            "djpeg -scale 1/8": djpeg_eighth,
            "nccmatch fast": nccmatch(binary, "fast"),
            "nccmatch exact": nccmatch(binary, "exact"),
        }
        times = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, fn in contenders.items():
                times[name].append(per_file(fn, paths))
        med = {name: statistics.median(t) for name, t in times.items()}
        fast = med["nccmatch fast"]
        report = {
            "files": len(paths), "megapixels": 12, "rounds": rounds,
            "ms_per_file": {k: round(v * 1000, 2) for k, v in med.items()},
            "pillow+pdqhash / nccmatch fast": round(med["pillow+pdqhash"] / fast, 2),
            "imagehash.phash / nccmatch fast": round(med["imagehash.phash"] / fast, 2),
            "nccmatch fast / djpeg -scale 1/8": round(fast / med["djpeg -scale 1/8"], 2),
            "pillow+pdqhash / nccmatch exact": round(med["pillow+pdqhash"] / med["nccmatch exact"], 2),
        }
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
