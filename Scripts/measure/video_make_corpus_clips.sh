#!/usr/bin/env bash
# Makes the test videos `nccmatch eval-video` measures robustness on, from the project's own pictures in
# ../shared/corpus: each clip shows three pictures of three different scene groups, four seconds each, panning
# slowly across them (so no two sampled frames are the same picture), 640x360, 25 fps, H.264. No two clips share a scene
# group, so every pair of different clips is a pair of different videos. From each scene group the picture with the
# highest PDQ quality is taken, and only groups whose picture reaches quality 80 (flat wallpapers have too little
# detail for PDQ: vPDQ drops frames under 50): 56 of the 75 groups, so 18 clips.
#   clip-NN.mp4   twelve seconds each
# Usage: Scripts/measure/video_make_corpus_clips.sh OUTPUT_DIR [CLIPS] [CORPUS_DIR]
# Needs ffmpeg (with libx264), python3 and a built nccmatch (NCCMATCH, default .build/release or .build/debug).
# The clips hold pictures: write them only where you mean to keep test material, and delete them when done.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: video_make_corpus_clips.sh OUTPUT_DIR [CLIPS] [CORPUS_DIR]}
clips=${2:-100}
corpus=${3:-$(cd "$root/../shared/corpus" && pwd)}
nccmatch=${NCCMATCH:-$root/.build/release/nccmatch}
[ -x "$nccmatch" ] || nccmatch=$root/.build/debug/nccmatch
mkdir -p "$out"
mapfile -t pictures < <("$nccmatch" hash --format jsonl "$corpus/images" | python3 -c '
import csv, json, os, sys
quality = {os.path.basename(d["path"]): d.get("pdq_quality", 0) for d in map(json.loads, sys.stdin) if "pdq" in d}
best = {}
for row in csv.DictReader(open(sys.argv[1], newline=""), delimiter="\t"):
    name, group = row["file"], row["scene_group"]
    if name in quality and (group not in best or quality[name] > quality[best[group]]):
        best[group] = name
for name in best.values():
    if quality[name] >= 80:
        print(name)
' "$corpus/MANIFEST.tsv")
count=$(( ${#pictures[@]} / 3 ))
[ "$clips" -lt "$count" ] && count=$clips
# Each picture is cut to 16:9 at 672x378 and a 640x360 window pans slowly across it (8 and 4.5 pixels a second, as a
# steady hand-held camera drifts): frames half a second apart stay close, as in real footage.
pan="scale=672:378:force_original_aspect_ratio=increase,crop=672:378,crop=640:360:x='(iw-640)*t/4':y='(ih-360)*t/4',setsar=1,fps=25,format=yuv420p"
for ((c = 0; c < count; c++)); do
  inputs=()
  for k in 0 1 2; do inputs+=(-loop 1 -t 4 -i "$corpus/images/${pictures[$((c * 3 + k))]}"); done
  ffmpeg -nostdin -v error -y "${inputs[@]}" \
    -filter_complex "[0:v]$pan[a];[1:v]$pan[b];[2:v]$pan[c];[a][b][c]concat=n=3:v=1:a=0[v]" -map "[v]" \
    -c:v libx264 -crf 20 -preset medium "$(printf '%s/clip-%02d.mp4' "$out" "$c")"
done
ls -l "$out"
