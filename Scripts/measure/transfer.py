#!/usr/bin/env python3
"""Export from SQLite, import into PostgreSQL: identical match results on a large bank.

Usage: Scripts/measure/transfer.py BINARY [--hashes 1000000] [--queries 2000]

1. Writes a bank of random PDQ hashes (100 cases, pictures of one hash each) as an export file and imports
   it into a fresh SQLite bank (`nccmatch admin import`), so the SQLite bank exists without hours of API calls.
2. `nccmatch admin export` from SQLite, `nccmatch admin import` into a throwaway PostgreSQL cluster.
3. Starts a server on each bank and matches the same queries (near copies of bank hashes and random ones)
   through both: the distances found for every query must be identical (match references differ by bank).
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_common import CLUSTER, call, start_cluster, start_server  # noqa: E402


parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--hashes", type=int, default=1_000_000)
parser.add_argument("--queries", type=int, default=2000)
args = parser.parse_args()


def timed(label, command):
    start = time.monotonic()
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    print(f"{label}: {time.monotonic() - start:.1f} s  {out.stdout.strip()}")


rng = random.Random(11)
work = tempfile.mkdtemp(prefix="nccmatch-transfer-")
os.chmod(work, 0o755)
seed_file = os.path.join(work, "seed.jsonl")
bank = []
cases = 100
per_case = args.hashes // cases
body = bytearray()
body += json.dumps({"format": "nccmatch-bank", "version": 1}, sort_keys=True).encode() + b"\n"
for c in range(cases):
    images = []
    for i in range(per_case):
        value = "%064x" % rng.getrandbits(256)
        bank.append(value)
        images.append({"image": i, "hashes": [{"algorithm": "pdq", "value": value, "quality": 90}]})
    line = {"case": "c_%032x" % rng.getrandbits(128),
            "secret_verifier": {"scheme": "pbkdf2-sha256", "rounds": 210000, "salt": os.urandom(16).hex(), "hash": os.urandom(32).hex()},
            "images": images}
    body += json.dumps(line, sort_keys=True, separators=(",", ":")).encode() + b"\n"
trailer = {"checksum": "sha256:" + hashlib.sha256(bytes(body)).hexdigest(), "cases": cases, "hashes": cases * per_case}
with open(seed_file, "wb") as f:
    f.write(bytes(body) + json.dumps(trailer).encode() + b"\n")
print(f"bank: {cases * per_case} PDQ hashes in {cases} cases")

cluster = os.path.join(work, "pg")
url = start_cluster(cluster)
servers = []
try:
    sqlite_dir = os.path.join(work, "sqlite")
    export_file = os.path.join(work, "export.jsonl")
    timed("seed SQLite (admin import)", [args.binary, "admin", "import", "--data", sqlite_dir, seed_file])
    timed("admin export from SQLite", [args.binary, "admin", "export", "--data", sqlite_dir, export_file])
    timed("admin import into PostgreSQL", [args.binary, "admin", "import", "--database", url, export_file])
    print(f"export file: {os.path.getsize(export_file) / 1e6:.0f} MB")

    keys = {}
    for name in ("sqlite", "postgres"):
        start = time.monotonic()
        if name == "sqlite":
            process, base = start_server(args.binary, sqlite_dir)
        else:
            process, base = start_server(args.binary, os.path.join(work, "srv-pg"), ["--database", url])
        print(f"{name} server ready in {time.monotonic() - start:.1f} s")
        servers.append((name, process, base))
        target = ["--data", sqlite_dir] if name == "sqlite" else ["--database", url]
        keys[name] = subprocess.run([args.binary, "admin", "platform", "add", "measure", *target],
                                    check=True, capture_output=True, text=True).stdout.strip()

    def flip(value, bits):
        v = int(value, 16)
        for b in rng.sample(range(256), bits):
            v ^= 1 << b
        return "%064x" % v

    queries = []
    for i in range(args.queries):
        if i % 2 == 0:
            queries.append(flip(rng.choice(bank), rng.randrange(0, 32)))
        else:
            queries.append("%064x" % rng.getrandbits(256))
    answers = {}
    for name, _, base in servers:
        found = []
        for start in range(0, len(queries), 1000):
            items = [{"id": str(start + j), "algorithm": "pdq", "value": q} for j, q in enumerate(queries[start:start + 1000])]
            status, result = call("POST", base + "/v1/match", {"items": items}, bearer=keys[name])
            assert status == 200, result
            found += [sorted(m["distance"] for m in r["matches"]) for r in result["results"]]
        answers[name] = found
    same = sum(1 for a, b in zip(answers["sqlite"], answers["postgres"]) if a == b)
    hits = sum(1 for a in answers["sqlite"] if a)
    print(f"{len(queries)} queries ({hits} with matches): identical results for {same} of {len(queries)}")
finally:
    for _, process, _ in servers:
        process.terminate()
        process.wait()
    subprocess.run([CLUSTER, "stop", cluster])
    shutil.rmtree(work, ignore_errors=True)
