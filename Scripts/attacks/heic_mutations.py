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
import pathlib
import random
import sys

from mutation_run import BLIND_KINDS, ISOBMFF_KINDS, MutationRun, heif_mutation

BOXES = [b"meta", b"hdlr", b"pitm", b"iinf", b"infe", b"iloc", b"iref", b"dimg", b"iprp", b"ipco", b"ipma", b"hvcC",
         b"ispe", b"clap", b"irot", b"colr", b"idat", b"mdat"]
COUNTS = {b"iinf": 12, b"iloc": 14, b"ipma": 12, b"dimg": 10}  # byte offset of a count field from the box type


def grid(b, rng, value):
    """The grid descriptor (idat): rows, columns or output size."""
    at = b.find(b"idat")
    if at >= 0:
        field = rng.randrange(2, 8)
        b[at + 4 + field] = value & 0xFF


def nal_length(b, rng, value):
    """A NAL unit length in the hvcC box."""
    at = b.find(b"hvcC")
    if at >= 0:
        offset = at + 4 + rng.randrange(21, 40)
        b[offset:offset + 2] = (value & 0xFFFF).to_bytes(2, "big")


KINDS = BLIND_KINDS + ISOBMFF_KINDS[:3] + ["grid", "nal_length"] + ISOBMFF_KINDS[3:]


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    return heif_mutation(data, rng, KINDS, BOXES, COUNTS, {"grid": grid, "nal_length": nal_length})


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
    run = MutationRun(args.nccmatch, args.timeout, args.memory_mb, "pdq")
    kinds = run.mutate_all(sources, mutate, args.count, random.Random(args.seed), "heic", modes=("exact", "fast"))

    sys.exit(run.report(f"{args.count} mutated HEIC files", kinds))


if __name__ == "__main__":
    main()
