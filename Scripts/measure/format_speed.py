"""Side-by-side hashing speed of 12-megapixel WebP and HEIC files, one core, one run (issue 11).

    taskset -c 1 /tmp/fmtvenv/bin/python Scripts/measure/format_speed.py .build/release/nccmatch [ROUNDS] [FILES]

Makes 12-megapixel WebP (quality 80) and HEIC (quality 75) files in a temporary folder from corpus photographs
(removed at the end), then times per file, interleaving the contenders round by round:
  - the reference pipeline: Pillow (WebP) or pillow-heif (HEIC) decode + convert("RGB") + pdqhash.compute
  - the library's own decode, writing nowhere: `dwebp` without -o (WebP); a minimal C loop over libheif's
    heif_decode_image to interleaved RGB, compiled here (HEIC)
  - nccmatch hash --mode fast and --mode exact, --jobs 1, one process for all files
Needs Pillow, pillow-heif, pdqhash, numpy, the `webp` package (dwebp) and libheif-dev with a C compiler.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pdqhash
import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()
CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus")

HEIF_LOOP = r"""
#include <libheif/heif.h>
int main(int argc, char **argv) {
    heif_init(0);
    for (int i = 1; i < argc; i++) {
        struct heif_context *c = heif_context_alloc();
        struct heif_image_handle *h; struct heif_image *img;
        if (heif_context_read_from_file(c, argv[i], 0).code) return 1;
        if (heif_context_get_primary_image_handle(c, &h).code) return 1;
        if (heif_decode_image(h, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, 0).code) return 1;
        heif_image_release(img); heif_image_handle_release(h); heif_context_free(c);
    }
    return 0;
}
"""


def make_inputs(folder, count):
    photos = []
    with open(os.path.join(CORPUS, "MANIFEST.tsv")) as manifest:
        header = manifest.readline().rstrip("\n").split("\t")
        for line in manifest:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if row["kind"] == "photo" and row["format"] == "JPEG":
                photos.append(row["file"])
    webp, heic = [], []
    for i, name in enumerate(photos[:count]):
        image = Image.open(os.path.join(CORPUS, "images", name)).convert("RGB")
        size = (4000, 3000) if image.width >= image.height else (3000, 4000)
        image = image.resize(size, Image.LANCZOS)
        webp.append(os.path.join(folder, f"photo-{i:02d}.webp"))
        image.save(webp[-1], quality=80, method=4)
        heic.append(os.path.join(folder, f"photo-{i:02d}.heic"))
        image.save(heic[-1], quality=75)
    return webp, heic


def per_file(fn, paths):
    start = time.perf_counter()
    fn(paths)
    return (time.perf_counter() - start) / len(paths)


def reference(paths):
    for p in paths:
        pdqhash.compute(np.asarray(Image.open(p).convert("RGB")))


def command(*prefix):
    def run(paths):
        subprocess.run([*prefix, *paths], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return run


def dwebp(paths):
    for p in paths:
        subprocess.run(["dwebp", p], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    folder = tempfile.mkdtemp(prefix="nccmatch-format-speed-")
    try:
        with open(os.path.join(folder, "heif_loop.c"), "w") as source:
            source.write(HEIF_LOOP)
        loop = os.path.join(folder, "heif_loop")
        subprocess.run(["cc", "-O2", source.name, "-lheif", "-o", loop], check=True)
        webp, heic = make_inputs(folder, count)
        contenders = {
            "webp: Pillow+pdqhash": (reference, webp),
            "webp: dwebp (decode only)": (dwebp, webp),
            "webp: nccmatch fast": (command(binary, "hash", "--mode", "fast", "--jobs", "1", "--format", "jsonl"), webp),
            "webp: nccmatch exact": (command(binary, "hash", "--mode", "exact", "--jobs", "1", "--format", "jsonl"), webp),
            "heic: pillow-heif+pdqhash": (reference, heic),
            "heic: libheif C loop (decode only)": (command(loop), heic),
            "heic: nccmatch fast": (command(binary, "hash", "--mode", "fast", "--jobs", "1", "--format", "jsonl"), heic),
            "heic: nccmatch exact": (command(binary, "hash", "--mode", "exact", "--jobs", "1", "--format", "jsonl"), heic),
        }
        times = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, (fn, paths) in contenders.items():
                times[name].append(per_file(fn, paths))
        med = {name: statistics.median(t) for name, t in times.items()}
        report = {"files per format": count, "megapixels": 12, "rounds": rounds,
                  "ms_per_file": {k: round(v * 1000, 1) for k, v in med.items()}}
        for fmt, ref, lib in [("webp", "webp: Pillow+pdqhash", "webp: dwebp (decode only)"),
                              ("heic", "heic: pillow-heif+pdqhash", "heic: libheif C loop (decode only)")]:
            for mode in ("fast", "exact"):
                ours = med[f"{fmt}: nccmatch {mode}"]
                report[f"{fmt} {mode}: reference / nccmatch"] = round(med[ref] / ours, 2)
                report[f"{fmt} {mode}: nccmatch / library decode"] = round(ours / med[lib], 2)
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
