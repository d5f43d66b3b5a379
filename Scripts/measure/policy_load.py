#!/usr/bin/env python3
"""A bank of N pictures stored as the matching policy stores them, queried with batches shaped like real uploads,
against the documented baseline (N plain PDQ hashes, 1,000 plain items a batch), side by side in one session.

Usage: Scripts/measure/policy_load.py BINARY [--pictures 1000000] [--seconds 60] [--connections 2]
                                      [--corpus ../shared/corpus/images] [--near 0.01] [--only policy|baseline]
                                      [--perf SECONDS] [--uploads N] [--plain-queries] [--no-kinds] [--work DIR]

1. Hashes the corpus with `nccmatch hash --set case` and `--set query`: every picture's stored PDQ set and its
   upload's PDQ set, each a template of real distances (between a picture's stored companions; between an upload's
   plain hash and its companions; between an upload's set and the same picture's stored set). Prints the
   distribution of those distances.
2. Policy bank: each of N pictures is a corpus picture's stored set with its 256 bit positions shuffled by a
   random permutation of its own. A permutation keeps every distance inside the set (and each hash's bit count)
   while making the picture's base a random value, so the bank holds N random pictures whose companions lie at
   exactly the distances real pictures' companions do (17.8 PDQ hashes a picture on the corpus). Written as an
   export file and loaded with `nccmatch admin import` (the API would take hours for 17.8 million hashes).
   Baseline bank: N pictures of one random PDQ hash each (128 bits set), loaded the same way.
3. Starts `nccmatch serve` on each bank (ready time = SQLite checks + index build), then drives POST /v1/match with
   wrk for D seconds: policy batches of 1,000 uploads, each upload its query set (all items under the upload's id)
   of a random corpus picture under a fresh permutation (a new picture), or, for a share --near of the uploads, the
   query set of a stored picture's own corpus picture under that picture's permutation with the same 8 bits
   flipped in every item (a near copy), each item with its `kind` as `nccmatch match` sends it (--no-kinds: without);
   baseline batches of 1,000 plain items, 1% of them 8-bit copies of bank
   hashes, as Scripts/measure/service_load.py sends. Reports hashes/s, uploads/s, latency per batch, server RSS.
   With --perf S, a second, separate S-second policy run is recorded with `perf record -g` (not in the figures).

Needs numpy and wrk. Everything is made in a temporary folder and removed afterwards."""
import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_common import ROOT, add_platform, call, rss_kib, start_server, write_match_lua  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--pictures", type=int, default=1_000_000)
parser.add_argument("--seconds", type=int, default=60)
parser.add_argument("--connections", type=int, default=2)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--corpus", default=os.path.join(os.path.dirname(ROOT), "shared", "corpus", "images"))
parser.add_argument("--near", type=float, default=0.01, help="share of uploads that are near copies of bank pictures")
parser.add_argument("--uploads", type=int, default=1000, help="uploads (policy) or items (baseline) per batch")
parser.add_argument("--only", choices=["policy", "baseline"])
parser.add_argument("--perf", type=int, default=0)
parser.add_argument("--plain-queries", action="store_true",
                    help="policy bank, but baseline batches (1,000 plain items; near copies: a stored picture's first hash, 8 bits flipped)")
parser.add_argument("--no-kinds", action="store_true",
                    help="send the policy's upload items without their kinds (each then searched as the upload as it is)")
parser.add_argument("--work", help="keep the banks in this folder and reuse them on the next run (default: a temporary folder, removed)")
args = parser.parse_args()

rng = random.Random(14)
nrng = np.random.default_rng(14)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def bits(hexes):
    """Hex PDQ values -> (k, 256) uint8 array of bits."""
    return np.unpackbits(np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(len(hexes), 32), axis=1)


def hexes(bit_rows):
    """(..., 256) bits -> (..., 64) hex characters (uint8)."""
    packed = np.packbits(bit_rows, axis=-1)
    out = np.empty(packed.shape[:-1] + (64,), dtype=np.uint8)
    out[..., 0::2] = HEX[packed >> 4]
    out[..., 1::2] = HEX[packed & 15]
    return out


def corpus_sets():
    """{path: [pdq hex]} for the case side and the query side, from `nccmatch hash --set`, and {path: [kind]} for
    the query side (the items' `kind`, which decides what each is compared with)."""
    sets, kinds = {}, {}
    for side in ("case", "query"):
        out = subprocess.run([args.binary, "hash", "--set", side, "--format", "jsonl", args.corpus],
                             capture_output=True, text=True, check=False).stdout
        sets[side] = {}
        for line in out.splitlines():
            entry = json.loads(line)
            pdq = [h["hash"] for h in entry["hashes"] if h["algorithm"] == "pdq"]
            if pdq:
                sets[side][entry["path"]] = pdq
                if side == "query":
                    kinds[entry["path"]] = [h["kind"] for h in entry["hashes"] if h["algorithm"] == "pdq"]
    return sets["case"], sets["query"], kinds


def distances(a, b):
    return np.count_nonzero(a[:, None, :] != b[None, :, :], axis=2)


def quantiles(values):
    v = np.sort(np.asarray(values))
    return {f"p{q}": int(v[min(len(v) - 1, int(len(v) * q / 100))]) for q in (0, 10, 25, 50, 75, 90, 100)} | {"n": len(v)}


def write_bank(path, templates, pictures, keep_every):
    """Writes an export file of `pictures` pictures (10,000 a case), each a random template's rows under a
    random bit permutation; returns (hashes written, {picture number: (template, permutation)} every keep_every)."""
    widest = max(len(t) for t in templates)
    stack = np.zeros((len(templates), widest, 256), dtype=np.uint8)
    counts = np.array([len(t) for t in templates])
    for i, t in enumerate(templates):
        stack[i, :len(t)] = t
    record_head = b'{"algorithm":"pdq","value":"'
    record_tail = b'","quality":90},'
    record = len(record_head) + 64 + len(record_tail)
    kept = {}
    written = 0
    digest = hashlib.sha256()
    per_case = 10_000
    with open(path, "wb") as f:
        def put(data):
            digest.update(data)
            f.write(data)
        put(json.dumps({"format": "nccmatch-bank", "version": 1}, sort_keys=True).encode() + b"\n")
        cases = (pictures + per_case - 1) // per_case
        for c in range(cases):
            n = min(per_case, pictures - c * per_case)
            chosen = nrng.integers(0, len(templates), n)
            perms = np.argsort(nrng.random((n, 256)), axis=1)
            rows = np.take_along_axis(stack[chosen], perms[:, None, :], axis=2)
            buf = np.empty((n, widest, record), dtype=np.uint8)
            buf[:, :, :len(record_head)] = np.frombuffer(record_head, dtype=np.uint8)
            buf[:, :, len(record_head):len(record_head) + 64] = hexes(rows)
            buf[:, :, len(record_head) + 64:] = np.frombuffer(record_tail, dtype=np.uint8)
            raw = buf.tobytes()
            stride = widest * record
            verifier = {"scheme": "pbkdf2-sha256", "rounds": 210000, "salt": os.urandom(16).hex(), "hash": os.urandom(32).hex()}
            parts = [b'{"case":"c_%032x","images":[' % rng.getrandbits(128)]
            for i in range(n):
                k = int(counts[chosen[i]])
                parts.append(b'{"hashes":[' + raw[i * stride:i * stride + k * record - 1] + b'],"image":%d},' % i)
                written += k
                number = c * per_case + i
                if number % keep_every == 0:
                    kept[number] = (int(chosen[i]), perms[i])
            parts[-1] = parts[-1][:-1]
            parts.append(b'],"secret_verifier":' + json.dumps(verifier, sort_keys=True, separators=(",", ":")).encode() + b"}\n")
            put(b"".join(parts))
        f.write(json.dumps({"checksum": "sha256:" + digest.hexdigest(), "cases": cases, "hashes": written}).encode() + b"\n")
    return written, kept


def make_bodies(new_templates, near_templates, kept, count=16, new_kinds=None, near_kinds=None):
    """`count` match bodies of args.uploads uploads: each upload a template's rows under a fresh permutation, or,
    for a share args.near, a kept picture's near-copy template under its own permutation with 8 bits flipped. With
    kinds (one list a template), each item but the upload as it is carries its `kind`, as `nccmatch match` sends it."""
    bodies, items_total, near_total = [], 0, 0
    planted = sorted(kept)
    every = max(1, round(1 / args.near)) if args.near > 0 else 0
    for b in range(count):
        items = []
        for u in range(args.uploads):
            if every and u % every == 0:
                number = planted[(b * args.uploads + u) // every % len(planted)]
                template, perm = kept[number]
                rows = near_templates[template][:, perm].copy()
                rows[:, rng.sample(range(256), 8)] ^= 1
                near_total += 1
                kinds = near_kinds[template] if near_kinds else None
            else:
                chosen = rng.randrange(len(new_templates))
                rows = new_templates[chosen][:, np.argsort(nrng.random(256))]
                kinds = new_kinds[chosen] if new_kinds else None
            for k, value in enumerate(hexes(rows)):
                item = {"id": f"{b}-{u}", "algorithm": "pdq", "value": value.tobytes().decode()}
                if kinds and kinds[k] != "pdq" and not args.no_kinds:
                    item["kind"] = kinds[k]
                items.append(item)
        items_total += len(items)
        bodies.append(json.dumps({"items": items}, separators=(",", ":")))
    return bodies, items_total / count, near_total / count


def uptime():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def run(name, work, export, bodies, items_per_batch, near_per_batch, bank_hashes):
    data = os.path.join(work, "data-" + name)
    start = time.monotonic()
    if os.path.exists(os.path.join(data, "bank.sqlite")):
        out = subprocess.CompletedProcess([], 0, "reused " + data, "")
    else:
        out = subprocess.run([args.binary, "admin", "import", "--data", data, export], capture_output=True, text=True, check=True)
    import_seconds = time.monotonic() - start
    limits = ["--rate-requests", "100000", "--rate-hashes", "100000000", "--log-level", "warning"]
    start = time.monotonic()
    server, base = start_server(args.binary, data, limits)
    try:
        return measure(name, work, export, bodies, items_per_batch, near_per_batch, bank_hashes, data, server, base, start, out, import_seconds)
    finally:
        server.terminate(); server.wait()


def measure(name, work, export, bodies, items_per_batch, near_per_batch, bank_hashes, data, server, base, start, out, import_seconds):
    ready = time.monotonic() - start
    key = add_platform(args.binary, data, name + "-%d" % time.time_ns())
    rss_idle = rss_kib(server.pid)
    samples, stop = [], threading.Event()

    def sample():
        while not stop.wait(5):
            samples.append(rss_kib(server.pid))
    lua = write_match_lua(os.path.join(work, name), bodies, key)
    while float(uptime()[0]) > 2.5 and time.monotonic() - start < 600:
        time.sleep(15)
    load_before = uptime()
    sampler = threading.Thread(target=sample)
    sampler.start()
    wrk = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s", "-s", lua, base],
                         capture_output=True, text=True)
    stop.set(); sampler.join()
    load_after = uptime()
    figures = dict(line.split(" ", 1) for line in wrk.stdout.splitlines() if line and line.split(" ", 1)[0].isupper() and " " in line)
    requests, seconds = int(figures.get("REQUESTS", "0")), float(figures.get("SECONDS", "1"))
    status, answer = call("POST", base + "/v1/match", json.loads(bodies[0]), bearer=key)
    matched_uploads = len({r["id"] for r in answer["results"] if r["matches"]}) if status == 200 else -1
    profile = None
    if args.perf and name == "policy":
        perf_data = os.path.join(work, "perf.data")
        driver = subprocess.Popen(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.perf + 5}s", "--timeout", "10s", "-s", lua, base],
                                  stdout=subprocess.DEVNULL)
        time.sleep(3)
        subprocess.run(["perf", "record", "-g", "-o", perf_data, "-p", str(server.pid), "--", "sleep", str(args.perf)], capture_output=True)
        driver.wait()
        report = subprocess.run(["perf", "report", "-i", perf_data, "--stdio", "--no-children", "--percent-limit", "1.5", "-g", "none"],
                                capture_output=True, text=True).stdout
        profile = [line for line in report.splitlines() if line.strip() and not line.startswith("#")][:30]
    uploads_per_batch = args.uploads
    return {
        "bank": name + (" (plain queries)" if args.plain_queries and name == "policy" else "")
        + (" (no kinds)" if args.no_kinds and name == "policy" and not args.plain_queries else ""),
        "bank_pictures": args.pictures,
        "bank_pdq_hashes": bank_hashes,
        "export_file_mb": round(os.path.getsize(export) / 1e6),
        "admin_import_seconds": round(import_seconds, 1),
        "import_said": out.stdout.strip()[:200],
        "start_to_ready_seconds": round(ready, 2),
        "items_per_batch": round(items_per_batch, 1),
        "uploads_per_batch": uploads_per_batch,
        "near_copies_per_batch": near_per_batch,
        "load_average_before_after": [load_before, load_after],
        "wrk": {"threads": args.threads, "connections": args.connections, "seconds": seconds},
        "batches": requests,
        "hashes_per_second": round(requests * items_per_batch / seconds),
        "uploads_per_second": round(requests * uploads_per_batch / seconds),
        "latency_ms_per_batch": {k[1:]: float(v) for k, v in figures.items() if k.startswith("P")},
        "p99_us_per_hash": round(float(figures.get("P99", "0")) * 1000 / items_per_batch, 2),
        "non_200": int(figures.get("NON200", "-1")),
        "socket_errors": int(figures.get("SOCKET_ERRORS", "-1")),
        "uploads_matched_in_one_batch": matched_uploads,
        "rss_mib_idle": round(rss_idle / 1024, 1),
        "rss_mib_samples_every_5s": [round(s / 1024, 1) for s in samples],
        "profile": profile,
    }


work = args.work or tempfile.mkdtemp(prefix="nccmatch-policy-load-")
os.makedirs(work, exist_ok=True)
try:
    case_sets, query_sets, query_kinds = corpus_sets()
    paths = sorted(case_sets)
    case_templates = [bits(case_sets[p]) for p in paths]
    near_templates = [bits(query_sets[p]) for p in paths]
    new_templates = [bits(query_sets[p]) for p in sorted(query_sets)]
    near_kinds = [query_kinds[p] for p in paths]
    new_kinds = [query_kinds[p] for p in sorted(query_sets)]
    within_case = [d for t in case_templates for i, d in enumerate(distances(t, t)) for d in d[i + 1:]]
    query_to_plain = [d for t in new_templates for d in distances(t[:1], t[1:])[0]]
    query_to_stored = [int(distances(q, c).min()) for q, c in zip(near_templates, case_templates)]
    corpus = {
        "case_pictures": len(case_templates),
        "case_pdq_per_picture": round(float(np.mean([len(t) for t in case_templates])), 2),
        "case_pdq_max": max(len(t) for t in case_templates),
        "query_uploads": len(new_templates),
        "query_pdq_per_upload": round(float(np.mean([len(t) for t in new_templates])), 2),
        "distance_between_a_pictures_stored_hashes": quantiles(within_case),
        "distance_query_companion_to_plain": quantiles(query_to_plain),
        "closest_item_of_unmodified_upload_to_its_stored_set": quantiles(query_to_stored),
    }
    print(json.dumps({"corpus": corpus}, indent=2), flush=True)
    results = []
    plain = [np.array([[1] * 128 + [0] * 128], dtype=np.uint8)]
    for name in ("baseline", "policy"):
        if args.only and args.only != name:
            continue
        export = os.path.join(work, name + ".jsonl")
        start = time.monotonic()
        rng.seed(14 + len(name)); nrng = np.random.default_rng(14 + len(name))  # the same bank and bodies on every run
        if name == "policy":
            written, kept = write_bank(export, case_templates, args.pictures, 1000)
            if args.plain_queries:
                bodies, per_batch, near = make_bodies(plain, [t[:1] for t in case_templates], kept)
            else:
                bodies, per_batch, near = make_bodies(new_templates, near_templates, kept, new_kinds=new_kinds, near_kinds=near_kinds)
        else:
            written, kept = write_bank(export, plain, args.pictures, 1000)
            bodies, per_batch, near = make_bodies(plain, plain * len(plain), {k: (0, p) for k, (_, p) in kept.items()})
        print(f"{name}: {written} hashes written in {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
        result = run(name, work, export, bodies, per_batch, near, written)
        os.remove(export)
        print(json.dumps(result, indent=2), flush=True)
        results.append(result)
finally:
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
