"""Peak memory of `nccmatch hash` on large HEIC files, one core (issue 11: at most 200 MB in fast mode at 100 MP).

    taskset -c 1 /tmp/fmtvenv/bin/python Scripts/measure/heic_memory.py .build/release/nccmatch [--keep DIR] [--modes fast,exact]

Makes, from the first corpus photograph (format_speed.py's list), HEIC files at quality 60 in a temporary folder
(removed at the end; with --keep DIR, made once there and reused):
  - one HEVC picture of 8192x4352 (35.65 MP: HEVC level 6.2's MaxLumaPs of 35,651,584 samples, the largest picture
    a conformant encoder writes; larger photos are stored as grids) and of 7680x4320 (33.2 MP, 8K),
  - one HEVC picture of 10000x10000 (100 MP, beyond every HEVC level: what a non-conformant writer could make),
  - a grid of 512x512 tiles of 10000x10000 (Scripts/reference/make_heic_grid.py; how cameras store large photos),
each single picture by pillow-heif (libheif with x265). Then runs `/usr/bin/time -f "%M %e" nccmatch hash --mode M
--jobs 1` on each file and prints peak resident memory (MB) and seconds as JSON.
Needs Pillow and pillow-heif.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pillow_heif
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from speed_common import CORPUS, corpus_photos  # noqa: E402
from make_heic_grid import grid_heic  # noqa: E402

pillow_heif.register_heif_opener()
Image.MAX_IMAGE_PIXELS = None

FILES = [  # name, width, height, grid
    ("single-8192x4352.heic", 8192, 4352, False),
    ("single-7680x4320.heic", 7680, 4320, False),
    ("single-10000x10000.heic", 10000, 10000, False),
    ("grid-10000x10000.heic", 10000, 10000, True),
]


def make(folder):
    photo = Image.open(os.path.join(CORPUS, "images", corpus_photos(1)[0])).convert("RGB")
    paths = []
    for name, width, height, grid in FILES:
        path = os.path.join(folder, name)
        paths.append(path)
        if os.path.exists(path):
            continue
        picture = photo.resize((width, height), Image.LANCZOS)
        if grid:
            data = grid_heic(picture, 512, 0, 60)
            with open(path + ".part", "wb") as out:
                out.write(data)
        else:
            picture.save(path + ".part", format="HEIF", quality=60)
        os.replace(path + ".part", path)
    return paths


def peak(binary, mode, path):
    run = subprocess.run(["/usr/bin/time", "-f", "%M %e", binary, "hash", "--mode", mode, "--jobs", "1", "--format", "jsonl", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kb, seconds = run.stderr.strip().splitlines()[-1].split()
    answer = json.loads(run.stdout.splitlines()[-1]) if run.stdout.strip() else {}
    return {"peak_mb": round(int(kb) / 1024, 1), "seconds": float(seconds), "exit": run.returncode,
            "pdq": answer.get("pdq", answer.get("error"))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--keep", help="make the files once in this folder and keep them")
    parser.add_argument("--modes", default="fast,exact")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="nccmatch-heic-memory-")
    os.makedirs(folder, exist_ok=True)
    try:
        report = {}
        for path in make(folder):
            report[os.path.basename(path)] = {mode: peak(args.binary, mode, path) for mode in args.modes.split(",")}
        print(json.dumps(report, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
