#!/usr/bin/env python3
"""Reruns the hostile-request attacks of the hardening issue against `nccmatch serve` and prints each outcome.

  overflow   POST /v1/cases with "image": 2^63-1 (crashed the server before)
  throttle   3,000 wrong secrets on 80 KB case ids: server memory before and after (was +172 MiB, kept)
  timing     a wrong secret on an existing case and on an unknown one: time of each (leaked existence)
  sockets    idle and half-sent connections: how long they stay open (forever before)
  flood      2,000 connections held open from one address, then from 40: how many stay open, whether
             /healthz still answers another address, and the server's CPU meanwhile
  http       a chunked body over 4 MiB, a bad chunk size, a broken request line, an oversize upload with
             Connection: close, PUT on /v1/match: the status and body of each (500, empty, hang, 404 before)

Usage: Scripts/attacks/exhaust.py path/to/nccmatch [--secret-rounds 600000]
Runs its own `nccmatch serve` on a temporary data directory on loopback and removes it afterwards.
"""
import argparse
import os
import resource
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "measure"))
import random

from service_common import call, random_pdq, rss_kib, temporary_server  # noqa: E402


def raw(port, data, timeout=10):
    """Sends bytes, returns (answer bytes, seconds until the server closed or the timeout)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    t0 = time.time()
    out = b""
    try:
        if data:
            try:
                s.settimeout(2)  # a server may answer (and stop reading) before the whole body is sent
                s.sendall(data)
            except (socket.timeout, BrokenPipeError, ConnectionResetError):
                pass
            s.settimeout(timeout)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return out, time.time() - t0


def first_line(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    return (head.split(b"\r\n")[0].decode(errors="replace") or "(nothing)") + " " + body[:90].decode(errors="replace")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--secret-rounds", default="600000")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with temporary_server(args.binary, ["--secret-rounds", args.secret_rounds], prefix="nccmatch-attack-") as (server, base, _):
        port = urllib.parse.urlparse(base).port

        status, answer = call("POST", base + "/v1/cases", {"hashes": [{"algorithm": "phash", "value": "0123456789abcdef", "image": 2**63 - 1}]})
        alive = call("GET", base + "/healthz")[0] if server.poll() is None else "dead"
        print(f"overflow: {status} {answer['error']['code'] if answer else ''}; server afterwards: {alive}")

        pdq = random_pdq(random.Random(1))
        status, opened = call("POST", base + "/v1/cases", {"hashes": [{"algorithm": "pdq", "value": pdq, "quality": 90}]})
        case_id = opened["case_id"]
        times = {"existing": [], "unknown": []}
        for _ in range(3):
            for label, cid in (("existing", case_id), ("unknown", "c_" + "0" * 32)):
                t0 = time.time()
                status, _ = call("GET", f"{base}/v1/cases/{cid}", bearer="wrong-secret")
                times[label].append((time.time() - t0, status))
        print("timing: wrong secret, existing case: " + ", ".join(f"{t * 1000:.0f} ms ({s})" for t, s in times["existing"])
              + "; unknown case: " + ", ".join(f"{t * 1000:.0f} ms ({s})" for t, s in times["unknown"]))

        before = rss_kib(server.pid)
        statuses = {}
        long_id = "x" * 80_000
        for i in range(3_000):
            status, _ = call("GET", f"{base}/v1/cases/{long_id}{i}", bearer="wrong")
            statuses[status] = statuses.get(status, 0) + 1
        after = rss_kib(server.pid)
        print(f"throttle: 3000 wrong secrets on 80 KB ids -> {statuses}; server RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB")

        _, idle = raw(port, b"", timeout=120)
        _, half = raw(port, b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"hashes\"", timeout=120)
        print(f"sockets: an idle connection closed by the server after {idle:.1f} s, a half-sent request after {half:.1f} s")

        for label, sources in (("one address", ["127.0.0.2"]), ("40 addresses", [f"127.0.1.{i}" for i in range(1, 41)])):
            held = []
            cpu0 = cpu_seconds(server.pid)
            for i in range(2_000):
                try:
                    held.append(socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(sources[i % len(sources)], 0)))
                except OSError:
                    break
            time.sleep(0.5)
            open_now = 0
            for s in held:
                s.setblocking(False)
                try:
                    open_now += 1 if s.recv(1) != b"" else 0
                except BlockingIOError:
                    open_now += 1
                except OSError:
                    pass
            t0 = time.time()
            try:
                health = call("GET", base + "/healthz", timeout=10)[0]
            except Exception as error:  # noqa: BLE001
                health = f"no answer ({type(error).__name__})"
            waited = time.time() - t0
            time.sleep(2)
            cpu = (cpu_seconds(server.pid) - cpu0) / 2.5
            for s in held:
                s.close()
            print(f"flood from {label}: {len(held)} connections made, {open_now} still open after 0.5 s; /healthz from another "
                  f"address answered {health} in {waited:.2f} s; server CPU {cpu * 100:.0f}%")
            time.sleep(2)

        chunk = b" " * (1 << 20)
        body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(5)) + b"0\r\n\r\n"
        head = b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        print("http: chunked 5 MiB -> " + first_line(raw(port, head + body)[0]))
        print("http: bad chunk size -> " + first_line(raw(port, head + b"zz\r\n{}\r\n0\r\n\r\n")[0]))
        print("http: broken request line -> " + first_line(raw(port, b"GET /\x01 HTTP/9.9\r\n\r\n")[0]))
        big = b"POST /v1/cases HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 6000000\r\n\r\n"
        answer, seconds = raw(port, big + b" " * 6_000_000, timeout=30)
        print(f"http: 6 MB upload with Connection: close -> {first_line(answer)} (closed after {seconds:.2f} s)")
        print("http: PUT /v1/match -> " + first_line(raw(port, b"PUT /v1/match HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")[0]))
        print(f"server still running: {server.poll() is None}")


if __name__ == "__main__":
    main()
