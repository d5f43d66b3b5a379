#!/usr/bin/env python3
"""Video hashing speed, side by side in one run on one core: `nccmatch hash` at one frame a second, the `vpdq` PyPI
package's hashing at the same rate, and a full single-threaded decode (`ffmpeg -threads 1 -i FILE -f null -`).

Every command runs pinned to one CPU (taskset), alternating, `--repeat` times; the median wall time is kept. Peak
memory (maximum resident set) of `nccmatch hash` is read from wait4's rusage.
Clips: make them with Scripts/measure/video_make_test_clip.sh DIR (one-minute 720p H.264 with x264's defaults, the
same without B-frames, and with --4k a ten-minute 4K clip for peak memory); the sample videos are read from
../shared/vpdq-vectors/videos and timed as one batch per tool.

Usage: /tmp/vpdqenv/bin/python Scripts/measure/video_speed.py --nccmatch .build/release/nccmatch CLIP... [--samples]
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

VPDQ_SNIPPET = (
    "import sys, time, vpdq\n"
    "start = time.perf_counter()\n"
    "for path in sys.argv[1:]:\n"
    "    vpdq.computeHash(path, seconds_per_hash=1, thread_count=1)\n"
    "print(time.perf_counter() - start)\n"
)


def timed(command, cpu):
    """Wall seconds and peak RSS (MiB) of `command` pinned to `cpu`."""
    start = time.perf_counter()
    process = subprocess.Popen(["taskset", "-c", str(cpu)] + command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(command)}: {process.stderr.read().decode()[:400]}")
    return elapsed, usage.ru_maxrss / 1024


def vpdq_time(python, files, cpu):
    """The vpdq package's own hashing time (inside Python, so the interpreter's start is not counted)."""
    out = subprocess.run(["taskset", "-c", str(cpu), python, "-c", VPDQ_SNIPPET] + files,
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main():
    repo = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clips", nargs="*")
    parser.add_argument("--nccmatch", default=str(repo / ".build" / "release" / "nccmatch"))
    parser.add_argument("--python", default=sys.executable, help="a Python with the vpdq package installed")
    parser.add_argument("--samples", action="store_true", help="also time the sample videos as one batch")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=1)
    parser.add_argument("--memory-only", action="store_true", help="only nccmatch's peak memory (for the 4K clip)")
    args = parser.parse_args()

    jobs = [(pathlib.Path(c).name, [c]) for c in args.clips]
    if args.samples:
        videos = sorted(str(p) for p in (repo.parent / "shared" / "vpdq-vectors" / "videos").glob("*.mp4"))
        jobs.append((f"{len(videos)} sample videos", videos))
    print(f"one core (cpu {args.cpu}), median of {args.repeat}; nccmatch {args.nccmatch}")
    for name, files in jobs:
        ours, theirs, full, memory = [], [], [], 0.0
        for _ in range(args.repeat):
            seconds, rss = timed([args.nccmatch, "hash", "--format", "jsonl", "--jobs", "1"] + files, args.cpu)
            ours.append(seconds)
            memory = max(memory, rss)
            if args.memory_only:
                continue
            theirs.append(vpdq_time(args.python, files, args.cpu))
            full.append(sum(timed(["ffmpeg", "-v", "error", "-threads", "1", "-i", f, "-f", "null", "-"], args.cpu)[0]
                            for f in files))
        o = statistics.median(ours)
        if args.memory_only:
            print(f"{name}: nccmatch hash {o:.2f} s, peak memory {memory:.0f} MiB")
            continue
        t, f = statistics.median(theirs), statistics.median(full)
        print(f"{name}: nccmatch hash {o:.2f} s | vpdq package {t:.2f} s | ffmpeg full decode {f:.2f} s"
              f" | vpdq/nccmatch {t / o:.2f}x (target >= 1.5) | nccmatch/ffmpeg {o / f:.2f} (target <= 0.8)"
              f" | nccmatch peak memory {memory:.0f} MiB")


if __name__ == "__main__":
    main()
