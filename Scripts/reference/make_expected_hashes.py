"""Writes Tests/Fixtures/expected-hashes.jsonl: reference hashes of every fixture image.

Run from the package root after (re)generating the fixture images:
    python Scripts/reference/make_expected_hashes.py
The values come from pdqhash 0.2.8, imagehash 4.3.2 and Pillow 13.0.0 (see reference_hashes.py).
Each line: {"file": path relative to Tests/Fixtures, "exif": bool, ...hashes}. Images whose
EXIF orientation is not 1 get a second line with "exif": false (orientation ignored).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from PIL import Image  # noqa: E402

from reference_hashes import reference_hashes  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures")
IMAGES = os.path.join(ROOT, "images")


def decodable(path):
    try:
        with Image.open(path) as image:
            if image.format not in ("JPEG", "PNG"):
                return False
            image.load()
        return True
    except Exception:
        return False


def orientation(path):
    with Image.open(path) as image:
        return image.getexif().get(0x0112, 1)


def main():
    lines = []
    for folder, dirs, files in os.walk(IMAGES):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, ROOT)
            if "malformed" in rel.split(os.sep) or not decodable(path):
                continue
            for apply_exif in ([True, False] if orientation(path) != 1 else [True]):
                record = {"file": rel, "exif": apply_exif}
                record.update(reference_hashes(path, apply_exif=apply_exif))
                lines.append(json.dumps(record, sort_keys=True))
    with open(os.path.join(ROOT, "expected-hashes.jsonl"), "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} records")


if __name__ == "__main__":
    main()
