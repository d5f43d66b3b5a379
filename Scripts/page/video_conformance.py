#!/usr/bin/env python3
"""The page's video frames against `nccmatch hash`'s, in headless Chromium against a real `nccmatch serve`.

    SE_AVOID_STATS=true /tmp/page-venv/bin/python Scripts/page/video_conformance.py \
        --binary .build/debug/nccmatch [--cli .build/release/nccmatch] [--clips DIR] [--canvas] [VIDEO ...]

Each video goes through the page as a person's would: chosen, sampled by the browser's <video> element at one
frame a second, each frame hashed by hashcore.wasm in the worker, sent with `POST /v1/cases`; the frames are read
back from the DevTools network record (the request body as it left the browser, whatever the bank answered).
They are compared with the `"vpdq"` array of `nccmatch hash --format jsonl` for the same file: the number of
frames, each frame's timestamp, the Hamming distance of its PDQ and the difference of its quality (and the
video's MD5 and SHA-256, which must be equal); then the
videos are matched as Meta's vPDQ matches them (frames under quality 50 dropped, frames within distance 31 match,
both shares over pytx's 80% default), the page's frames against the CLI's.

Without VIDEO arguments the clips of Scripts/page/video_clips.sh are made under /tmp (and removed at the end), or
taken from --clips. `--canvas` makes the page read each frame through a canvas (RGBA), as browsers without
WebCodecs' VideoFrame do, to measure that path too.
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import page_common  # noqa: E402
import page_flow  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MATCH_DISTANCE = 31      # a query frame matches a bank frame within this PDQ distance (vPDQ)
MIN_QUALITY = 50         # frames under this quality take no part in matching
SHARE = 80.0             # pytx's vPDQ defaults: both shares at least 80%


def cli_frames(binary, paths):
    out = subprocess.run([binary, "hash", "--format", "jsonl", *paths], capture_output=True, text=True, check=True)
    return {record["path"]: record for record in map(json.loads, out.stdout.splitlines())}


def shares(query, bank):
    """vPDQ's two shares (percent): of the query's frames with a match in the bank, of the bank's with one in the query."""
    q = [f["pdq"] for f in query if f["quality"] >= MIN_QUALITY]
    b = [f["pdq"] for f in bank if f["quality"] >= MIN_QUALITY]
    if not q or not b:
        return 0.0, 0.0
    near = lambda x, ys: any(page_common.hamming(x, y) <= MATCH_DISTANCE for y in ys)
    return 100.0 * sum(near(x, b) for x in q) / len(q), 100.0 * sum(near(y, q) for y in b) / len(b)


def page_frames(driver, record, base, path, canvas):
    """The frames the page sends for the video at `path`, and the seconds from choosing it to ready."""
    from selenium.webdriver.common.by import By
    driver.get(base + "/")
    page_flow.wait(driver, lambda d: page_flow.visible_step(d) == "step-welcome")
    if canvas:
        # As a browser without WebCodecs: the page draws each frame on a canvas.
        driver.execute_script("window.VideoFrame = undefined;")
    page_flow.by_id(driver, "start").click()
    started = time.time()
    page_flow.choose(driver, [path])
    took = time.time() - started
    seeks = driver.execute_script("const li = document.querySelector('#picture-list li');"
                                  " return (li?.dataset.seeks || '') + ' ' + (li?.dataset.reads || '')")
    took = (took, seeks)
    states = page_flow.picture_states(driver)
    if states[0][1] != "ready":
        return None, took, states[0], {}
    page_flow.by_id(driver, "to-confirm").click()
    record.drain()
    page_flow.by_id(driver, "send").click()
    page_flow.wait(driver, lambda d: page_flow.visible_step(d) in ("step-done", "step-confirm"), what="the answer")
    bodies = [r for r in record.drain() if r["method"] == "POST" and r["body"]]
    hashes = json.loads(bodies[-1]["body"])["hashes"]
    videos = [h for h in hashes if h["algorithm"] == "vpdq"]
    digests = {h["algorithm"]: h["value"] for h in hashes if h["algorithm"] in ("md5", "sha256")}
    return (videos[0]["frames"] if videos else None), took, states[0], digests


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/nccmatch"), help="the nccmatch that serves the page")
    parser.add_argument("--cli", default=None, help="the nccmatch whose hash is the reference (default: a release build if there is one)")
    parser.add_argument("--clips", default=None, help="a folder of clips made by video_clips.sh (default: made now under /tmp)")
    parser.add_argument("--canvas", action="store_true", help="read frames through a canvas, as browsers without VideoFrame do")
    parser.add_argument("videos", nargs="*")
    args = parser.parse_args()
    cli = args.cli or next((p for p in (os.path.join(ROOT, ".build/release/nccmatch"), args.binary) if os.path.exists(p)))
    made = None
    paths = [os.path.abspath(p) for p in args.videos]
    if not paths:
        folder = args.clips
        if not folder:
            made = folder = tempfile.mkdtemp(prefix="nccmatch-video-clips-")
            subprocess.run([os.path.join(ROOT, "Scripts/page/video_clips.sh"), folder], check=True, stdout=subprocess.DEVNULL)
        paths = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    try:
        expected = cli_frames(cli, paths)
        distances, quality_differences = collections.Counter(), collections.Counter()
        rows, failures = [], []
        with page_common.running_server(args.binary) as (base, _):
            driver = page_common.browser()
            try:
                driver.set_script_timeout(60)
                record = page_common.NetworkRecord(driver)
                for path in paths:
                    name = os.path.basename(path)
                    reference = expected[path]["vpdq"]
                    frames, took, state, digests = page_frames(driver, record, base, path, args.canvas)
                    if frames is None:
                        failures.append(f"{name}: the page did not send frames ({state})")
                        continue
                    if digests != {"md5": expected[path]["md5"], "sha256": expected[path]["sha256"]}:
                        failures.append(f"{name}: the page's MD5 and SHA-256 differ from the CLI's")
                    per_video = []
                    times_equal = len(frames) == len(reference) and all(
                        abs(a["timestamp"] - b["timestamp"]) < 0.0015 for a, b in zip(frames, reference))
                    for a, b in zip(frames, reference):
                        d = page_common.hamming(a["pdq"], b["pdq"])
                        per_video.append(d)
                        distances[d] += 1
                        quality_differences[a["quality"] - b["quality"]] += 1
                    query, bank = shares(frames, reference)
                    rows.append((name, len(reference), len(frames), times_equal, sum(d == 0 for d in per_video),
                                 max(per_video) if per_video else None, sorted(per_video)[len(per_video) // 2] if per_video else None,
                                 query, bank, took))
                    if len(frames) != len(reference):
                        failures.append(f"{name}: {len(frames)} frames from the page, {len(reference)} from the CLI "
                                        f"(page {[f['timestamp'] for f in frames]}, CLI {[f['timestamp'] for f in reference]})")
                    if not (query >= SHARE and bank >= SHARE):
                        failures.append(f"{name}: the page's frames do not match the CLI's ({query:.0f}%, {bank:.0f}%)")
            finally:
                driver.quit()
        print(f"reference: {cli} hash --format jsonl; page read: {'canvas (RGBA)' if args.canvas else 'VideoFrame luma where available'}")
        print("| video | CLI frames | page frames | same timestamps | PDQ equal | max distance | median | query share | bank share | choosing to ready | seeks, frames read by way |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, n_cli, n_page, same, equal, worst, median, q, b, took in rows:
            print(f"| {name} | {n_cli} | {n_page} | {'yes' if same else 'no'} | {equal} | {worst} | {median} | {q:.0f}% | {b:.0f}% | {took[0]:.1f} s | {took[1]} |")
        total = sum(distances.values())
        print(f"\nper-frame PDQ distance, {total} frames: " + ", ".join(f"{d}: {n}" for d, n in sorted(distances.items())))
        print("quality difference (page - CLI): " + ", ".join(f"{d:+d}: {n}" for d, n in sorted(quality_differences.items())))
        for failure in failures:
            print("FAIL", failure)
        return 1 if failures else 0
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
