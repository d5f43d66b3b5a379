#!/usr/bin/env python3
"""Video matching in the service at index speed: a bank of synthetic videos, a video query's latency over HTTP
next to the same frames sent as picture PDQ items against the same number of picture hashes, and the answer
checked against comparing every frame pair.

Usage: Scripts/measure/video_bank_speed.py BINARY [--videos 10000] [--frames 60] [--repeats 30]

1. Writes an export file holding VIDEOS cases of one video each (FRAMES random frames, kind video) and VIDEOS
   cases of FRAMES pictures each (one random PDQ a picture), and imports it into a fresh SQLite bank, so the bank
   exists without hours of API calls (`nccmatch admin import`).
2. Starts the server and sends, REPEATS times each: a video query (the frames of one bank video, each 8 bits off),
   a video query of random frames (matches nothing), and the frames of a bank picture case as FRAMES `pdq`
   items (one batch). Prints the median latency of each.
3. Checks the video answer against every frame pair of every bank video (pytx's rule: 31 bits, 80% of the
   query's frames): the same videos and shares.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_common import call, start_server  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--videos", type=int, default=10_000)
parser.add_argument("--frames", type=int, default=60)
parser.add_argument("--repeats", type=int, default=30)
args = parser.parse_args()

rng = random.Random(12)


def pdq():
    return sum(1 << i for i in rng.sample(range(256), 128))


def flip(value, bits):
    for b in rng.sample(range(256), bits):
        value ^= 1 << b
    return value


work = tempfile.mkdtemp(prefix="nccmatch-video-speed-")
seed = os.path.join(work, "seed.jsonl")
videos, pictures = [], []
body = bytearray(json.dumps({"format": "nccmatch-bank", "version": 1}, sort_keys=True).encode() + b"\n")
verifier = {"scheme": "pbkdf2-sha256", "rounds": 210000, "salt": os.urandom(16).hex(), "hash": os.urandom(32).hex()}
for v in range(args.videos):
    frames = [pdq() for _ in range(args.frames)]
    videos.append(frames)
    line = {"case": "c_v%030x" % v, "secret_verifier": verifier,
            "images": [{"image": 0, "kind": "video", "hashes": [{"algorithm": "pdq", "value": "%064x" % f, "quality": 90} for f in frames]}]}
    body += json.dumps(line, sort_keys=True, separators=(",", ":")).encode() + b"\n"
for p in range(args.videos):
    values = [pdq() for _ in range(args.frames)]
    pictures.append(values)
    line = {"case": "c_p%030x" % p, "secret_verifier": verifier,
            "images": [{"image": i, "hashes": [{"algorithm": "pdq", "value": "%064x" % x, "quality": 90}]} for i, x in enumerate(values)]}
    body += json.dumps(line, sort_keys=True, separators=(",", ":")).encode() + b"\n"
total = 2 * args.videos * args.frames
trailer = {"checksum": "sha256:" + hashlib.sha256(bytes(body)).hexdigest(), "cases": 2 * args.videos, "hashes": total}
with open(seed, "wb") as f:
    f.write(bytes(body) + json.dumps(trailer).encode() + b"\n")
print(f"bank: {args.videos} videos of {args.frames} frames and {args.videos * args.frames} picture PDQ hashes")

server = None
try:
    data = os.path.join(work, "data")
    start = time.monotonic()
    subprocess.run([args.binary, "admin", "import", "--data", data, seed], check=True, capture_output=True)
    print(f"admin import: {time.monotonic() - start:.1f} s")
    start = time.monotonic()
    server, base = start_server(args.binary, data)
    print(f"server ready (index loaded): {time.monotonic() - start:.1f} s")
    key = subprocess.run([args.binary, "admin", "platform", "add", "measure", "--data", data],
                         check=True, capture_output=True, text=True).stdout.strip()

    target = rng.randrange(args.videos)
    query = [flip(f, 8) for f in videos[target]]
    other = [pdq() for _ in range(args.frames)]

    def video_item(frames):
        return {"items": [{"id": "q", "algorithm": "vpdq",
                           "frames": [{"pdq": "%064x" % f, "quality": 90, "timestamp": float(i)} for i, f in enumerate(frames)]}]}

    picture_batch = {"items": [{"id": "q", "algorithm": "pdq", "value": "%064x" % flip(x, 8)} for x in pictures[target]]}

    def median_ms(body):
        times = []
        result = None
        for _ in range(args.repeats):
            start = time.monotonic()
            status, result = call("POST", base + "/v1/match", body, bearer=key)
            times.append((time.monotonic() - start) * 1000)
            assert status == 200, result
        return statistics.median(times), result

    video_ms, video_answer = median_ms(video_item(query))
    miss_ms, miss_answer = median_ms(video_item(other))
    picture_ms, picture_answer = median_ms(picture_batch)
    print(f"video query, {args.frames} frames (matches): median {video_ms:.1f} ms")
    print(f"video query, {args.frames} random frames (no match): median {miss_ms:.1f} ms")
    print(f"picture batch, {args.frames} pdq items: median {picture_ms:.1f} ms")
    print(f"video / picture batch: {video_ms / picture_ms:.2f}")

    # Every frame pair of every bank video, as pytx compares two videos.
    start = time.monotonic()
    expected = []
    for n, frames in enumerate(videos):
        q = sum(1 for a in query if any((a ^ b).bit_count() <= 31 for b in frames))
        if q * 100 / len(query) >= 80:
            b = sum(1 for a in frames if any((a ^ c).bit_count() <= 31 for c in query))
            expected.append((round(q * 1000 / len(query)) / 10, round(b * 1000 / len(frames)) / 10))
    brute = time.monotonic() - start
    got = [(m["query_match_percent"], m["bank_match_percent"]) for m in video_answer["results"][0]["matches"]]
    print(f"every frame pair (Python): {brute:.1f} s; expected {expected}, answered {got}: {'same' if sorted(expected) == sorted(got) else 'DIFFERENT'}")
    assert sorted(expected) == sorted(got)
    assert miss_answer["results"][0]["matches"] == []
    assert sum(len(r["matches"]) for r in picture_answer["results"]) == args.frames
finally:
    if server:
        server.terminate()
        server.wait()
    shutil.rmtree(work, ignore_errors=True)
