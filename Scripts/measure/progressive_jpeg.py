#!/usr/bin/env python3
"""Progressive JPEGs in `fast` mode: hashes unchanged against an earlier build, and speed against djpeg (issue 11).

    python3 -m venv /tmp/pjpeg-venv && /tmp/pjpeg-venv/bin/pip install pillow
    /tmp/pjpeg-venv/bin/python Scripts/measure/progressive_jpeg.py identity NEW_NCCMATCH OLD_NCCMATCH
    /tmp/pjpeg-venv/bin/python Scripts/measure/progressive_jpeg.py speed NEW_NCCMATCH [OLD_NCCMATCH] [ROUNDS]

`identity`: converts every picture of ../shared/corpus to progressive JPEG four ways, in a temporary folder removed at
the end: Pillow (`progressive=True`, quality 88, optimized tables) and `cjpeg -progressive` (quality 92) at the
picture's own size (fast mode then decodes at 1/2 or 1/4 scale), and Pillow and `cjpeg -scans` with a script that
refines DC in the last two scans, both upscaled to a shorter side of 2048 (fast mode decodes at 1/8). Both builds
hash all of them with `nccmatch hash --mode fast --format jsonl`; every field of every record must be equal.

`speed`: makes large progressive JPEGs from corpus photographs, upscaled (Lanczos) to 24, 48 and 100 megapixels with
a light sensor-like grain (Gaussian, sigma 4) so that files have the size of camera pictures: Pillow
`progressive=True` (quality 90), `cjpeg -progressive` (quality 92) and `cjpeg -scans` refining DC late. Then, on one
core (`taskset -c 1`), round by round interleaved, times each file with
  - `djpeg -scale 1/8 -outfile /dev/null FILE` (libjpeg-turbo's own 1/8-scale decode),
  - `nccmatch hash --mode fast --jobs 1 --format jsonl FILE` (the new build, and the old one when given),
and prints per-file medians and the ratio nccmatch / djpeg, then peak memory (`/usr/bin/time -f %M`) of both builds on
the 100-megapixel files, and checks that both builds give the same hashes. Each run is a whole process (start-up,
file read, decode and every hash), as a person or platform runs it.
"""
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image, ImageChops

CORPUS = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus"))

# DC refined in the last two scans: 1/8 scale needs the first scan and the last two.
LATE_DC_SCANS = """0,1,2: 0 0 0 2;
0: 1 5 0 2;
2: 1 63 0 1;
1: 1 63 0 1;
0: 6 63 0 2;
0: 1 63 2 1;
2: 1 63 1 0;
1: 1 63 1 0;
0: 1 63 1 0;
0,1,2: 0 0 2 1;
0,1,2: 0 0 1 0;
"""


def corpus_pictures(kind=None):
    with open(os.path.join(CORPUS, "MANIFEST.tsv"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [os.path.join(CORPUS, "images", r["file"]) for r in rows if kind is None or r["kind"] == kind]


def cjpeg(ppm, out, arguments):
    with open(out, "wb") as f:
        subprocess.run(["cjpeg", *arguments, ppm], stdout=f, check=True)


def write_variants(image, stem, folder, scans_file, pillow_quality, cjpeg_quality, late_dc=True):
    """Pillow progressive, cjpeg -progressive and (optionally) cjpeg with the late-DC scan script of `image`."""
    ppm = os.path.join(folder, stem + ".ppm")
    image.save(ppm)
    paths = [os.path.join(folder, stem + "-pillow.jpg"), os.path.join(folder, stem + "-cjpeg.jpg")]
    image.save(paths[0], progressive=True, quality=pillow_quality, optimize=True)
    cjpeg(ppm, paths[1], ["-progressive", "-quality", str(cjpeg_quality)])
    if late_dc:
        paths.append(os.path.join(folder, stem + "-latedc.jpg"))
        cjpeg(ppm, paths[2], ["-scans", scans_file, "-quality", str(cjpeg_quality)])
    os.remove(ppm)
    return paths


def hash_records(binary, paths):
    """path -> record of `nccmatch hash --mode fast --format jsonl`, one process for all files."""
    run = subprocess.run([binary, "hash", "--mode", "fast", "--format", "jsonl", "--jobs", "1", *paths],
                         capture_output=True, text=True)
    records = {}
    for line in run.stdout.splitlines():
        record = json.loads(line)
        records[record["path"]] = record
    return records


def compare(new_binary, old_binary, paths):
    new, old = hash_records(new_binary, paths), hash_records(old_binary, paths)
    differing = [p for p in paths if new.get(p) != old.get(p)]
    errors = sum(1 for p in paths if "pdq" not in new.get(p, {}))
    return differing, errors


def identity(new_binary, old_binary):
    folder = tempfile.mkdtemp(prefix="ncc-progressive-identity-")
    try:
        scans = os.path.join(folder, "late-dc.scans")
        with open(scans, "w") as f:
            f.write(LATE_DC_SCANS)
        own_size, upscaled = [], []
        for i, source in enumerate(corpus_pictures()):
            image = Image.open(source).convert("RGB")
            own_size += write_variants(image, f"{i:03d}", folder, scans, 88, 92, late_dc=False)
            w, h = image.size
            factor = 2048 / min(w, h)
            big = image.resize((round(w * factor), round(h * factor)), Image.LANCZOS)
            pillow_big, _, late_big = write_variants(big, f"{i:03d}-2048", folder, scans, 88, 92)
            os.remove(os.path.join(folder, f"{i:03d}-2048-cjpeg.jpg"))
            upscaled += [pillow_big, late_big]
        for name, paths in [("own size (1/2 or 1/4 scale)", own_size), ("shorter side 2048 (1/8 scale)", upscaled)]:
            differing, errors = compare(new_binary, old_binary, paths)
            print(f"{name}: {len(paths)} progressive JPEGs, {len(differing)} with a different record, {errors} not hashed")
            for p in differing[:10]:
                print("  differs:", os.path.basename(p))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def grain(image, sigma=4):
    noise = Image.effect_noise(image.size, sigma).convert("RGB")  # centred on 128
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def peak_mb(command):
    run = subprocess.run(["/usr/bin/time", "-f", "%M", *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(run.stderr.strip().splitlines()[-1]) / 1024


def speed(new_binary, old_binary, rounds):
    folder = tempfile.mkdtemp(prefix="ncc-progressive-speed-")
    try:
        scans = os.path.join(folder, "late-dc.scans")
        with open(scans, "w") as f:
            f.write(LATE_DC_SCANS)
        photos = corpus_pictures("photo")
        photos = photos[::max(1, len(photos) // 5)][:5]  # five photographs spread over the corpus, the largest
        photos.sort(key=lambda p: Image.open(p).size[0] * Image.open(p).size[1])  # upscaled to 100 MP
        files = []
        for megapixels, sources in [(24, photos[0:3]), (48, photos[3:4]), (100, photos[4:5])]:
            for n, source in enumerate(sources):
                image = Image.open(source).convert("RGB")
                w, h = image.size
                factor = (megapixels * 1e6 / (w * h)) ** 0.5
                big = grain(image.resize((round(w * factor), round(h * factor)), Image.LANCZOS))
                stem = f"{megapixels}mp-{n}-{os.path.splitext(os.path.basename(source))[0][:24]}"
                for path in write_variants(big, stem, folder, scans, 90, 92):
                    files.append((megapixels, path))
                del big, image
        contenders = {"djpeg": lambda p: ["djpeg", "-scale", "1/8", "-outfile", "/dev/null", p],
                      "new": lambda p: [new_binary, "hash", "--mode", "fast", "--jobs", "1", "--format", "jsonl", p]}
        if old_binary:
            contenders["old"] = lambda p: [old_binary, "hash", "--mode", "fast", "--jobs", "1", "--format", "jsonl", p]
        times = {(name, path): [] for name in contenders for _, path in files}
        for _ in range(rounds):
            for _, path in files:
                for name, command in contenders.items():
                    times[(name, path)].append(timed(["taskset", "-c", "1", *command(path)]))
        print(f"{'file':58} {'MB':>6} {'djpeg ms':>9} {'new ms':>8} {'new/djpeg':>9}" + (f" {'old ms':>8} {'old/djpeg':>9}" if old_binary else ""))
        ratios, old_ratios = {}, {}
        for megapixels, path in files:
            median = {name: statistics.median(times[(name, path)]) for name in contenders}
            ratio = median["new"] / median["djpeg"]
            ratios.setdefault(megapixels, []).append(ratio)
            line = f"{os.path.basename(path):58} {os.path.getsize(path) / 1e6:6.1f} {median['djpeg'] * 1e3:9.0f} {median['new'] * 1e3:8.0f} {ratio:9.3f}"
            if old_binary:
                old_ratios.setdefault(megapixels, []).append(median["old"] / median["djpeg"])
                line += f" {median['old'] * 1e3:8.0f} {median['old'] / median['djpeg']:9.3f}"
            print(line)
        for megapixels in ratios:
            line = f"{megapixels} MP: median new/djpeg {statistics.median(ratios[megapixels]):.3f}"
            if old_binary:
                line += f", old/djpeg {statistics.median(old_ratios[megapixels]):.3f}"
            print(line)
        all_ratios = [r for rs in ratios.values() for r in rs]
        print(f"all {len(all_ratios)} files: median new/djpeg {statistics.median(all_ratios):.3f}, worst {max(all_ratios):.3f}")
        for megapixels, path in files:
            if megapixels == 100:
                line = f"peak memory {os.path.basename(path)}: new {peak_mb(contenders['new'](path)):.0f} MB"
                if old_binary:
                    line += f", old {peak_mb(contenders['old'](path)):.0f} MB"
                print(line + f", djpeg -scale 1/8 {peak_mb(contenders['djpeg'](path)):.0f} MB")
        if old_binary:
            differing, errors = compare(new_binary, old_binary, [p for _, p in files])
            print(f"hashes: {len(files)} files, {len(differing)} with a different record, {errors} not hashed")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("identity", "speed"):
        sys.exit(__doc__)
    if sys.argv[1] == "identity":
        if len(sys.argv) < 4:
            sys.exit(__doc__)
        identity(sys.argv[2], sys.argv[3])
    else:
        old = sys.argv[3] if len(sys.argv) > 3 else None
        rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
        speed(sys.argv[2], old, rounds)


if __name__ == "__main__":
    main()
