"""Helpers for the service measurements: start `nccmatch serve`, talk JSON over HTTP (standard library only)."""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER = os.path.join(ROOT, "Scripts", "postgres-cluster.sh")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(directory):
    """Starts a throwaway PostgreSQL cluster in `directory` on a free port; returns its URL."""
    return subprocess.run([CLUSTER, "start", directory, str(free_port())],
                          check=True, capture_output=True, text=True).stdout.strip()


def start_server(binary, data, extra=()):
    """Starts `nccmatch serve` on a free port; returns (process, base URL) once /readyz answers 200 (a /readyz that
    times out, as while a large index is built, is waited out)."""
    process = subprocess.Popen([binary, "serve", "--data", data, "--port", "0", "--log-level", "warning", *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = process.stdout.readline().decode()
    if "listening on" not in line:
        raise RuntimeError(f"server did not start: {line!r}")
    base = line.split("listening on ", 1)[1].strip()
    for _ in range(6000):
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return process, base
        except OSError:  # refused, reset or timed out (URLError and socket timeouts are OSErrors)
            pass
        time.sleep(0.05)
    process.terminate()
    raise RuntimeError("server never became ready")


@contextlib.contextmanager
def temporary_server(binary, extra=(), prefix="nccmatch-"):
    """`nccmatch serve` on a temporary data directory: yields (process, base URL, data directory); stops the
    server and removes the directory afterwards, however the block ends."""
    work = tempfile.mkdtemp(prefix=prefix)
    data = os.path.join(work, "data")
    server = None
    try:
        server, base = start_server(binary, data, extra)
        yield server, base, data
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


def call(method, url, body=None, bearer=None, timeout=120, headers=None):
    """Returns (status, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if bearer:
        request.add_header("Authorization", "Bearer " + bearer)
    def parse(data):
        try:
            return json.loads(data or b"null")
        except ValueError:
            return data.decode(errors="replace")  # a plain-text answer (/healthz, /metrics)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, parse(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, parse(error.read())


def add_platform(binary, data, name):
    out = subprocess.run([binary, "admin", "platform", "add", name, "--data", data], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def random_pdq(rng):
    """A random PDQ value with 128 of its 256 bits set, as every real picture's PDQ has (the bank refuses
    values no picture gives)."""
    value = sum(1 << i for i in rng.sample(range(256), 128))
    return "%064x" % value


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def write_match_lua(work, bodies, key):
    """Writes the match bodies and a wrk script that posts them in turn to /v1/match with `key`, counting
    non-200 answers; its `done` prints NON200, P50/P90/P99/P99.9 (ms), REQUESTS, SECONDS and SOCKET_ERRORS.
    Returns the script's path."""
    body_dir = os.path.join(work, "bodies")
    os.makedirs(body_dir, exist_ok=True)
    for i, body in enumerate(bodies):
        with open(os.path.join(body_dir, f"{i}.json"), "w") as f:
            f.write(body)
    lua = os.path.join(work, "match.lua")
    with open(lua, "w") as f:
        f.write(f"""
local bodies = {{}}
local n = 0
errors = 0
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args)
  for i = 0, {len(bodies) - 1} do
    local file = io.open("{body_dir}/" .. i .. ".json", "r")
    bodies[i] = file:read("*a")
    file:close()
  end
end
function request()
  n = n + 1
  return wrk.format("POST", "/v1/match", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {key}"}}, bodies[n % {len(bodies)}])
end
function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("errors") end
  io.write(string.format("NON200 %d\\n", bad))
  for _, p in ipairs({{50, 90, 99, 99.9}}) do io.write(string.format("P%s %.1f\\n", p, latency:percentile(p) / 1000)) end
  io.write(string.format("REQUESTS %d\\nSECONDS %.2f\\nSOCKET_ERRORS %d\\n", summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status))
end
""")
    return lua
