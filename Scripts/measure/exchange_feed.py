#!/usr/bin/env python3
"""Issue 16's acceptance figures for the exchanges, on a release build:

1. Import: a StopNCII feed of N records (replayed on loopback by stopncii_replay.py, pages of 800 as the real
   API) configured with `nccmatch exchange add`; `nccmatch serve` starts and its fetch loop imports it; the time
   from the server's start until the feed's LAST record matches through /v1/match is reported (the whole path:
   fetch, parse, validate, store, follow, index).
2. Match load with and without a fetch running: after a 5 s warm-up, wrk drives /v1/match (1,000-item batches)
   in six alternating phases of D/6 seconds while the server's fetch loop imports a second feed of N records, its
   replay paused (no fetch) and resumed (fetch) in turn; throughput and latency side by side, as ratios.

Usage: Scripts/measure/exchange_feed.py BINARY [--records 1000000] [--seconds 60]
Needs wrk. Everything is made in a temporary folder and removed afterwards."""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_common import add_platform, call, free_port, random_pdq, start_server, write_match_lua  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--records", type=int, default=1_000_000)
parser.add_argument("--seconds", type=int, default=60)
parser.add_argument("--connections", type=int, default=4)
args = parser.parse_args()
here = os.path.dirname(os.path.abspath(__file__))


def value(i, seed):
    half = int(hashlib.sha256(f"record:{seed}:{i}".encode()).hexdigest()[:32], 16)
    return "%032x%032x" % (half, half ^ ((1 << 128) - 1))


def replay(port, seed, records):
    process = subprocess.Popen([sys.executable, os.path.join(here, "stopncii_replay.py"), "--port", str(port),
                                "--records", str(records), "--seed", str(seed), "--pregenerate"])
    for _ in range(6000):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/control/stats", timeout=1)
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("replay server did not start")


def cli(*arguments):
    out = subprocess.run([args.binary, *arguments], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)}: {out.stderr.strip()}")
    return out.stdout


def add_exchange(data, name, port):
    cli("bank", "add", name, "--data", data)
    cli("exchange", "add", name, "--kind", "stopncii", "--bank", name, "--endpoint", f"http://127.0.0.1:{port}/v1",
        "--credential", "fetch_key=REPLAY_FETCH_KEY", "--credential", "subscription_key=REPLAY_SUBSCRIPTION_KEY",
        "--credential", "feedback_key=REPLAY_FETCH_KEY", "--interval", "10", "--data", data)


def pdq_in_index(base):
    status, text = call("GET", base + "/metrics")
    for line in (text or "").splitlines():
        if line.startswith('nccmatch_index_hashes{algorithm="pdq"}'):
            return int(float(line.split()[1]))
    return 0


def wait_indexed(base, count, deadline):
    """Polls /metrics (not /v1/match, which would count as platforms matching and make the fetch loop step
    aside) until the PDQ index holds `count` hashes."""
    while time.time() < deadline:
        if pdq_in_index(base) >= count:
            return True
        time.sleep(0.2)
    return False


def wait_match(base, key, pdq, deadline):
    while time.time() < deadline:
        status, answer = call("POST", base + "/v1/match", {"items": [{"id": "probe", "algorithm": "pdq", "value": pdq}]}, bearer=key)
        if status == 200 and answer["results"][0]["matches"]:
            return True
        time.sleep(0.2)
    return False


def wrk(base, key, work, rng, planted, seconds):
    bodies = []
    for b in range(16):
        items = [{"id": f"{b}-{i}", "algorithm": "pdq", "value": planted[(b * 10 + i // 100) % len(planted)] if i % 100 == 0 else random_pdq(rng)}
                 for i in range(1000)]
        bodies.append(json.dumps({"items": items}))
    lua = write_match_lua(work, bodies, key)
    out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s", "-s", lua, base],
                         capture_output=True, text=True).stdout
    figures = dict(line.split() for line in out.splitlines() if line.split() and line.split()[0] in ("P50", "P99", "REQUESTS", "SECONDS", "NON200"))
    return {"batches_per_s": float(figures["REQUESTS"]) / float(figures["SECONDS"]), "p50_ms": float(figures["P50"]),
            "p99_ms": float(figures["P99"]), "errors": int(figures["NON200"])}


work = tempfile.mkdtemp(prefix="nccmatch-exchange-")
data = os.path.join(work, "data")
os.environ["REPLAY_FETCH_KEY"] = "fetch-key"
os.environ["REPLAY_SUBSCRIPTION_KEY"] = "subscription-key"
limits = ["--rate-requests", "100000", "--rate-hashes", "100000000", "--match-budget", "100000000"]
processes = []
server = None
try:
    port1, port2 = free_port(), free_port()
    processes.append(replay(port1, 1, args.records))
    os.makedirs(data)
    key = add_platform(args.binary, data, "load")
    add_exchange(data, "feed-one", port1)
    start = time.time()
    server, base = start_server(args.binary, data, limits)
    ready = time.time() - start
    if not wait_indexed(base, args.records, start + 600):
        raise RuntimeError("the feed never reached the index")
    imported = time.time() - start
    if not wait_match(base, key, value(args.records - 1, 1), time.time() + 10):
        raise RuntimeError("the feed's last record does not match")
    print(f"import: {args.records} records in the index {imported:.1f} s after the server started (ready after {ready:.1f} s); the last one matches", flush=True)
    server.terminate(); server.wait(); server = None

    rng = random.Random(3)
    planted = [value(rng.randrange(args.records), 1) for _ in range(160)]
    # Load: one server whose fetch loop imports a second feed of N records. Its replay is paused (SIGSTOP: the
    # loop then waits on the network, which costs nothing) and resumed in alternating phases, after a warm-up, so
    # "without" and "with" share the machine's state and any other load falls on both alike.
    second = replay(port2, 2, args.records)
    processes.append(second)
    add_exchange(data, "feed-two", port2)
    second.send_signal(signal.SIGSTOP)
    server, base = start_server(args.binary, data, limits)
    wrk(base, key, work, rng, planted, 5)
    phase = max(5, args.seconds // 6)
    totals = {"without_fetch": [], "with_fetch": []}
    for _ in range(3):
        for name, sig in (("without_fetch", signal.SIGSTOP), ("with_fetch", signal.SIGCONT)):
            second.send_signal(sig)
            time.sleep(1)
            totals[name].append(wrk(base, key, work, rng, planted, phase))
    second.send_signal(signal.SIGCONT)
    summary = {name: {"batches_per_s": sum(r["batches_per_s"] for r in runs) / len(runs),
                      "p99_ms": max(r["p99_ms"] for r in runs), "p50_ms": sorted(r["p50_ms"] for r in runs)[1],
                      "errors": sum(r["errors"] for r in runs)} for name, runs in totals.items()}
    imported_two = pdq_in_index(base) - args.records
    print(json.dumps({"phases": totals, "summary": summary, "second_feed_imported_during_run": imported_two}))
    quiet, busy = summary["without_fetch"], summary["with_fetch"]
    print(f"throughput with a fetch running / without: {busy['batches_per_s'] / quiet['batches_per_s']:.3f}; "
          f"worst p99 {busy['p99_ms']:.1f} ms vs {quiet['p99_ms']:.1f} ms ({busy['p99_ms'] - quiet['p99_ms']:+.1f} ms); "
          f"{imported_two} records of the second feed imported meanwhile")
finally:
    if server:
        server.terminate(); server.wait()
    for p in processes:
        p.terminate(); p.wait()
    shutil.rmtree(work, ignore_errors=True)
