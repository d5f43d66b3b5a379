#!/usr/bin/env bash
# Makes the small videos the page's video checks use (Scripts/page/video_conformance.py, page_flow.py), from
# Meta's sample videos in ../shared/vpdq-vectors and the project's pictures in ../shared/corpus, into OUTPUT_DIR
# (a folder under /tmp: the clips show pictures; delete them when done). Each stresses one part of sampling:
#   sample-h264.mp4      a published sample as it is (H.264 with B-frames, 30 fps: frames on whole seconds)
#   ntsc-h264.mp4        re-encoded at 29.97 fps, x264 defaults (B-frames): no frame on a whole second after 0
#   vp9.webm             VP9 in WebM, 25 fps, 640 px wide
#   rotated-h264.mp4     a phone video: stored landscape, with a display rotation of 90 degrees
#   corpus-pan-h264.mp4  three corpus pictures panned over, 4 s each, 24 fps, no B-frames
#   offset-h264.mp4, offset-vp9.webm  the pan and the VP9 clip with their video starting 0.5 s into the file's
#                        timeline: times count from the stream's first frame, as the command line counts them
# Usage: Scripts/page/video_clips.sh OUTPUT_DIR [SHARED_DIR]
set -euo pipefail
out=${1:?usage: video_clips.sh OUTPUT_DIR [SHARED_DIR]}
shared=${2:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
videos=$shared/vpdq-vectors/videos
mkdir -p "$out"
ff() { ffmpeg -nostdin -v error -y "$@"; }
cp "$videos/chair-22-sd-grey-bar.mp4" "$out/sample-h264.mp4"
chmod u+w "$out/sample-h264.mp4"
ff -i "$videos/pattern-sd-grey-bar.mp4" -vf fps=30000/1001 -c:v libx264 -preset veryfast -crf 23 -an "$out/ntsc-h264.mp4"
ff -i "$videos/doorknob-hd-no-bar.mp4" -vf "fps=25,scale=640:-2" -c:v libvpx-vp9 -b:v 800k -deadline realtime -cpu-used 8 \
  -an "$out/vp9.webm"
# Stored 720x480 (the portrait picture turned on its side), shown upright by a 90-degree display rotation.
# (FFmpeg 5 writes the display matrix from the rotate tag only when copying the stream.)
ff -i "$videos/chair-19-sd-bar.mp4" -t 8 -vf "transpose=2" -c:v libx264 -preset veryfast -crf 23 -an "$out/stored.mp4"
ff -i "$out/stored.mp4" -c copy -metadata:s:v:0 rotate=90 "$out/rotated-h264.mp4"
rm -f "$out/stored.mp4"
pan="scale=800:450:force_original_aspect_ratio=increase,crop=640:360:x='(iw-640)*t/4':y='(ih-360)*t/8',setsar=1,fps=24,format=yuv420p"
corpus=$shared/corpus/images
pictures=(lomiri-wallpapers-16.04__Dragonfly_by_Bolly.jpg gnome-backgrounds__adwaita-d.jpg lomiri-wallpapers-16.04__Wine_by_Jakkub_Mede.jpg)
inputs=()
for p in "${pictures[@]}"; do inputs+=(-loop 1 -t 4 -i "$corpus/$p"); done
ff "${inputs[@]}" -filter_complex "[0:v]$pan[a];[1:v]$pan[b];[2:v]$pan[c];[a][b][c]concat=n=3:v=1:a=0[v]" -map "[v]" \
  -c:v libx264 -bf 0 -crf 20 -preset veryfast "$out/corpus-pan-h264.mp4"
ff -itsoffset 0.5 -i "$out/corpus-pan-h264.mp4" -c copy "$out/offset-h264.mp4"
ff -itsoffset 0.5 -i "$out/vp9.webm" -c copy "$out/offset-vp9.webm"
ls -l "$out"
