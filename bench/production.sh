#!/usr/bin/env bash
# Reproduces bench/production-results.md: the catalog at production scale (100,000 assets,
# 20,000 shots, 1,000,000 versions, 500,000 links) on SQLite and on PostgreSQL: bulk import time,
# p50/p95/p99/max latency of asset show, search (3 queries + 1 extra), used-by --transitive and
# report status, and the query plans behind them (crates/bifrost-catalog/examples/production_bench.rs).
#
#   bash bench/production.sh                 # full scale, 200 iterations per operation
#   bash bench/production.sh --quick         # scale 0.1, 50 iterations (figures not comparable);
#                                            # writes ${TMPDIR:-/tmp}/production-results-quick.md
#   bash bench/production.sh --out FILE      # write the results elsewhere
#   bash bench/production.sh --no-build      # use the example binary already built
#   bash bench/production.sh --sqlite-only | --postgres-only
#
# Environment:
#   CARGO_TARGET_DIR  where to build (default: $HOME/.cache/bifrost-target)
#   PG_URL            PostgreSQL server to use (default: postgres://postgres@127.0.0.1:5432/postgres);
#                     the benchmark creates its own database bifrost_bench_<pid> there and drops it
#   BENCH_SCRATCH     parent of the scratch directory for the SQLite catalog (default: /tmp); a
#                     fresh subdirectory is made there and removed on exit
#   BENCH_BUDGET_SECS per-operation time budget before stopping early (default: 90)
#   BENCH_IDLE_LOAD   before each backend, wait (up to BENCH_IDLE_WAIT seconds, default 900)
#                     until the 1-minute load average is below this (default: 1.5; 0 = no wait):
#                     on a shared machine other work inflates every figure
#
# Needs: cargo, a PostgreSQL server (unless --sqlite-only). About 1.5 GB of scratch disk at full
# scale. Takes about 5 minutes per backend at full scale on 2 cores.
set -euo pipefail

QUICK=0
BUILD=1
OUT=""
RUN_SQLITE=1
RUN_PG=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --no-build) BUILD=0 ;;
        --out) OUT="$2"; shift ;;
        --sqlite-only) RUN_PG=0 ;;
        --postgres-only) RUN_SQLITE=0 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bifrost-target}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BUDGET="${BENCH_BUDGET_SECS:-90}"
BIN="$CARGO_TARGET_DIR/release/examples/production_bench"

if [[ $QUICK == 1 ]]; then
    SCALE=0.1
    ITERATIONS=50
    [[ -z "$OUT" ]] && OUT="${TMPDIR:-/tmp}/production-results-quick.md"
else
    SCALE=1.0
    ITERATIONS=200
    [[ -z "$OUT" ]] && OUT="$ROOT/bench/production-results.md"
fi
OUT="$(realpath -m "$OUT")"

SCRATCH="$(mktemp -d "${BENCH_SCRATCH:-/tmp}/bifrost-production-bench.XXXXXX")"
cleanup() { rm -rf "$SCRATCH"; }
trap cleanup EXIT

BUILD_CMD="cd $ROOT && CARGO_TARGET_DIR=$CARGO_TARGET_DIR cargo build --release -p bifrost-catalog --example production_bench"
if [[ $BUILD == 1 ]]; then
    echo "building: $BUILD_CMD" >&2
    (cd "$ROOT" && cargo build --release -p bifrost-catalog --example production_bench) >&2
fi
[[ -x "$BIN" ]] || { echo "$BIN is missing: build it first (drop --no-build)" >&2; exit 1; }

COMMON=(--scale "$SCALE" --iterations "$ITERATIONS" --warmup 10 --budget-secs "$BUDGET")

# -- Machine
CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
[[ -z "$CPU" ]] && CPU="$(uname -m)"
MEM="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo '?')"
COMMIT="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
DIRTY="$(cd "$ROOT" && git status --porcelain 2>/dev/null | wc -l | tr -d ' ')"
# Fingerprint of the uncommitted catalog changes the binary was built from (read-only git).
CATALOG_DIFF="$(cd "$ROOT" && git diff HEAD -- crates/bifrost-catalog crates/bifrost-core 2>/dev/null | sha256sum | cut -c1-12)"
RUSTC="$(rustc --version 2>/dev/null || echo '?')"
PG_VERSION="$(psql "$PG_URL" -Atc 'SHOW server_version' 2>/dev/null || echo 'see the PostgreSQL section')"

IDLE_LOAD="${BENCH_IDLE_LOAD:-1.5}"
IDLE_WAIT="${BENCH_IDLE_WAIT:-900}"
wait_idle() {
    [[ "$IDLE_LOAD" == 0 ]] && return 0
    local waited=0
    while awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v t="$IDLE_LOAD" 'BEGIN {exit !(l >= t)}'; do
        if ((waited >= IDLE_WAIT)); then
            echo "load average still $(cut -d' ' -f1-3 /proc/loadavg) after ${waited} s: running anyway" >&2
            return 0
        fi
        ((waited % 60 == 0)) && echo "waiting for load average < $IDLE_LOAD (now $(cut -d' ' -f1 /proc/loadavg))…" >&2
        sleep 10
        waited=$((waited + 10))
    done
}

SECTIONS=()
run_backend() { # name catalog-url out-md out-tsv
    local name="$1" url="$2" md="$3" tsv="$4"
    local load
    wait_idle
    load="$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "== $name: load average before the run: $load" >&2
    local cmd=("$BIN" --catalog "$url" "${COMMON[@]}" --summary "$tsv")
    echo "running: ${cmd[*]}" >&2
    local t0 t1
    t0=$(date +%s)
    "${cmd[@]}" >"$md.raw"
    t1=$(date +%s)
    # The command goes right under the section's heading.
    {
        head -n 1 "$md.raw"
        echo
        echo "Command: \`${cmd[*]/$SCRATCH/\$SCRATCH}\` (load average before: $load; whole run, generation and plans included: $((t1 - t0)) s)."
        tail -n +2 "$md.raw"
    } >"$md"
    SECTIONS+=("$name")
}

if [[ $RUN_SQLITE == 1 ]]; then
    run_backend SQLite "$SCRATCH/catalog.db" "$SCRATCH/sqlite.md" "$SCRATCH/sqlite.tsv"
fi
if [[ $RUN_PG == 1 ]]; then
    run_backend PostgreSQL "$PG_URL" "$SCRATCH/postgres.md" "$SCRATCH/postgres.tsv"
fi

# -- Combined summary from the TSV files.
summary_table() {
    local files=() names=()
    [[ -f "$SCRATCH/sqlite.tsv" ]] && { files+=("$SCRATCH/sqlite.tsv"); names+=(SQLite); }
    [[ -f "$SCRATCH/postgres.tsv" ]] && { files+=("$SCRATCH/postgres.tsv"); names+=(PostgreSQL); }
    local header="| operation | target p95 |" rule="|---|---|"
    for n in "${names[@]}"; do
        header+=" $n p50 ms | $n p95 ms | $n met | $n first call ms |"
        rule+="---:|---:|---|---:|"
    done
    echo "$header"
    echo "$rule"
    local ops
    ops="$(awk -F'\t' 'NR > 1 {print $1}' "${files[0]}")"
    while IFS= read -r op; do
        local line target
        target="$(awk -F'\t' -v op="$op" '$1 == op {print $8}' "${files[0]}")"
        [[ "$target" == "-" ]] && target="— (aggregate)" || target="< $target ms"
        line="| $op | $target |"
        for f in "${files[@]}"; do
            line+="$(awk -F'\t' -v op="$op" '$1 == op {m = ($9 == "NO") ? "**NO**" : $9; printf " %s | %s | %s | %s |", $4, $5, m, $10}' "$f")"
        done
        echo "$line"
    done <<<"$ops"
    echo
    local imports=""
    for i in "${!files[@]}"; do
        imports+="${names[$i]} $(awk -F'\t' '$1 == "import" {print $2}' "${files[$i]}") s; "
    done
    echo "Bulk import of the whole production (one \`bulk_import\` call): ${imports%; } (target < 60 s on SQLite)."
    echo
    echo "p50/p95: calls on one open catalog (warm connections and prepared statements). First call:"
    echo "median of the first call on a freshly opened catalog, as each \`bifrost\` CLI command makes it."
}

{
    echo "# Catalog at production scale (issue benchmark)"
    echo
    echo "Generated by \`bench/production.sh$([[ $QUICK == 1 ]] && echo ' --quick')\` on $(date -u '+%Y-%m-%d %H:%M UTC'); regenerate with the same command."
    if [[ $QUICK == 1 ]]; then
        echo
        echo "**Quick run (scale $SCALE, $ITERATIONS iterations): figures are not the benchmark's.**"
    fi
    echo
    echo "## Machine and method"
    echo
    echo "- Machine: $(nproc) CPU cores ($CPU), $MEM RAM, $(uname -sr); shared with other builds, so"
    echo "  latencies carry noise (the load average before each run is given with its command)."
    echo "- Source: commit $COMMIT with $DIRTY changed/untracked paths in the working tree (the catalog was"
    echo "  being worked on; sha256 of \`git diff HEAD -- crates/bifrost-catalog crates/bifrost-core\`:"
    echo "  $CATALOG_DIFF…); $RUSTC, release profile."
    echo "- PostgreSQL server: $PG_VERSION at \`${PG_URL%%\?*}\` (default configuration); the benchmark"
    echo "  creates a database \`bifrost_bench_<pid>\` for the run and drops it afterwards."
    echo "- Build: \`$BUILD_CMD\`"
    echo "- Run: \`bash bench/production.sh$([[ $QUICK == 1 ]] && echo ' --quick')\`, which runs the example once per backend (commands below"
    echo "  each section). Scale $SCALE: $(awk -v s="$SCALE" 'BEGIN {printf "%d assets, %d sequences x 100 shots, %d versions, %d links", 100000*s, 200*s, 1000000*s, 500000*s}')."
    echo "- What is timed: the catalog calls only, in-process (a tokio multi-thread runtime with 2"
    echo "  workers), $ITERATIONS timed runs per operation after 10 untimed warm-up runs; an operation stops"
    echo "  early after ${BUDGET} s with at least 20 samples. \`asset show\` is \`get_asset\` + \`list_versions\` +"
    echo "  \`version_files\` of the latest version (what \`bifrost asset show\` calls), on a different asset each"
    echo "  run; searches use limit 100 like the CLI."
    echo "- Query plans: the SQL of each operation is captured from sqlx's statement log during one call"
    echo "  and explained with the values the catalog binds (SQLite \`EXPLAIN QUERY PLAN\`; PostgreSQL"
    echo "  \`EXPLAIN (ANALYZE, BUFFERS)\` and the generic plan of the prepared statement)."
    echo
    echo "## Summary"
    echo
    summary_table
    echo
    for name in "${SECTIONS[@]}"; do
        case "$name" in
            SQLite) cat "$SCRATCH/sqlite.md" ;;
            PostgreSQL) cat "$SCRATCH/postgres.md" ;;
        esac
        echo
    done
} >"$OUT"
echo "wrote $OUT" >&2
