#!/usr/bin/env python3
"""Fills a bank with N random PDQ hashes through the API, restarts the server (index built from SQLite),
then drives POST /v1/match with 1,000-item batches from wrk for D seconds and reports hashes/s, latency
percentiles per batch, errors and the server's memory over the run.

With --attackers N, N clients open cases and N clients guess case secrets for the whole run, each request
from another client address (X-Forwarded-For through a trusted loopback proxy: the worst case, where
per-address limits do not help and the PBKDF2 gate must keep matching fast); their answers are counted.

Usage: Scripts/measure/service_load.py BINARY [--hashes 1000000] [--seconds 60] [--connections 4] [--attackers 32]
Needs wrk (apt-get install wrk). Everything is made in a temporary folder and removed afterwards."""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_common import add_platform, call, random_pdq, rss_kib, start_server, write_match_lua  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--hashes", type=int, default=1_000_000)
parser.add_argument("--seconds", type=int, default=60)
parser.add_argument("--connections", type=int, default=4)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--attackers", type=int, default=0)
parser.add_argument("--secret-rounds", default="600000")
args = parser.parse_args()

work = tempfile.mkdtemp(prefix="nccmatch-load-")
data = os.path.join(work, "data")
limits = ["--rate-requests", "100000", "--rate-hashes", "100000000", "--case-burst", "100000", "--cases-per-hour", "1e9",
          "--trusted-proxy", "127.0.0.1", "--secret-rounds", args.secret_rounds]
try:
    server, base = start_server(args.binary, data, limits)
    key = add_platform(args.binary, data, "load")
    rng = random.Random(7)
    planted = []
    start = time.time()
    per_case = 10_000
    for case in range((args.hashes + per_case - 1) // per_case):
        n = min(per_case, args.hashes - case * per_case)
        values = [random_pdq(rng) for _ in range(n)]
        planted.extend(values[:10])
        status, answer = call("POST", base + "/v1/cases", {"hashes": [{"algorithm": "pdq", "value": v, "quality": 90, "image": i} for i, v in enumerate(values)]})
        if status != 201:
            raise RuntimeError(f"fill failed: {status} {answer}")
    fill_seconds = time.time() - start
    server.terminate(); server.wait()

    start = time.time()
    server, base = start_server(args.binary, data, limits)
    load_seconds = time.time() - start
    rss_start = rss_kib(server.pid)

    # 16 different bodies of 1,000 items: random hashes and, in each, 10 copies of bank hashes 8 bits away.
    bodies = []
    for b in range(16):
        items = []
        for i in range(1000):
            if i % 100 == 0:
                v = int(planted[(b * 10 + i // 100) % len(planted)], 16) ^ 0xFF
                items.append({"id": f"{b}-{i}", "algorithm": "pdq", "value": "%064x" % v})
            else:
                items.append({"id": f"{b}-{i}", "algorithm": "pdq", "value": random_pdq(rng)})
        bodies.append(json.dumps({"items": items}))
    lua = write_match_lua(work, bodies, key)
    samples = []
    stop = threading.Event()
    attack_answers = {}
    attack_lock = threading.Lock()
    victim = call("POST", base + "/v1/cases", {"hashes": [{"algorithm": "pdq", "value": random_pdq(rng), "quality": 90}]})[1]["case_id"]

    def attacker(number, opening):
        r = random.Random(number)
        while not stop.is_set():
            address = {"X-Forwarded-For": f"198.18.{r.randrange(256)}.{r.randrange(256)}"}
            try:
                if opening:
                    status, _ = call("POST", base + "/v1/cases", {"hashes": [{"algorithm": "pdq", "value": random_pdq(r), "quality": 90}]}, headers=address, timeout=30)
                else:
                    status, _ = call("GET", base + f"/v1/cases/{victim}", bearer="guess-%d" % r.getrandbits(64), headers=address, timeout=30)
            except Exception:  # noqa: BLE001
                status = "error"
            with attack_lock:
                key = ("open" if opening else "guess", status)
                attack_answers[key] = attack_answers.get(key, 0) + 1
    attackers = [threading.Thread(target=attacker, args=(n, n % 2 == 0)) for n in range(2 * args.attackers)]
    rss_idle = rss_kib(server.pid)
    for t in attackers:
        t.start()

    def sample():
        while not stop.wait(5):
            samples.append(rss_kib(server.pid))
    sampler = threading.Thread(target=sample)
    sampler.start()
    out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s", "-s", lua, base],
                         capture_output=True, text=True)
    stop.set(); sampler.join()
    for t in attackers:
        t.join()
    figures = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line and line.split(" ", 1)[0].isupper() and " " in line)
    requests = int(figures.get("REQUESTS", "0"))
    seconds = float(figures.get("SECONDS", "1"))
    # A planted hash must match: one check outside the timed run.
    status, answer = call("POST", base + "/v1/match", json.loads(bodies[0]), bearer=key)
    planted_hits = sum(1 for r in answer["results"] if r["matches"]) if status == 200 else -1
    server.terminate(); server.wait()
    report = {
        "bank_pdq_hashes": args.hashes,
        "fill_seconds_via_api": round(fill_seconds, 1),
        "restart_to_ready_seconds": round(load_seconds, 2),
        "wrk": {"threads": args.threads, "connections": args.connections, "seconds": seconds},
        "batches": requests,
        "hashes_per_second": round(requests * 1000 / seconds),
        "latency_ms_per_batch": {k[1:]: float(v) for k, v in figures.items() if k.startswith("P")},
        "non_200": int(figures.get("NON200", "-1")),
        "socket_errors": int(figures.get("SOCKET_ERRORS", "-1")),
        "planted_matches_in_a_batch": planted_hits,
        "rss_mib_after_load": round(rss_start / 1024, 1),
        "rss_mib_samples_every_5s": [round(s / 1024, 1) for s in samples],
        "attackers_per_kind": args.attackers,
        "attack_answers": {f"{k[0]} {k[1]}": v for k, v in sorted(attack_answers.items(), key=str)},
        "rss_mib_before_attack_and_load": round(rss_idle / 1024, 1),
    }
    print(json.dumps(report, indent=2))
    if report["non_200"] != 0 or report["socket_errors"] != 0:
        print(out.stdout, out.stderr, file=sys.stderr)
finally:
    shutil.rmtree(work, ignore_errors=True)
