"""What the page scripts share: a `nccmatch serve` on a temporary bank, headless Chromium driven by Selenium
through Debian's chromedriver (nothing is downloaded: Selenium Manager is never asked), the DevTools network
record, and the hashes a case stores for a picture, as the CLI states them (`nccmatch hash --set case`)."""
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

os.environ.setdefault("SE_AVOID_STATS", "true")

CHROMIUM = os.environ.get("NCCMATCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NCCMATCH_CHROMEDRIVER", "/usr/bin/chromedriver")


@contextlib.contextmanager
def running_server(binary: str, extra=()):
    """`nccmatch serve` on a free loopback port and a temporary data directory: yields (base URL, data dir)."""
    data = tempfile.mkdtemp(prefix="nccmatch-page-")
    process = subprocess.Popen(
        [binary, "serve", "--data", data, "--port", "0", "--secret-rounds", "1000", "--log-level", "warning",
         "--cases-per-hour", "3600000", "--case-burst", "1000", "--secret-failures", "1000", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"nccmatch serve did not start: {line!r}")
        base = line[line.index("http://"):].strip().rstrip("/")
        for _ in range(400):
            try:
                if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.025)
        yield base, data
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(data, ignore_errors=True)


def browser(width=1280, height=800, downloads=None, language="en-US"):
    """Headless Chromium with the performance log (every network request, with its body) switched on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--disable-domain-reliability", "--no-first-run",
                     "--disable-client-side-phishing-detection", "--disable-features=Translate,OptimizationHints,MediaRouter",
                     f"--window-size={width},{height}", f"--lang={language}"):
        options.add_argument(argument)
    prefs = {"intl.accept_languages": language}
    if downloads:
        prefs.update({"download.default_directory": downloads, "download.prompt_for_download": False})
    options.add_experimental_option("prefs", prefs)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Network.enable", {"maxPostDataSize": 64 << 20})
    if downloads:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver


class NetworkRecord:
    """Every request the browser made, from the performance log (Network.requestWillBeSent), bodies included."""

    def __init__(self, driver):
        self.driver = driver
        self.requests = []

    def drain(self):
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") != "Network.requestWillBeSent":
                continue
            params = message["params"]
            request = params["request"]
            body = request.get("postData")
            if body is None and request.get("hasPostData"):
                try:
                    body = self.driver.execute_cdp_cmd("Network.getRequestPostData", {"requestId": params["requestId"]})["postData"]
                except Exception:  # the body is gone: counted as unknown, which fails the check
                    body = "<unreadable body>"
            self.requests.append({"url": request["url"], "method": request["method"],
                                  "headers": request.get("headers", {}), "body": body})
        return self.requests


def cli_case_sets(binary: str, paths) -> dict:
    """What a case stores for each picture, by path, as the CLI states it:
    `nccmatch hash --set case --mode exact --format jsonl`. Each is a list of
    `{"kind", "algorithm", "value"[, "quality"]}` (the line's `hash` named `value`, as a case body names it), in
    the order `nccmatch case submit` sends them (Sources/nccmatch/Service/CasePictures.swift and `--set case`
    both list `MatchingPolicy.storedPDQKinds`, then `storedHash64`'s pHash and dHash, then MD5 and SHA-256):
    for a screenshot with its photo in app chrome, the photo's hashes (kinds `photo-region...`) in place of the
    screenshot's; MD5 and SHA-256 only for a picture too plain to be matched by its look. `--mode exact`, the
    decoding the page reproduces (`case submit` itself decodes JPEGs in fast mode)."""
    out = subprocess.run([binary, "hash", "--set", "case", "--mode", "exact", "--format", "jsonl", *paths],
                         capture_output=True, text=True)
    sets = {}
    for line in out.stdout.splitlines():
        record = json.loads(line)
        if record.get("set") != "case":
            raise RuntimeError(f"`nccmatch hash --set case` printed a line of another set: {line[:200]}")
        hashes = []
        for h in record["hashes"]:
            entry = {"kind": h["kind"], "algorithm": h["algorithm"], "value": h["hash"]}
            if "quality" in h:
                entry["quality"] = h["quality"]
            hashes.append(entry)
        sets[record["path"]] = {"hashes": hashes, "error": record.get("error")}
    return sets


def without_kinds(hashes) -> list:
    """The hashes as a case body holds them: algorithm, value and, for PDQ, quality (no kind, no picture number)."""
    return [{k: v for k, v in h.items() if k not in ("kind", "image")} for h in hashes]


def cli_video(binary: str, path: str) -> dict:
    """`nccmatch hash --format jsonl` of one video: its "vpdq" frames (pdq, quality, timestamp), md5 and sha256."""
    out = subprocess.run([binary, "hash", "--format", "jsonl", path], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[0])


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")
