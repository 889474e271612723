#!/usr/bin/env bash
# Reproduces every figure in BENCHMARKS.md ("Foundation (issue 2)").
#
#   bash bench/run.sh            # full run: 10 x 256 MiB versions, 10,000 small files, 1 GiB hash
#   bash bench/run.sh --quick    # smoke run with small sizes (figures are not meaningful)
#   bash bench/run.sh --out results.md --json results.json
#   bash bench/run.sh --no-build   # use the binaries already built (e.g. while the tree is mid-edit)
#
# Environment:
#   CARGO_TARGET_DIR   where to build (default: $HOME/.cache/bifrost-target)
#   BENCH_SCRATCH      parent of the scratch directory (default: /work/bench-scratch); a fresh
#                      subdirectory is made there and removed on exit, whatever happens
#
# Needs: cargo, python3 >= 3.9, restic (0.14 was used for the published figures), du, cp, diff.
# Bifrost and restic are always measured in the same run, back to back, on the same bytes.
set -euo pipefail

QUICK=0
BUILD=1
OUT=""
JSON=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --no-build) BUILD=0 ;;
        --out) OUT="$2"; shift ;;
        --json) JSON="$2"; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
# Resolve output paths before changing directory.
[[ -n "$OUT" ]] && OUT="$(realpath -m "$OUT")"
[[ -n "$JSON" ]] && JSON="$(realpath -m "$JSON")"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bifrost-target}"
SCRATCH_BASE="${BENCH_SCRATCH:-/work/bench-scratch}"
BIFROST="$CARGO_TARGET_DIR/release/bifrost"

if [[ $QUICK == 1 ]]; then
    SIZES=(--big-mib 32 --versions 4 --dirs 10 --files 100 --small-reps 1 --rounds 2 --ballast-mib 128)
    HASH_MIB=128
    NEED_GIB=1
else
    SIZES=(--big-mib 256 --versions 10 --dirs 100 --files 100 --small-reps 5 --rounds 5)
    HASH_MIB=1024
    NEED_GIB=12
fi

for tool in cargo python3 restic du cp diff; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' \
    || { echo "bench: python3 >= 3.9 is required (random.randbytes)" >&2; exit 1; }

mkdir -p "$SCRATCH_BASE"
case "$(realpath "$SCRATCH_BASE")/" in
    "$ROOT"/*) echo "bench: BENCH_SCRATCH must be outside the repository" >&2; exit 1 ;;
esac
free_kib=$(df -Pk "$SCRATCH_BASE" | awk 'NR==2 {print $4}')
if (( free_kib < NEED_GIB * 1024 * 1024 )); then
    echo "bench: $SCRATCH_BASE has $((free_kib / 1024)) MiB free; $NEED_GIB GiB needed" >&2
    exit 1
fi
SCRATCH="$(mktemp -d "$SCRATCH_BASE/run.XXXXXX")"
cleanup() {
    rm -rf "$SCRATCH"
    rmdir "$SCRATCH_BASE" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$ROOT"
if [[ $BUILD == 1 ]]; then
    echo "bench: building the release binary and the chunk_hash example ($CARGO_TARGET_DIR)" >&2
    cargo build --release -p bifrost-cli >&2
    cargo build --release -p bifrost-store --example chunk_hash >&2
fi
CHUNK_HASH="$CARGO_TARGET_DIR/release/examples/chunk_hash"
for bin in "$BIFROST" "$CHUNK_HASH"; do
    [[ -x "$bin" ]] || { echo "bench: $bin is missing; run without --no-build" >&2; exit 1; }
done

RESULTS="$SCRATCH/results.md"
{
    echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC')$([[ $QUICK == 1 ]] && echo ' (--quick: smoke sizes, not meaningful)')"
    echo
    echo "- machine: $(nproc) cores (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
    echo "- CPU features used by the hashes: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512vl|sha_ni|aes|vaes)$' | tr '\n' ' ')(BLAKE3 uses AVX-512; restic's SHA-256 uses SHA-NI, its AES uses AES-NI)"
    fs="$(findmnt -n -o FSTYPE -T "$SCRATCH" 2>/dev/null || stat -f -c %T "$SCRATCH")"
    dev="$(basename "$(findmnt -n -o SOURCE -T "$SCRATCH" 2>/dev/null || echo none)")"
    [[ "$(cat "/sys/fs/ext4/$dev/journal_task" 2>/dev/null)" == "<none>" ]] && fs="$fs without a journal"
    echo "- scratch filesystem: $fs on $dev ($SCRATCH_BASE); page cache warm for every tool (caches cannot be dropped here)"
    echo "- tools: $("$BIFROST" --version), $(restic version | cut -d' ' -f1-2), $(python3 --version), $(rustc --version | cut -d' ' -f1-2)"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$([[ -n "$(git status --porcelain 2>/dev/null)" ]] && echo ' (with uncommitted changes)')$([[ $BUILD == 0 ]] && echo '; --no-build: binaries as previously built')"
    echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "### BLAKE3 / FastCDC, single core ($HASH_MIB MiB in memory)"
    echo
    echo '`cargo run --release -p bifrost-store --example chunk_hash -- --size-mib '"$HASH_MIB"'`'
    echo
} | tee "$RESULTS"

# Same as `cargo run --release -p bifrost-store --example chunk_hash -- --size-mib N` (built above).
"$CHUNK_HASH" --size-mib "$HASH_MIB" | tee -a "$RESULTS"
echo | tee -a "$RESULTS"

python3 "$ROOT/bench/bench.py" --bifrost "$BIFROST" --scratch "$SCRATCH" "${SIZES[@]}" \
    ${JSON:+--json "$JSON"} | tee -a "$RESULTS"
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS"

[[ -n "$OUT" ]] && cp "$RESULTS" "$OUT"
exit 0
