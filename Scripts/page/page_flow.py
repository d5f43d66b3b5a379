#!/usr/bin/env python3
"""The person's page, end to end, in headless Chromium against a real `nccmatch serve`.

    SE_AVOID_STATS=true /tmp/page-venv/bin/python Scripts/page/page_flow.py --binary .build/debug/nccmatch \
        [--screenshots docs/page]

Starts its own server on a temporary bank (the binary's `serve`), then drives the page as a person would:
chooses the pictures of Samples/images plus a JPEG with an EXIF rotation and a PNG with transparent parts (made
by test_pictures.py) and a phone screenshot of Samples' coffee photo in app chrome (made with ffmpeg), opens a
case, saves the secret as a text file, checks the status, has a platform match a re-encoded copy and report
it removed, checks again, withdraws; then bad input (a text file, a damaged JPEG, a flat picture, a
100-megapixel picture, the bank unreachable). Every request the browser makes is recorded through the
DevTools protocol, and the script asserts:

- no request carries picture bytes: every body is the hash JSON (no multipart, nothing over 64 KB, only
  `{"hashes": [...]}` with hash fields), and no request goes to another origin;
- the hashes sent equal what the CLI says a case stores (`nccmatch hash --set case --mode exact`, through
  page_common.cli_case_sets) on PNGs, and are within 4 bits on JPEGs (browser decoders differ slightly); quality
  equal or within 1;
- among the pictures, a phone screenshot (a photo inside app chrome, made with ffmpeg by phone_screenshot) that
  the CLI finds a screenshot of (its case stores the photo's hashes, kinds `photo-region...`): the page sends
  exactly that list, in order, not the screenshot's own hashes;
- the case matches a re-encoded copy through `nccmatch match --server`, and no longer after withdrawal;
- status and withdrawal work, and every answer of the page carries the Content-Security-Policy;
- a video (a 29.97 fps H.264 clip made with ffmpeg from Samples/images) is sampled by the browser at one frame a
  second and only its frames' fingerprints are sent (no byte of the video), the same frames at the same times as
  `nccmatch hash`, each PDQ within 4 bits; the case matches a re-encoded half-size copy (hashed by
  `nccmatch hash`, asked with `POST /v1/match`) and no longer after withdrawal; a file named .mp4 that is not a video is exact-only;
- the same video, four copies chosen at once, sampled while the renderer's video compositor thread is starved of
  CPU (niced, pinned to one CPU beside busy processes: the load under which a slow phone or a loaded CI machine
  leaves the previous frame on show after `seeked`) still gives the same frames at the same times as `nccmatch hash`;
- every language file has every key of en.json, with the same {placeholders};
- every colour pair of page.css meets WCAG AA (contrast.py), and the main path works with the keyboard only
  (Tab to every control, Enter to work it).

Exit status 0 when every check passed; each failure is printed as `FAIL: ...`.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contrast  # noqa: E402
import page_common  # noqa: E402
import test_pictures  # noqa: E402

ROOT = page_common.os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SITE = os.path.join(ROOT, "Sources/NCCServer/Page/Site")
CSP = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' blob:; media-src blob:; "
       "style-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SIZES = [(390, 844), (1280, 800)]

failures = []


def check(condition, message):
    if condition:
        print(f"ok: {message}")
    else:
        print(f"FAIL: {message}")
        failures.append(message)
    return condition


def wait(driver, predicate, timeout=60, what="the page"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate(driver)
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


def by_id(driver, element_id):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, element_id)


def visible_step(driver):
    return driver.execute_script("return [...document.querySelectorAll('main > section.step')].find(s => !s.hidden)?.id")


def screenshot(driver, folder, name):
    """Full-page screenshots of the current step at a phone's and a laptop's size."""
    if not folder:
        return
    import base64
    os.makedirs(folder, exist_ok=True)
    for width, height in SIZES:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        time.sleep(0.2)
        wide = driver.execute_script("return document.documentElement.scrollWidth")
        check(wide <= width, f"{name} at {width}x{height}: nothing is wider than the screen (the page is {wide} px wide)")
        content = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": max(height, content), "deviceScaleFactor": 1, "mobile": width < 600})
        time.sleep(0.2)
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(os.path.join(folder, f"{name}-{width}x{height}.png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    time.sleep(0.1)


def choose(driver, paths):
    from selenium.webdriver.common.by import By
    driver.find_element(By.ID, "pictures").send_keys("\n".join(paths))
    wait(driver, lambda d: d.execute_script(
        "const items = document.querySelectorAll('#picture-list li');"
        f"return items.length >= {len(paths)} && [...items].every(li => li.dataset.state !== 'working')"),
        timeout=180, what="the pictures to be hashed")


def picture_states(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#picture-list li')].map(li => [li.querySelector('.picture-name').textContent,"
        " li.dataset.state, li.querySelector('[data-testid=picture-state]')?.textContent || ''])")


def check_headers(base, version):
    def get(path):
        try:
            response = urllib.request.urlopen(base + path, timeout=10)
            return response.status, dict((k.lower(), v) for k, v in response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict((k.lower(), v) for k, v in error.headers.items()), error.read()
    status, headers, body = get("/")
    check(status == 200 and headers.get("content-type", "").startswith("text/html"), "GET / answers the page as HTML")
    check(headers.get("content-security-policy") == CSP, "GET / carries the strict Content-Security-Policy")
    check(headers.get("x-content-type-options") == "nosniff" and headers.get("referrer-policy") == "no-referrer",
          "GET / carries nosniff and no-referrer")
    check(headers.get("cache-control") == "no-cache", "index.html is no-cache")
    check(b"@SITE_VERSION@" not in body and f"app.js?v={version}".encode() in body, "index.html names its assets with the site version")
    for path, kind in (("/app.js", "text/javascript"), ("/page.css", "text/css"), ("/i18n/en.json", "application/json"),
                       ("/hash-worker.js", "text/javascript"), ("/hashcore.wasm", "application/wasm")):
        status, headers, _ = get(f"{path}?v={version}")
        if path == "/hashcore.wasm" and status == 404:
            check(False, "hashcore.wasm is served (the WebAssembly core has not landed in Site/)")
            continue
        check(status == 200 and headers.get("content-type", "").startswith(kind), f"{path} is served as {kind}")
        check(headers.get("content-security-policy") == CSP, f"{path} carries the CSP")
        check("immutable" in headers.get("cache-control", ""), f"{path}?v=<current version> is cached as immutable")
    status, headers, _ = get("/app.js?v=old")
    check(headers.get("cache-control") == "no-cache", "an asset asked with another version is not cached for long")
    for path in ("/../Package.swift", "/%2e%2e/Package.swift", "/i18n/%2e%2e/%2e%2e/PageSite.swift", "/Page/Site/index.html", "/.gitignore"):
        status, _, body = get(path)
        check(status == 404 and b"Package" not in body, f"{path} is not reachable (answered {status})")
    status, headers, body = get("/page-settings.json")
    settings = json.loads(body)
    check(status == 200 and settings.get("bank_name") and len(settings.get("languages", [])) >= 6,
          "page-settings.json gives the bank name and the languages")
    status, headers, body = get("/v1/openapi.json")
    check(status == 200, "the API is still served beside the page")


def check_languages():
    files = sorted(glob.glob(os.path.join(SITE, "i18n", "*.json")))
    english = json.load(open(os.path.join(SITE, "i18n", "en.json"), encoding="utf-8"))
    placeholders = lambda text: sorted(set(re.findall(r"\{(\w+)\}", text)))
    check(len(files) >= 6, f"{len(files)} language files (en, it, es, fr, de, pt at least)")
    for path in files:
        strings = json.load(open(path, encoding="utf-8"))
        name = os.path.basename(path)
        missing = sorted(set(english) - set(strings))
        extra = sorted(set(strings) - set(english))
        check(not missing and not extra, f"{name} has every key of en.json and no other (missing {missing[:5]}, extra {extra[:5]})")
        wrong = [k for k in english if k in strings and placeholders(english[k]) != placeholders(strings[k])]
        check(not wrong, f"{name} keeps every placeholder ({wrong[:5]})")
        empty = [k for k, v in strings.items() if not str(v).strip()]
        check(not empty, f"{name} has no empty string ({empty[:5]})")


def check_network(requests, base, sent_bodies):
    origin = base.rstrip("/")
    others = [r["url"] for r in requests if not (r["url"].startswith(origin + "/") or r["url"].startswith(("blob:", "data:")))]
    check(not others, f"no request to another origin ({others[:3]})")
    for r in requests:
        content_type = {k.lower(): v for k, v in r["headers"].items()}.get("content-type", "")
        if r["body"] is None:
            continue
        check("multipart" not in content_type, f"{r['method']} {r['url']} is not multipart")
        check(len(r["body"]) < 64 * 1024, f"{r['method']} {r['url']} body is {len(r['body'])} bytes (hash JSON only)")
        try:
            body = json.loads(r["body"])
        except ValueError:
            check(False, f"{r['method']} {r['url']} body is JSON")
            continue
        ok = set(body) == {"hashes"} and all(set(h) <= {"algorithm", "value", "quality", "image", "frames"} for h in body["hashes"])
        ok = ok and all(re.fullmatch(r"[0-9a-f]+", h["value"]) and len(h["value"]) <= 64 for h in body["hashes"] if "frames" not in h)
        # A video is its frames' fingerprints only: 64 hex, a quality, a time; nothing else of it.
        ok = ok and all(h["algorithm"] == "vpdq" and "value" not in h and all(
            set(f) == {"pdq", "quality", "timestamp"} and re.fullmatch(r"[0-9a-f]{64}", f["pdq"]) for f in h["frames"])
            for h in body["hashes"] if "frames" in h)
        check(ok, f"{r['method']} {r['url']} body holds hash fields only ({len(body.get('hashes', []))} hashes)")
        sent_bodies.append(body)
    posts = [r for r in requests if r["method"] not in ("GET",)]
    check(all(r["url"].startswith(origin + "/v1/cases") for r in posts), "the only non-GET requests are the case endpoints")


def compare_hashes(sent, expected, name, is_png):
    """Compares one picture's sent hashes with the CLI's, by role."""
    sent_by = {}
    for h in sent:
        sent_by.setdefault(h["algorithm"], []).append(h)
    exp_by = {}
    for h in expected:
        exp_by.setdefault(h["algorithm"], []).append(h)
    for algorithm in ("md5", "sha256"):
        check([h["value"] for h in sent_by.get(algorithm, [])] == [h["value"] for h in exp_by.get(algorithm, [])],
              f"{name}: {algorithm} equal to the CLI")
    if "pdq" not in exp_by:
        check("pdq" not in sent_by, f"{name}: no PDQ sent for a picture the CLI sends none for")
        return {}
    tolerance = 0 if is_png else 4
    distances = {}
    sent_pdq = sent_by.get("pdq", [])
    primary = hamming(sent_pdq[0]["value"], exp_by["pdq"][0]["value"]) if sent_pdq else 256
    distances["pdq"] = primary
    check(primary <= tolerance, f"{name}: PDQ {primary} bits from the CLI (allowed {tolerance})")
    q_sent, q_cli = sent_pdq[0]["quality"] if sent_pdq else -1, exp_by["pdq"][0]["quality"]
    check(abs(q_sent - q_cli) <= (0 if is_png else 1), f"{name}: quality {q_sent} vs CLI {q_cli}")
    for algorithm in ("phash", "dhash"):
        d = hamming(sent_by[algorithm][0]["value"], exp_by[algorithm][0]["value"]) if algorithm in sent_by else 64
        distances[algorithm] = d
        check(d <= tolerance, f"{name}: {algorithm} {d} bits from the CLI (allowed {tolerance})")
    if is_png:
        check([h["value"] for h in sent_pdq] == [h["value"] for h in exp_by["pdq"]],
              f"{name}: every PDQ (dihedral, companions, centre crops) equal to `case submit`'s, in its order ({len(sent_pdq)})")
    else:
        worst = max((min(hamming(e["value"], s["value"]) for s in sent_pdq) for e in exp_by["pdq"]), default=256)
        check(len(sent_pdq) == len(exp_by["pdq"]) and worst <= 4,
              f"{name}: {len(sent_pdq)} PDQs vs the CLI's {len(exp_by['pdq'])}, each within {worst} bits")
    return distances


def phone_screenshot(photo_png: str, out: str):
    """A phone screenshot of `photo_png` posted in a photo-sharing app, made with ffmpeg (no fixture in git):
    a 720 x 1560 white canvas with a status bar (clock, signal, battery), a post header (avatar, name, menu
    dots), the photo at the screen's full width, an action bar (four icons), three lines of caption "text",
    and a bottom navigation bar of five icons. `nccmatch hash --set case` finds the photo inside it, so a case
    stores the photo's hashes (kinds `photo-region...`), not the screenshot's."""
    with open(photo_png, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{photo_png} is not a PNG"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    top = 148
    below = top + round(720 * height / width / 2) * 2 + 22  # the photo's height after scale=720:-2
    ink, grey = "0x262626", "0x737373"
    boxes = [(36, 14, 64, 22, ink, "fill"),                                        # clock
             *[(560 + 9 * i, 34 - 5 * (i + 1), 6, 5 * (i + 1), ink, "fill") for i in range(4)],  # signal
             (646, 14, 44, 22, ink, "3"), (650, 18, 30, 14, ink, "fill"),       # battery
             (36, 70, 60, 60, "0xd62976", "4"), (44, 78, 44, 44, grey, "fill"),  # avatar
             (112, 86, 190, 26, ink, "fill"),                                    # name
             *[(656 + 14 * i, 96, 8, 8, ink, "fill") for i in range(3)],        # menu dots
             (28, below, 36, 32, ink, "4"), (92, below, 36, 32, ink, "4"),      # action bar
             (150, below, 34, 30, ink, "4"), (660, below - 2, 26, 36, ink, "4"),
             (24, below + 60, 240, 24, ink, "fill"), (24, below + 100, 660, 24, ink, "fill"),  # caption
             (24, below + 136, 420, 24, ink, "fill"), (24, below + 176, 300, 22, grey, "fill"),
             (0, 1456, 720, 1, grey, "fill"),                                    # navigation bar
             *[(52 + 144 * i, 1486, 40, 40, ink, "4") for i in range(5)]]
    draw = ",".join(f"drawbox=x={x}:y={y}:w={w}:h={h}:c={c}:t={t}" for x, y, w, h, c, t in boxes)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=white:s=720x1560", "-i", photo_png,
                    "-filter_complex", f"[1:v]scale=720:-2:flags=lanczos[photo];[0:v][photo]overlay=0:{top},format=rgb24,{draw}",
                    "-frames:v", "1", out], check=True)
    return out


def match_refs(output):
    """The match references in `nccmatch match --server` output (JSON lines; a match's id is its reference)."""
    refs = []
    for line in output.splitlines():
        for match in json.loads(line).get("matches", []):
            refs.append(match.get("match_ref") or match.get("id"))
    return refs


def hamming(a, b):
    return page_common.hamming(a, b)


def tab_to(driver, element_id, limit=60, backwards=False):
    """Presses Tab (Shift+Tab when backwards; keys only) until the element (an id, or "skip" for the skip
    link) has the focus; False when it never does."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    focused = lambda: driver.execute_script(
        "const e = document.activeElement; return e && (e.className === 'skip' ? 'skip' : e.id)") == element_id
    for _ in range(limit):
        if focused():
            return True
        if backwards:
            ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            ActionChains(driver).send_keys(Keys.TAB).perform()
    return focused()


def press(driver, key):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).send_keys(key).perform()


def keyboard_pass(driver, base, picture):
    """The main path with the keyboard only: every control on it is reached with Tab and worked with Enter or
    Space (choosing the file itself is the browser's own dialog, given the path as Selenium can)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    driver.get(base + "/")
    wait(driver, lambda d: visible_step(d) == "step-welcome")
    check(tab_to(driver, "skip"), "keys: the skip link is reached with Tab")
    check(tab_to(driver, "language"), "keys: the language menu is reached with Tab")
    check(tab_to(driver, "go-status"), "keys: 'I already have a case number' is reached with Tab")
    check(tab_to(driver, "start"), "keys: 'Choose pictures' is reached with Tab")
    press(driver, Keys.ENTER)
    wait(driver, lambda d: visible_step(d) == "step-choose", what="the choose step by Enter")
    check(tab_to(driver, "pictures"), "keys: the file chooser is reached with Tab")
    by_id(driver, "pictures").send_keys(picture)
    wait(driver, lambda d: d.execute_script("return [...document.querySelectorAll('#picture-list li')].every(li => li.dataset.state === 'ready') && document.querySelectorAll('#picture-list li').length === 1"),
         timeout=120, what="the picture chosen by keys")
    check(tab_to(driver, "to-confirm"), "keys: Continue is reached with Tab")
    press(driver, Keys.ENTER)
    wait(driver, lambda d: visible_step(d) == "step-confirm", what="the confirm step by Enter")
    check(tab_to(driver, "send"), "keys: 'Send the fingerprints' is reached with Tab")
    press(driver, Keys.ENTER)
    case_id = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=case-id]").text.strip(), what="the case by keys")
    for element_id in ("copy-id", "copy-secret", "save-file", "to-status"):
        check(tab_to(driver, element_id), f"keys: {element_id} is reached with Tab")
    press(driver, Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "status-state").get_attribute("data-state") == "active", what="the status by Enter")
    for element_id in ("status-id", "status-secret", "check", "status-back"):
        check(tab_to(driver, element_id), f"keys: {element_id} is reached with Tab")
    check(tab_to(driver, "withdraw"), "keys: 'Withdraw my case' is reached with Tab")
    press(driver, Keys.ENTER)
    check(driver.execute_script("return document.activeElement.id") == "withdraw-no",
          "keys: asking to withdraw puts the focus on 'No, keep my case'")
    press(driver, Keys.ENTER)
    check(by_id(driver, "withdraw-confirm").is_displayed() is False and driver.execute_script("return document.activeElement.id") == "withdraw",
          "keys: 'No' closes the question and gives the focus back")
    press(driver, Keys.ENTER)
    check(tab_to(driver, "withdraw-yes", limit=3, backwards=True), "keys: 'Yes, withdraw my case' is reached with Shift+Tab")
    press(driver, Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "status-state").get_attribute("data-state") == "withdrawn", what="the withdrawal by keys")
    check(case_id.startswith("c_"), "keys: a case opened, was shown and withdrawn with the keyboard only")


def make_videos(folder):
    """The page's test videos, made with ffmpeg from Samples/images: a clip panning over two sample pictures at
    29.97 frames a second (H.264 with B-frames, x264 defaults: no frame falls on a whole second after 0, so the
    page must find the first frame after each second as the CLI does), the copy a platform would see (half the
    size, re-encoded at a lower quality), and a file named .mp4 that is not a video."""
    images = os.path.join(ROOT, "Samples/images")
    pan = ("scale=960:540:force_original_aspect_ratio=increase,crop=640:360:x='(iw-640)*t/3':y='(ih-360)*t/6',"
           "setsar=1,fps=30000/1001,format=yuv420p")
    clip = os.path.join(folder, "call-recording.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y",
                    "-loop", "1", "-t", "3", "-i", os.path.join(images, "scikit-image__astronaut.png"),
                    "-loop", "1", "-t", "3", "-i", os.path.join(images, "scikit-image__coffee.png"),
                    "-filter_complex", f"[0:v]{pan}[a];[1:v]{pan}[b];[a][b]concat=n=2:v=1:a=0[v]", "-map", "[v]",
                    "-c:v", "libx264", "-preset", "veryfast", clip], check=True)
    upload = os.path.join(folder, "video-upload.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", clip, "-vf", "scale=320:-2", "-c:v", "libx264",
                    "-crf", "32", "-preset", "veryfast", upload], check=True)
    broken = os.path.join(folder, "not-a-video.mp4")
    with open(broken, "wb") as f:
        f.write(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    return clip, upload, broken


def match_video(base, key, frames):
    """The matches `POST /v1/match` gives a video item of `frames` (the CLI's "vpdq" array)."""
    body = {"items": [{"id": "upload-1", "algorithm": "vpdq", "frames": frames}]}
    request = urllib.request.Request(base + "/v1/match", method="POST", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        answer = json.load(urllib.request.urlopen(request, timeout=30))
    except urllib.error.HTTPError as error:
        check(False, f"POST /v1/match with a video item answers {error.code}: {error.read()[:300]!r}")
        return []
    return [m for result in answer.get("results", []) for m in result.get("matches", [])]


def video_pass(driver, record, base, data, binary, work, shots):
    """A video: sampled and hashed on the device, only its frames' fingerprints sent (equal to `nccmatch hash`'s),
    a case opened, a platform's re-encoded copy matched through `nccmatch match --server`, then withdrawn."""
    from selenium.webdriver.common.by import By
    clip, upload, broken = make_videos(work)
    cli = page_common.cli_video(binary, clip)
    driver.get(base + "/")
    wait(driver, lambda d: visible_step(d) == "step-welcome")
    seen = len(record.drain())  # the record keeps every request of the run: only the ones after this count here
    by_id(driver, "start").click()
    started = time.time()
    choose(driver, [clip, broken])
    print(f"sampled and hashed a {len(cli['vpdq'])}-second video in {time.time() - started:.2f} s")
    states = {name: (state, text) for name, state, text in picture_states(driver)}
    check(states["call-recording.mp4"][0] == "ready" and f"{len(cli['vpdq'])} frames will be sent, never the video" in states["call-recording.mp4"][1],
          f"a video: {states['call-recording.mp4']}")
    check(states["not-a-video.mp4"][0] == "exactOnly" and "could not play this video" in states["not-a-video.mp4"][1],
          f"a file named .mp4 that is not a video: {states['not-a-video.mp4']}")
    screenshot(driver, shots, "12-video-chosen")
    driver.find_element(By.CSS_SELECTOR, "li[data-state=exactOnly] .picture-actions button").click()
    by_id(driver, "to-confirm").click()
    wait(driver, lambda d: visible_step(d) == "step-confirm")
    by_id(driver, "send").click()
    case_id = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=case-id]").text.strip(), what="the video case")
    check(case_id.startswith("c_"), "a case opened with a video")
    bodies = []
    check_network(record.drain()[seen:], base, bodies)
    check(len(bodies) == 1, f"one request opened the video case ({len(bodies)})")
    sent = bodies[0]["hashes"] if bodies else []
    video = [h for h in sent if h["algorithm"] == "vpdq"]
    check(len(video) == 1 and video[0].get("image") == 0, "the video went as one vpdq item")
    frames = video[0]["frames"] if video else []
    expected = cli["vpdq"]
    check(len(frames) == len(expected), f"the page sampled {len(frames)} frames, `nccmatch hash` {len(expected)}")
    check(all(abs(a["timestamp"] - b["timestamp"]) < 0.0015 for a, b in zip(frames, expected)),
          f"the frames are those of the same presentation times ({[f['timestamp'] for f in frames]} vs {[f['timestamp'] for f in expected]})")
    distances = [hamming(a["pdq"], b["pdq"]) for a, b in zip(frames, expected)]
    # Chromium and nccmatch decode H.264 with FFmpeg's decoder and the page hashes the frame's own luma, so the
    # hashes are equal here (docs/page.md); a browser with another decoder would be a few bits away.
    check(distances and max(distances) <= 4 and all(abs(a["quality"] - b["quality"]) <= 1 for a, b in zip(frames, expected)),
          f"every frame's PDQ within 4 bits of the CLI's and quality within 1 ({distances})")
    print(f"video frames: PDQ distances to nccmatch hash {distances}")
    exact = {h["algorithm"]: h["value"] for h in sent if h["algorithm"] in ("md5", "sha256")}
    check(exact == {"md5": cli["md5"], "sha256": cli["sha256"]}, "the video's MD5 and SHA-256 equal the CLI's")

    key = subprocess.run([binary, "admin", "platform", "add", "video-platform", "--data", data],
                         capture_output=True, text=True, check=True).stdout.split()[0]
    # The platform hashes its upload with `nccmatch hash` and asks POST /v1/match with the video item.
    upload_frames = page_common.cli_video(binary, upload)["vpdq"]
    matches = match_video(base, key, upload_frames)
    check(len(matches) == 1 and matches[0].get("query_match_percent", 0) >= 80 and matches[0].get("bank_match_percent", 0) >= 80,
          f"POST /v1/match finds a platform's re-encoded, half-size copy of the video in the case, both shares at least 80% ({matches})")
    by_id(driver, "to-status").click()
    wait(driver, lambda d: d.find_element(By.ID, "status-state").get_attribute("data-state") == "active", what="the video case's status")
    listed = by_id(driver, "status-pictures").text
    check("Video 1 (call-recording.mp4)" in listed, f"the status names the video ({listed!r})")
    by_id(driver, "withdraw").click()
    wait(driver, lambda d: d.find_element(By.ID, "withdraw-confirm").is_displayed())
    by_id(driver, "withdraw-yes").click()
    wait(driver, lambda d: d.find_element(By.ID, "status-state").get_attribute("data-state") == "withdrawn", what="the video withdrawal")
    check(not match_video(base, key, upload_frames), "after withdrawal the video's copy no longer matches")
    check_network(record.drain(), base, [])


class CompositorLoad:
    """CPU pressure where the page's video sampling feels it: Chromium's renderer hands a seeked frame to its
    video compositor thread ("VideoFrameCompositor", shown as "VideoFrameCompo" in /proc), and the page reads the
    frame on show after `seeked`. While this runs, that thread (in every renderer, as it appears) is niced to 19 and
    pinned to one CPU on which two busy processes run, so it gets about 1% of that CPU: the element keeps the
    previous position's frame for a while after `seeked`, as it does on a slow phone or a loaded CI machine (the
    failure this reproduces: frames at 0, 1.001, 2.236, 4.204, 5.973 s instead of 0, 1.001, 2.002, ...). Linux
    only (/proc); a few seconds of two busy processes. `starved` counts the threads it reached."""

    NAME = "VideoFrameCompo"

    def __init__(self):
        import threading
        self.cpu = max(os.sched_getaffinity(0))
        self.starved = {}
        self.stopping = threading.Event()
        # Each busy process ends by itself when this script is gone or after two minutes, whatever happens here.
        busy = (f"import os, time\nos.sched_setaffinity(0, {{{self.cpu}}})\nparent, end = os.getppid(), time.monotonic() + 120\n"
                "while os.getppid() == parent and time.monotonic() < end: pass")
        self.busy = [subprocess.Popen([sys.executable, "-c", busy]) for _ in range(2)]
        self.watcher = threading.Thread(target=self.watch, daemon=True)
        self.watcher.start()

    @classmethod
    def threads(cls):
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if b"--type=renderer" not in open(f"/proc/{pid}/cmdline", "rb").read():
                    continue
                for tid in os.listdir(f"/proc/{pid}/task"):
                    if open(f"/proc/{pid}/task/{tid}/comm").read().strip() == cls.NAME:
                        yield int(tid)
            except OSError:
                continue

    def watch(self):
        while not self.stopping.is_set():
            for tid in self.threads():
                if tid in self.starved:
                    continue
                try:
                    self.starved[tid] = (os.sched_getaffinity(tid), os.getpriority(os.PRIO_PROCESS, tid))
                    os.sched_setaffinity(tid, {self.cpu})
                    os.setpriority(os.PRIO_PROCESS, tid, 19)
                except OSError:
                    pass
            self.stopping.wait(0.005)

    def stop(self):
        self.stopping.set()
        self.watcher.join()
        for process in self.busy:
            process.kill()
            process.wait()
        for tid, (cpus, nice) in self.starved.items():
            try:
                os.sched_setaffinity(tid, cpus)
                os.setpriority(os.PRIO_PROCESS, tid, nice)
            except OSError:
                pass  # the thread has ended


def video_under_load_pass(driver, record, base, binary, work):
    """The video sampled while the renderer's video compositor lags (CompositorLoad): every copy's frames are
    those of `nccmatch hash`, at the same presentation times (a frame left over from the previous seek must never
    be taken for the one sought). Four copies, so that the page without the rule fails here nearly every run."""
    from selenium.webdriver.common.by import By
    clip = os.path.join(work, "call-recording.mp4")
    cli = page_common.cli_video(binary, clip)
    copies = []
    for number in range(1, 5):
        copy = os.path.join(work, f"call-recording-loaded-{number}.mp4")
        shutil.copyfile(clip, copy)
        copies.append(copy)
    driver.get(base + "/")
    wait(driver, lambda d: visible_step(d) == "step-welcome")
    seen = len(record.drain())
    by_id(driver, "start").click()
    load = CompositorLoad()
    started = time.time()
    try:
        choose(driver, copies)
    finally:
        load.stop()
    print(f"sampled and hashed {len(copies)} copies of the video under compositor load in {time.time() - started:.2f} s "
          f"({len(load.starved)} compositor thread(s) starved)")
    check(load.starved, f"the load reached the renderer's video compositor thread ({CompositorLoad.NAME!r} in /proc)")
    states = picture_states(driver)
    check(all(state == "ready" for _, state, _ in states), f"every copy sampled under load is ready ({[s[:2] for s in states]})")
    by_id(driver, "to-confirm").click()
    wait(driver, lambda d: visible_step(d) == "step-confirm")
    by_id(driver, "send").click()
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=case-id]").text.strip(), what="the case of the copies")
    bodies = []
    check_network(record.drain()[seen:], base, bodies)
    sent = bodies[-1]["hashes"] if bodies else []
    videos = [h for h in sent if h["algorithm"] == "vpdq"]
    check(len(videos) == len(copies), f"under load: {len(videos)} videos sent of {len(copies)}")
    expected = [f["timestamp"] for f in cli["vpdq"]]
    for video in videos:
        times = [f["timestamp"] for f in video["frames"]]
        distances = [hamming(a["pdq"], b["pdq"]) for a, b in zip(video["frames"], cli["vpdq"])]
        check(len(times) == len(expected) and all(abs(a - b) < 0.0015 for a, b in zip(times, expected))
              and distances and max(distances) <= 4,
              f"under load, video {video['image'] + 1}: the frames of `nccmatch hash`, at the same times "
              f"({times} vs {expected}; PDQ distances {distances})")


def run(args):
    from selenium.webdriver.common.by import By
    shots = args.screenshots
    work = tempfile.mkdtemp(prefix="nccmatch-page-flow-")
    made = test_pictures.write_all(work)
    samples = sorted(glob.glob(os.path.join(ROOT, "Samples/images/*.png")) + glob.glob(os.path.join(ROOT, "Samples/images/*.jpg")))
    screenshot_png = phone_screenshot(os.path.join(ROOT, "Samples/images/scikit-image__coffee.png"),
                                      os.path.join(work, "app-screenshot.png"))
    pictures = samples + [made["rotated"], made["transparent"], screenshot_png]
    expected = page_common.cli_case_sets(args.binary, pictures)
    check(len(expected) == len(pictures) and not any(e["error"] for e in expected.values()),
          f"`nccmatch hash --set case` hashed the {len(pictures)} pictures")
    # The screenshot must be one to the CLI (its case stores the photo's hashes), or the comparison below would
    # not test the page's photo-region case at all.
    kinds = [h["kind"] for h in expected.get(screenshot_png, {"hashes": []})["hashes"]]
    pdq_kinds = [k for k in kinds if not k.endswith(("phash", "dhash")) and k not in ("md5", "sha256")]
    check(pdq_kinds and all(k.startswith("photo-region") for k in pdq_kinds)
          and "photo-region-phash" in kinds and "photo-region-dhash" in kinds,
          f"the CLI finds the photo inside the app screenshot: a case stores the photo's {len(pdq_kinds)} PDQs, pHash and dHash ({kinds[:3]}...)")
    check_languages()
    contrast_failures = contrast.check(out=lambda line: None)
    check(not contrast_failures, f"contrast: every colour pair of page.css meets WCAG AA ({len(contrast.PAIRS)} pairs, "
          f"Scripts/page/contrast.py): {contrast_failures[:3]}")

    with page_common.running_server(args.binary) as (base, data):
        driver = page_common.browser(downloads=work)
        record = page_common.NetworkRecord(driver)
        try:
            driver.get(base + "/")
            wait(driver, lambda d: visible_step(d) == "step-welcome", what="the first screen")
            version = driver.execute_script("return new URL(document.querySelector('script[type=module]').src).searchParams.get('v')")
            check_headers(base, version)
            check(driver.find_element(By.ID, "start").text.strip() != "", "the first screen's main button has a visible label")
            screenshot(driver, shots, "1-first-screen")

            # Choose: the samples and the EXIF-rotated JPEG, several at once.
            by_id(driver, "start").click()
            wait(driver, lambda d: visible_step(d) == "step-choose")
            started = time.time()
            choose(driver, pictures)
            print(f"hashed {len(pictures)} pictures in {time.time() - started:.2f} s")
            states = picture_states(driver)
            check(all(s[1] == "ready" for s in states), f"every sample is ready to send ({[s[:2] for s in states]})")
            screenshot(driver, shots, "2-pictures-chosen")

            by_id(driver, "to-confirm").click()
            wait(driver, lambda d: visible_step(d) == "step-confirm")
            screenshot(driver, shots, "3-confirm")
            by_id(driver, "send").click()
            case_id = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=case-id]").text.strip(), what="the case id")
            secret = driver.find_element(By.CSS_SELECTOR, "[data-testid=case-secret]").text.strip()
            check(case_id.startswith("c_") and len(secret) >= 20, "the case id and secret are shown")
            summary = by_id(driver, "done-summary").text
            check("could not use" not in summary, f"the bank took every fingerprint ({summary!r})")
            screenshot(driver, shots, "4-case-opened")

            by_id(driver, "save-file").click()
            saved = wait(driver, lambda d: [p for p in glob.glob(os.path.join(work, "case-*.txt"))], timeout=20, what="the saved text file")
            text = open(saved[0], encoding="utf-8").read()
            check(case_id in text and secret in text, "the saved text file holds the case id and the secret")

            # What was sent: the hashes only, equal to the CLI's.
            requests = record.drain()
            bodies = []
            check_network(requests, base, bodies)
            case_bodies = [b for b in bodies]
            check(len(case_bodies) == 1, f"one request opened the case ({len(case_bodies)})")
            sent = case_bodies[0]["hashes"] if case_bodies else []
            # The page numbers pictures in the order they were listed, which is the order chosen.
            names = driver.execute_script("return state_names_for_test()") if False else None
            by_image = {}
            for h in sent:
                by_image.setdefault(h["image"], []).append({k: v for k, v in h.items() if k != "image"})
            check(len(by_image) == len(pictures), f"{len(by_image)} pictures sent")
            for index, path in enumerate(pictures):
                compare_hashes(by_image.get(index, []), page_common.without_kinds(expected[path]["hashes"]),
                               os.path.basename(path), path.endswith(".png"))
            # The screenshot (a PNG, so nothing may differ): exactly the list `--set case` prints, in its order.
            shot_index = pictures.index(screenshot_png)
            check(by_image.get(shot_index, []) == page_common.without_kinds(expected[screenshot_png]["hashes"]),
                  f"app-screenshot.png: the page sends the photo's hashes, exactly `nccmatch hash --set case`'s "
                  f"{len(expected[screenshot_png]['hashes'])} (every photo-region PDQ with the screenshot's quality, "
                  f"the photo's pHash and dHash, the file's MD5 and SHA-256), in order")

            # Status: nothing found yet.
            by_id(driver, "to-status").click()
            wait(driver, lambda d: d.find_element(By.ID, "status-state").get_attribute("data-state") == "active", what="the status")
            items = driver.find_elements(By.CSS_SELECTOR, "[data-testid=status-picture]")
            check(len(items) == len(pictures), f"the status lists {len(items)} pictures")
            screenshot(driver, shots, "5-status")

            # A platform uploads a re-encoded copy of the rocket, matches it and reports it removed.
            key = subprocess.run([args.binary, "admin", "platform", "add", "example-platform", "--data", data],
                                 capture_output=True, text=True, check=True).stdout.split()[0]
            copy = os.path.join(work, "upload.jpg")
            rocket = os.path.join(ROOT, "Samples/images/scikit-image__rocket.jpg")
            subprocess.run(f"djpeg -scale 1/2 '{rocket}' | cjpeg -quality 60 > '{copy}'", shell=True, check=True)
            match = subprocess.run([args.binary, "match", "--server", base, "--api-key", key, copy], capture_output=True, text=True)
            refs = match_refs(match.stdout)
            check(len(refs) >= 1, f"`nccmatch match` finds the re-encoded copy in the case ({len(refs)} match refs)")
            if refs:
                request = urllib.request.Request(base + "/v1/feedback", method="POST",
                                                 data=json.dumps({"match_ref": refs[0], "outcome": "removed"}).encode(),
                                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
                urllib.request.urlopen(request, timeout=10)
            by_id(driver, "check").click()
            wait(driver, lambda d: "removed" in d.find_element(By.ID, "status-pictures").text, what="the removed outcome")
            check("found on 1 platform" in driver.find_element(By.ID, "status-pictures").text, "the status says a platform found a copy and removed it")
            screenshot(driver, shots, "6-status-found")

            # Withdraw, with a confirmation.
            by_id(driver, "withdraw").click()
            wait(driver, lambda d: d.find_element(By.ID, "withdraw-confirm").is_displayed())
            screenshot(driver, shots, "7-withdraw-confirm")
            by_id(driver, "withdraw-yes").click()
            wait(driver, lambda d: d.find_element(By.ID, "status-state").get_attribute("data-state") == "withdrawn", what="the withdrawal")
            screenshot(driver, shots, "8-withdrawn")
            match = subprocess.run([args.binary, "match", "--server", base, "--api-key", key, copy], capture_output=True, text=True)
            refs = match_refs(match.stdout)
            check(not refs, "after withdrawal the copy no longer matches")

            # Bad input: each a calm sentence; nothing half-submitted when the bank cannot be reached.
            by_id(driver, "status-back").click()
            by_id(driver, "start").click()
            bad = [made["text"], made["broken"], made["flat"], made["large"]]
            choose(driver, bad)
            states = {name: (state, text) for name, state, text in picture_states(driver)}
            check(states["notes.txt"][0] == "excluded" and "not a picture" in states["notes.txt"][1], f"a text file: {states['notes.txt']}")
            check(states["damaged.jpg"][0] == "exactOnly" and "could not open" in states["damaged.jpg"][1], f"a damaged JPEG: {states['damaged.jpg']}")
            check(states["flat-grey.png"][0] == "exactOnly" and "quality 0 of 100" in states["flat-grey.png"][1], f"a flat picture: {states['flat-grey.png']}")
            check(states["large-100-megapixels.png"][0] == "excluded" and "100 megapixels" in states["large-100-megapixels.png"][1],
                  f"a 100-megapixel picture: {states['large-100-megapixels.png']}")
            screenshot(driver, shots, "9-bad-input")
            by_id(driver, "to-confirm").click()
            wait(driver, lambda d: visible_step(d) == "step-confirm")
            by_id(driver, "send").click()
            check(by_id(driver, "notice").is_displayed() and visible_step(driver) == "step-confirm",
                  "exact-only pictures need the box ticked before anything is sent")
            by_id(driver, "exact-only-ok").click()
            record.drain()
            audit_before = subprocess.run([args.binary, "admin", "audit", "--data", data, "--json"], capture_output=True, text=True).stdout
            driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
            by_id(driver, "send").click()
            wait(driver, lambda d: d.find_element(By.ID, "notice").is_displayed() and visible_step(d) == "step-confirm", what="the unreachable notice")
            notice = by_id(driver, "notice").text
            check("could not reach the bank" in notice and "nothing was sent" in notice, f"the bank unreachable: {notice!r}")
            screenshot(driver, shots, "10-bank-unreachable")
            audit_after = subprocess.run([args.binary, "admin", "audit", "--data", data, "--json"], capture_output=True, text=True).stdout
            check(audit_before == audit_after, "nothing reached the bank while it was unreachable")
            driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
            by_id(driver, "send").click()
            wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=case-id]").text.strip() not in ("", case_id), what="the second case")
            check(True, "sending again once the bank is back opens the case")
            bodies = []
            check_network(record.drain(), base, bodies)
            exact_only = bodies[-1]["hashes"] if bodies else []
            check(sorted({h["algorithm"] for h in exact_only}) == ["md5", "sha256"] and len({h["image"] for h in exact_only}) == 2,
                  "exact-only pictures send their MD5 and SHA-256 only; the text file and the 100-megapixel picture send nothing")

            # Another language, switched on the page.
            by_id(driver, "status-back").click() if visible_step(driver) == "step-status" else None
            driver.get(base + "/")
            wait(driver, lambda d: visible_step(d) == "step-welcome")
            from selenium.webdriver.support.ui import Select
            Select(by_id(driver, "language")).select_by_value("it")
            wait(driver, lambda d: d.execute_script("return document.documentElement.lang") == "it")
            check("colpa" in by_id(driver, "welcome-title").text, "switching to Italian changes the words")
            check("18 anni" in driver.find_element(By.CSS_SELECTOR, ".help-links").text,
                  "the default help links are described in Italian too")
            screenshot(driver, shots, "11-first-screen-italian")
            check_network(record.drain(), base, [])
            keyboard_pass(driver, base, made["rotated"])
            check_network(record.drain(), base, [])
            video_pass(driver, record, base, data, args.binary, work, shots)
            video_under_load_pass(driver, record, base, args.binary, work)
            console = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE" and "ERR_INTERNET_DISCONNECTED" not in e.get("message", "")]
            check(not console, f"no error in the browser console ({console[:2]})")
        finally:
            driver.quit()
            # The test pictures, videos and the saved case file (it holds a secret) go with the run.
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/nccmatch"))
    parser.add_argument("--screenshots", default=None, help="folder for the screenshots (e.g. docs/page)")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
