#!/usr/bin/env python3
"""Synthetic PDQ conformance vectors for nccmatch.

Builds small RGB pictures from an integer formula (a stateless 32-bit mixing function plus
gradients and a checkerboard), hashes them with the `pdqhash` PyPI package (`compute` and
`compute_dihedral`), and writes one JSON object per picture to Tests/Fixtures/pdq-synthetic.jsonl.
`PDQHasherTests.swift` rebuilds the same pixels from the same parameters and expects the same
hashes, bit for bit.

Run with the reference virtualenv:  /tmp/refvenv/bin/python Scripts/reference/make_pdq_synthetic_vectors.py

Pixel formula, channel c of pixel (x, y), all integer arithmetic modulo 2**32 where noted:
    h = (seed*0x9E3779B1 + x*0x85EBCA77 + y*0xC2B2AE3D + c*0x27D4EB2F) mod 2**32
    h ^= h >> 15; h = h*0x2C1B3C6D mod 2**32; h ^= h >> 12; h = h*0x297A2D39 mod 2**32; h ^= h >> 15
    n = h mod (noise + 1)                                     (0 when noise is 0)
    g = (ax[c]*x*256) // width + (ay[c]*y*256) // height
    k = contrast if block > 0 and ((x // block) + (y // block)) is odd else 0
    value = (base + g + k + n) mod 256
A "gray" picture uses channel 0's value for all three channels (and is hashed as 8-bit gray by the test).
"""
import json
import os
import sys

import numpy as np
import pdqhash

M32 = np.uint64(0xFFFFFFFF)

CASES = [
    # name, width, height, seed, noise, ax, ay, block, contrast, base, gray
    ("square-64", 64, 64, 1, 255, [1, 2, 3], [3, 1, 2], 0, 0, 0, False),
    # pdqhash.compute copies a 64x64 luma plane as is, compute_dihedral box-filters it: here they differ.
    ("square-64-filtered-differs", 64, 64, 182, 1, [2, 1, 2], [2, 2, 0], 0, 0, 182, False),
    ("narrow-17x200", 17, 200, 2, 200, [1, 0, 2], [2, 1, 0], 5, 60, 10, False),
    ("vga-640x480", 640, 480, 3, 90, [1, 1, 2], [1, 2, 1], 37, 80, 0, False),
    ("odd-1000x731", 1000, 731, 4, 40, [2, 1, 1], [1, 1, 3], 101, 100, 5, False),
    ("tall-64x1000", 64, 1000, 5, 120, [1, 2, 1], [0, 1, 1], 13, 50, 0, False),
    ("window-edge-129x127", 129, 127, 6, 255, [0, 0, 0], [0, 0, 0], 0, 0, 0, False),
    ("minimum-5x5", 5, 5, 7, 255, [1, 1, 1], [1, 1, 1], 0, 0, 0, False),
    ("too-small-3x5", 3, 5, 8, 255, [1, 1, 1], [1, 1, 1], 0, 0, 0, False),
    ("too-small-5x4", 5, 4, 9, 255, [1, 1, 1], [1, 1, 1], 0, 0, 0, False),
    ("flat-300x200", 300, 200, 10, 0, [0, 0, 0], [0, 0, 0], 0, 0, 128, False),
    ("near-flat-320x240", 320, 240, 11, 2, [0, 0, 0], [0, 0, 0], 0, 0, 100, False),
    ("gray-257x129", 257, 129, 12, 64, [1, 1, 1], [2, 2, 2], 19, 90, 0, True),
    ("wide-2000x300", 2000, 300, 13, 30, [1, 3, 2], [2, 0, 1], 211, 70, 0, False),
]


def mix(seed, xs, ys, c):
    h = (np.uint64(seed) * np.uint64(0x9E3779B1) + xs * np.uint64(0x85EBCA77)
         + ys * np.uint64(0xC2B2AE3D) + np.uint64(c) * np.uint64(0x27D4EB2F)) & M32
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x2C1B3C6D)) & M32
    h ^= h >> np.uint64(12)
    h = (h * np.uint64(0x297A2D39)) & M32
    h ^= h >> np.uint64(15)
    return h


def make_pixels(width, height, seed, noise, ax, ay, block, contrast, base, gray):
    ys, xs = np.meshgrid(np.arange(height, dtype=np.uint64), np.arange(width, dtype=np.uint64), indexing="ij")
    out = np.zeros((height, width, 3), dtype=np.int64)
    xi = xs.astype(np.int64)
    yi = ys.astype(np.int64)
    for c in range(3):
        n = (mix(seed, xs, ys, c) % np.uint64(noise + 1)).astype(np.int64) if noise > 0 else 0
        g = (ax[c] * xi * 256) // width + (ay[c] * yi * 256) // height
        k = np.where(((xi // block) + (yi // block)) % 2 == 1, contrast, 0) if block > 0 else 0
        out[:, :, c] = (base + g + k + n) % 256
    if gray:
        out[:, :, 1] = out[:, :, 0]
        out[:, :, 2] = out[:, :, 0]
    return np.ascontiguousarray(out.astype(np.uint8))


def to_hex(bits):
    # pytx's text form: the bit vector read most significant first.
    return format(int("".join(str(int(b)) for b in bits), 2), "064x")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.path.join(root, "Tests", "Fixtures", "pdq-synthetic.jsonl")
    with open(target, "w") as out:
        for name, width, height, seed, noise, ax, ay, block, contrast, base, gray in CASES:
            pixels = make_pixels(width, height, seed, noise, ax, ay, block, contrast, base, gray)
            bits, quality = pdqhash.compute(pixels)
            variants, dihedral_quality = pdqhash.compute_dihedral(pixels)
            record = {
                "name": name, "width": width, "height": height, "seed": seed, "noise": noise,
                "ax": ax, "ay": ay, "block": block, "contrast": contrast, "base": base, "gray": gray,
                "hash": to_hex(bits), "quality": int(quality),
                "dihedral": [to_hex(v) for v in variants], "dihedral_quality": int(dihedral_quality),
                "pixel_sum": int(pixels.astype(np.int64).sum()),
            }
            out.write(json.dumps(record) + "\n")
    print(f"wrote {len(CASES)} vectors to {target} (pdqhash {pdqhash.__version__ if hasattr(pdqhash, '__version__') else '?'})")


if __name__ == "__main__":
    sys.exit(main())
