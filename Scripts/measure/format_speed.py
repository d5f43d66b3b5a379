"""Side-by-side hashing speed of 12-megapixel WebP and HEIC files, one core, one run (issue 11).

    taskset -c 1 /tmp/fmtvenv/bin/python Scripts/measure/format_speed.py .build/release/nccmatch [ROUNDS] [FILES]

Makes 12-megapixel WebP (quality 80) and HEIC (quality 75) files in a temporary folder from corpus photographs
(removed at the end), then times per file, interleaving the contenders round by round:
  - the reference pipeline: Pillow (WebP) or pillow-heif (HEIC) decode + convert("RGB") + pdqhash.compute
  - the library's own decode, writing nowhere: `dwebp` without -o (WebP); a minimal C loop over libheif's
    heif_decode_image to interleaved RGB, compiled here (HEIC); and, since nccmatch decodes these HEIC files with
    FFmpeg's HEVC decoder, a minimal C loop over libavcodec (one thread) decoding each file's HEVC picture, taken
    out of the HEIF container here, to YCbCr (no RGB)
  - nccmatch hash --mode fast and --mode exact, --jobs 1, one process for all files
Needs Pillow, pillow-heif, pdqhash, numpy, the `webp` package (dwebp), libheif-dev and libavcodec-dev with a C
compiler.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from speed_common import CORPUS, corpus_photos, per_file, pillow_pdqhash as reference  # noqa: E402

HEIF_LOOP = r"""
#include <libheif/heif.h>
int main(int argc, char **argv) {
    heif_init(0);
    for (int i = 1; i < argc; i++) {
        struct heif_context *c = heif_context_alloc();
        struct heif_image_handle *h; struct heif_image *img;
        if (heif_context_read_from_file(c, argv[i], 0).code) return 1;
        if (heif_context_get_primary_image_handle(c, &h).code) return 1;
        if (heif_decode_image(h, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, 0).code) return 1;
        heif_image_release(img); heif_image_handle_release(h); heif_context_free(c);
    }
    return 0;
}
"""


# Each input file: HEVC pictures (one for a one-picture HEIC, every tile of a grid), each as a 4-byte big-endian
# length and an Annex B stream; one decoder per file, one thread, flushed between pictures (as nccmatch decodes them).
AV_LOOP = r"""
#include <libavcodec/avcodec.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_HEVC);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) return 1;
        fseek(f, 0, SEEK_END); long n = ftell(f); rewind(f);
        uint8_t *data = calloc(1, n + AV_INPUT_BUFFER_PADDING_SIZE);
        if (fread(data, 1, n, f) != (size_t)n) return 1;
        fclose(f);
        AVCodecContext *c = avcodec_alloc_context3(codec);
        c->thread_count = 1;
        if (avcodec_open2(c, codec, NULL) < 0) return 1;
        AVPacket *packet = av_packet_alloc();
        AVFrame *frame = av_frame_alloc();
        for (long at = 0; at + 4 <= n;) {
            const int size = data[at] << 24 | data[at + 1] << 16 | data[at + 2] << 8 | data[at + 3];
            uint8_t *picture = av_malloc(size + AV_INPUT_BUFFER_PADDING_SIZE);
            memcpy(picture, data + at + 4, size);
            memset(picture + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
            at += 4 + size;
            packet->data = picture; packet->size = size;
            if (avcodec_send_packet(c, packet) < 0 || avcodec_send_packet(c, NULL) < 0 || avcodec_receive_frame(c, frame) < 0) return 1;
            av_frame_unref(frame);
            avcodec_flush_buffers(c);
            av_free(picture);
        }
        av_frame_free(&frame); av_packet_free(&packet); avcodec_free_context(&c); free(data);
    }
    return 0;
}
"""


def compile_av_loop(folder):
    """Builds AV_LOOP in `folder`; returns the program's path."""
    with open(os.path.join(folder, "av_loop.c"), "w") as source:
        source.write(AV_LOOP)
    loop = os.path.join(folder, "av_loop")
    subprocess.run(["cc", "-O2", source.name, "-lavcodec", "-lavutil", "-o", loop], check=True)
    return loop


def annex_b_picture(hvcc, coded):
    """One HEVC picture as AV_LOOP reads it: a 4-byte length, then an Annex B stream of the hvcC's parameter sets
    and the item's NAL units (`coded`, length-prefixed as the hvcC says), each behind a start code."""
    import struct
    stream, at = bytearray(), 23
    for _ in range(hvcc[22]):
        count = struct.unpack(">H", hvcc[at + 1:at + 3])[0]
        at += 3
        for _ in range(count):
            n = struct.unpack(">H", hvcc[at:at + 2])[0]
            stream += b"\0\0\0\1" + hvcc[at + 2:at + 2 + n]
            at += 2 + n
    size_bytes, pos = (hvcc[21] & 3) + 1, 0
    while pos < len(coded):
        n = int.from_bytes(coded[pos:pos + size_bytes], "big")
        stream += b"\0\0\0\1" + coded[pos + size_bytes:pos + size_bytes + n]
        pos += size_bytes + n
    return struct.pack(">I", len(stream)) + bytes(stream)


def annex_b(heic, out):
    """The HEVC picture of a one-picture HEIC (as pillow-heif writes them), written to `out` as AV_LOOP reads it."""
    import struct
    data = open(heic, "rb").read()

    def boxes(start, end):
        while start + 8 <= end:
            size, kind = struct.unpack(">I4s", data[start:start + 8])
            yield kind, start + 8, start + size
            start += size
    meta = next((s, e) for k, s, e in boxes(0, len(data)) if k == b"meta")
    children = {k: (s, e) for k, s, e in boxes(meta[0] + 4, meta[1])}
    ipco = next((s, e) for k, s, e in boxes(*children[b"iprp"]) if k == b"ipco")
    hvcc = next(data[s:e] for k, s, e in boxes(*ipco) if k == b"hvcC")
    s, _ = children[b"iloc"]
    version, sizes, base_size = data[s], data[s + 4], data[s + 5] >> 4
    assert sizes == 0x44 and struct.unpack(">H", data[s + 6:s + 8])[0] == 1, "one item, 32-bit offsets expected"
    pos = s + 8 + 2 + (2 if version == 1 else 0) + 2
    base = int.from_bytes(data[pos:pos + base_size], "big")
    pos += base_size + 2
    offset, length = struct.unpack(">II", data[pos:pos + 8])
    with open(out, "wb") as f:
        f.write(annex_b_picture(hvcc, data[base + offset:base + offset + length]))
    return out


def make_inputs(folder, count):
    webp, heic = [], []
    for i, name in enumerate(corpus_photos(count)):
        image = Image.open(os.path.join(CORPUS, "images", name)).convert("RGB")
        size = (4000, 3000) if image.width >= image.height else (3000, 4000)
        image = image.resize(size, Image.LANCZOS)
        webp.append(os.path.join(folder, f"photo-{i:02d}.webp"))
        image.save(webp[-1], quality=80, method=4)
        heic.append(os.path.join(folder, f"photo-{i:02d}.heic"))
        image.save(heic[-1], quality=75)
    return webp, heic


def command(*prefix):
    def run(paths):
        subprocess.run([*prefix, *paths], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return run


def dwebp(paths):
    for p in paths:
        subprocess.run(["dwebp", p], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    folder = tempfile.mkdtemp(prefix="nccmatch-format-speed-")
    try:
        with open(os.path.join(folder, "heif_loop.c"), "w") as source:
            source.write(HEIF_LOOP)
        loop = os.path.join(folder, "heif_loop")
        subprocess.run(["cc", "-O2", source.name, "-lheif", "-o", loop], check=True)
        av_loop = compile_av_loop(folder)
        webp, heic = make_inputs(folder, count)
        hevc = [annex_b(p, p[:-5] + ".hevc") for p in heic]
        contenders = {
            "webp: Pillow+pdqhash": (reference, webp),
            "webp: dwebp (decode only)": (dwebp, webp),
            "webp: nccmatch fast": (command(binary, "hash", "--mode", "fast", "--jobs", "1", "--format", "jsonl"), webp),
            "webp: nccmatch exact": (command(binary, "hash", "--mode", "exact", "--jobs", "1", "--format", "jsonl"), webp),
            "heic: pillow-heif+pdqhash": (reference, heic),
            "heic: libheif C loop (decode only)": (command(loop), heic),
            "heic: libavcodec C loop (HEVC decode only)": (command(av_loop), hevc),
            "heic: nccmatch fast": (command(binary, "hash", "--mode", "fast", "--jobs", "1", "--format", "jsonl"), heic),
            "heic: nccmatch exact": (command(binary, "hash", "--mode", "exact", "--jobs", "1", "--format", "jsonl"), heic),
        }
        times = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, (fn, paths) in contenders.items():
                times[name].append(per_file(fn, paths))
        med = {name: statistics.median(t) for name, t in times.items()}
        report = {"files per format": count, "megapixels": 12, "rounds": rounds,
                  "ms_per_file": {k: round(v * 1000, 1) for k, v in med.items()}}
        for fmt, ref, lib in [("webp", "webp: Pillow+pdqhash", "webp: dwebp (decode only)"),
                              ("heic", "heic: pillow-heif+pdqhash", "heic: libheif C loop (decode only)")]:
            for mode in ("fast", "exact"):
                ours = med[f"{fmt}: nccmatch {mode}"]
                report[f"{fmt} {mode}: reference / nccmatch"] = round(med[ref] / ours, 2)
                report[f"{fmt} {mode}: nccmatch / library decode"] = round(ours / med[lib], 2)
                if fmt == "heic":
                    report[f"heic {mode}: nccmatch / libavcodec HEVC decode"] = round(ours / med["heic: libavcodec C loop (HEVC decode only)"], 2)
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
