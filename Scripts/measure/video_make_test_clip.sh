#!/usr/bin/env bash
# Makes the clips the video speed and memory measurements use, from FFmpeg's own test sources (no footage):
#   clip-720p-60s.mp4    one minute, 1280x720, 30 fps, H.264 with x264's defaults (B-frames, CABAC)
#   clip-720p-60s-nob.mp4 the same with no B-frames (x264 -bf 0)
#   clip-4k-10min.mp4     ten minutes, 3840x2160, 30 fps, x264 preset ultrafast (for peak memory; 4.5 GB: make it
#                         under /tmp, measure with /usr/bin/time -v nccmatch hash FILE, delete it)
# Usage: Scripts/measure/video_make_test_clip.sh OUTPUT_DIR [--4k]
set -euo pipefail
out=${1:?usage: video_make_test_clip.sh OUTPUT_DIR [--4k]}
mkdir -p "$out"
source="testsrc2=size=1280x720:rate=30,drawtext=text='%{pts\\:hms}':fontsize=48:x=40:y=40:fontcolor=white"
# drawtext needs a font; fall back to the plain source when FFmpeg has none.
if ! ffmpeg -v error -f lavfi -i "$source" -frames:v 1 -f null - 2>/dev/null; then source="testsrc2=size=1280x720:rate=30"; fi
mandel="mandelbrot=size=1280x720:rate=30"
ffmpeg -v error -y -f lavfi -i "$source" -f lavfi -i "$mandel" \
  -filter_complex "[0:v][1:v]blend=all_mode=average,format=yuv420p" -t 60 -c:v libx264 "$out/clip-720p-60s.mp4"
ffmpeg -v error -y -f lavfi -i "$source" -f lavfi -i "$mandel" \
  -filter_complex "[0:v][1:v]blend=all_mode=average,format=yuv420p" -t 60 -c:v libx264 -bf 0 "$out/clip-720p-60s-nob.mp4"
if [ "${2:-}" = "--4k" ]; then
  # One minute encoded, then joined ten times without re-encoding (-c copy): minutes instead of most of an hour.
  ffmpeg -v error -y -f lavfi -i "testsrc2=size=3840x2160:rate=30" -t 60 -pix_fmt yuv420p -c:v libx264 -preset ultrafast \
    "$out/clip-4k-1min.mp4"
  for _ in 1 2 3 4 5 6 7 8 9 10; do echo "file clip-4k-1min.mp4"; done > "$out/clip-4k-list.txt"
  ffmpeg -v error -y -f concat -safe 0 -i "$out/clip-4k-list.txt" -c copy "$out/clip-4k-10min.mp4"
  rm -f "$out/clip-4k-list.txt"
fi
ls -l "$out"
