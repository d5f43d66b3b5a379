"""Reference hashes for nccmatch's conformance tests and measurements.

The reference pipeline is the one Meta's Hasher-Matcher-Actioner uses for PDQ
(Pillow decode -> RGB numpy array -> `pdqhash.compute`, full resolution) and
Python `imagehash` for pHash and dHash. EXIF orientation is applied with
`ImageOps.exif_transpose` unless `apply_exif=False`, matching nccmatch's default.

Requires: pip install pdqhash==0.2.8 imagehash==4.3.2 Pillow==13.0.0 numpy
"""
import hashlib

import imagehash
import numpy as np
import pdqhash
from PIL import Image, ImageOps

DIHEDRAL_NAMES = ["original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"]


def bits_to_hex(bits):
    """pdqhash returns bits most significant first; the PDQ text form is their hex."""
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return "%064x" % value


def reference_hashes(path, apply_exif=True, dihedral=True):
    """Returns a dict of the reference hashes of the image file at `path`."""
    with open(path, "rb") as f:
        data = f.read()
    out = {
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    image = Image.open(path)
    image.load()
    if apply_exif:
        image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # Deliberate difference: Pillow's convert("RGB") clips 16-bit gray at 255 (a photo turns
        # white); nccmatch keeps the high byte, as a viewer shows it. The references are fed that.
        image = Image.fromarray((np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8), "L")
        out["note"] = "16-bit gray: references fed the high byte (Pillow itself would clip at 255)"
    rgb = np.asarray(image.convert("RGB"))
    bits, quality = pdqhash.compute(rgb)
    out["pdq"] = bits_to_hex(bits)
    out["pdq_quality"] = int(quality)
    if dihedral:
        variants, _ = pdqhash.compute_dihedral(rgb)
        out["pdq_dihedral"] = [bits_to_hex(v) for v in variants]
    out["phash"] = str(imagehash.phash(image))
    out["dhash"] = str(imagehash.dhash(image))
    out["width"], out["height"] = image.size
    return out
