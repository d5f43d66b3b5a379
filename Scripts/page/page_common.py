"""What the page scripts share: a `nccmatch serve` on a temporary bank, headless Chromium driven by Selenium
through Debian's chromedriver (nothing is downloaded: Selenium Manager is never asked), the DevTools network
record, and the hashes `nccmatch case submit` sends for a picture, computed by the CLI."""
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


def case_hashes_from_cli(record: dict) -> list:
    """The hashes `nccmatch case submit` sends for one picture, from its line of
    `nccmatch hash --mode exact --format jsonl --match-variants --pixel-dihedral --center-crops --straightened`
    (the order and de-duplication of Sources/nccmatch/Service/CasePictures.swift)."""
    quality = record["pdq_quality"]
    if quality < 50:
        return [{"algorithm": "md5", "value": record["md5"]}, {"algorithm": "sha256", "value": record["sha256"]}]
    hashes = [{"algorithm": "pdq", "value": record["pdq"], "quality": quality}]
    seen = {record["pdq"]}
    companions = list(record.get("pdq_pixel_dihedral", []))
    if record.get("unletterboxed"):
        companions.append(record["unletterboxed"]["pdq"])
    if record.get("pdq_caption_masked"):
        companions += [record["pdq_caption_masked"]["top"], record["pdq_caption_masked"]["bottom"]]
    if record.get("pdq_low_passed"):
        companions.append(record["pdq_low_passed"])
    companions += [crop["pdq"] for crop in record.get("pdq_center_crops", [])]
    companions += [turned["pdq"] for turned in record.get("pdq_straightened", [])]
    if record.get("pdq_corner_masked"):
        companions.append(record["pdq_corner_masked"])
    for value in companions:
        if value not in seen:
            seen.add(value)
            hashes.append({"algorithm": "pdq", "value": value, "quality": quality})
    hashes.append({"algorithm": "phash", "value": record["phash"]})
    hashes.append({"algorithm": "dhash", "value": record["dhash"]})
    hashes += [{"algorithm": "md5", "value": record["md5"]}, {"algorithm": "sha256", "value": record["sha256"]}]
    return hashes


def cli_hash(binary: str, paths) -> dict:
    """`nccmatch hash --mode exact` records by path."""
    out = subprocess.run([binary, "hash", "--mode", "exact", "--format", "jsonl", "--match-variants",
                          "--pixel-dihedral", "--center-crops", "--straightened", *paths], capture_output=True, text=True)
    records = {}
    for line in out.stdout.splitlines():
        record = json.loads(line)
        records[record["path"]] = record
    return records


def cli_video(binary: str, path: str) -> dict:
    """`nccmatch hash --format jsonl` of one video: its "vpdq" frames (pdq, quality, timestamp), md5 and sha256."""
    out = subprocess.run([binary, "hash", "--format", "jsonl", path], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[0])


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")
