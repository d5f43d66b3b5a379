#!/usr/bin/env python3
"""Animated GIF and WebP hashed as videos: `nccmatch hash` vPDQ frames against the references.

Makes animations in a temporary folder (deleted afterwards):
  - GIF from the first 6 seconds of each sample video in ../shared/vpdq-vectors/videos, by FFmpeg (10 frames a
    second, 240 pixels wide: FFmpeg's GIF encoder writes changed rectangles with transparency, so later frames
    exercise compositing);
  - GIF and WebP (lossy and lossless) made by Pillow from pictures of ../shared/corpus, 6 frames of varied delays,
    some frames sharing regions (Pillow writes changed rectangles, WebP with blending);
  - WebP made by Pillow from the FFmpeg GIFs' frames.
Then compares, frame by frame, `nccmatch hash --mode exact --seconds-per-hash 0` with
  - Pillow's frames (`ImageSequence`, `convert("RGB")`) fed to `pdqhash.compute` (every file), and
  - Meta's `vpdq` package (`computeHash(seconds_per_hash=0)`, run from /tmp/vpdqenv) for GIF; the FFmpeg 5.1 here
    cannot decode animated WebP (its WebP decoder reads stills only), so WebP has the Pillow reference only;
and at one frame a second, the frame numbers nccmatch samples against vpdq's for the GIFs.

Setup: /tmp/fmtvenv with Pillow, pdqhash, numpy; /tmp/vpdqenv with vpdq 0.2.5 (see vpdq_conformance.py).
Usage: /tmp/fmtvenv/bin/python Scripts/reference/animation_conformance.py .build/release/nccmatch
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pdqhash
from PIL import Image, ImageSequence

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
VPDQ_PYTHON = "/tmp/vpdqenv/bin/python"
VPDQ_SNIPPET = """
import json, sys, vpdq
out = {}
for path in sys.argv[2:]:
    out[path] = [(f.frame_number, f.quality, f.hex, f.timestamp) for f in vpdq.computeHash(path, seconds_per_hash=float(sys.argv[1]), thread_count=1)]
print(json.dumps(out))
"""


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def pillow_frames(path):
    frames = []
    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            bits, quality = pdqhash.compute(np.asarray(frame.convert("RGB")))
            frames.append((bits, quality, frame.info.get("duration", 0)))
    return frames


def bits_to_hex(bits):
    # pytx's text form: the bit vector read most significant first (as nccmatch prints PDQ).
    return format(int("".join(str(int(b)) for b in bits), 2), "064x")


def make_files(folder):
    made = []
    videos = sorted((SHARED / "vpdq-vectors" / "videos").glob("*.mp4"))
    for video in videos:
        gif = folder / f"{video.stem}.gif"
        subprocess.run(["ffmpeg", "-v", "error", "-t", "6", "-i", str(video), "-vf", "fps=10,scale=240:-2", "-threads", "1",
                        str(gif)], check=True)
        made.append(gif)
        frames = [f.convert("RGBA") for f in ImageSequence.Iterator(Image.open(gif))]
        webp = folder / f"{video.stem}.webp"
        frames[0].save(webp, save_all=True, append_images=frames[1:], duration=100, lossless=False, quality=80)
        made.append(webp)
    pictures = sorted((SHARED / "corpus" / "images").iterdir())
    for start in range(0, 30, 6):
        base = [Image.open(p).convert("RGB").resize((320, 240)) for p in pictures[start:start + 6]]
        frames = []
        for i, picture in enumerate(base):
            frame = frames[-1].copy() if frames else picture.copy()
            if i % 2:  # a frame that changes only part of the previous one
                frame.paste(picture.crop((40, 30, 200, 150)), (40, 30))
            else:
                frame = picture
            frames.append(frame)
        durations = [100, 250, 40, 500, 10, 1000]
        gif = folder / f"corpus-{start}.gif"
        frames[0].save(gif, save_all=True, append_images=frames[1:], duration=durations, loop=0)
        made.append(gif)
        for lossless in (False, True):
            webp = folder / f"corpus-{start}-{'lossless' if lossless else 'lossy'}.webp"
            frames[0].save(webp, save_all=True, append_images=frames[1:], duration=durations, lossless=lossless, quality=80)
            made.append(webp)
    return made


def nccmatch_frames(binary, paths, seconds):
    run = subprocess.run([binary, "hash", "--mode", "exact", "--format", "jsonl", "--jobs", "1", "--seconds-per-hash", str(seconds)]
                         + [str(p) for p in paths], capture_output=True, text=True)
    out = {}
    for line in run.stdout.splitlines():
        record = json.loads(line)
        out[record["path"]] = record
    return out


def vpdq_frames(paths, seconds):
    run = subprocess.run([VPDQ_PYTHON, "-c", VPDQ_SNIPPET, str(seconds)] + [str(p) for p in paths],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


class Tally:
    def __init__(self, name):
        self.name, self.files, self.frames, self.identical, self.within10, self.worst = name, 0, 0, 0, 0, 0
        self.count_mismatch = []

    def add(self, path, ours, theirs):
        self.files += 1
        if len(ours) != len(theirs):
            self.count_mismatch.append(f"{path.name}: {len(ours)} vs {len(theirs)}")
        for a, b in zip(ours, theirs):
            d = distance(a, b)
            self.frames += 1
            self.identical += d == 0
            self.within10 += d <= 10
            self.worst = max(self.worst, d)

    def report(self):
        share = 100.0 * self.within10 / max(self.frames, 1)
        print(f"{self.name}: {self.files} files, {self.frames} frames, identical {self.identical} "
              f"({100.0 * self.identical / max(self.frames, 1):.1f}%), within 10 bits {self.within10} ({share:.1f}%), "
              f"largest {self.worst}; frame counts differ: {self.count_mismatch or 'none'}")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".build/release/nccmatch")
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ncc-animation-"))
    try:
        paths = make_files(folder)
        ours = nccmatch_frames(binary, paths, 0)
        gifs = [p for p in paths if p.suffix == ".gif"]
        theirs = vpdq_frames(gifs, 0)
        tallies = {key: Tally(key) for key in ["gif vs Pillow+pdqhash", "gif vs vpdq", "webp vs Pillow+pdqhash",
                                               "gif frame 0 pdq == picture pdq", "webp frame 0 pdq == picture pdq"]}
        timing = []
        for path in paths:
            record = ours.get(str(path), {})
            frames = record.get("vpdq")
            if frames is None:
                print(f"{path.name}: no vpdq ({record.get('vpdq_error') or record.get('error')})")
                continue
            kind = path.suffix[1:]
            reference = pillow_frames(path)
            tallies[f"{kind} vs Pillow+pdqhash"].add(path, [f["pdq"] for f in frames], [bits_to_hex(b) for b, _, _ in reference])
            tallies[f"{kind} frame 0 pdq == picture pdq"].add(path, [frames[0]["pdq"]], [record["pdq"]])
            if kind == "gif":
                tallies["gif vs vpdq"].add(path, [f["pdq"] for f in frames], [h for _, _, h, _ in theirs[str(path)]])
            # Timestamps: Pillow's durations summed.
            expected, t = [], 0
            for _, _, duration in reference:
                expected.append(t)
                t += duration
            timing.append(max(abs(f["timestamp"] * 1000 - e) for f, e in zip(frames, expected)))
        for tally in tallies.values():
            tally.report()
        print(f"timestamps vs Pillow's summed durations: largest difference {max(timing):.1f} ms (GIF delays under 20 ms count as 100 ms)")

        # One frame a second: which frames are sampled, against vpdq (frame number mod int(frame rate), which
        # assumes a steady rate: on the corpus GIFs' uneven delays it picks other frames by design).
        theirs1 = vpdq_frames(gifs, 1)
        same = differ = 0
        for path in gifs:
            run = subprocess.run([binary, "hash", "--mode", "exact", "--format", "vpdq", "--seconds-per-hash", "1", str(path)],
                                 capture_output=True, text=True)
            a = [int(line.split(",")[0]) for line in run.stdout.splitlines() if line.strip()]
            b = [number for number, _, _, _ in theirs1[str(path)]]
            if a == b:
                same += 1
            else:
                differ += 1
                print(f"  1 s sampling differs on {path.name}: nccmatch frames {a}, vpdq frames {b}")
        print(f"GIF at one frame a second: the same sampled frames as vpdq on {same} of {same + differ} files")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
