"""What a platform's full query set costs against the plain hash, on one core (issue 14: at most 3 times).

    python3 Scripts/measure/query_cost.py [NCCMATCH] [ROUNDS] [FOLDER]

NCCMATCH defaults to .build/release/nccmatch (build it with `swift build -c release --product nccmatch`),
ROUNDS to 3, FOLDER to ../shared/corpus/images (every picture in it). Each round runs, one after the other,

  - plain: taskset -c 1 nccmatch hash --jobs 1 --mode fast FOLDER
  - query: taskset -c 1 nccmatch hash --jobs 1 --mode fast --set query FOLDER

so that machine noise falls on both alike (the order alternates from round to round). Both are whole
processes timed by wall clock: reading and decoding every file, MD5 and SHA-256, and the plain PDQ (with its
DCT-domain dihedral variants), pHash and dHash are in both; the query run adds every companion the query sends
(unletterboxed, caption-masked, low-passed, corner-masked, photo region and collage tiles). Output goes to
/dev/null. Prints each run's wall-clock and CPU time (user + system: less sensitive to other work on the
machine than wall clock), the medians, the spread (min-max) and the ratio of the medians.
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def timed(command):
    """Wall-clock seconds and CPU seconds (user + system) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "nccmatch")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    folder = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "..", "shared", "corpus", "images")
    pictures = sum(len(files) for _, _, files in os.walk(folder))
    base = ["taskset", "-c", "1", binary, "hash", "--jobs", "1", "--mode", "fast", "--format", "jsonl"]
    commands = {"plain": base + [folder], "query": base + ["--set", "query", folder]}
    # One untimed run of each first: files in the page cache, binary loaded.
    for command in commands.values():
        timed(command)
    walls = {name: [] for name in commands}
    cpus = {name: [] for name in commands}
    for round_ in range(rounds):
        order = ["plain", "query"] if round_ % 2 == 0 else ["query", "plain"]
        for name in order:
            wall, cpu = timed(commands[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
            print(f"round {round_ + 1} {name}: wall {wall:.3f} s, CPU {cpu:.3f} s "
                  f"({1000 * wall / pictures:.1f} ms per picture)", flush=True)
    print(f"{pictures} files in {os.path.normpath(folder)}, one core (taskset -c 1), --jobs 1, fast mode, {rounds} rounds")
    for label, table in (("wall", walls), ("CPU", cpus)):
        for name, values in table.items():
            print(f"{label} {name}: median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}), "
                  f"{1000 * statistics.median(values) / pictures:.1f} ms per picture")
        ratio = statistics.median(table["query"]) / statistics.median(table["plain"])
        print(f"{label} query / plain: x{ratio:.2f} (spread x{min(table['query']) / max(table['plain']):.2f} to "
              f"x{max(table['query']) / min(table['plain']):.2f})")


if __name__ == "__main__":
    main()
