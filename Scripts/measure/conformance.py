"""Measures nccmatch's hashes against the references on a folder of images.

    python Scripts/measure/conformance.py .build/release/nccmatch ../shared/corpus/images

Prints, for JPEG and PNG files: how often PDQ `exact` equals pdqhash (and the largest
distance), how often `fast` is within 8 bits of `exact`, and pHash/dHash equality and mean
distance against imagehash. Exits 1 when the issue's acceptance figures are not met.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from reference_hashes import reference_hashes  # noqa: E402


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def run(binary, mode, paths):
    out = subprocess.run([binary, "hash", "--mode", mode, "--format", "jsonl", *paths],
                         capture_output=True, text=True)
    return {r["path"]: r for r in map(json.loads, out.stdout.splitlines())}


def main():
    binary, folders = sys.argv[1], sys.argv[2:]
    paths = []
    for folder in folders:
        for base, dirs, files in os.walk(folder):
            dirs.sort()
            paths += [os.path.join(base, f) for f in sorted(files) if f.lower().endswith((".jpg", ".jpeg", ".png"))]
    exact, fast = run(binary, "exact", paths), run(binary, "fast", paths)
    rows = []
    for path in paths:
        ours, quick = exact.get(path, {}), fast.get(path, {})
        if "pdq" not in ours:
            print(f"not hashed: {path}: {ours.get('error')}")
            continue
        ref = reference_hashes(path, dihedral=False)
        rows.append({
            "path": path,
            "pdq": distance(ours["pdq"], ref["pdq"]),
            "quality": ours["pdq_quality"] - ref["pdq_quality"],
            "fast_pdq": distance(quick["pdq"], ours["pdq"]) if "pdq" in quick else 256,
            "phash": distance(ours["phash"], ref["phash"]),
            "dhash": distance(ours["dhash"], ref["dhash"]),
            "fast_phash": distance(quick["phash"], ours["phash"]) if "phash" in quick else 64,
            "fast_dhash": distance(quick["dhash"], ours["dhash"]) if "dhash" in quick else 64,
        })
    n = len(rows)
    if n == 0:
        print("no images")
        return 1

    def share(pred):
        return sum(1 for r in rows if pred(r)) / n

    def mean(key):
        return sum(r[key] for r in rows) / n

    report = {
        "images": n,
        "pdq_exact_equal": share(lambda r: r["pdq"] == 0),
        "pdq_exact_max_distance": max(r["pdq"] for r in rows),
        "pdq_quality_equal": share(lambda r: r["quality"] == 0),
        "pdq_fast_within_8_of_exact": share(lambda r: r["fast_pdq"] <= 8),
        "pdq_fast_mean_distance": mean("fast_pdq"),
        "pdq_fast_max_distance": max(r["fast_pdq"] for r in rows),
        "phash_equal": share(lambda r: r["phash"] == 0),
        "phash_mean_distance": mean("phash"),
        "dhash_equal": share(lambda r: r["dhash"] == 0),
        "dhash_mean_distance": mean("dhash"),
        "phash_fast_mean_distance_to_exact": mean("fast_phash"),
        "dhash_fast_mean_distance_to_exact": mean("fast_dhash"),
    }
    for r in rows:
        if r["pdq"] or r["phash"] or r["dhash"] or r["fast_pdq"] > 8:
            print("differs:", json.dumps(r))
    print(json.dumps(report, indent=2))
    ok = (report["pdq_exact_equal"] >= 0.95 and report["pdq_exact_max_distance"] <= 4
          and report["pdq_fast_within_8_of_exact"] >= 0.99
          and report["phash_equal"] >= 0.95 and report["dhash_equal"] >= 0.95
          and report["phash_mean_distance"] < 0.5 and report["dhash_mean_distance"] < 0.5)
    print("acceptance:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
