#!/usr/bin/env python3
"""Animated-GIF bombs against `nccmatch hash`: peak memory and time, and what it answers.

Makes, in a temporary folder (deleted afterwards):
  - screen-100mp.gif: a 10000x10000 first frame (one colour: a few hundred KB) then 50,000 frames of 1x1;
  - screen-36mp.gif:  a 6000x6000 first frame then 50,000 frames of 1x1 (the largest canvas video hashing reads);
  - full-frames-25mp.gif: 199 frames of 5000x5000, each a full new picture;
and runs `/usr/bin/time -f "%M %e" nccmatch hash --mode fast FILE` on each, printing peak memory (MB), seconds, and
the answer: the first frame's picture hashes, and the `vpdq` frames or the typed `vpdq_error`.

Usage: /tmp/fmtvenv/bin/python Scripts/measure/animation_bomb.py .build/release/nccmatch
"""
import io
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

from PIL import Image

TINY_FRAME = bytes([0x21, 0xF9, 4, 0, 1, 0, 0, 0,  # graphic control: delay 1/100 s (shown as 1/10 s)
                    0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x80, 255, 0, 0, 0, 0, 255,  # 1x1 at (0, 0), two-colour table
                    2, 2, 0x44, 0x01, 0])  # LZW: clear, index 0, end


def first_frame(size, colour=(40, 90, 160)):
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).quantize(4).save(out, format="GIF")
    data = out.getvalue()
    assert data.endswith(b"\x3b")
    return data[:-1]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/nccmatch"
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ncc-gif-bomb-"))
    try:
        files = {}
        for name, size in [("screen-100mp.gif", 10000), ("screen-36mp.gif", 6000)]:
            path = folder / name
            path.write_bytes(first_frame(size) + TINY_FRAME * 50000 + b"\x3b")
            files[name] = path
        frames = [Image.new("RGB", (5000, 5000), (i * 5 % 256, 80, 200 - i % 200)).quantize(4) for i in range(4)]
        path = folder / "full-frames-25mp.gif"
        frames[0].save(path, save_all=True, append_images=frames[1:] * 66, duration=100, loop=0, optimize=False)
        files[path.name] = path
        for name, path in files.items():
            run = subprocess.run(["/usr/bin/time", "-f", "%M %e", binary, "hash", "--mode", "fast", "--format", "jsonl", str(path)],
                                 capture_output=True, text=True)
            peak_kb, seconds = run.stderr.strip().splitlines()[-1].split()
            record = json.loads(run.stdout)
            vpdq = record.get("vpdq")
            answer = f"{len(vpdq)} vpdq frames of {record.get('frame_count')}" if vpdq is not None else f"vpdq_error {record.get('vpdq_error', {}).get('code')}"
            picture = "picture hashed" if "pdq" in record else f"error {record.get('error', {}).get('code')}"
            print(f"{name}: {path.stat().st_size / 1e6:.1f} MB file, peak {int(peak_kb) / 1024:.0f} MB, {float(seconds):.2f} s; {picture}; {answer}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
