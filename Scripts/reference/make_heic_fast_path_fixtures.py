#!/usr/bin/env python3
"""Generates the HEIC fixtures of the FFmpeg HEVC path (issue 11) and their reference hashes.

    Tests/Fixtures/images/heic/grid.heic         a 900x600 picture as a grid of 256x256 tiles (as iPhones store
                                                 photos, with smaller tiles to keep the file small)
    Tests/Fixtures/images/heic/grid-irot.heic    the same picture stored turned, with an irot on the grid item
    Tests/Fixtures/images/heic/irot-nclx.heic    one HEVC picture stored turned with an irot, colour as nclx (no ICC
                                                 profile), so it takes the FFmpeg path (irot.heic carries an ICC
                                                 profile and stays on libheif's)
    Tests/Fixtures/images/heic/grid-26mp.heic    5120x5120 (over the 24 megapixels above which fast mode averages
                                                 while converting): one 512x512 tile repeated, stored once
    Tests/Fixtures/images/heic/grid-flat.heic    a nearly flat 900x600 picture (a gentle gradient) as a grid of 256x256
                                                 tiles: fast mode keeps it RGB, as a flat single picture
    Tests/Fixtures/heic-fast-path-expected.jsonl pdqhash 0.2.8 and imagehash 4.3.2 fed pillow-heif 1.9.0's pixels
                                                 (Scripts/reference/reference_hashes.py, no EXIF on top, as for HEIC)

Grids are assembled by Scripts/reference/make_heic_grid.py from tiles encoded by pillow-heif (libheif 1.23, x265).
Rerun (deterministic given the same library versions):
    /tmp/fmtvenv/bin/python Scripts/reference/make_heic_fast_path_fixtures.py
"""
import json
import os
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import pillow_heif  # noqa: E402

from make_heic_grid import grid_heic  # noqa: E402
from reference_hashes import reference_hashes  # noqa: E402

pillow_heif.register_heif_opener()

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests/Fixtures"
IMAGES = FIXTURES / "images"
CORPUS = ROOT.parent / "shared/corpus/images"


def plain(image):
    """The pixels alone: no ICC profile or other metadata carried over from the source file (then pillow-heif
    writes the colour as nclx)."""
    return Image.frombytes("RGB", image.size, image.tobytes())


def flat_picture():
    """900x600, a gradient of 16 levels left to right and 8 top to bottom around a warm grey: PDQ quality near 0."""
    picture = Image.new("RGB", (900, 600))
    picture.putdata([(120 + x * 16 // 900 + y * 8 // 600, 110 + x * 16 // 900, 100 + y * 8 // 600)
                     for y in range(600) for x in range(900)])
    return picture


def main():
    coffee = plain(Image.open(CORPUS / "scikit-image__coffee.png").convert("RGB").resize((900, 600), Image.LANCZOS))
    (IMAGES / "heic/grid.heic").write_bytes(grid_heic(coffee, 256, 0, 70))
    (IMAGES / "heic/grid-irot.heic").write_bytes(grid_heic(coffee.rotate(-90, expand=True), 256, 1, 70))
    tile = plain(Image.open(CORPUS / "scikit-image__chelsea.png").convert("RGB").resize((512, 512), Image.LANCZOS))
    big = Image.new("RGB", (5120, 5120))
    for y in range(0, 5120, 512):
        for x in range(0, 5120, 512):
            big.paste(tile, (x, y))
    (IMAGES / "heic/grid-26mp.heic").write_bytes(grid_heic(big, 512, 0, 50))
    (IMAGES / "heic/grid-flat.heic").write_bytes(grid_heic(flat_picture(), 256, 0, 70))
    astronaut = Image.open(CORPUS / "scikit-image__astronaut.png").convert("RGB").resize((256, 256), Image.LANCZOS)
    exif = Image.Exif()
    exif[0x0112] = 6  # pillow-heif's writer turns this into an irot box, as for irot.heic
    plain(astronaut.transpose(Image.Transpose.ROTATE_90)).save(IMAGES / "heic/irot-nclx.heic", format="HEIF", quality=60, exif=exif.tobytes())
    with open(FIXTURES / "heic-fast-path-expected.jsonl", "w") as out:
        for name in ["grid.heic", "grid-irot.heic", "irot-nclx.heic", "grid-26mp.heic"]:
            path = IMAGES / "heic" / name
            data = path.read_bytes()
            assert b"colrnclx" in data and b"colrprof" not in data, name
            record = {"file": f"images/heic/{name}", "format": "heic", "reference": "pillow-heif"}
            record.update(reference_hashes(path, apply_exif=False))
            out.write(json.dumps(record, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
