#!/usr/bin/env python3
"""vPDQ conformance: Meta's published frame hashes, Meta's `vpdq` package run here, and `nccmatch hash`.

Hashes every frame of every video in ../shared/vpdq-vectors/videos with the `vpdq` PyPI package (0.2.5, built
from source against this machine's FFmpeg) and, when --nccmatch is given, with `nccmatch hash --format vpdq
--seconds-per-hash 0`; compares both with the published hashes in expected/NAME.txt, and with each other, frame by
frame. Prints, for each pair: frames compared, how many are identical, how many within 10 bits, and the distribution.

Setup (once):  python3 -m venv /tmp/vpdqenv && /tmp/vpdqenv/bin/pip install vpdq==0.2.5
  (needs cmake and libavformat/libavcodec/libavutil/libswscale/libavdevice/libavfilter -dev packages)
Usage:  /tmp/vpdqenv/bin/python Scripts/reference/vpdq_conformance.py [--nccmatch .build/release/nccmatch]
"""
import argparse
import pathlib
import subprocess
import sys

BUCKETS = [0, 1, 2, 3, 4, 6, 8, 10, 16, 32, 256]


def parse_text_form(text):
    frames = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        number, quality, pdq, timestamp = line.split(",")
        frames.append((int(number), int(quality), pdq, float(timestamp)))
    return frames


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


class Tally:
    def __init__(self, name):
        self.name = name
        self.frames = self.identical = self.within10 = 0
        self.count_mismatches = []
        self.histogram = [0] * 257
        self.per_video = []

    def add(self, video, ours, theirs):
        if len(ours) != len(theirs):
            self.count_mismatches.append(f"{video}: {len(ours)} vs {len(theirs)} frames")
        within = 0
        for a, b in zip(ours, theirs):
            d = distance(a[2], b[2])
            self.histogram[d] += 1
            self.identical += d == 0
            within += d <= 10
        self.frames += min(len(ours), len(theirs))
        self.within10 += within
        self.per_video.append((video, within, min(len(ours), len(theirs))))

    def report(self):
        share = 100.0 * self.within10 / max(self.frames, 1)
        print(f"== {self.name}")
        print(f"   frames {self.frames}, identical {self.identical}, within 10 bits {self.within10} ({share:.2f}%)")
        lower, parts = 0, []
        for upper in BUCKETS:
            parts.append(f"<={upper}: {sum(self.histogram[lower:upper + 1])}")
            lower = upper + 1
        print("   distances " + ", ".join(parts))
        for video, within, total in self.per_video:
            if within != total:
                print(f"   {video}: {within}/{total} within 10 bits")
        for mismatch in self.count_mismatches:
            print(f"   FRAME COUNT DIFFERS {mismatch}")


def main():
    repo = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", default=str(repo.parent / "shared" / "vpdq-vectors"))
    parser.add_argument("--nccmatch", help="path of a built nccmatch to compare as well")
    parser.add_argument("--no-package", action="store_true", help="skip the vpdq package (compare nccmatch only)")
    args = parser.parse_args()

    vectors = pathlib.Path(args.vectors)
    videos = sorted((vectors / "videos").glob("*.mp4"))
    if not videos:
        sys.exit(f"no videos in {vectors / 'videos'}")
    package = None
    if not args.no_package:
        import vpdq as package  # noqa: E402  (only needed here)

    tallies = {}
    def tally(name):
        return tallies.setdefault(name, Tally(name))

    for video in videos:
        name = video.stem
        published = parse_text_form((vectors / "expected" / f"{name}.txt").read_text())
        results = {}
        if package is not None:
            features = package.computeHash(str(video), seconds_per_hash=0, thread_count=1)
            results["vpdq package"] = [(f.frame_number, f.quality, f.hex, f.timestamp) for f in features]
        if args.nccmatch:
            out = subprocess.run([args.nccmatch, "hash", "--format", "vpdq", "--seconds-per-hash", "0", str(video)],
                                 check=True, capture_output=True, text=True).stdout
            results["nccmatch"] = parse_text_form(out)
        for label, frames in results.items():
            tally(f"{label} vs published").add(name, frames, published)
        if "vpdq package" in results and "nccmatch" in results:
            tally("nccmatch vs vpdq package (run here)").add(name, results["nccmatch"], results["vpdq package"])
        print(f"{name}: published {len(published)} frames; " + ", ".join(f"{k} {len(v)}" for k, v in results.items()),
              file=sys.stderr)

    for t in tallies.values():
        t.report()


if __name__ == "__main__":
    main()
