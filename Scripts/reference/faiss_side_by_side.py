#!/usr/bin/env python3
"""Side-by-side run of `nccmatch bench` and faiss-cpu on the same seeded workload, one thread each.

Regenerates, with numpy, exactly the codes `nccmatch bench` generates (SplitMix64 over a counter,
same planting), runs faiss IndexBinaryFlat range search and IndexBinaryMultiHash (16 tables x 16 bits,
and 11 x 23 bits, the best exact setting at distance 31), checks faiss finds the same number of results
as nccmatch, and prints queries/s and the ratios.

    /tmp/refvenv/bin/python Scripts/reference/faiss_side_by_side.py \
        --nccmatch .build-index/release/nccmatch --entries 1000000 --bits 256 --distance 31

Times are thread CPU seconds (time.thread_time) and wall seconds; on a shared machine the CPU figures are
the steadier ones. Nothing is written to disk except the snapshot nccmatch bench saves and deletes.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def mix_np(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class SplitMix64:
    def __init__(self, seed, counter=0):
        self.seed = seed
        self.counter = counter

    def next(self):
        self.counter += 1
        return mix((self.seed + GAMMA * self.counter) & M64)

    def block(self, n):
        """The next n outputs, vectorised."""
        k = np.arange(self.counter + 1, self.counter + 1 + n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            out = mix_np(np.uint64(self.seed) + np.uint64(GAMMA) * k)
        self.counter += n
        return out


def workload(entries, queries, words, share, distance, seed):
    """Same codes as NCCIndex.SyntheticWorkload: words most significant first."""
    rng = SplitMix64(seed)
    bank = rng.block(entries * words).reshape(entries, words)
    planted = 0 if entries == 0 else min(queries, int(round(queries * share)))
    bits = words * 64
    out = np.zeros((queries, words), dtype=np.uint64)
    for i in range(queries):
        if i < planted:
            source = rng.next() % entries
            code = [int(x) for x in bank[source]]
            flips = 0 if planted == 1 else (i * min(distance, bits)) // max(1, planted - 1)
            chosen = set()
            while len(chosen) < flips:
                chosen.add(rng.next() % bits)
            for bit in chosen:
                code[bit // 64] ^= 1 << (bit % 64)
            out[i] = code
        else:
            out[i] = [rng.next() for _ in range(words)]
    return bank, out


def as_bytes(codes):
    # Any fixed byte order gives the same Hamming distances.
    return np.ascontiguousarray(codes).view(np.uint8).reshape(codes.shape[0], codes.shape[1] * 8)


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def timed(fn):
    w, c = time.perf_counter(), time.thread_time()
    out = fn()
    return out, time.perf_counter() - w, max(time.thread_time() - c, 1e-9)


def run_faiss(name, index, xb, xq, distance, nflip=None):
    import faiss
    if nflip is not None:
        index.nflip = nflip
    before = rss()
    _, build_wall, build_cpu = timed(lambda: index.add(xb))
    mem = rss() - before
    # faiss binary range search keeps distances strictly below the radius.
    (lims, D, I), wall, cpu = timed(lambda: index.range_search(xq, distance + 1))
    hits = int(lims[-1])
    assert hits == 0 or int(D.max()) <= distance
    return {"name": name, "queries": len(xq), "hits": hits, "queries_per_second": len(xq) / wall,
            "cpu_queries_per_second": len(xq) / cpu, "build_seconds": build_wall, "memory_bytes": mem}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nccmatch", default=".build-index/release/nccmatch")
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--bits", type=int, default=256)
    p.add_argument("--distance", type=int, default=None)
    p.add_argument("--planted-share", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--flat-queries", type=int, default=1000, help="queries for the flat scans (slow at 10M)")
    p.add_argument("--skip-multihash", action="store_true")
    p.add_argument("--bench-json", help="use this nccmatch bench report instead of running nccmatch")
    a = p.parse_args()
    distance = a.distance if a.distance is not None else (31 if a.bits == 256 else 8)
    words = a.bits // 64

    import faiss
    faiss.omp_set_num_threads(1)

    if a.bench_json:
        ours = json.load(open(a.bench_json))
    else:
        cmd = [a.nccmatch, "bench", "--entries", str(a.entries), "--queries", str(a.queries), "--bits", str(a.bits),
               "--max-distance", str(distance), "--planted-share", str(a.planted_share), "--seed", str(a.seed),
               "--flat-queries", str(a.flat_queries), "--snapshot-dir", "/tmp"]
        print("running:", " ".join(cmd), file=sys.stderr)
        ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

    bank, queries = workload(a.entries, a.queries, words, a.planted_share, distance, a.seed)
    xb, xq = as_bytes(bank), as_bytes(queries)
    nf = min(a.flat_queries, a.queries)
    results = [run_faiss("faiss IndexBinaryFlat", faiss.IndexBinaryFlat(a.bits), xb, xq[:nf], distance)]
    if not a.skip_multihash:
        if a.bits == 256:
            settings = [(16, 16), (11, 23)]
        else:
            settings = [(4, 16), (3, 21)]
        for nhash, b in settings:
            # nflip = floor(d / nhash) bit flips per table is what the pigeonhole needs for exact results.
            results.append(run_faiss(f"faiss IndexBinaryMultiHash {nhash}x{b}", faiss.IndexBinaryMultiHash(a.bits, nhash, b),
                                     xb, xq, distance, nflip=distance // nhash))

    idx = ours["index"]
    print(f"workload: {a.entries} random {a.bits}-bit codes, {a.queries} queries ({a.planted_share:.0%} planted), "
          f"range d<={distance}, seed {a.seed}, one thread; cpu path {ours.get('cpu_path')}")
    print(f"nccmatch {idx['strategy']}: {idx['queries_per_second']:.0f} q/s wall, {idx['cpu_queries_per_second']:.0f} q/s cpu, "
          f"recall {idx['recall']}, extra {idx['extra_results']}, hits {idx['hits']}, build {idx['build_seconds']:.2f} s, "
          f"{idx['bytes_per_entry']:.0f} B/entry")
    if ours.get("flat"):
        fl = ours["flat"]
        print(f"nccmatch flat scan: {fl['queries_per_second']:.0f} q/s wall, {fl['cpu_queries_per_second']:.0f} q/s cpu")
    for r in results:
        expected_hits = idx["hits"] if r["queries"] == a.queries else None
        same = "" if expected_hits is None else (" same hit count" if r["hits"] == expected_hits else f" HIT COUNT DIFFERS ({expected_hits})")
        print(f"{r['name']}: {r['queries_per_second']:.0f} q/s wall, {r['cpu_queries_per_second']:.0f} q/s cpu, "
              f"hits {r['hits']} over {r['queries']} queries,{same} build {r['build_seconds']:.2f} s, ~{r['memory_bytes'] / 1e6:.0f} MB")
        print(f"    ratio nccmatch index / {r['name']}: {idx['queries_per_second'] / r['queries_per_second']:.1f}x wall, "
              f"{idx['cpu_queries_per_second'] / r['cpu_queries_per_second']:.1f}x cpu")
    print(json.dumps({"nccmatch": ours, "faiss": results}, indent=None))


if __name__ == "__main__":
    main()
