#!/usr/bin/env python3
"""Animated GIF and WebP fixtures for video hashing and their reference frame hashes (issues 11 and 12).

Writes
    Tests/Fixtures/images/gif/disposal.gif       partial frames with transparency and every disposal method
    Tests/Fixtures/images/webp/blended.webp      partial frames alpha-blended on the canvas, disposal to background
    Tests/Fixtures/animation-expected.jsonl      for each animated fixture: every frame's PDQ, quality, timestamp and
                                                 delay from Pillow (`ImageSequence`, `convert("RGB")`, `pdqhash.compute`),
                                                 and for GIF Meta's `vpdq` package (every frame, and one a second)

Sources: the project's own synthetic picture Tests/Fixtures/images/jpeg/large-800x600.jpg, and the animated
fixtures make_format_fixtures.py made (gif/animated.gif, webp/animated.webp, webp/many-frames.webp).

Rerun (needs /tmp/fmtvenv as make_format_fixtures.py says, and /tmp/vpdqenv with vpdq 0.2.5):
    /tmp/fmtvenv/bin/python Scripts/reference/make_animation_expected.py
"""
import json
import subprocess
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageSequence

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests/Fixtures"
IMAGES = FIXTURES / "images"
VPDQ = """
import json, sys, vpdq
path = sys.argv[1]
print(json.dumps({str(s): [[f.frame_number, f.quality, f.hex, round(f.timestamp, 3)] for f in vpdq.computeHash(path, seconds_per_hash=s, thread_count=1)] for s in (0, 1)}))
"""


def to_hex(bits):
    return format(int("".join(str(int(b)) for b in bits), 2), "064x")


def make_fixtures():
    base = Image.open(IMAGES / "jpeg/large-800x600.jpg").convert("RGB").resize((200, 150), Image.LANCZOS)
    # GIF: a moving square over the picture; each frame's GCE sets its own disposal (Pillow writes the changed box).
    frames, disposals = [], []
    for i in range(8):
        frame = base.copy()
        ImageDraw.Draw(frame).rectangle([10 + i * 18, 40, 50 + i * 18, 90], fill=(240, 30 + i * 25, 20))
        frames.append(frame.quantize(64))
        disposals.append([0, 1, 2, 3][i % 4])
    frames[0].save(IMAGES / "gif/disposal.gif", save_all=True, append_images=frames[1:], duration=[120, 80, 60, 200, 150, 90, 300, 70],
                   disposal=disposals, transparency=0, loop=0, optimize=False)
    # WebP: half-transparent patches blended over the picture (libwebp writes them as blended sub-frames).
    frames = []
    for i in range(6):
        frame = base.convert("RGBA")
        overlay = Image.new("RGBA", frame.size, (0, 0, 0, 0))
        ImageDraw.Draw(overlay).ellipse([20 + i * 20, 30, 90 + i * 20, 100], fill=(30, 200, 250, 90 + i * 25))
        frames.append(Image.alpha_composite(frame, overlay))
    frames[0].save(IMAGES / "webp/blended.webp", save_all=True, append_images=frames[1:], duration=[100, 150, 100, 400, 100, 250],
                   quality=80, loop=0)


def main():
    make_fixtures()
    rows = []
    for rel in ["gif/animated.gif", "gif/disposal.gif", "webp/animated.webp", "webp/blended.webp", "webp/many-frames.webp"]:
        path = IMAGES / rel
        frames, t = [], 0
        with Image.open(path) as image:
            for frame in ImageSequence.Iterator(image):
                bits, quality = pdqhash.compute(np.asarray(frame.convert("RGB")))
                duration = frame.info.get("duration", 0)
                frames.append({"pdq": to_hex(bits), "quality": int(quality), "timestamp_ms": t, "duration_ms": duration})
                t += duration
        row = {"file": f"images/{rel}", "frames": frames}
        if rel.endswith(".gif"):
            out = subprocess.run(["/tmp/vpdqenv/bin/python", "-c", VPDQ, str(path)], capture_output=True, text=True, check=True)
            reference = json.loads(out.stdout)
            row["vpdq_every_frame"] = reference["0"]
            row["vpdq_one_a_second"] = reference["1"]
        rows.append(row)
    with open(FIXTURES / "animation-expected.jsonl", "w") as out:
        for row in rows:
            out.write(json.dumps(row, sort_keys=True) + "\n")
    print(f"wrote {len(rows)} animations")


if __name__ == "__main__":
    main()
