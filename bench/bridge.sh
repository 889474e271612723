#!/usr/bin/env bash
# Edge bridge benchmark (BENCHMARKS.md, "Issue 17: bridge"): the same points written through
# Bifrost's line-protocol sink to InfluxDB 1.x and VictoriaMetrics (Debian packages, started on
# free ports with data in a temporary directory), their ingest rate and disk bytes per point, and
# Bifrost's disk log append rate and bytes per point.
#   bash bench/bridge.sh [POINTS] [SERIES]      # default 1,000,000 points over 100 series
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bifrost-target}"
command -v influxd >/dev/null || { echo "install Debian's influxdb (apt-get install influxdb)" >&2; exit 1; }
command -v victoria-metrics >/dev/null || { echo "install Debian's victoria-metrics" >&2; exit 1; }
cargo run --release -q -p bifrost-bridge --example bridge_bench -- "${1:-1000000}" "${2:-100}"
