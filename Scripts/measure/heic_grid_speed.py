"""Side-by-side hashing speed of 12-megapixel grid HEIC files (as iPhones store photos), one core, one run (issue 11).

    taskset -c 1 /tmp/fmtvenv/bin/python Scripts/measure/heic_grid_speed.py .build/release/nccmatch [ROUNDS] [FILES]

Makes 4032x3024 grid HEIC files (512x512 tiles, 8x6 of them, quality 75; Scripts/reference/make_heic_grid.py) in a
temporary folder from the corpus photographs format_speed.py uses (removed at the end), then times per file,
interleaving the contenders round by round:
  - the reference pipeline: pillow-heif decode + convert("RGB") + pdqhash.compute
  - the library's own decode, writing nowhere: a minimal C loop over libavcodec (one thread) decoding every tile of
    the file to YCbCr (no RGB), each tile's HEVC picture taken out of the container here, one decoder per file,
    flushed between tiles (as nccmatch decodes them)
  - nccmatch hash --mode fast and --mode exact, --jobs 1, one process for all files
Needs Pillow, pillow-heif, pdqhash, numpy, libavcodec-dev with a C compiler.
"""
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile

from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from format_speed import CORPUS, command, per_file, reference  # noqa: E402
import make_heic_grid  # noqa: E402
from make_heic_grid import grid_heic  # noqa: E402

encode = make_heic_grid.encoded_tile

# Each input file: tiles, each as a 4-byte big-endian length and an Annex B stream (parameter sets, then the tile's
# NAL units).
GRID_LOOP = r"""
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
            uint8_t *tile = av_malloc(size + AV_INPUT_BUFFER_PADDING_SIZE);
            memcpy(tile, data + at + 4, size);
            memset(tile + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
            at += 4 + size;
            packet->data = tile; packet->size = size;
            if (avcodec_send_packet(c, packet) < 0 || avcodec_send_packet(c, NULL) < 0 || avcodec_receive_frame(c, frame) < 0) return 1;
            av_frame_unref(frame);
            avcodec_flush_buffers(c);
            av_free(tile);
        }
        av_frame_free(&frame); av_packet_free(&packet); avcodec_free_context(&c); free(data);
    }
    return 0;
}
"""


def annex_b(hvcc, coded):
    """One tile's HEVC picture as an Annex B stream: the hvcC's parameter sets, then its NAL units."""
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
    return bytes(stream)


def make_inputs(folder, count):
    photos = []
    with open(os.path.join(CORPUS, "MANIFEST.tsv")) as manifest:
        header = manifest.readline().rstrip("\n").split("\t")
        for line in manifest:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if row["kind"] == "photo" and row["format"] == "JPEG":
                photos.append(row["file"])
    heic, tiles = [], []
    for i, name in enumerate(photos[:count]):
        image = Image.open(os.path.join(CORPUS, "images", name)).convert("RGB")
        image = image.resize((4032, 3024) if image.width >= image.height else (3024, 4032), Image.LANCZOS)
        encoded = []  # every tile grid_heic encodes, in order: the decode loop's input
        make_heic_grid.encoded_tile = lambda tile, quality: encoded.append(encode(tile, quality)) or encoded[-1]
        heic.append(os.path.join(folder, f"grid-{i:02d}.heic"))
        with open(heic[-1], "wb") as out:
            out.write(grid_heic(image, 512, 0, 75))
        assert len(encoded) == 48, "a tile repeated: stored once, the loop would decode fewer tiles"
        tiles.append(os.path.join(folder, f"grid-{i:02d}.tiles"))
        with open(tiles[-1], "wb") as out:
            for hvcc, _, coded in encoded:
                stream = annex_b(hvcc, coded)
                out.write(struct.pack(">I", len(stream)) + stream)
    return heic, tiles


def main():
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    folder = tempfile.mkdtemp(prefix="nccmatch-grid-speed-")
    try:
        with open(os.path.join(folder, "grid_loop.c"), "w") as source:
            source.write(GRID_LOOP)
        loop = os.path.join(folder, "grid_loop")
        subprocess.run(["cc", "-O2", source.name, "-lavcodec", "-lavutil", "-o", loop], check=True)
        heic, tiles = make_inputs(folder, count)
        contenders = {
            "pillow-heif+pdqhash": (reference, heic),
            "libavcodec C loop (every tile, decode only)": (command(loop), tiles),
            "nccmatch fast": (command(binary, "hash", "--mode", "fast", "--jobs", "1", "--format", "jsonl"), heic),
            "nccmatch exact": (command(binary, "hash", "--mode", "exact", "--jobs", "1", "--format", "jsonl"), heic),
        }
        times = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, (fn, paths) in contenders.items():
                times[name].append(per_file(fn, paths))
        med = {name: statistics.median(t) for name, t in times.items()}
        report = {"files": count, "picture": "4032x3024 grid of 512x512 tiles, q75", "rounds": rounds,
                  "ms_per_file": {k: round(v * 1000, 1) for k, v in med.items()}}
        for mode in ("fast", "exact"):
            ours = med[f"nccmatch {mode}"]
            report[f"{mode}: reference / nccmatch"] = round(med["pillow-heif+pdqhash"] / ours, 2)
            report[f"{mode}: nccmatch / libavcodec decode"] = round(ours / med["libavcodec C loop (every tile, decode only)"], 2)
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
