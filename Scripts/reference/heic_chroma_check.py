#!/usr/bin/env python3
"""Where nccmatch's HEIC pixels differ from pillow-heif's: the conversion or the decoded chroma (issue 11).

Decodes a HEIC's YCbCr 4:2:0 planes with this machine's libheif 1.15 / libde265 1.0.11 (a small C program compiled
here, planes written to a temporary file that is removed), converts them to RGB with libheif 1.23's fixed-point
arithmetic (BT.601, full range) twice, with nearest-sample chroma (what nccmatch does) and with libheif's bilinear
chroma upsampling, and compares both with pillow-heif 1.9's RGB (libheif 1.23 / libde265 1.1.3): share of pixels
differing, and for nearest-sample chroma whether the differences are luma-like (R, G, B moved alike) and where they sit.

Usage: /tmp/fmtvenv/bin/python Scripts/reference/heic_chroma_check.py Tests/Fixtures/images/heic/photo.heic
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pillow_heif
from PIL import Image

DUMP = r"""#include <libheif/heif.h>
#include <stdio.h>
int main(int argc, char **argv) {
    heif_init(0);
    struct heif_context *c = heif_context_alloc();
    struct heif_image_handle *h; struct heif_image *img;
    if (heif_context_read_from_file(c, argv[1], 0).code) return 1;
    if (heif_context_get_primary_image_handle(c, &h).code) return 1;
    if (heif_decode_image(h, &img, heif_colorspace_YCbCr, heif_chroma_420, 0).code) return 2;
    FILE *f = fopen(argv[2], "wb");
    enum heif_channel ch[3] = {heif_channel_Y, heif_channel_Cb, heif_channel_Cr};
    for (int i = 0; i < 3; i++) {
        int stride; const uint8_t *p = heif_image_get_plane_readonly(img, ch[i], &stride);
        int w = heif_image_get_width(img, ch[i]), hh = heif_image_get_height(img, ch[i]);
        fprintf(stderr, "%d %d\n", w, hh);
        for (int y = 0; y < hh; y++) fwrite(p + (size_t)y * stride, 1, w, f);
    }
    fclose(f);
    return 0;
}
"""


def main():
    path = sys.argv[1]
    folder = tempfile.mkdtemp(prefix="ncc-heic-chroma-")
    try:
        source, binary, raw = (os.path.join(folder, n) for n in ("dump.c", "dump", "planes.yuv"))
        with open(source, "w") as f:
            f.write(DUMP)
        subprocess.run(["cc", "-O2", "-o", binary, source, "-lheif"], check=True)
        sizes = subprocess.run([binary, path, raw], check=True, capture_output=True, text=True).stderr.split()
        W, H = int(sizes[0]), int(sizes[1])
        compare(path, raw, W, H)
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


def compare(path, raw, W, H):
    pillow_heif.register_heif_opener()
    cw, chh = (W+1)//2, (H+1)//2
    d = np.fromfile(raw, np.uint8)
    Y = d[:W*H].reshape(H, W).astype(np.int64)
    Cb = d[W*H:W*H+cw*chh].reshape(chh, cw).astype(np.int64)
    Cr = d[W*H+cw*chh:].reshape(chh, cw).astype(np.int64)
    ref = np.asarray(Image.open(path).convert("RGB")).astype(np.int64)
    kr, kb = 0.299, 0.114
    kg = kb + kr - 1
    r_cr = round(256*(2*(-kr+1))); b_cb = round(256*(2*(-kb+1)))
    g_cb = round(256*(2*kb*(-kb+1)/kg)); g_cr = round(256*(2*kr*(-kr+1)/kg))
    def rgb(cb, cr):
        cb = cb - 128; cr = cr - 128
        r = np.clip(Y + ((r_cr*cr + 128) >> 8), 0, 255)
        g = np.clip(Y + ((g_cb*cb + g_cr*cr + 128) >> 8), 0, 255)
        b = np.clip(Y + ((b_cb*cb + 128) >> 8), 0, 255)
        return np.stack([r, g, b], -1)
    near = rgb(np.repeat(np.repeat(Cb, 2, 0), 2, 1)[:H, :W], np.repeat(np.repeat(Cr, 2, 0), 2, 1)[:H, :W])
    def bil(C):
        out = np.repeat(np.repeat(C, 2, 0), 2, 1)[:H, :W].copy()
        for y in range(1, H-1, 2):
            cy = y//2
            for x in range(1, W-1, 2):
                cx = x//2
                c00, c01, c10, c11 = C[cy, cx], C[cy, cx+1], C[cy+1, cx], C[cy+1, cx+1]
                out[y, x] = (c00*9 + c01*3 + c10*3 + c11 + 8)//16
                out[y, x+1] = (c00*3 + c01*9 + c10 + c11*3 + 8)//16
                out[y+1, x] = (c00*3 + c01 + c10*9 + c11*3 + 8)//16
                out[y+1, x+1] = (c00 + c01*3 + c10*3 + c11*9 + 8)//16
        return out
    bl = rgb(bil(Cb), bil(Cr))
    inner = (slice(1, H-1), slice(1, W-1))
    for name, v in [("nearest", near), ("bilinear", bl)]:
        diff = np.abs(v - ref)
        print(name, "pixels differing (all):", (diff.max(-1) > 0).mean().round(4), "inner:", (diff[inner].max(-1) > 0).mean().round(4), "max", diff.max())
    d = near - ref
    m = np.abs(d).max(-1) > 0
    dd = d[m]
    same = (dd[:, 0] == dd[:, 1]) & (dd[:, 1] == dd[:, 2])
    print("differing", m.sum(), "all channels equal delta (luma-like):", same.sum())
    print("examples", dd[:12].tolist())
    ys, xs = np.nonzero(m)
    print("rows parity", np.bincount(ys % 2), "cols parity", np.bincount(xs % 2))
    print("rows", np.bincount(ys)[:40].tolist())
    print("luma x mod 16", np.bincount(xs % 16, minlength=16).tolist())
    print("luma y mod 16", np.bincount(ys % 16, minlength=16).tolist())


if __name__ == "__main__":
    main()
