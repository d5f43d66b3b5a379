"""Pictures the page tests need and Samples/ does not hold, made in memory from Samples/ or from nothing.

- `with_exif_orientation(jpeg, 6)`: the same JPEG with an EXIF APP1 segment whose Orientation tag says
  "rotate 90 degrees clockwise to show" (the pixels are untouched, as a phone camera writes them);
- `transparent_png(w, h)`: RGBA with a fully and a half transparent third, colours kept under the alpha;
- `flat_png(w, h)`: one grey, so plain that PDQ's quality is 0 (the bank refuses its look);
- `large_png(w, h)`: a 10,000 x 10,000 picture (100 megapixels) that compresses to a few hundred KB;
- `broken_jpeg()`: a JPEG header followed by noise, which no decoder can open.

Run as a script to write them into a folder: `python3 Scripts/page/test_pictures.py OUT_DIR`.
"""
import math
import os
import struct
import sys
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an EXIF segment holding only Orientation (1-8), inserted right after SOI."""
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _png(width: int, height: int, row: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    compressor = zlib.compressobj(9)
    raw = b"".join(compressor.compress(b"\x00" + row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def transparent_png(width: int = 320, height: int = 240) -> bytes:
    """An RGBA PNG with detail in every colour channel whose left third is fully transparent and middle third
    half transparent: `nccmatch hash` drops alpha and keeps the colours under it, which a browser's 2D canvas
    loses (the page reads such pictures through WebGL to hash the same pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            alpha = 0 if x < width // 3 else (128 if x < 2 * width // 3 else 255)
            raw += bytes((int(127 + 120 * math.sin(x / 17 + y / 29)), y * 255 // height, ((x // 20 + y // 20) % 2) * 200 + 30, alpha))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + chunk(b"IEND", b""))


def flat_png(width: int = 320, height: int = 240) -> bytes:
    """An RGB PNG of one grey (quality 0)."""
    return _png(width, height, bytes([128, 128, 128]) * width)


def large_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """An RGB PNG of `width` x `height` pixels (100 megapixels by default) in stripes."""
    return _png(width, height, bytes((x // 50 % 2) * 200 for x in range(width) for _ in range(3)))


def broken_jpeg() -> bytes:
    """A JPEG signature followed by bytes no decoder can read."""
    return b"\xff\xd8\xff\xe0" + bytes((i * 7919) % 251 for i in range(4000))


def write_all(folder: str) -> dict:
    """Writes every test picture into `folder`; returns their paths by role."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(ROOT, "Samples/images/scikit-image__rocket.jpg"), "rb") as f:
        rocket = f.read()
    files = {
        "rotated": ("rocket-exif-orientation-6.jpg", with_exif_orientation(rocket, 6)),
        "flat": ("flat-grey.png", flat_png()),
        "transparent": ("transparent-thirds.png", transparent_png()),
        "large": ("large-100-megapixels.png", large_png()),
        "broken": ("damaged.jpg", broken_jpeg()),
        "text": ("notes.txt", b"This is a text file, not a picture.\n"),
    }
    paths = {}
    for role, (name, data) in files.items():
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        paths[role] = path
    return paths


if __name__ == "__main__":
    for role, path in write_all(sys.argv[1] if len(sys.argv) > 1 else ".").items():
        print(role, path)
