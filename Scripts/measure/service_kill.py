#!/usr/bin/env python3
"""SIGKILLs `nccmatch serve` N times while writers open cases and add hashes, restarting it each time;
then checks that every acknowledged write (201) is there: the case reads with its secret, its hash counts
are complete, and its hashes match.

Usage: Scripts/measure/service_kill.py BINARY [--kills 20] [--writers 4]"""
import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_common import add_platform, call, random_pdq, start_server  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--kills", type=int, default=20)
parser.add_argument("--writers", type=int, default=4)
parser.add_argument("--server-arg", action="append", default=[], help="extra argument for nccmatch serve (repeatable)")
args = parser.parse_args()

work = tempfile.mkdtemp(prefix="nccmatch-kill-")
data = os.path.join(work, "data")
acknowledged = {}   # case id -> {"secret", "pdq": [values], "images": n}
lock = threading.Lock()
state = {"base": None}
attempts = {"cases": 0, "adds": 0, "acked_adds": 0, "refused": 0}


def writer(seed, stop):
    rng = random.Random(seed)
    while not stop.is_set():
        base = state["base"]
        try:
            with lock:
                mine = [c for c in acknowledged.items()]
            if mine and rng.random() < 0.3:
                case_id, entry = rng.choice(mine)
                value = random_pdq(rng)
                attempts["adds"] += 1
                status, answer = call("POST", f"{base}/v1/cases/{case_id}/hashes",
                                      {"hashes": [{"algorithm": "pdq", "value": value, "quality": 80}]}, bearer=entry["secret"], timeout=10)
                if status == 201:
                    with lock:
                        entry["pdq"].append(value)
                        entry["images"] += 1
                    attempts["acked_adds"] += 1
            else:
                values = [random_pdq(rng) for _ in range(3)]
                attempts["cases"] += 1
                status, answer = call("POST", f"{base}/v1/cases",
                                      {"hashes": [{"algorithm": "pdq", "value": v, "quality": 90, "image": i} for i, v in enumerate(values)]}, timeout=10)
                if status == 201:
                    with lock:
                        acknowledged[answer["case_id"]] = {"secret": answer["secret"], "pdq": values, "images": 3}
                elif status >= 500:
                    attempts["refused"] += 1
        except Exception:
            time.sleep(0.01)   # the server is down: try again


# The checking platform is trusted with exact distances (it verifies distance 0), and the writers, all on
# loopback, may open cases as fast as they like.
args.server_arg += ["--trusted-platform", "kill-test", "--case-burst", "100000", "--cases-per-hour", "1e9", "--secret-failures", "100000"]
try:
    server, base = start_server(args.binary, data, args.server_arg)
    state["base"] = base
    key = add_platform(args.binary, data, "kill-test")
    restarts = []
    for kill in range(args.kills):
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(kill * 100 + w, stop)) for w in range(args.writers)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.5, 2.0))
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        for t in threads:
            t.join()
        start = time.time()
        server, base = start_server(args.binary, data, args.server_arg)
        restarts.append(time.time() - start)
        state["base"] = base

    lost_cases, short_cases, unmatched = [], [], 0
    items = []
    for case_id, entry in acknowledged.items():
        status, answer = call("GET", f"{base}/v1/cases/{case_id}", bearer=entry["secret"])
        if status != 200:
            lost_cases.append(case_id)
            continue
        stored = sum(image["hashes"] for image in answer["images"])
        if stored < len(entry["pdq"]):
            short_cases.append(case_id)
        items.extend(entry["pdq"])
    for start in range(0, len(items), 1000):
        chunk = items[start:start + 1000]
        status, answer = call("POST", f"{base}/v1/match", {"items": [{"id": str(i), "algorithm": "pdq", "value": v} for i, v in enumerate(chunk)]}, bearer=key)
        unmatched += sum(1 for r in answer["results"] if not any(m["distance"] == 0 for m in r["matches"]))
    server.terminate()
    server.wait()
    print(json.dumps({
        "kills": args.kills,
        "acknowledged_cases": len(acknowledged),
        "acknowledged_hash_additions": attempts["acked_adds"],
        "write_attempts": attempts["cases"] + attempts["adds"],
        "lost_cases": len(lost_cases),
        "cases_missing_hashes": len(short_cases),
        "acknowledged_hashes_not_matching": unmatched,
        "restart_to_ready_seconds_max": round(max(restarts), 2),
        "clean_restarts": len(restarts),
    }, indent=2))
    sys.exit(1 if lost_cases or short_cases or unmatched else 0)
finally:
    shutil.rmtree(work, ignore_errors=True)
