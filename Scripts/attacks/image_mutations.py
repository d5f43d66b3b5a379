#!/usr/bin/env python3
"""Mutated WebP, GIF and AVIF files through `nccmatch hash`: every file must give a hash or a specific error, never
a crash, a hang or a runaway allocation.

Makes N mutated copies per format (default 1,000 each) of the fixtures in Tests/Fixtures/images/{webp,gif,avif}
(still, alpha, lossless, animated and blended WebP; still, interlaced, transparent, offset-frame and animated GIF
with every disposal; AVIF with and without irot) in a temporary folder, with mutations aimed at each format's
structure besides blind ones:
- every format: bit flips, byte runs overwritten, truncation;
- WebP: RIFF and chunk sizes (VP8, VP8L, VP8X, ALPH, ANIM, ANMF), VP8X canvas size, ANMF frame offsets, sizes and
  durations, the VP8 frame header's dimensions, the VP8L header's packed dimensions;
- GIF: logical screen size, global and local colour-table flags and sizes, image descriptor position and size,
  LZW minimum code size, sub-block lengths, graphic control extension disposal and transparency, frames duplicated
  many times (an animation bomb);
- AVIF: ISOBMFF box sizes and entry counts (iinf, iloc, ipma), iloc extents, ispe sizes, av1C bytes, the meta box
  replaced by noise.
HEIC has its own script (heic_mutations.py), videos theirs (video_mutations.py). Runs `nccmatch hash --format
jsonl` on each file, alternating `--mode fast` and `--mode exact`, under a time limit and an address-space limit
(mutation_run.py) and prints the outcomes per format; exits 1 on any failure.

Usage: Scripts/attacks/image_mutations.py [--nccmatch .build/release/nccmatch] [--count 1000] [--seed 1]
                                          [--formats webp,gif,avif]
"""
import argparse
import pathlib
import random
import struct
import sys

from mutation_run import BLIND_KINDS, ISOBMFF_KINDS, MutationRun, blind, field_value, heif_mutation


def webp_chunks(b):
    """(offset of the chunk's fourcc, fourcc) of every chunk, ANMF's inner chunks included."""
    found, i = [], 12
    while i + 8 <= len(b):
        fourcc = bytes(b[i:i + 4])
        size = struct.unpack_from("<I", b, i + 4)[0]
        found.append((i, fourcc))
        if fourcc == b"ANMF":  # frame header (16 bytes), then the frame's own chunks
            found.extend(webp_chunks_from(b, i + 8 + 16, i + 8 + size))
        i += 8 + size + (size & 1)
    return found


def webp_chunks_from(b, start, end):
    found, i = [], start
    while i + 8 <= min(end, len(b)):
        size = struct.unpack_from("<I", b, i + 4)[0]
        found.append((i, bytes(b[i:i + 4])))
        i += 8 + size + (size & 1)
    return found


def mutate_webp(b, rng):
    kind = rng.choice(["bitflips", "overwrite", "truncate", "riff_size", "chunk_size", "canvas", "frame_rect",
                       "vp8_size", "vp8l_size"])
    if kind in BLIND_KINDS:
        return kind, blind(b, rng, kind)
    chunks = webp_chunks(b)
    if kind == "riff_size":
        struct.pack_into("<I", b, 4, field_value(rng))
    elif kind == "chunk_size" and chunks:
        at, _ = rng.choice(chunks)
        struct.pack_into("<I", b, at + 4, field_value(rng))
    elif kind == "canvas":  # VP8X: 24-bit width-1 and height-1 after 4 bytes of flags
        for at, fourcc in chunks:
            if fourcc == b"VP8X" and at + 18 <= len(b):
                field = at + 12 + rng.choice([0, 3])
                b[field:field + 3] = field_value(rng).to_bytes(4, "little")[:3]
    elif kind == "frame_rect":  # ANMF: x/2, y/2, width-1, height-1 (24 bits each), duration (24), flags
        frames = [at for at, fourcc in chunks if fourcc == b"ANMF"]
        if frames:
            at = rng.choice(frames) + 8 + 3 * rng.randrange(5)
            b[at:at + 3] = field_value(rng).to_bytes(4, "little")[:3]
    elif kind == "vp8_size":  # VP8 key frame: 3-byte tag, start code, then 14-bit width and height
        bitstreams = [at for at, fourcc in chunks if fourcc == b"VP8 "]
        if bitstreams:
            at = rng.choice(bitstreams) + 8 + 6 + rng.choice([0, 2])
            struct.pack_into("<H", b, at, field_value(rng) & 0xFFFF)
    elif kind == "vp8l_size":  # VP8L: signature 0x2f, then 14-bit width-1, 14-bit height-1 packed
        bitstreams = [at for at, fourcc in chunks if fourcc == b"VP8L"]
        if bitstreams:
            at = rng.choice(bitstreams) + 8 + 1
            struct.pack_into("<I", b, at, field_value(rng))
    return kind, b


def gif_blocks(b):
    """Offsets of the image descriptors (0x2C) and graphic control extensions (0x21 0xF9) found by walking blocks."""
    descriptors, controls = [], []
    if len(b) < 13:
        return descriptors, controls
    i = 13 + (3 << ((b[10] & 7) + 1) if b[10] & 0x80 else 0)
    while i < len(b):
        if b[i] == 0x2C and i + 10 <= len(b):
            descriptors.append(i)
            flags = b[i + 9]
            i += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1  # + LZW minimum code size
        elif b[i] == 0x21 and i + 2 <= len(b):
            if b[i + 1] == 0xF9:
                controls.append(i)
            i += 2
        elif b[i] == 0x3B:
            break
        else:
            return descriptors, controls  # lost in the data: stop
        while i < len(b) and b[i]:  # sub-blocks
            i += 1 + b[i]
        i += 1
    return descriptors, controls


def mutate_gif(b, rng):
    kind = rng.choice(["bitflips", "overwrite", "truncate", "screen", "colour_table", "descriptor", "lzw_size",
                       "sub_block", "control", "frame_bomb"])
    if kind in BLIND_KINDS:
        return kind, blind(b, rng, kind)
    descriptors, controls = gif_blocks(b)
    if kind == "screen":
        struct.pack_into("<H", b, 6 + rng.choice([0, 2]), field_value(rng) & 0xFFFF)
    elif kind == "colour_table":
        target = rng.choice([10] + [d + 9 for d in descriptors])
        b[target] = (b[target] & 0x78) | rng.choice([0x80, 0x87, 0x00, 0x07, 0xFF])
    elif kind == "descriptor" and descriptors:
        at = rng.choice(descriptors) + 1 + 2 * rng.randrange(4)
        struct.pack_into("<H", b, at, field_value(rng) & 0xFFFF)
    elif kind == "lzw_size" and descriptors:
        at = rng.choice(descriptors)
        flags = b[at + 9]
        code = at + 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
        if code < len(b):
            b[code] = rng.choice([0, 1, 9, 12, 13, 255])
    elif kind == "sub_block" and descriptors:
        at = rng.choice(descriptors)
        flags = b[at + 9]
        first = at + 11 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
        if first < len(b):
            b[first] = rng.choice([0, 1, 255])
    elif kind == "control" and controls:
        at = rng.choice(controls)
        b[at + 3] = rng.randrange(256)  # disposal, user input, transparency flags
        b[at + 6] = rng.randrange(256)  # transparent index
    elif kind == "frame_bomb" and descriptors:  # the last frame (with its control block) repeated many times
        start = controls[-1] if controls and controls[-1] < descriptors[-1] else descriptors[-1]
        end = len(b) - 1 if b[-1] == 0x3B else len(b)
        frame = bytes(b[start:end])
        b[end:end] = frame * rng.choice([100, 1000, 5000])
    return kind, b


AVIF_BOXES = [b"meta", b"hdlr", b"pitm", b"iinf", b"infe", b"iloc", b"iprp", b"ipco", b"ipma", b"av1C", b"ispe",
              b"irot", b"imir", b"pixi", b"colr", b"mdat", b"ftyp"]
AVIF_COUNTS = {b"iinf": 12, b"iloc": 14, b"ipma": 12}  # byte offset of a count field from the box type


def av1c(b, rng, value):
    """One byte of the av1C box's first four."""
    at = b.find(b"av1C")
    if at >= 0:
        b[at + 4 + rng.randrange(4)] = rng.randrange(256)


def obu(b, rng, value):
    """The coded picture's first bytes (sequence header, frame header)."""
    at = b.find(b"mdat")
    if at >= 0 and at + 40 < len(b):
        for _ in range(rng.choice([1, 4, 16])):
            b[at + 4 + rng.randrange(32)] = rng.randrange(256)


def mutate_avif(b, rng):
    return heif_mutation(b, rng, BLIND_KINDS + ISOBMFF_KINDS + ["av1c", "obu"], AVIF_BOXES, AVIF_COUNTS, {"av1c": av1c, "obu": obu})


FORMATS = {"webp": mutate_webp, "gif": mutate_gif, "avif": mutate_avif}


def main():
    repo = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nccmatch", default=str(repo / ".build" / "release" / "nccmatch"))
    parser.add_argument("--fixtures", default=str(repo / "Tests" / "Fixtures" / "images"))
    parser.add_argument("--count", type=int, default=1000, help="mutated files per format")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit for each run")
    args = parser.parse_args()

    status = 0
    for fmt in args.formats.split(","):
        sources = sorted(pathlib.Path(args.fixtures, fmt).glob(f"*.{fmt}"))
        if not sources:
            sys.exit(f"no {fmt} files in {args.fixtures}/{fmt}")
        run = MutationRun(args.nccmatch, args.timeout, args.memory_mb, "pdq")
        mutate = FORMATS[fmt]
        kinds = run.mutate_all(sources, lambda data, rng: mutate(bytearray(data), rng), args.count,
                               random.Random(f"{args.seed}-{fmt}"), fmt, modes=("exact", "fast"))
        status |= run.report(f"{args.count} mutated {fmt.upper()} files", kinds)
    sys.exit(status)


if __name__ == "__main__":
    main()
