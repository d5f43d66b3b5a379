#!/usr/bin/env python3
"""Generates the image-decoding fixtures in Tests/Fixtures/images/ and Tests/Fixtures/decoded-pixels.jsonl.

Every picture is synthetic (gradients, shapes, seeded noise) and made here, so the project owns it.
Expected pixels come from Pillow: sha256 of ImageOps.exif_transpose(img).convert("RGB").tobytes()
("rgb_sha256") and of img.convert("RGB").tobytes() ("rgb_sha256_no_exif"). Malformed files list the
ImageDecodingError code nccmatch must give. When ../shared is present, its JPEG and PNG files get
"shared_file" records with the same pixel hashes (values only; the images stay in ../shared).

Rerun (deterministic; needs Pillow 13.0.0, numpy, pypng, and jpegtran for the arithmetic-coded JPEG):
    /tmp/refvenv/bin/pip install pypng
    /tmp/refvenv/bin/python Scripts/reference/make_image_fixtures.py
"""
import hashlib
import io
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import png  # pypng: writes 1/2/4/16-bit and Adam7-interlaced PNGs, which Pillow cannot
from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/images"
JSONL = ROOT / "Tests/Fixtures/decoded-pixels.jsonl"
RNG = np.random.default_rng(20261121)


def picture(width, height, seed=0):
    """An asymmetric RGB test picture: diagonal gradients, a few shapes, mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    r = (x * 255 // max(width - 1, 1)).astype(np.int32)
    g = (y * 255 // max(height - 1, 1)).astype(np.int32)
    b = ((x + 2 * y) * 255 // max(width + 2 * height - 3, 1)).astype(np.int32)
    rgb = np.stack([r, g, b], axis=-1)
    rgb = np.clip(rgb + rng.integers(-12, 13, size=rgb.shape), 0, 255).astype(np.uint8)
    im = Image.fromarray(rgb, "RGB")
    d = ImageDraw.Draw(im)
    d.rectangle([width // 10, height // 8, width // 3, height // 2], fill=(250, 30, 20))
    d.ellipse([width // 2, height // 3, width - width // 8, height - height // 10], fill=(20, 40, 230))
    d.polygon([(width // 6, height - 2), (width // 3, height * 2 // 3), (width // 2, height - 2)], fill=(240, 240, 30))
    return im


def sha(im):
    return hashlib.sha256(im.convert("RGB").tobytes()).hexdigest()


records = []


def record_valid(path, **extra):
    im = Image.open(path)
    upright = ImageOps.exif_transpose(im)
    rec = {
        "file": str(path.relative_to(OUT.parent)),
        "width": upright.size[0],
        "height": upright.size[1],
        "rgb_sha256": sha(upright),
        "rgb_sha256_no_exif": sha(Image.open(path)),
        "pillow_mode": im.mode,
    }
    rec.update(extra)
    records.append(rec)
    return rec


def record_error(path, code):
    records.append({"file": str(path.relative_to(OUT.parent)), "error": code})


def write_pypng(path, rows, **kw):
    with open(path, "wb") as f:
        png.Writer(**kw).write(f, rows)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    for sub in ("png", "jpeg", "orientation", "malformed"):
        (OUT / sub).mkdir(parents=True)

    base = picture(61, 43, seed=1)  # odd sizes exercise partial blocks and rows
    rgb = np.asarray(base)
    gray8 = np.asarray(base.convert("L"))
    h, w = gray8.shape

    # ---- PNG: every color type, bit depth and interlace -------------------------------------------
    pdir = OUT / "png"
    for depth in (1, 2, 4, 8, 16):
        for interlace in (False, True):
            vals = gray8.astype(np.uint32) >> (8 - depth) if depth < 8 else gray8.astype(np.uint32)
            if depth == 16:  # a real 16-bit ramp: low byte carries information too
                vals = gray8.astype(np.uint32) * 257 + (np.arange(w)[None, :] * 13 % 256)
                vals = np.minimum(vals, 65535)
            name = f"gray{depth}{'-adam7' if interlace else ''}.png"
            write_pypng(pdir / name, vals.tolist(), width=w, height=h, greyscale=True, bitdepth=depth, interlace=interlace)
    # gray with tRNS, gray+alpha 8/16
    write_pypng(pdir / "gray8-trns.png", gray8.tolist(), width=w, height=h, greyscale=True, bitdepth=8, transparent=128)
    alpha = (np.arange(w)[None, :] * 4 % 256).repeat(h, 0).astype(np.uint32)
    ga = np.stack([gray8.astype(np.uint32), alpha], -1).reshape(h, w * 2)
    write_pypng(pdir / "graya8.png", ga.tolist(), width=w, height=h, greyscale=True, alpha=True, bitdepth=8)
    write_pypng(pdir / "graya16.png", (ga * 257).tolist(), width=w, height=h, greyscale=True, alpha=True, bitdepth=16)
    write_pypng(pdir / "graya8-adam7.png", ga.tolist(), width=w, height=h, greyscale=True, alpha=True, bitdepth=8, interlace=True)
    # RGB / RGBA 8 and 16
    rgb32 = rgb.astype(np.uint32)
    rgb16 = rgb32 * 257 + (RNG.integers(0, 256, size=rgb.shape))  # low bytes vary: only the high byte may count
    rgb16 = np.minimum(rgb16, 65535)
    rgba = np.concatenate([rgb32, alpha[..., None]], -1)
    for name, data, kw in [
        ("rgb8.png", rgb32, dict(bitdepth=8)),
        ("rgb8-adam7.png", rgb32, dict(bitdepth=8, interlace=True)),
        ("rgb8-trns.png", rgb32, dict(bitdepth=8, transparent=(250, 30, 20))),
        ("rgb16.png", rgb16, dict(bitdepth=16)),
        ("rgb16-adam7.png", rgb16, dict(bitdepth=16, interlace=True)),
        ("rgba8.png", rgba, dict(bitdepth=8, alpha=True)),
        ("rgba8-adam7.png", rgba, dict(bitdepth=8, alpha=True, interlace=True)),
        ("rgba16.png", np.concatenate([rgb16, alpha[..., None] * 257], -1), dict(bitdepth=16, alpha=True)),
    ]:
        ch = data.shape[-1]
        write_pypng(pdir / name, data.reshape(h, w * ch).tolist(), width=w, height=h, greyscale=False, **kw)
    # Palette 1/2/4/8 bits, with and without tRNS
    for depth in (1, 2, 4, 8):
        n = 1 << depth
        q = base.quantize(colors=n, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        idx = np.asarray(q).astype(np.uint32)
        pal = q.getpalette()[: 3 * n]
        pal += [0] * (3 * n - len(pal))
        palette = [tuple(pal[i * 3: i * 3 + 3]) for i in range(n)]
        write_pypng(pdir / f"palette{depth}.png", idx.tolist(), width=w, height=h, palette=palette, bitdepth=depth)
        palette_a = [c + (int(i * 255 / max(n - 1, 1)),) for i, c in enumerate(palette)]
        write_pypng(pdir / f"palette{depth}-trns.png", idx.tolist(), width=w, height=h, palette=palette_a, bitdepth=depth)
        if depth == 8:
            write_pypng(pdir / "palette8-adam7.png", idx.tolist(), width=w, height=h, palette=palette, bitdepth=8, interlace=True)
    for path in sorted(pdir.iterdir()):
        im = Image.open(path)
        extra = {}
        if im.mode in ("I;16", "I;16B", "I") and path.name.startswith("gray16"):
            # Deliberate difference: Pillow's I;16 -> RGB clips values > 255 to white; nccmatch keeps the high byte.
            arr = np.asarray(im).astype(np.uint32) >> 8
            high = Image.fromarray(arr.astype(np.uint8), "L")
            rec = record_valid(path)
            rec["pillow_rgb_sha256"] = rec["rgb_sha256"]
            rec["rgb_sha256"] = rec["rgb_sha256_no_exif"] = sha(high)
            rec["note"] = "16-bit gray: expected pixels keep the high byte; Pillow clips to 255"
            continue
        record_valid(path, **extra)

    # ---- JPEG: baseline, progressive, subsampling, grayscale, CMYK ---------------------------------
    jdir = OUT / "jpeg"
    jpic = picture(97, 71, seed=2)
    jpic.save(jdir / "baseline-420.jpg", quality=85, subsampling=2)
    jpic.save(jdir / "baseline-422.jpg", quality=85, subsampling=1)
    jpic.save(jdir / "baseline-444.jpg", quality=90, subsampling=0)
    jpic.save(jdir / "progressive-420.jpg", quality=85, subsampling=2, progressive=True)
    jpic.save(jdir / "progressive-444.jpg", quality=85, subsampling=0, progressive=True)
    jpic.save(jdir / "optimized-420.jpg", quality=70, subsampling=2, optimize=True)
    jpic.convert("L").save(jdir / "grayscale.jpg", quality=85)
    jpic.convert("L").save(jdir / "grayscale-progressive.jpg", quality=85, progressive=True)
    jpic.convert("CMYK").save(jdir / "cmyk-adobe.jpg", quality=90)  # Pillow writes Adobe APP14, inverted CMYK
    jpic.save(jdir / "restart-markers.jpg", quality=85, restart_marker_blocks=1)
    # The same CMYK file without its Adobe APP14 marker: Pillow still assumes Adobe (inverted) polarity.
    cmyk = (jdir / "cmyk-adobe.jpg").read_bytes()
    app14 = cmyk.index(b"\xff\xee")
    app14_len = struct.unpack(">H", cmyk[app14 + 2: app14 + 4])[0]
    (jdir / "cmyk-no-adobe-marker.jpg").write_bytes(cmyk[:app14] + cmyk[app14 + 2 + app14_len:])
    # Large enough for DCT scaling: 1/2 -> 400x300, 1/4 -> 200x150, 1/8 -> 100x75.
    picture(800, 600, seed=3).save(jdir / "large-800x600.jpg", quality=60, subsampling=2)
    if shutil.which("jpegtran"):  # libjpeg-turbo's lossless transcoder: arithmetic coding (Pillow cannot write it)
        with open(jdir / "arithmetic-420.jpg", "wb") as f:
            subprocess.run(["jpegtran", "-arithmetic", str(jdir / "baseline-420.jpg")], stdout=f, check=True)
    for path in sorted(jdir.iterdir()):
        record_valid(path)

    # ---- EXIF orientation: the same upright picture stored 8 ways, with the matching tag -----------
    odir = OUT / "orientation"
    upright = picture(40, 24, seed=4)  # landscape, asymmetric
    inverse = {  # how to store the picture so that Pillow's exif_transpose makes it upright again
        1: None,
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,   # Pillow undoes 6 with ROTATE_270
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,  # Pillow undoes 8 with ROTATE_90
    }
    for o, method in inverse.items():
        stored = upright if method is None else upright.transpose(method)
        exif = Image.Exif()
        exif[0x0112] = o
        stored.save(odir / f"exif-{o}.png", exif=exif.tobytes())  # eXIf chunk, little-endian TIFF
        stored.save(odir / f"exif-{o}.jpg", quality=95, subsampling=0, exif=exif.tobytes())
    # Big-endian ("MM") EXIF block, hand-made: IFD0 with one SHORT entry, orientation 6.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    mm = b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01" + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + b"\x00\x00\x00\x00"
    stored.save(odir / "exif-6-bigendian.jpg", quality=95, subsampling=0, exif=b"Exif\x00\x00" + mm)
    # Orientation given elsewhere, as Pillow's getexif also reads it: XMP (when EXIF has no orientation tag)
    # and ImageMagick's hex "Raw profile type exif" PNG text.
    from PIL import PngImagePlugin
    xmp6 = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')
    xmp8 = xmp6.replace(b'tiff:Orientation="6"/>', b'><tiff:Orientation>8</tiff:Orientation></rdf:Description>')
    upright.transpose(Image.Transpose.ROTATE_90).save(odir / "xmp-6.jpg", quality=95, subsampling=0, xmp=xmp6)
    exif1 = Image.Exif()
    exif1[0x0112] = 1  # an EXIF orientation tag wins over XMP: this one stays as stored
    upright.save(odir / "exif-1-xmp-6.jpg", quality=95, subsampling=0, exif=exif1.tobytes(), xmp=xmp6)
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp8.decode())
    upright.transpose(Image.Transpose.ROTATE_270).save(odir / "xmp-8.png", pnginfo=info)
    exif3 = Image.Exif()
    exif3[0x0112] = 3
    raw = exif3.tobytes()
    hexlines = "\n".join(raw.hex()[i:i + 72] for i in range(0, len(raw.hex()), 72))
    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type exif", f"\nexif\n{len(raw):8}\n{hexlines}\n", zip=True)
    upright.transpose(Image.Transpose.ROTATE_180).save(odir / "raw-profile-3.png", pnginfo=info)
    for path in sorted(odir.iterdir()):
        record_valid(path, upright_sha256=sha(upright))

    # ---- Malformed and unsupported files ---------------------------------------------------------
    mdir = OUT / "malformed"
    (mdir / "empty.jpg").write_bytes(b"")
    record_error(mdir / "empty.jpg", "empty_file")
    (mdir / "not-an-image.jpg").write_bytes(b"Hello, this is a text file, not a picture.\n")
    record_error(mdir / "not-an-image.jpg", "unsupported_format")
    (mdir / "wrong-magic.png").write_bytes(b"\x89PNX\r\n\x1a\n" + (pdir / "rgb8.png").read_bytes()[8:])
    record_error(mdir / "wrong-magic.png", "unsupported_format")
    jpeg_bytes = (jdir / "baseline-420.jpg").read_bytes()
    (mdir / "truncated.jpg").write_bytes(jpeg_bytes[: len(jpeg_bytes) * 6 // 10])
    record_error(mdir / "truncated.jpg", "truncated")
    prog = (jdir / "progressive-420.jpg").read_bytes()
    (mdir / "truncated-progressive.jpg").write_bytes(prog[: len(prog) * 6 // 10])
    record_error(mdir / "truncated-progressive.jpg", "truncated")
    (mdir / "header-only.jpg").write_bytes(jpeg_bytes[:300])
    record_error(mdir / "header-only.jpg", "truncated")
    # Corrupt entropy data: a restart marker where none may be, in the middle of the scan.
    sos = jpeg_bytes.index(b"\xff\xda")
    mid = sos + (len(jpeg_bytes) - sos) // 2
    (mdir / "corrupt-huffman.jpg").write_bytes(jpeg_bytes[:mid] + b"\xff\xd3" + jpeg_bytes[mid:])
    record_error(mdir / "corrupt-huffman.jpg", "corrupt_data")
    png_bytes = (pdir / "rgb8.png").read_bytes()
    (mdir / "truncated.png").write_bytes(png_bytes[: len(png_bytes) * 6 // 10])
    record_error(mdir / "truncated.png", "truncated")
    bad = bytearray(png_bytes)
    bad[16 + 4] ^= 0x01  # a bit of IHDR's width changes, its CRC does not
    (mdir / "crc-ihdr.png").write_bytes(bytes(bad))
    record_error(mdir / "crc-ihdr.png", "png_crc_mismatch")
    bad = bytearray(png_bytes)
    idat = png_bytes.index(b"IDAT")
    bad[idat + 20] ^= 0x40  # compressed pixel data changes, the IDAT CRC does not
    (mdir / "crc-idat.png").write_bytes(bytes(bad))
    record_error(mdir / "crc-idat.png", "png_crc_mismatch")
    # Absurd dimensions in a well-formed header (CRC valid): 100000 x 100000 = 10^10 pixels.
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    idat_data = zlib.compress(b"\x00" * 301)
    huge = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat_data) + png_chunk(b"IEND", b"")
    (mdir / "huge-100000x100000.png").write_bytes(huge)
    record_error(mdir / "huge-100000x100000.png", "too_many_pixels")
    ihdr0 = struct.pack(">IIBBBBB", 0, 10, 8, 2, 0, 0, 0)
    zero = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr0) + png_chunk(b"IDAT", idat_data) + png_chunk(b"IEND", b"")
    (mdir / "zero-width.png").write_bytes(zero)
    record_error(mdir / "zero-width.png", "invalid_dimensions")
    # JPEG SOF0 patched to 60000 x 60000 (3.6e9 pixels) and to height 0.
    sof = jpeg_bytes.index(b"\xff\xc0")
    big = bytearray(jpeg_bytes)
    big[sof + 5: sof + 9] = struct.pack(">HH", 60000, 60000)
    (mdir / "huge-60000x60000.jpg").write_bytes(bytes(big))
    record_error(mdir / "huge-60000x60000.jpg", "too_many_pixels")
    zero_jpeg = bytearray(jpeg_bytes)
    zero_jpeg[sof + 5: sof + 7] = b"\x00\x00"
    (mdir / "zero-height.jpg").write_bytes(bytes(zero_jpeg))
    record_error(mdir / "zero-height.jpg", "invalid_dimensions")
    twelve = bytearray(jpeg_bytes)
    twelve[sof + 4] = 12  # sample precision 12 bits: valid JPEG, not supported by the 8-bit decoder
    (mdir / "precision-12.jpg").write_bytes(bytes(twelve))
    record_error(mdir / "precision-12.jpg", "unsupported_jpeg")
    # Formats nccmatch names but does not decode (BMP, TIFF); GIF and WebP it decodes since issue 11.
    small = picture(16, 12, seed=5)
    for name, fmt in [("picture.gif", "GIF"), ("picture.webp", "WEBP"), ("picture.bmp", "BMP"), ("picture.tiff", "TIFF")]:
        small.save(mdir / name, format=fmt)
        if fmt in ("GIF", "WEBP"):
            record_valid(mdir / name)
        else:
            record_error(mdir / name, "unsupported_format")
    # An ISO-BMFF header with a HEIC brand (no meta box: damaged) and one with an MP4 brand (headers only).
    (mdir / "picture.heic").write_bytes(struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + b"\x00" * 32)
    record_error(mdir / "picture.heic", "corrupt_data")
    (mdir / "clip.mp4").write_bytes(struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2" + b"\x00" * 32)
    record_error(mdir / "clip.mp4", "unsupported_format")
    (mdir / "document.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    record_error(mdir / "document.pdf", "unsupported_format")

    # ---- ../shared: pixel hashes of the real images (the files are not ours; only these values are) -----
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        for path in sorted(list(shared.rglob("*.jpg")) + list(shared.rglob("*.jpeg")) + list(shared.rglob("*.png"))):
            im = Image.open(path)
            upright = ImageOps.exif_transpose(im)
            rec = {"shared_file": str(path.relative_to(shared)), "width": upright.size[0], "height": upright.size[1],
                   "rgb_sha256": sha(upright), "pillow_mode": im.mode}
            if im.mode in ("I;16", "I;16B"):
                arr = np.asarray(upright).astype(np.uint32) >> 8
                rec["pillow_rgb_sha256"] = rec["rgb_sha256"]
                rec["rgb_sha256"] = sha(Image.fromarray(arr.astype(np.uint8), "L"))
                rec["note"] = "16-bit gray: expected pixels keep the high byte; Pillow clips to 255"
            records.append(rec)

    with open(JSONL, "w") as f:
        for rec in records:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"{len(records)} fixtures, {total} bytes")


if __name__ == "__main__":
    main()
