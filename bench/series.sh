#!/usr/bin/env bash
# Issue 17: the edge time-series engine — ingest rate, bytes per point on realistic signals,
# resident memory for 1M points, and window aggregation against numpy/pandas on the same data.
# Release build; not run in CI. Needs python3 (a venv with numpy and pandas is made under
# ~/.cache/series-bench-venv on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-${CARGO_TARGET_DIR:-target}/series-bench}
venv=$HOME/.cache/series-bench-venv
if ! "$venv/bin/python" -c "import numpy, pandas" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy pandas
fi
nproc; grep -m1 "model name" /proc/cpuinfo || true
cargo run --release -q -p bifrost-series --example series_bench -- "$out"
"$venv/bin/python" bench/series_windows.py "$out"
