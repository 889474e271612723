#!/usr/bin/env bash
# Edge bridge Modbus benchmark (BENCHMARKS.md, "Edge: Modbus (issue 6)").
# One server (Bifrost's simulator, release build, its own process) on loopback; the clients run one after
# another against it in the same run: Bifrost (Rust), Bifrost pipelined (8 in flight),
# tokio-modbus, Bifrost's Python API and pymodbus's async client. Each measures p50/p99 latency
# of 1, 100 and 1,000-register reads, then throughput of 100 connections reading 100 registers.
#   bash bench/modbus.sh                    # ITERATIONS=2000 per size (PY_ITERATIONS for Python)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bifrost-target}"
VENV="${BIFROST_VENV:-$HOME/.cache/bifrost-venv}"
ITERATIONS="${ITERATIONS:-2000}"
PY_ITERATIONS="${PY_ITERATIONS:-$ITERATIONS}"
PORT="${PORT:-15502}"
OUT=bench-work/modbus
mkdir -p "$OUT"

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import maturin, pymodbus' 2>/dev/null || "$VENV/bin/pip" install -q maturin 'pymodbus==3.*'
cargo build --release -q -p bifrost-edge --example modbus_bench
(cd crates/bifrost-py && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop --release -q)

# The server: Bifrost's simulator (what `bifrost edge simulate` serves), release build.
"$CARGO_TARGET_DIR/release/examples/modbus_bench" serve "127.0.0.1:$PORT" &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

for client in bifrost bifrost-pipelined tokio-modbus; do
  echo "== $client" >&2
  "$CARGO_TARGET_DIR/release/examples/modbus_bench" "$client" "127.0.0.1:$PORT" "$ITERATIONS" > "$OUT/$client.json"
done
for client in bifrost-py pymodbus; do
  echo "== $client" >&2
  "$VENV/bin/python" bench/modbus_py.py "$client" "127.0.0.1:$PORT" "$PY_ITERATIONS" > "$OUT/$client.json"
done

python3 - "$OUT" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
names = {"bifrost": "Bifrost (Rust)", "bifrost-pipelined": "Bifrost (Rust, pipeline=8)",
         "tokio-modbus": "tokio-modbus 0.17", "bifrost-py": "Bifrost (Python API)",
         "pymodbus": "pymodbus 3.16 async"}
runs = {k: json.loads((out / f"{k}.json").read_text()) for k in names}
base = runs["bifrost"]
print("| client | 1 reg p50 / p99 (µs) | 100 regs p50 / p99 (µs) | 1,000 regs p50 / p99 (µs) | 100 conns (reads/s) |")
print("|---|---|---|---|---|")
for k, name in names.items():
    r = runs[k]; cells = []
    for size in ("1", "100", "1000"):
        l = r["latency"][size]
        cells.append(f'{l["p50_us"]:.0f} / {l["p99_us"]:.0f} ({l["p50_us"] / base["latency"][size]["p50_us"]:.2f}×)')
    t = r["throughput_reads_per_s"]
    cells.append(f'{t:,.0f} ({t / base["throughput_reads_per_s"]:.2f}×)')
    print(f"| {name} | " + " | ".join(cells) + " |")
PY
