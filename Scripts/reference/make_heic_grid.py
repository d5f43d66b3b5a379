#!/usr/bin/env python3
"""Writes a grid HEIC as iPhones store large photos: the picture cut into tiles (512x512 by default), each tile an
HEVC picture of its own (encoded by pillow-heif 1.9.0 / libheif 1.23 with x265), a `grid` primary item listing them
with `iref dimg`, optionally an `irot` on the grid item (issue 11).

pillow-heif writes one HEVC picture per image, so the tiles are encoded one by one and their hvcC and coded data
are re-assembled here into a grid file (ISO/IEC 23008-12: ftyp, meta with hdlr/pitm/iinf/iref/iprp/iloc/idat,
mdat). Edge tiles are padded by repeating the last row and column; the grid's output size crops the padding.

    /tmp/fmtvenv/bin/python Scripts/reference/make_heic_grid.py SOURCE OUT.heic [--size WxH] [--tile 512]
        [--irot 0..3] [--quality 75]

SOURCE is any picture Pillow opens (resized to --size with Lanczos when given). The stored picture is SOURCE turned
clockwise by --irot quarter turns, so that the file's irot (anticlockwise) shows SOURCE upright again.
"""
import argparse
import io
import struct

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()


def box(kind, payload):
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind, version, flags, payload):
    return box(kind, struct.pack(">I", version << 24 | flags) + payload)


def children(data, start, end):
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[start + 8:start + 16])[0]
            header = 16
        elif size == 0:
            size = end - start
        yield kind, start + header, start + size
        start += size


def encoded_tile(tile, quality):
    """The hvcC payload, the colr box and the coded data of one tile encoded by pillow-heif."""
    out = io.BytesIO()
    tile.save(out, format="HEIF", quality=quality)
    data = out.getvalue()
    top = {kind: (s, e) for kind, s, e in children(data, 0, len(data))}
    meta_start, meta_end = top[b"meta"]
    meta = {kind: (s, e) for kind, s, e in children(data, meta_start + 4, meta_end)}
    hvcc = colr = None
    for kind, s, e in children(data, *meta[b"iprp"]):
        if kind == b"ipco":
            for pkind, ps, pe in children(data, s, e):
                if pkind == b"hvcC":
                    hvcc = data[ps:pe]
                elif pkind == b"colr" and colr is None:
                    colr = data[ps - 8:pe]
    s, e = meta[b"iloc"]
    version = data[s]
    sizes = data[s + 4]
    assert version in (0, 1) and sizes >> 4 == 4 and sizes & 15 == 4, "unexpected iloc layout from pillow-heif"
    base_size = data[s + 5] >> 4
    pos = s + 6
    count = struct.unpack(">H", data[pos:pos + 2])[0]
    pos += 2
    assert count == 1
    pos += 2 + (2 if version == 1 else 0) + 2
    base = int.from_bytes(data[pos:pos + base_size], "big")
    pos += base_size
    extents = struct.unpack(">H", data[pos:pos + 2])[0]
    pos += 2
    coded = b""
    for _ in range(extents):
        offset, length = struct.unpack(">II", data[pos:pos + 8])
        pos += 8
        coded += data[base + offset:base + offset + length]
    return hvcc, colr, coded


def grid_heic(picture, tile_size, irot, quality):
    width, height = picture.size
    columns, rows = -(-width // tile_size), -(-height // tile_size)
    padded = Image.new("RGB", (columns * tile_size, rows * tile_size))
    padded.paste(picture, (0, 0))
    if padded.width > width:  # repeat the last column and row into the padding
        padded.paste(picture.crop((width - 1, 0, width, height)).resize((padded.width - width, height)), (width, 0))
    if padded.height > height:
        padded.paste(padded.crop((0, height - 1, padded.width, height)).resize((padded.width, padded.height - height)), (0, height))
    tiles, encoded = [], {}
    for r in range(rows):
        for c in range(columns):
            pixels = padded.crop((c * tile_size, r * tile_size, (c + 1) * tile_size, (r + 1) * tile_size))
            key = pixels.tobytes()
            if key not in encoded:  # equal tiles are encoded once and stored once
                encoded[key] = encoded_tile(pixels, quality)
            tiles.append(encoded[key])

    # Properties: 1 colr, 2 ispe of the grid, 3 ispe of a tile, [4 irot], then the distinct hvcC boxes.
    properties = [tiles[0][1], full_box(b"ispe", 0, 0, struct.pack(">II", width, height)),
                  full_box(b"ispe", 0, 0, struct.pack(">II", tile_size, tile_size))]
    if irot:
        properties.append(box(b"irot", bytes([irot])))
    hvcc_index = {}
    for hvcc, _, _ in tiles:
        if hvcc not in hvcc_index:
            properties.append(box(b"hvcC", hvcc))
            hvcc_index[hvcc] = len(properties)
    grid_id, first_tile = 1, 2
    ids = list(range(first_tile, first_tile + len(tiles)))
    associations = struct.pack(">HB", grid_id, 2 + (1 if irot else 0)) + bytes([0x81, 2]) + (bytes([0x84]) if irot else b"")
    for item_id, (hvcc, _, _) in zip(ids, tiles):
        associations += struct.pack(">HB", item_id, 3) + bytes([0x80 | hvcc_index[hvcc], 1, 3])
    ipma = full_box(b"ipma", 0, 0, struct.pack(">I", 1 + len(tiles)) + associations)
    iprp = box(b"iprp", box(b"ipco", b"".join(properties)) + ipma)

    infe = [full_box(b"infe", 2, 0, struct.pack(">HH4s", grid_id, 0, b"grid") + b"\0")]
    infe += [full_box(b"infe", 2, 1, struct.pack(">HH4s", item_id, 0, b"hvc1") + b"\0") for item_id in ids]
    iinf = full_box(b"iinf", 0, 0, struct.pack(">H", len(infe)) + b"".join(infe))
    iref = full_box(b"iref", 0, 0, box(b"dimg", struct.pack(">HH", grid_id, len(ids)) + b"".join(struct.pack(">H", i) for i in ids)))
    wide = width > 0xFFFF or height > 0xFFFF
    grid = bytes([0, 1 if wide else 0, rows - 1, columns - 1]) + struct.pack(">II" if wide else ">HH", width, height)
    idat = box(b"idat", grid)
    hdlr = full_box(b"hdlr", 0, 0, b"\0\0\0\0pict" + b"\0" * 12 + b"\0")
    pitm = full_box(b"pitm", 0, 0, struct.pack(">H", grid_id))

    stored = {}  # coded data -> offset in mdat's payload
    for _, _, coded in tiles:
        stored.setdefault(coded, sum(len(c) for c in stored))

    def iloc(mdat_data_start):
        entries = struct.pack(">HHH", grid_id, 1, 0) + struct.pack(">H", 1) + struct.pack(">II", 0, len(grid))
        for item_id, (_, _, coded) in zip(ids, tiles):
            entries += struct.pack(">HHH", item_id, 0, 0) + struct.pack(">H", 1) + struct.pack(">II", mdat_data_start + stored[coded], len(coded))
        return full_box(b"iloc", 1, 0, bytes([0x44, 0x00]) + struct.pack(">H", 1 + len(tiles)) + entries)

    ftyp = box(b"ftyp", b"heic" + struct.pack(">I", 0) + b"mif1heic")
    probe = ftyp + full_box(b"meta", 0, 0, hdlr + pitm + iloc(0) + iinf + iref + iprp + idat)
    meta = full_box(b"meta", 0, 0, hdlr + pitm + iloc(len(probe) + 8) + iinf + iref + iprp + idat)
    mdat = box(b"mdat", b"".join(stored))
    return ftyp + meta + mdat


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--size")
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--irot", type=int, default=0, choices=range(4))
    parser.add_argument("--quality", type=int, default=75)
    args = parser.parse_args()
    Image.MAX_IMAGE_PIXELS = None
    picture = Image.open(args.source).convert("RGB")
    if args.size:
        picture = picture.resize(tuple(int(v) for v in args.size.split("x")), Image.LANCZOS)
    # Stored turned clockwise; the anticlockwise irot turns it back.
    picture = picture.rotate(-90 * args.irot, expand=True)
    with open(args.out, "wb") as out:
        out.write(grid_heic(picture, args.tile, args.irot, args.quality))


if __name__ == "__main__":
    main()
