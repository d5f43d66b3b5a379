"""Side-by-side hashing speed of 12-megapixel grid HEIC files (as iPhones store photos), one core, one run (issue 11).

    taskset -c 1 /tmp/fmtvenv/bin/python Scripts/measure/heic_grid_speed.py .build/release/nccmatch [ROUNDS] [FILES]

Makes 4032x3024 grid HEIC files (512x512 tiles, 8x6 of them, quality 75; Scripts/reference/make_heic_grid.py) in a
temporary folder from the corpus photographs format_speed.py uses (removed at the end), then times per file,
interleaving the contenders round by round:
  - the reference pipeline: pillow-heif decode + convert("RGB") + pdqhash.compute
  - the library's own decode, writing nowhere: a minimal C loop over libavcodec (one thread) decoding every tile of
    the file to YCbCr (no RGB), each tile's HEVC picture taken out of the container here, one decoder per file,
    flushed between tiles (as nccmatch decodes them)
  - nccmatch hash --mode fast and --mode exact, --jobs 1, one process for all files
Needs Pillow, pillow-heif, pdqhash, numpy, libavcodec-dev with a C compiler.
"""
import json
import os
import shutil
import statistics
import sys
import tempfile

from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from format_speed import annex_b_picture, command, compile_av_loop  # noqa: E402
from speed_common import CORPUS, corpus_photos, per_file, pillow_pdqhash as reference  # noqa: E402
import make_heic_grid  # noqa: E402
from make_heic_grid import grid_heic  # noqa: E402

encode = make_heic_grid.encoded_tile

def make_inputs(folder, count):
    heic, tiles = [], []
    for i, name in enumerate(corpus_photos(count)):
        image = Image.open(os.path.join(CORPUS, "images", name)).convert("RGB")
        image = image.resize((4032, 3024) if image.width >= image.height else (3024, 4032), Image.LANCZOS)
        encoded = []  # every tile grid_heic encodes, in order: the decode loop's input
        make_heic_grid.encoded_tile = lambda tile, quality: encoded.append(encode(tile, quality)) or encoded[-1]
        heic.append(os.path.join(folder, f"grid-{i:02d}.heic"))
        with open(heic[-1], "wb") as out:
            out.write(grid_heic(image, 512, 0, 75))
        assert len(encoded) == 48, "a tile repeated: stored once, the loop would decode fewer tiles"
        tiles.append(os.path.join(folder, f"grid-{i:02d}.tiles"))
        with open(tiles[-1], "wb") as out:
            for hvcc, _, coded in encoded:
                out.write(annex_b_picture(hvcc, coded))
    return heic, tiles


def main():
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    folder = tempfile.mkdtemp(prefix="nccmatch-grid-speed-")
    try:
        loop = compile_av_loop(folder)
        heic, tiles = make_inputs(folder, count)
        contenders = {
            "pillow-heif+pdqhash": (reference, heic),
            "libavcodec C loop (every tile, decode only)": (command(loop), tiles),
            "nccmatch fast": (command(binary, "hash", "--mode", "fast", "--jobs", "1", "--format", "jsonl"), heic),
            "nccmatch exact": (command(binary, "hash", "--mode", "exact", "--jobs", "1", "--format", "jsonl"), heic),
        }
        times = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, (fn, paths) in contenders.items():
                times[name].append(per_file(fn, paths))
        med = {name: statistics.median(t) for name, t in times.items()}
        report = {"files": count, "picture": "4032x3024 grid of 512x512 tiles, q75", "rounds": rounds,
                  "ms_per_file": {k: round(v * 1000, 1) for k, v in med.items()}}
        for mode in ("fast", "exact"):
            ours = med[f"nccmatch {mode}"]
            report[f"{mode}: reference / nccmatch"] = round(med["pillow-heif+pdqhash"] / ours, 2)
            report[f"{mode}: nccmatch / libavcodec decode"] = round(ours / med["libavcodec C loop (every tile, decode only)"], 2)
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
