#!/usr/bin/env python3
"""Writes Tests/Fixtures/corpus-perceptual-expected.jsonl: imagehash pHash and dHash of every
image in ../shared/corpus/images, for the corpus conformance test of PerceptualHasher.

Run from anywhere with imagehash 4.3.2, Pillow 13.0.0, numpy and scipy installed:

    python Scripts/reference/make_corpus_perceptual_expected.py [path/to/shared]

The pipeline is the project's reference one (reference_hashes.py): Pillow opens the file,
EXIF orientation is applied with ImageOps.exif_transpose (nccmatch's default), then
str(imagehash.phash(image)) and str(imagehash.dhash(image)) on the image in its own mode.
Each line: {"file": name inside corpus/images, "width", "height", "phash", "dhash"}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_hashes import reference_hashes  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared")
    images = os.path.join(shared, "corpus", "images")
    out_path = os.path.join(ROOT, "Tests", "Fixtures", "corpus-perceptual-expected.jsonl")
    lines = []
    for name in sorted(os.listdir(images)):
        path = os.path.join(images, name)
        if not os.path.isfile(path):
            continue
        ref = reference_hashes(path, apply_exif=True, dihedral=False)
        record = {"file": name, "width": ref["width"], "height": ref["height"],
                  "phash": ref["phash"], "dhash": ref["dhash"]}
        lines.append(json.dumps(record, sort_keys=True))
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} records to {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
