#!/usr/bin/env python3
"""Replicas of `nccmatch serve` on one PostgreSQL bank: withdrawal latency, a database restart under load,
and a SIGKILLed replica.

Usage: Scripts/measure/replicas.py BINARY [--trials 100] [--replicas 3] [--restart-seconds 3] [--stop-mode fast|immediate]

Starts its own throwaway PostgreSQL cluster (Scripts/postgres-cluster.sh) on a free loopback port and stops
it at the end.

1. Withdrawal latency: per trial, a case is opened through one replica and withdrawn through another; the
   time from sending DELETE until no replica matches the case any more (each polled every 2 ms), and until
   every replica's /readyz applied_sequence has reached the withdrawal (its in-memory index dropped it).
2. Database restart: two writers open cases and a matcher matches known hashes through all replicas in a
   loop; PostgreSQL is stopped for --restart-seconds and started again. Reports acknowledged writes lost
   (each acknowledged case is read back with its secret afterwards), match answers that were not 200,
   every write's answer time (and those answered after more than 6 s, or not within the client's 10 s),
   and the time from the database's return to the first acknowledged write.
3. SIGKILL of one replica during the same load; it is restarted and must answer exactly as the others.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_common import CLUSTER, call, random_pdq, start_cluster, start_server  # noqa: E402


parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--trials", type=int, default=100)
parser.add_argument("--replicas", type=int, default=3)
parser.add_argument("--restart-seconds", type=float, default=3)
parser.add_argument("--stop-mode", choices=["fast", "immediate"], default="fast",
                    help="how PostgreSQL is stopped in the outage (pg_ctl -m)")
args = parser.parse_args()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def picture(pdq):
    return [{"algorithm": "pdq", "value": pdq, "quality": 90, "image": 0}]


def matches(base, key, pdq):
    status, body = call("POST", base + "/v1/match", {"items": [{"id": "u", "algorithm": "pdq", "value": pdq}]}, bearer=key, timeout=10)
    if status != 200:
        return None
    return bool(body["results"][0]["matches"])


def applied(base):
    import urllib.request
    with urllib.request.urlopen(base + "/readyz", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith("applied_sequence "):
                return int(line.split()[1])
    return -1


work = tempfile.mkdtemp(prefix="nccmatch-replicas-")
os.chmod(work, 0o755)
cluster = os.path.join(work, "pg")
url = start_cluster(cluster)
database = url
servers = []
try:
    extra = ["--database", database, "--secret-rounds", "1000"]
    for i in range(args.replicas):
        servers.append(start_server(args.binary, os.path.join(work, f"r{i}"), extra))
    bases = [base for _, base in servers]
    key = subprocess.run([args.binary, "admin", "platform", "add", "measure", "--database", database],
                         check=True, capture_output=True, text=True).stdout.strip()
    rng = random.Random(7)

    # 1. Withdrawal latency.
    gone_all, applied_all, visible_all = [], [], []
    for trial in range(args.trials):
        pdq = random_pdq(rng)
        opener, withdrawer = bases[trial % len(bases)], bases[(trial + 1) % len(bases)]
        status, body = call("POST", opener + "/v1/cases", {"hashes": picture(pdq)})
        assert status == 201, body
        start = time.monotonic()
        while not all(matches(b, key, pdq) for b in bases):
            time.sleep(0.002)
        visible_all.append(time.monotonic() - start)
        start = time.monotonic()
        status, body = call("DELETE", withdrawer + f"/v1/cases/{body['case_id']}", bearer=body["secret"])
        assert status == 200, body
        pending = set(bases)
        while pending:
            pending = {b for b in pending if matches(b, key, pdq)}
            if pending:
                time.sleep(0.002)
        gone_all.append(time.monotonic() - start)
        target = applied(withdrawer)
        pending = set(bases)
        while pending:
            pending = {b for b in pending if applied(b) < target}
            if pending:
                time.sleep(0.002)
        applied_all.append(time.monotonic() - start)
    print(f"withdrawal, {args.trials} trials on {len(bases)} replicas (seconds from sending DELETE):")
    print(f"  no replica matches: p50 {percentile(gone_all, 50):.4f}  p99 {percentile(gone_all, 99):.4f}  max {max(gone_all):.4f}")
    print(f"  every index applied: p50 {percentile(applied_all, 50):.4f}  p99 {percentile(applied_all, 99):.4f}  max {max(applied_all):.4f}")
    print(f"  (a new case matching on every replica: p50 {percentile(visible_all, 50):.4f}  p99 {percentile(visible_all, 99):.4f})")

    # 2. PostgreSQL restart during load.
    stop = threading.Event()
    acknowledged = []
    lock = threading.Lock()
    stats = {"write_refused": 0, "write_other": 0, "match_ok": 0, "match_bad": 0, "writes_after_return": None, "bad_by_replica": {},
             "write_seconds": [], "write_unknown": 0}
    known = []
    for i in range(5):
        pdq = random_pdq(rng)
        status, body = call("POST", bases[0] + "/v1/cases", {"hashes": picture(pdq)})
        known.append(pdq)
    back_at = {"t": None}

    def writer(seed):
        r = random.Random(seed)
        n = 0
        while not stop.is_set():
            pdq = random_pdq(r)
            base = bases[n % len(bases)]
            n += 1
            began = time.monotonic()
            try:
                status, body = call("POST", base + "/v1/cases", {"hashes": picture(pdq)}, timeout=10)
            except Exception as error:
                status, body = -1, {"error": {"code": type(error).__name__}}
            took = time.monotonic() - began
            with lock:
                stats["write_seconds"].append((took, status))
                if status == 201:
                    acknowledged.append((body["case_id"], body["secret"], pdq))
                    if back_at["t"] is not None and stats["writes_after_return"] is None:
                        stats["writes_after_return"] = time.monotonic() - back_at["t"]
                elif status == 503 and body and body.get("error", {}).get("code") == "database_unavailable":
                    stats["write_refused"] += 1
                    if "may or may not" in body["error"].get("message", ""):
                        stats["write_unknown"] += 1
                else:
                    stats["write_other"] += 1
                    code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
                    stats.setdefault("other_codes", {}).setdefault(f"{status} {code}", 0)
                    stats["other_codes"][f"{status} {code}"] += 1
            time.sleep(0.01)

    def matcher():
        n = 0
        while not stop.is_set():
            base = bases[n % len(bases)]
            n += 1
            try:
                ok = matches(base, key, known[n % len(known)])
            except Exception:
                ok = None
            with lock:
                stats["match_ok" if ok else "match_bad"] += 1
                if not ok:
                    index = n % len(bases) - 1
                    stats["bad_by_replica"][index % len(bases)] = stats["bad_by_replica"].get(index % len(bases), 0) + 1
            time.sleep(0.005)

    threads = [threading.Thread(target=writer, args=(s,)) for s in (1, 2)] + [threading.Thread(target=matcher)]
    for t in threads:
        t.start()
    time.sleep(2)
    subprocess.run([CLUSTER, "stop", cluster, args.stop_mode], check=True)
    time.sleep(args.restart_seconds)
    subprocess.run([CLUSTER, "start", cluster, "0"], check=True, capture_output=True)
    with lock:
        back_at["t"] = time.monotonic()
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join()
    lost = 0
    for case_id, secret, pdq in acknowledged:
        status, body = call("GET", bases[0] + f"/v1/cases/{case_id}", bearer=secret)
        if status != 200:
            lost += 1
    print(f"PostgreSQL stopped ({args.stop_mode}) for {args.restart_seconds:.1f} s under load:")
    print(f"  acknowledged cases {len(acknowledged)}, lost {lost}; writes refused with database_unavailable {stats['write_refused']} "
          f"(of which {stats['write_unknown']} whose COMMIT went unanswered: outcome unknown), other failures {stats['write_other']} {stats.get('other_codes', {})}")
    print(f"  matches answered 200 with the match {stats['match_ok']}, otherwise {stats['match_bad']}")
    times = [t for t, _ in stats["write_seconds"]]
    slow = sorted(((round(t, 2), s) for t, s in stats["write_seconds"] if t > 6), reverse=True)
    print(f"  write answer times: p50 {percentile(times, 50):.3f} s, p99 {percentile(times, 99):.3f} s, max {max(times):.3f} s; "
          f"answered after more than 6 s: {len(slow)} {slow[:5]}")
    print(f"  applied sequences of the replicas afterwards: {[applied(b) for b in bases]}")
    wr = stats["writes_after_return"]
    print(f"  first acknowledged write after the database's return: {wr:.2f} s" if wr is not None else "  no write after the return")

    # 3. SIGKILL of one replica during load; restart; identical answers.
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(3,)), threading.Thread(target=matcher)]
    acknowledged.clear()
    stats["match_bad"] = stats["match_ok"] = 0
    stats["bad_by_replica"] = {}
    for t in threads:
        t.start()
    time.sleep(1)
    victim, _ = servers[-1]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    time.sleep(2)
    servers[-1] = start_server(args.binary, os.path.join(work, f"r{len(bases) - 1}"), extra)
    bases[-1] = servers[-1][1]
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join()
    time.sleep(1.5)
    sequences = [applied(b) for b in bases]
    sample = [pdq for _, _, pdq in acknowledged[-50:]] + known
    differ = sum(1 for pdq in sample if len({matches(b, key, pdq) for b in bases}) != 1)
    print(f"SIGKILL of one replica under load: applied sequences after restart {sequences}; "
          f"{differ} of {len(sample)} hashes answered differently")
    survivors_bad = sum(v for k, v in stats["bad_by_replica"].items() if k != len(bases) - 1)
    print(f"  matches through the surviving replicas: {stats['match_ok']} answered with the match, {survivors_bad} not; "
          f"through the killed one while it was down: {stats['bad_by_replica'].get(len(bases) - 1, 0)} refused connections")
finally:
    for process, _ in servers:
        if process.poll() is None:
            process.terminate()
            process.wait()
    subprocess.run([CLUSTER, "stop", cluster])
    shutil.rmtree(work, ignore_errors=True)
