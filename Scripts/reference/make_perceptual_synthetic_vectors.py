#!/usr/bin/env python3
"""Reference pHash/dHash values for synthetic images, and MD5/SHA-256 of synthetic bytes.

Run with a Python that has imagehash 4.3.2, Pillow 13.0.0, numpy and scipy:

    python Scripts/reference/make_perceptual_synthetic_vectors.py

Writes Tests/Fixtures/perceptual-synthetic.jsonl. Each image is defined by an integer formula
that Tests/NCCHashingTests/PerceptualHasherTests.swift reproduces exactly:

* noise: a xorshift32 generator (state ^= state << 13; state ^= state >> 17; state ^= state << 5,
  all mod 2**32) seeded with `seed`, stepped once per sample in row-major, channel-interleaved
  order; noise = state >> 24 after the step. The generator is stepped for every sample, whatever
  the kind.
* grad(x, y, c): RGB c=0: x*255 // max(w-1, 1); c=1: y*255 // max(h-1, 1);
  c=2: (x+y)*255 // max(w+h-2, 1); L: (x*255 // max(w-1,1) + y*255 // max(h-1,1)) // 2.
* kinds: noise = noise; gradient = grad; mixed = (3*grad + noise) // 4;
  checker = (40 if (x*4 // w + y*4 // h) even else 210) + (noise >> 5); flat = 128;
  hgrad = x*255 // max(w-1, 1) (every channel); mirror = mixed evaluated at min(x, w-1-x)
  for the gradient part and noise of the mirrored sample's own position replaced by
  (min(x, w-1-x) * 37 + y * 11) % 64 (left-right symmetric).

Each record: the image's parameters, imagehash's phash and dhash (str), and the hex of Pillow's
convert("L").resize((32, 32), LANCZOS) and convert("L").resize((9, 8), LANCZOS) bytes.
Digest records: MD5 and SHA-256 (hashlib) of `length` bytes of xorshift32 noise (seed given),
and of the empty input.
"""
import hashlib
import json
import os
import sys

import numpy as np
from PIL import Image
import imagehash

MASK = 0xFFFFFFFF


def noise_stream(seed, count):
    s = seed
    out = bytearray(count)
    for i in range(count):
        s ^= (s << 13) & MASK
        s ^= s >> 17
        s ^= (s << 5) & MASK
        out[i] = s >> 24
    return out


def grad(x, y, c, w, h, channels):
    gx = x * 255 // max(w - 1, 1)
    gy = y * 255 // max(h - 1, 1)
    if channels == 1:
        return (gx + gy) // 2
    if c == 0:
        return gx
    if c == 1:
        return gy
    return (x + y) * 255 // max(w + h - 2, 1)


def make_image(kind, mode, w, h, seed):
    channels = 3 if mode == "RGB" else 1
    noise = noise_stream(seed, w * h * channels)
    if kind == "noise":
        data = np.frombuffer(bytes(noise), dtype=np.uint8)
    else:
        data = np.empty(w * h * channels, dtype=np.uint8)
        i = 0
        for y in range(h):
            for x in range(w):
                for c in range(channels):
                    n = noise[i]
                    if kind == "gradient":
                        v = grad(x, y, c, w, h, channels)
                    elif kind == "mixed":
                        v = (3 * grad(x, y, c, w, h, channels) + n) // 4
                    elif kind == "checker":
                        v = (40 if (x * 4 // w + y * 4 // h) % 2 == 0 else 210) + (n >> 5)
                    elif kind == "flat":
                        v = 128
                    elif kind == "hgrad":
                        v = x * 255 // max(w - 1, 1)
                    elif kind == "mirror":
                        mx = min(x, w - 1 - x)
                        v = (3 * grad(mx, y, c, w, h, channels) + (mx * 37 + y * 11) % 64) // 4
                    else:
                        raise ValueError(kind)
                    data[i] = v
                    i += 1
    shape = (h, w, 3) if channels == 3 else (h, w)
    return Image.fromarray(data.reshape(shape), mode=None)


CASES = [
    # (kind, mode, width, height, seed)
    ("noise", "RGB", 32, 32, 1),        # 32x32: pHash resize is a copy
    ("noise", "L", 32, 32, 2),
    ("mixed", "RGB", 9, 8, 3),          # 9x8: dHash resize is a copy
    ("mixed", "L", 8, 8, 4),            # upscaling
    ("noise", "RGB", 1, 1, 5),
    ("flat", "L", 1, 1, 6),
    ("mixed", "RGB", 33, 31, 7),
    ("noise", "L", 33, 31, 8),
    ("mixed", "RGB", 640, 480, 9),
    ("checker", "RGB", 640, 480, 10),
    ("noise", "RGB", 640, 480, 11),
    ("mixed", "L", 1000, 731, 12),
    ("mixed", "RGB", 1000, 731, 13),
    ("mixed", "L", 4000, 3000, 14),
    ("gradient", "RGB", 20, 20, 15),    # upscaling, smooth
    ("noise", "L", 20, 20, 16),
    ("mixed", "RGB", 34, 42, 17),       # Pillow 13 resizes vertically first
    ("mixed", "L", 50, 300, 18),        # vertically first
    ("mixed", "RGB", 300, 50, 19),
    ("mixed", "L", 32, 100, 20),        # width unchanged: vertical pass only
    ("mixed", "L", 100, 32, 21),        # height unchanged: horizontal pass only
    ("flat", "RGB", 64, 64, 22),        # all AC coefficients exactly zero
    ("hgrad", "L", 200, 150, 23),       # constant columns: exact zeros
    ("mirror", "RGB", 128, 96, 24),     # left-right symmetric: odd columns exactly zero
    ("gradient", "RGB", 500, 375, 25),
    ("checker", "L", 500, 375, 26),
    ("noise", "L", 5, 700, 27),         # tall and thin
    ("mixed", "RGB", 1, 500, 28),
    ("mixed", "L", 2, 2, 29),
    ("mixed", "RGB", 1600, 1200, 30),
    ("checker", "RGB", 1200, 1600, 31),
    ("mixed", "L", 41, 50, 32),         # at the pass-order threshold: horizontal first
    ("mixed", "L", 41, 51, 33),         # one row more: vertical first
]

DIGESTS = [
    # (length, seed): lengths around the 1 MiB chunk size of FileDigests.of(fileAt:)
    (0, 1),
    (3, 2),
    (1 << 20, 3),
    ((1 << 20) * 2 + 12345, 4),
]


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out_path = os.path.join(root, "Tests", "Fixtures", "perceptual-synthetic.jsonl")
    lines = []
    for kind, mode, w, h, seed in CASES:
        im = make_image(kind, mode, w, h, seed)
        assert im.mode == mode, (im.mode, mode)
        l = im.convert("L")
        record = {
            "type": "image",
            "name": f"{kind}-{mode}-{w}x{h}",
            "kind": kind, "mode": mode, "width": w, "height": h, "seed": seed,
            "phash": str(imagehash.phash(im)),
            "dhash": str(imagehash.dhash(im)),
            "l32x32": l.resize((32, 32), Image.LANCZOS).tobytes().hex(),
            "l9x8": l.resize((9, 8), Image.LANCZOS).tobytes().hex(),
        }
        lines.append(json.dumps(record, sort_keys=True))
        print(record["name"], record["phash"], record["dhash"], file=sys.stderr)
    for length, seed in DIGESTS:
        data = bytes(noise_stream(seed, length)) if length else b""
        record = {
            "type": "digest", "length": length, "seed": seed,
            "md5": hashlib.md5(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        lines.append(json.dumps(record, sort_keys=True))
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} records to {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
