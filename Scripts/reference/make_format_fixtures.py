#!/usr/bin/env python3
"""Generates the HEIC, AVIF, WebP and GIF fixtures and their reference hashes (issue 11).

Writes
    Tests/Fixtures/images/{webp,gif,heic,avif}/...   small pictures in each format and variant
    Tests/Fixtures/images/malformed/...              truncated, damaged and oversized files of each format
    Tests/Fixtures/format-expected-hashes.jsonl      reference hashes of every decodable one
    Tests/Fixtures/format-malformed.jsonl            the ImageDecodingError code each malformed one must give

Sources (licences permitting redistribution): the project's own synthetic large-800x600.jpg, and three CC0 /
public-domain photographs from ../shared/corpus (scikit-image's coffee and chelsea, CC0; astronaut, public
domain, NASA), downscaled so that each file stays between a few KB and ~100 KB.

Reference decoders, as the issue names them: Pillow for WebP, GIF and AVIF, pillow-heif for HEIC; their RGB
goes to pdqhash, and imagehash 4.3 hashes the opened image (Scripts/reference/reference_hashes.py). HEIC gets no
EXIF transpose on top of the container's irot/imir (pillow-heif resets the EXIF orientation to 1 after libheif
applied the transforms); Pillow's AVIF reader turns irot/imir into the EXIF orientation, so AVIF is transposed.

Rerun (deterministic for WebP, GIF and HEIC given the same library versions):
    python3 -m venv /tmp/fmtvenv
    /tmp/fmtvenv/bin/pip install Pillow==13.0.0 pillow-heif==1.9.0 pdqhash==0.2.8 imagehash==4.3.2 numpy
    /tmp/fmtvenv/bin/python Scripts/reference/make_format_fixtures.py
"""
import io
import json
import os
import struct
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(__file__))
import pillow_heif  # noqa: E402

from reference_hashes import reference_hashes  # noqa: E402

pillow_heif.register_heif_opener()

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests/Fixtures"
IMAGES = FIXTURES / "images"
CORPUS = ROOT.parent / "shared/corpus/images"


def source(name, width):
    """An RGB picture downscaled to `width` pixels wide."""
    path = CORPUS / name if not name.startswith("Tests/") else ROOT / name
    image = Image.open(path).convert("RGB")
    height = round(image.height * width / image.width)
    return image.resize((width, height), Image.LANCZOS)


def with_alpha(image):
    """RGBA: a radial alpha ramp with a fully transparent corner whose colour stays stored."""
    w, h = image.size
    y, x = np.mgrid[0:h, 0:w]
    alpha = np.clip(255 - np.hypot(x - w * 0.3, y - h * 0.4) * 255 / max(w, h), 0, 255).astype(np.uint8)
    alpha[: h // 4, -w // 4:] = 0
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.fromarray(alpha, "L"))
    return rgba


def frames(image, count):
    """Animation frames: the picture, then copies with a moving bar (different later frames)."""
    out = [image.copy()]
    for i in range(1, count):
        frame = image.copy()
        ImageDraw.Draw(frame).rectangle([i * 12, 0, i * 12 + 20, frame.height], fill=(255, 0, 0))
        out.append(frame)
    return out


def main():
    records, malformed = [], []
    coffee = source("scikit-image__coffee.png", 320)
    chelsea = source("scikit-image__chelsea.png", 240)
    astronaut = source("scikit-image__astronaut.png", 256)
    synthetic = source("Tests/Fixtures/images/jpeg/large-800x600.jpg", 320)

    made = {}  # relative path -> reference decoder name

    def save(image, rel, reference, **kw):
        path = IMAGES / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, **kw)
        made[rel] = reference
        return path

    # WebP (Pillow 13 / libwebp): lossy, lossless, alpha (both), animated.
    save(coffee, "webp/lossy.webp", "Pillow", format="WEBP", quality=80, method=4)
    save(synthetic, "webp/lossy-synthetic.webp", "Pillow", format="WEBP", quality=75, method=4)
    save(chelsea.resize((160, 107)), "webp/lossless.webp", "Pillow", format="WEBP", lossless=True, quality=100, method=4)
    save(with_alpha(astronaut), "webp/alpha-lossy.webp", "Pillow", format="WEBP", quality=80, method=4)
    save(with_alpha(chelsea.resize((160, 107))), "webp/alpha-lossless.webp", "Pillow", format="WEBP", lossless=True, exact=True, method=4)
    anim = frames(coffee.resize((200, 133)), 4)
    save(anim[0], "webp/animated.webp", "Pillow", format="WEBP", save_all=True, append_images=anim[1:], duration=100, loop=0, quality=75)
    # Many small frames: only the first is decoded, whatever the count.
    many = [Image.new("RGB", (64, 48), (i % 256, (i * 7) % 256, (i * 13) % 256)) for i in range(1000)]
    ImageDraw.Draw(many[0]).ellipse([8, 8, 40, 40], fill=(250, 250, 250))
    save(many[0], "webp/many-frames.webp", "Pillow", format="WEBP", save_all=True, append_images=many[1:], duration=20, loop=0, lossless=True)

    # GIF (Pillow's writer): still, interlaced, transparent, animated, first frame smaller than the screen.
    save(coffee.quantize(256), "gif/still.gif", "Pillow", format="GIF", interlace=False)
    save(astronaut.quantize(128), "gif/interlaced.gif", "Pillow", format="GIF", interlace=True)
    transparent = chelsea.quantize(64)
    save(transparent, "gif/transparent.gif", "Pillow", format="GIF", transparency=5, interlace=False)
    anim = [f.quantize(128) for f in frames(synthetic.resize((160, 120)), 5)]
    save(anim[0], "gif/animated.gif", "Pillow", format="GIF", save_all=True, append_images=anim[1:], duration=80, loop=0)
    # A first frame at (16, 8) on a larger logical screen: Pillow fills the rest with the transparent index.
    small = io.BytesIO()
    chelsea.resize((120, 80)).quantize(32).save(small, format="GIF", transparency=3, interlace=False)
    data = bytearray(small.getvalue())
    data[6:10] = struct.pack("<HH", 152, 100)  # logical screen 152x100 instead of 120x80
    image_start = data.index(b"\x2c", 13 + 3 * 32)  # the image descriptor after the GCE
    data[image_start + 1: image_start + 5] = struct.pack("<HH", 16, 8)
    (IMAGES / "gif/offset-frame.gif").write_bytes(bytes(data))
    made["gif/offset-frame.gif"] = "Pillow"

    # HEIC (pillow-heif 1.9.0 / libheif 1.23 with x265): plain, and stored turned with an irot transform.
    save(coffee, "heic/photo.heic", "pillow-heif", format="HEIF", quality=60)
    save(synthetic, "heic/synthetic.heic", "pillow-heif", format="HEIF", quality=60)
    save(astronaut, "heic/upright.heic", "pillow-heif", format="HEIF", quality=60)
    # The picture stored turned 90 degrees counter-clockwise with EXIF orientation 6: pillow-heif's writer turns
    # that into an irot box (and keeps the EXIF tag), as an iPhone photo taken in portrait is stored.
    turned = astronaut.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    save(turned, "heic/irot.heic", "pillow-heif", format="HEIF", quality=60, exif=exif.tobytes())

    # AVIF (Pillow 13 / libavif): plain.
    save(coffee, "avif/photo.avif", "Pillow", format="AVIF", quality=60)
    save(synthetic, "avif/synthetic.avif", "Pillow", format="AVIF", quality=60)
    # Stored turned with EXIF orientation 6: Pillow's AVIF writer turns it into irot; its reader turns irot back
    # into an EXIF orientation that exif_transpose applies.
    save(turned, "avif/irot.avif", "Pillow", format="AVIF", quality=60, exif=exif.tobytes())
    save(astronaut, "avif/upright.avif", "Pillow", format="AVIF", quality=60)

    for rel in sorted(made):
        path = IMAGES / rel
        is_heif = rel.startswith("heic/")  # pillow-heif: transforms applied, EXIF reset; Pillow AVIF: via EXIF
        if rel.startswith("heic/"):
            assert Image.open(path).format == "HEIF", rel
        record = {"file": "images/" + rel, "exif": not is_heif, "format": rel.split("/")[0], "reference": made[rel]}
        record.update(reference_hashes(path, apply_exif=not is_heif))
        records.append(record)
        print(f"{rel}: {path.stat().st_size} bytes")

    # Malformed files of each format.
    mdir = IMAGES / "malformed"

    def bad(name, data, code):
        (mdir / name).write_bytes(data)
        malformed.append({"file": "images/malformed/" + name, "error": code})

    for fmt, rel in [("webp", "webp/lossy.webp"), ("gif", "gif/still.gif"), ("heic", "heic/photo.heic"), ("avif", "avif/photo.avif")]:
        data = (IMAGES / rel).read_bytes()
        bad(f"truncated.{fmt}", data[: len(data) * 6 // 10], "truncated")
    webp = bytearray((IMAGES / "webp/lossy.webp").read_bytes())
    webp[20:26] = b"\xff" * 6  # the VP8 frame header: start code and size destroyed
    bad("corrupt-header.webp", bytes(webp), "corrupt_data")
    gif = bytearray((IMAGES / "gif/still.gif").read_bytes())
    body = gif.index(b"\x2c", 13 + 3 * 256) + 10  # LZW minimum code size byte
    gif[body] = 0x0F  # a code size no GIF may use
    bad("corrupt-header.gif", bytes(gif), "corrupt_data")
    heic = bytearray((IMAGES / "heic/photo.heic").read_bytes())
    meta = heic.index(b"meta")
    heic[meta: meta + 4] = b"mxta"  # the meta box renamed: no picture description left
    bad("corrupt-header.heic", bytes(heic), "corrupt_data")
    # Canvases far beyond the 100-megapixel limit, declared in headers over tiny pictures.
    gif = bytearray((IMAGES / "gif/still.gif").read_bytes())
    gif[6:10] = struct.pack("<HH", 65535, 65535)
    bad("huge-65535x65535.gif", bytes(gif), "too_many_pixels")
    anim = bytearray((IMAGES / "webp/animated.webp").read_bytes())
    vp8x = anim.index(b"VP8X")
    anim[vp8x + 12: vp8x + 18] = struct.pack("<I", 16383)[:3] + struct.pack("<I", 16383)[:3]  # 16384x16384 canvas
    bad("huge-16384x16384.webp", bytes(anim), "too_many_pixels")
    heic = bytearray((IMAGES / "heic/photo.heic").read_bytes())
    at = 0
    while (at := heic.find(b"ispe", at)) >= 0:
        heic[at + 8: at + 16] = struct.pack(">II", 30000, 20000)
        at += 4
    bad("huge-30000x20000.heic", bytes(heic), "too_many_pixels")

    with open(FIXTURES / "format-expected-hashes.jsonl", "w") as out:
        out.write("\n".join(json.dumps(r, sort_keys=True) for r in records) + "\n")
    with open(FIXTURES / "format-malformed.jsonl", "w") as out:
        out.write("\n".join(json.dumps(r, sort_keys=True) for r in malformed) + "\n")
    print(f"wrote {len(records)} expected and {len(malformed)} malformed records")


if __name__ == "__main__":
    main()
