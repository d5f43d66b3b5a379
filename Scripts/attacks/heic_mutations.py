#!/usr/bin/env python3
"""Mutated HEIC files through `nccmatch hash`: every file must give a hash or a specific error, never a crash.

Makes N mutated copies (default 1000) of the HEIC fixtures in Tests/Fixtures/images/heic (one-picture files with
clap, irot, ICC or nclx colour, and grids) in a temporary folder: bit flips, byte runs overwritten, truncations, box
sizes, entry counts (iinf, iloc, ipma, dimg), iloc extent offsets and lengths, grid rows/columns/output size, hvcC
NAL lengths, ispe sizes, the meta box replaced by noise. Runs `nccmatch hash --format jsonl` on each one at a time,
in both modes, with a time limit and an address-space limit, and checks: exit status 0 or 1 (never a signal), one
JSON line, and either a `pdq` field or an `error` with a code. Prints the count per outcome and per error code;
exits 1 on any failure.

Usage: Scripts/attacks/heic_mutations.py [--nccmatch .build/debug/nccmatch] [--count 1000] [--seed 1]
"""
import argparse
import collections
import pathlib
import random
import sys
import tempfile

from mutation_run import MutationRun

BOXES = [b"meta", b"hdlr", b"pitm", b"iinf", b"infe", b"iloc", b"iref", b"dimg", b"iprp", b"ipco", b"ipma", b"hvcC",
         b"ispe", b"clap", b"irot", b"colr", b"idat", b"mdat"]
COUNTS = {b"iinf": 12, b"iloc": 14, b"ipma": 12, b"dimg": 10}  # byte offset of a count field from the box type


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    b = bytearray(data)
    kind = rng.choice(["bitflips", "overwrite", "truncate", "box_size", "count", "extent", "grid", "nal_length",
                       "ispe", "meta_noise"])
    value = rng.choice([0, 1, 2, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 32)])
    if kind == "bitflips":
        for _ in range(rng.choice([1, 10, 100])):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == "overwrite":
        start = rng.randrange(len(b))
        length = rng.choice([4, 64, 1024])
        b[start:start + length] = bytes(rng.randrange(256) for _ in range(min(length, len(b) - start)))
    elif kind == "truncate":
        b = b[: rng.randrange(1, len(b))]
    elif kind in ("box_size", "count"):
        box = rng.choice(BOXES if kind == "box_size" else list(COUNTS))
        at = b.find(box)
        if at >= 4:
            offset = at - 4 if kind == "box_size" else at + COUNTS[box] - 4
            width = 4 if kind == "box_size" else 2
            b[offset:offset + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "big")
    elif kind == "extent":
        at = b.find(b"iloc")
        if at >= 0:  # somewhere in the entries: an offset or a length
            offset = at + 12 + 4 * rng.randrange(1, 12)
            b[offset:offset + 4] = value.to_bytes(4, "big")
    elif kind == "grid":
        at = b.find(b"idat")
        if at >= 0:
            field = rng.randrange(2, 8)
            b[at + 4 + field] = value & 0xFF
    elif kind == "nal_length":
        at = b.find(b"hvcC")
        if at >= 0:
            offset = at + 4 + rng.randrange(21, 40)
            b[offset:offset + 2] = (value & 0xFFFF).to_bytes(2, "big")
    elif kind == "ispe":
        at = b.find(b"ispe")
        if at >= 0:
            offset = at + 8 + rng.choice([0, 4])
            b[offset:offset + 4] = value.to_bytes(4, "big")
    elif kind == "meta_noise":
        at = max(b.find(b"meta"), 0)
        b[at + 8:at + 264] = bytes(rng.randrange(256) for _ in range(min(256, len(b) - at - 8)))
    return kind, bytes(b)


def main():
    repo = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nccmatch", default=str(repo / ".build" / "debug" / "nccmatch"))
    parser.add_argument("--fixtures", default=str(repo / "Tests" / "Fixtures" / "images" / "heic"))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit for each run")
    args = parser.parse_args()

    sources = sorted(p for p in pathlib.Path(args.fixtures).glob("*.heic"))
    if not sources:
        sys.exit(f"no HEIC files in {args.fixtures}")
    rng = random.Random(args.seed)
    kinds = collections.Counter()
    run = MutationRun(args.nccmatch, args.timeout, args.memory_mb, "pdq")
    with tempfile.TemporaryDirectory(prefix="nccmatch-heic-mutations-") as folder:
        for n in range(args.count):
            source = rng.choice(sources)
            kind, data = mutate(source.read_bytes(), rng)
            kinds[kind] += 1
            path = pathlib.Path(folder) / f"m{n:04d}.heic"
            path.write_bytes(data)
            mode = "fast" if n % 2 else "exact"
            run.check(path, f"#{n} {kind} of {source.name} ({mode})", ["--mode", mode])
            path.unlink()

    sys.exit(run.report(f"{args.count} mutated HEIC files",
                        ["  mutations: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))]))


if __name__ == "__main__":
    main()
