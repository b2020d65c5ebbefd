#!/usr/bin/env bash
# Peak memory by video length: `video_frames` + `detect_objects` over the 4 s fixture looped
# 1x and 10x, each in its own `mediasql query` process under /usr/bin/time -v. Frames are
# decoded a batch at a time, so the longer video should need no more memory (goal: <= 1.1x).
#
#   benches/video_rss.sh [BINARY]   (default target/debug/mediasql; needs ffmpeg)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/mediasql}"
work="$(mktemp -d /tmp/mediasql-rss-XXXX)"
trap 'rm -rf "$work"' EXIT
fixture=sql-tests/fixtures/video/scenes.mp4
for loops in 1 10; do
  video="$work/x$loops.mp4"
  ffmpeg -loglevel error -y -stream_loop $((loops - 1)) -i "$fixture" -c copy -movflags +faststart "$video"
  sql="SELECT count(*), sum(cardinality(detect_objects(image))) FROM video_frames('$video', 5)"
  /usr/bin/time -v "$BIN" query "$sql" >"$work/out" 2>"$work/time"
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
  echo "video ${loops}x ($((loops * 4)) s): peak RSS ${rss} KiB, wall ${wall}, $(grep -E '^\| [0-9]' "$work/out" | tr -s ' ')"
done
