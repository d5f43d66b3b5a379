#!/usr/bin/env python3
"""A StopNCII partner API replayed on loopback, for measurements: serves N generated hash records through
`GET /v1/FetchHashes` in pages (pageSize as asked, at most 800 as the real API), and counts what arrives at
`POST /v1/SubmitFeedback`.

The formats are those of Meta's pytx client (facebook/ThreatExchange,
python-threatexchange/threatexchange/exchanges/clients/stopncii/api.py: FetchHashesResponse, StopNCIIHashRecord,
SubmitFeedbackRequest); the records are generated, never real hashes. Record i is an `ImagePDQ` whose value is
128 bits of the SHA-256 of "record:<seed>:<i>" followed by their complement (128 of 256 bits set), status `Active`, one case number, lastModtimestamp
1000 + i. `--malformed-every K` makes every K-th record a 32-character PDQ (as once broke HMA's index builds).
`/control/withdraw?i=<index>` appends a later `Withdrawn` record for record i (served to the next run);
`/control/stats` answers {"pages": ..., "feedback": {hash: count}}.

Usage: stopncii_replay.py --port P [--records 1000000] [--seed 1] [--malformed-every 0]
Serves until killed. Used by Scripts/measure/exchange_feed.py."""
import argparse
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--records", type=int, default=1_000_000)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--malformed-every", type=int, default=0)
parser.add_argument("--fetch-key", default="fetch-key")
parser.add_argument("--subscription-key", default="subscription-key")
parser.add_argument("--pregenerate", action="store_true",
                    help="make every page of 800 before serving, so a measurement times nccmatch, not this script")
args = parser.parse_args()

lock = threading.Lock()
state = {"pages": 0, "feedback": {}, "later": []}  # later: extra records appended after the generated ones


def value(i):
    """128 pseudo-random bits and their complement: 128 of 256 bits set, as every real picture's PDQ has."""
    half = int(hashlib.sha256(f"record:{args.seed}:{i}".encode()).hexdigest()[:32], 16)
    return "%032x%032x" % (half, half ^ ((1 << 128) - 1))


def record(i):
    later = state["later"]
    if i >= args.records:
        return later[i - args.records]
    v = value(i)
    if args.malformed_every and i % args.malformed_every == args.malformed_every - 1:
        v = v[:32]
    return {"signalType": "ImagePDQ", "hashValue": v, "hashStatus": "Active", "caseNumbers": {f"case-{i}": "Active"},
            "CSPFeedbacks": [], "lastModtimestamp": 1000 + i}


def page_body(records, first, last, total):
    more = last < total
    return {"count": len(records), "hashRecords": records, "nextPageToken": str(last) if more else None,
            "nextSetTimestamp": 1000 + last, "hasMoreRecords": more}


pages = {}
if args.pregenerate:
    for first in range(0, args.records, 800):
        last = min(args.records, first + 800)
        pages[first] = json.dumps(page_body([record(i) for i in range(first, last)], first, last, args.records)).encode()
    print("ready", flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        return self.headers.get("Ocp-Apim-Subscription-Key") == args.subscription_key

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/control/stats":
            with lock:
                return self.reply(200, {"pages": state["pages"], "feedback": state["feedback"]})
        if url.path == "/control/withdraw":
            i = int(q["i"])
            with lock:
                n = args.records + len(state["later"])
                state["later"].append({"signalType": "ImagePDQ", "hashValue": value(i), "hashStatus": "Withdrawn",
                                       "caseNumbers": {f"case-{i}": "Withdrawn"}, "CSPFeedbacks": [],
                                       "lastModtimestamp": 1000 + n})
            return self.reply(200, {"ok": True})
        if url.path != "/v1/FetchHashes":
            return self.reply(404, {"message": "not found"})
        if not self.authorized() or self.headers.get("x-functions-key") != args.fetch_key:
            return self.reply(401, {"message": "Access denied due to invalid subscription key."})
        start = int(q.get("startTimestamp", "10"))
        size = min(int(q.get("pageSize", "800")), 800)
        with lock:
            total = args.records + len(state["later"])
            # A run covers records whose lastModtimestamp >= start; the token is the next index.
            first = int(q["nextPageToken"]) if "nextPageToken" in q else max(0, start - 1000)
            last = min(total, first + size)
            state["pages"] += 1
            ready = pages.get(first) if size == 800 and not state["later"] else None
        if ready is not None:
            return self.send_bytes(ready)
        records = [record(i) for i in range(first, last)]
        self.reply(200, page_body(records, first, last, total))

    def send_bytes(self, data):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if url.path != "/v1/SubmitFeedback":
            return self.reply(404, {"message": "not found"})
        if not self.authorized():
            return self.reply(401, {"message": "Access denied due to invalid subscription key."})
        with lock:
            for item in body.get("hashFeedbacks", []):
                key = f'{item["hashValue"]}:{item["feedbackValue"]}'
                state["feedback"][key] = state["feedback"].get(key, 0) + 1
        self.reply(200, {})


ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
