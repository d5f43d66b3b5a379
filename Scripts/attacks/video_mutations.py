#!/usr/bin/env python3
"""Mutated videos through `nccmatch hash`: every file must give a vPDQ hash or a specific error, never a crash.

Makes N mutated copies (default 200) of the sample videos in ../shared/vpdq-vectors/videos in a temporary folder
(bit flips, byte runs overwritten, truncations, box sizes and sample-table counts in the MP4 header edited, the
ftyp brand kept while the rest is noise), runs `nccmatch hash --format jsonl` on each one at a time with a time
limit and an address-space limit, and checks: exit status 0 or 1 (never a signal), one JSON line, and either a
`vpdq` field or an `error` with a code. Prints the count per outcome and per error code; exits 1 on any failure.

Usage: Scripts/attacks/video_mutations.py [--nccmatch .build/debug/nccmatch] [--count 200] [--seed 1]
"""
import argparse
import pathlib
import random
import sys

from mutation_run import BLIND_KINDS, MutationRun, blind

BOXES = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"stsz", b"stco", b"stts", b"stss", b"ctts",
         b"avc1", b"avcC", b"tkhd", b"mdhd", b"mvhd", b"elst", b"mdat"]


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    b = bytearray(data)
    kind = rng.choice(["bitflips", "overwrite", "truncate", "box_size", "table_count", "header_noise", "dimensions"])
    if kind in BLIND_KINDS:
        blind(b, rng, kind, flips=(1, 10, 100, 1000), runs=(4, 64, 4096))
    elif kind in ("box_size", "table_count", "dimensions"):
        box = rng.choice(BOXES if kind == "box_size" else ([b"stsz", b"stco", b"stts", b"stss", b"ctts", b"stsd"]
                                                            if kind == "table_count" else [b"avc1", b"tkhd"]))
        at = b.find(box, 32 if box == b"avc1" else 0)
        if at >= 4:
            value = rng.choice([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 32)])
            offset = {"box_size": at - 4, "table_count": at + 8, "dimensions": at + (28 if box == b"avc1" else 80)}[kind]
            b[offset:offset + 4] = value.to_bytes(4, "big")
    elif kind == "header_noise":
        keep = 32
        b[keep:keep + 2048] = bytes(rng.randrange(256) for _ in range(min(2048, len(b) - keep)))
    return kind, bytes(b)


def main():
    repo = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nccmatch", default=str(repo / ".build" / "debug" / "nccmatch"))
    parser.add_argument("--videos", default=str(repo.parent / "shared" / "vpdq-vectors" / "videos"))
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit for each run")
    args = parser.parse_args()

    sources = sorted(pathlib.Path(args.videos).glob("*.mp4"))
    if not sources:
        sys.exit(f"no videos in {args.videos}")
    # The smaller samples keep the run short; every mutation kind is tried on each.
    sources = [s for s in sources if s.stat().st_size < 1_300_000] or sources
    run = MutationRun(args.nccmatch, args.timeout, args.memory_mb, "vpdq")
    run.mutate_all(sources, mutate, args.count, random.Random(args.seed), "mp4")

    sys.exit(run.report(f"{args.count} mutated videos"))


if __name__ == "__main__":
    main()
