#!/usr/bin/env bash
# Issue 13 benchmark: bifrost-media thumbnails/posters/proxies against ImageMagick `convert
# -thumbnail` and plain `ffmpeg` command lines, per file, interleaved, same run. Not run in CI.
#
#   bash bench/media.sh                 # 1,000 images, 20 videos of 4 s at 1080p
#   bash bench/media.sh --quick         # 40 images, 2 videos (smoke run; figures not meaningful)
#   IMAGES=200 VIDEOS=5 SECONDS=4 bash bench/media.sh
#
# Needs ffmpeg and ImageMagick (`apt-get install ffmpeg imagemagick`). Scratch in
# $BENCH_SCRATCH/media (default /work/bench-scratch), kept between runs so inputs are made once;
# delete it to start afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES="${IMAGES:-1000}" VIDEOS="${VIDEOS:-20}" SECONDS_EACH="${SECONDS:-4}"
if [ "${1:-}" = "--quick" ]; then IMAGES=40 VIDEOS=2; fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bifrost-target}"
SCRATCH="${BENCH_SCRATCH:-/work/bench-scratch}/media-${IMAGES}-${VIDEOS}-${SECONDS_EACH}"
for tool in ffmpeg ffprobe convert; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install ffmpeg imagemagick" >&2; exit 1; }
done

cargo build --release -q -p bifrost-media --example media_bench
BIN="$CARGO_TARGET_DIR/release/examples/media_bench"
echo "== generating inputs in $SCRATCH (reused when present)" >&2
"$BIN" gen "$SCRATCH" "$IMAGES" "$VIDEOS" "$SECONDS_EACH"
rm -rf "$SCRATCH/out"
echo "== running (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
"$BIN" run "$SCRATCH" > "$SCRATCH/results.jsonl"
echo "== done (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
python3 bench/media_report.py "$SCRATCH/results.jsonl"
