#!/usr/bin/env python3
"""The page's hashes against the CLI's on every JPEG and PNG of ../shared/corpus, and the time to hash a
12-megapixel picture, in headless Chromium against a real `nccmatch serve`.

    SE_AVOID_STATS=true /tmp/page-venv/bin/python Scripts/page/corpus_conformance.py \
        --binary .build/debug/nccmatch [--cli .build/release/nccmatch] [--corpus ../shared/corpus/images] \
        [--batch 40] [--speed-only] [--pause SECONDS]

The reference hashes come from one `nccmatch hash --set case --mode exact --format jsonl` call over the whole
corpus (`--cli`, a release build by default): what a case stores for each picture, as `nccmatch case submit`
sends it (for a screenshot with its photo in app chrome, the photo's hashes). The pictures
go through the page as a person's would (chosen, hashed in the worker, sent with
`POST /v1/cases`, read back from the DevTools network record), in batches, each batch a case on a temporary
bank. Reports, per kind (JPEG, PNG), the distribution of the first PDQ's, pHash's and dHash's distances to the
CLI's case list and of the quality difference, and how many pictures send exactly that list; then the 12-megapixel timing: a 4000x3000 JPEG
cut losslessly (jpegtran) from the corpus's largest photograph, chosen alone 5 times, each in a freshly
loaded page; the worker's time (digests, decode, read-back, hash, with each stage printed) and the time from
choosing to ready.
"""
import argparse
import collections
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import page_common  # noqa: E402
import page_flow  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def send_batch(driver, record, base, paths):
    from selenium.webdriver.common.by import By
    driver.get(base + "/")
    page_flow.wait(driver, lambda d: page_flow.visible_step(d) == "step-welcome")
    page_flow.by_id(driver, "start").click()
    page_flow.choose(driver, paths)
    states = page_flow.picture_states(driver)
    page_flow.by_id(driver, "to-confirm").click()
    if page_flow.by_id(driver, "exact-only").is_displayed():
        page_flow.by_id(driver, "exact-only-ok").click()
    record.drain()
    page_flow.by_id(driver, "send").click()
    page_flow.wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=case-id]").text.strip(), what="the case")
    bodies = [r for r in record.drain() if r["method"] == "POST" and r["body"]]
    import json
    hashes = json.loads(bodies[-1]["body"])["hashes"]
    sendable = [name for name, state, _ in states if state in ("ready", "exactOnly")]
    by_name = {}
    for h in hashes:
        by_name.setdefault(sendable[h["image"]], []).append(h)
    return by_name, {name: state for name, state, _ in states}


def conformance(args, base, driver, record):
    paths = sorted(glob.glob(os.path.join(args.corpus, "*.jpg")) + glob.glob(os.path.join(args.corpus, "*.jpeg"))
                   + glob.glob(os.path.join(args.corpus, "*.png")))
    started = time.time()
    expected = page_common.cli_case_sets(args.cli, paths)
    print(f"{args.cli} hashed {len(expected)} of {len(paths)} pictures in one call in {time.time() - started:.1f} s", flush=True)
    distances = collections.defaultdict(lambda: collections.defaultdict(list))
    problems, outliers = [], []
    exact_only, whole, screenshots = collections.Counter(), collections.Counter(), collections.Counter()
    for start in range(0, len(paths), args.batch):
        batch = paths[start:start + args.batch]
        sent, states = send_batch(driver, record, base, batch)
        for path in batch:
            name = os.path.basename(path)
            kind = "png" if path.endswith(".png") else "jpeg"
            case_cli = expected.get(path)
            hashes = sent.get(name, [])
            pdq = [h for h in hashes if h["algorithm"] == "pdq"]
            first_cli = {a: next((h for h in case_cli["hashes"] if h["algorithm"] == a), None)
                         for a in ("pdq", "phash", "dhash")} if case_cli else {}
            if case_cli is not None and not case_cli["error"] and not first_cli["pdq"] and not pdq and states.get(name) == "exactOnly":
                exact_only[kind] += 1  # both say: too plain to be recognised by its look, exact copies only
                continue
            if case_cli is None or not pdq or not first_cli["pdq"]:
                quality = first_cli.get("pdq") and first_cli["pdq"].get("quality")
                problems.append(f"{name}: page state {states.get(name)}, CLI quality {quality}, CLI error {case_cli and case_cli['error']}")
                continue
            first = {a: next((h for h in hashes if h["algorithm"] == a), None) for a in ("phash", "dhash")}
            distances[kind]["pdq"].append(page_common.hamming(pdq[0]["value"], first_cli["pdq"]["value"]))
            distances[kind]["phash"].append(page_common.hamming(first["phash"]["value"], first_cli["phash"]["value"]))
            distances[kind]["dhash"].append(page_common.hamming(first["dhash"]["value"], first_cli["dhash"]["value"]))
            distances[kind]["quality"].append(abs(pdq[0]["quality"] - first_cli["pdq"]["quality"]))
            whole[kind] += page_common.without_kinds(hashes) == page_common.without_kinds(case_cli["hashes"])
            if first_cli["pdq"]["kind"].startswith("photo-region"):
                screenshots[kind] += 1
            worst = max(distances[kind][signal][-1] for signal in ("pdq", "phash", "dhash"))
            if worst > (0 if kind == "png" else 4):
                outliers.append(f"{name}: PDQ {distances[kind]['pdq'][-1]}, pHash {distances[kind]['phash'][-1]}, "
                                f"dHash {distances[kind]['dhash'][-1]} bits from the CLI")
        print(f"{min(start + args.batch, len(paths))}/{len(paths)} pictures", flush=True)
    for kind, table in sorted(distances.items()):
        print(f"\n{kind}: {len(table['pdq'])} pictures")
        for signal, values in table.items():
            counts = collections.Counter(values)
            within = sum(1 for v in values if v <= (0 if kind == "png" else (1 if signal == "quality" else 4)))
            print(f"  {signal:8s} equal {counts.get(0, 0)}, within tolerance {within}/{len(values)} "
                  f"({100 * within / len(values):.1f}%), max {max(values)}, distribution {dict(sorted(counts.items()))}")
    for kind in sorted(whole):
        print(f"{kind}: {whole[kind]} of {len(distances[kind]['pdq'])} pictures send exactly the hashes `nccmatch case submit` "
              f"sends (every PDQ with its companions, pHash, dHash, MD5, SHA-256, in order; "
              f"{screenshots[kind]} of them screenshots whose case stores their photo's hashes)")
    for kind in sorted(exact_only):
        print(f"{kind}: {exact_only[kind]} more pictures are exact-only (quality under 50) on the page and in the CLI alike")
    for outlier in outliers:
        print("outside the tolerance:", outlier)
    for problem in problems:
        print("the page and the CLI disagree:", problem)
    print(f"conformance: {sum(len(t['pdq']) for t in distances.values())} pictures compared in {time.time() - started:.0f} s")


def speed(args, base, driver):
    from selenium.webdriver.common.by import By
    work = tempfile.mkdtemp(prefix="nccmatch-page-speed-")
    largest = max(glob.glob(os.path.join(args.corpus, "*.jpg")), key=os.path.getsize)
    picture = os.path.join(work, "12-megapixels.jpg")
    subprocess.run(["jpegtran", "-crop", "4000x3000+0+0", "-outfile", picture, largest], check=True)
    page_side, wall = [], []
    for _ in range(args.runs):
        driver.get(base + "/")
        page_flow.wait(driver, lambda d: page_flow.visible_step(d) == "step-welcome")
        page_flow.by_id(driver, "start").click()
        time.sleep(args.pause)
        started = time.time()
        page_flow.choose(driver, [picture])
        wall.append(time.time() - started)
        item = driver.find_element(By.CSS_SELECTOR, "#picture-list li")
        page_side.append(int(item.get_attribute("data-hash-ms")) / 1000)
        if item.get_attribute("data-stages"):
            print("  stages (ms):", {k: round(v) for k, v in json.loads(item.get_attribute("data-stages")).items()}, flush=True)
    shutil.rmtree(work, ignore_errors=True)
    print(f"\n12 megapixels (4000x3000 JPEG from {os.path.basename(largest)}), {args.runs} runs:")
    print(f"  in the worker (digests beside the decode, read-back, hash): median {statistics.median(page_side):.2f} s (min {min(page_side):.2f}, max {max(page_side):.2f})")
    print(f"  choosing to ready (the whole page, {args.pause:g} s after the choose step opened and started warming up the core): median {statistics.median(wall):.2f} s "
          f"(min {min(wall):.2f}, max {max(wall):.2f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/nccmatch"))
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "images"))
    parser.add_argument("--cli", default=None,
                        help="the nccmatch that computes the reference hashes (default: .build/release/nccmatch when built, "
                             "else --binary; a debug build takes about 12 minutes on the corpus, a release build seconds)")
    parser.add_argument("--batch", type=int, default=40, help="pictures per case (at most 200)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--pause", type=float, default=0,
                        help="seconds between opening the choose step and choosing (a person takes a few; 0 measures the worst case)")
    args = parser.parse_args()
    if args.cli is None:
        release = os.path.join(ROOT, ".build/release/nccmatch")
        args.cli = release if os.access(release, os.X_OK) else args.binary
    args.corpus = os.path.realpath(args.corpus)  # chromedriver takes canonical paths only
    with page_common.running_server(args.binary) as (base, _):
        driver = page_common.browser()
        record = page_common.NetworkRecord(driver)
        try:
            speed(args, base, driver)
            if not args.speed_only:
                conformance(args, base, driver, record)
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
