#!/usr/bin/env python3
"""Measures `nccmatch hash` on ../shared/corpus converted to WebP, HEIC, AVIF and GIF (issue 11).

Converts every corpus picture (EXIF orientation applied, RGB) into /tmp/nccmatch-format-corpus/<variant>/ (never
committed), computes the reference hashes of each converted file (pdqhash and imagehash 4.3 fed Pillow 13's pixels
for WebP, GIF and AVIF, pillow-heif's for HEIC: reference_hashes.py), runs the given nccmatch binary in exact and
fast mode over each folder, and prints a Markdown table: share of files whose exact PDQ / pHash / dHash equal the
reference, the largest PDQ distance, and the fast-to-exact PDQ distances.

    swift build -c release --product nccmatch
    /tmp/fmtvenv/bin/python Scripts/reference/format_corpus_conformance.py .build/release/nccmatch

Needs: Pillow==13.0.0 pillow-heif==1.9.0 pdqhash==0.2.8 imagehash==4.3.2 numpy (see make_format_fixtures.py).
"""
import json
import os
import subprocess
import sys
from multiprocessing import Pool
from pathlib import Path

from PIL import Image, ImageOps

sys.path.insert(0, os.path.dirname(__file__))
import pillow_heif  # noqa: E402

from reference_hashes import reference_hashes  # noqa: E402

pillow_heif.register_heif_opener()

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared/corpus/images"
OUT = Path(os.environ.get("FORMAT_CORPUS_DIR", "/tmp/nccmatch-format-corpus"))

VARIANTS = {
    # name: (extension, save arguments, reference decoder)
    "webp-lossy": ("webp", dict(format="WEBP", quality=80, method=4), "Pillow"),
    "webp-lossless": ("webp", dict(format="WEBP", lossless=True, quality=50, method=2), "Pillow"),
    "heic": ("heic", dict(format="HEIF", quality=75), "pillow-heif"),
    "avif": ("avif", dict(format="AVIF", quality=75, speed=8), "Pillow"),
    "gif": ("gif", dict(format="GIF"), "Pillow"),
}


def convert(job):
    source, variant = job
    ext, args, _ = VARIANTS[variant]
    target = OUT / variant / (source.stem + "." + ext)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        image = ImageOps.exif_transpose(Image.open(source)).convert("RGB")
        if variant == "gif":
            image = image.quantize(256)
        image.save(target, **args)
    heif = variant in ("heic", "avif")
    return variant, target.name, reference_hashes(target, apply_exif=not heif, dihedral=False)


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def run(binary, folder, mode):
    result = subprocess.run([binary, "hash", "--format", "jsonl", "--mode", mode, str(folder)], capture_output=True, text=True)
    records = {}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        records[Path(record["path"]).name] = record
    return records


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".build/release/nccmatch")
    sources = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    jobs = [(s, v) for v in VARIANTS for s in sources]
    with Pool(int(os.environ.get("JOBS", "2"))) as pool:
        references = pool.map(convert, jobs, chunksize=4)
    expected = {}
    for variant, name, ref in references:
        expected.setdefault(variant, {})[name] = ref
    print("| variant | files | PDQ equal | PDQ max distance | pHash equal | dHash equal | fast within 8 bits of exact | fast-exact max | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    details = {}
    for variant in VARIANTS:
        exact = run(binary, OUT / variant, "exact")
        fast = run(binary, OUT / variant, "fast")
        refs = expected[variant]
        n = len(refs)
        pdq_equal = phash_equal = dhash_equal = fast_close = errors = 0
        pdq_max = fast_max = 0
        worst = []
        for name, ref in refs.items():
            got, quick = exact.get(name, {}), fast.get(name, {})
            if "pdq" not in got or "pdq" not in quick:
                errors += 1
                worst.append((name, got.get("error")))
                continue
            d = distance(got["pdq"], ref["pdq"])
            pdq_equal += d == 0
            pdq_max = max(pdq_max, d)
            phash_equal += got["phash"] == ref["phash"]
            dhash_equal += got["dhash"] == ref["dhash"]
            f = distance(quick["pdq"], got["pdq"])
            fast_close += f <= 8
            fast_max = max(fast_max, f)
            if d > 0:
                worst.append((name, d))
        details[variant] = worst
        pct = lambda k: f"{100 * k / n:.1f}% ({k})"  # noqa: E731
        print(f"| {variant} | {n} | {pct(pdq_equal)} | {pdq_max} | {pct(phash_equal)} | {pct(dhash_equal)} | {pct(fast_close)} | {fast_max} | {errors} |")
    for variant, worst in details.items():
        if worst:
            print(f"\n{variant}: {sorted(worst, key=lambda w: str(w[1]))[-8:]}", file=sys.stderr)


if __name__ == "__main__":
    main()
