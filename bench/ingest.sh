#!/usr/bin/env bash
# Batch ingest and packages (issue 5): `bifrost ingest` of a generated asset tree side by side
# with `restic backup` and `git add` + `git lfs`, and `bifrost pkg create/extract` against
# `zip`/`unzip` of the same files. Prints a Markdown table (and writes it to --out).
#
#   bash bench/ingest.sh                    # 10,000 assets, ~2 GiB, 30% duplicate content
#   bash bench/ingest.sh --assets 2000      # smaller scale (same shape: ~200 KiB per asset)
#   bash bench/ingest.sh --no-build --out results.md
#
# Environment:
#   CARGO_TARGET_DIR   where the release binary is built (default: $HOME/.cache/bifrost-target)
#   BIFROST_BIN        the binary to measure (default: $CARGO_TARGET_DIR/release/bifrost)
#   BENCH_SCRATCH      parent of the scratch directory (default: /work/bench-scratch); a fresh
#                      subdirectory is made there and removed on exit
#
# Needs: cargo, python3 >= 3.9, restic, git, git-lfs, zip, unzip, du.
# Data: random.Random(seed) bytes (incompressible, identical on every machine); each asset is a
# directory of 1-3 files, 50-350 KiB in all; assets repeating an earlier asset's files make up
# 30% of the bytes.
# Every tool reads the same tree, back to back, with the tree in the page cache for all of them.
set -euo pipefail

ASSETS=10000
BUILD=1
OUT=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --assets) ASSETS="$2"; shift ;;
        --no-build) BUILD=0 ;;
        --out) OUT="$(realpath -m "$2")"; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bifrost-target}"
BIFROST="${BIFROST_BIN:-$CARGO_TARGET_DIR/release/bifrost}"
SCRATCH_BASE="${BENCH_SCRATCH:-/work/bench-scratch}"

for tool in cargo python3 restic git git-lfs zip unzip du; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install restic git-lfs zip unzip)" >&2; exit 1; }
done
mkdir -p "$SCRATCH_BASE"
case "$(realpath "$SCRATCH_BASE")/" in
    "$ROOT"/*) echo "bench: BENCH_SCRATCH must be outside the repository" >&2; exit 1 ;;
esac
SCRATCH="$(mktemp -d "$SCRATCH_BASE/ingest.XXXXXX")"
cleanup() { rm -rf "$SCRATCH"; rmdir "$SCRATCH_BASE" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$ROOT"
if [[ $BUILD == 1 ]]; then
    echo "bench: building the release binary ($CARGO_TARGET_DIR)" >&2
    cargo build --release --bin bifrost >&2
fi

TREE="$SCRATCH/tree"
echo "bench: generating $ASSETS assets in $TREE" >&2
python3 - "$TREE" "$ASSETS" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261121)
kept = []
total = dup = 0
for i in range(n):
    d = os.path.join(root, "assets", f"a{i:05d}")
    os.makedirs(d)
    if kept and dup < 0.3 * total:                   # keep 30% of the bytes duplicates
        files = kept[rng.randrange(len(kept))]        # a copy of an earlier asset
        dup += sum(len(b) for _, b in files)
    else:
        size = rng.randint(50 * 1024, 350 * 1024)
        parts = rng.randint(1, 3)
        sizes = [size // parts] * parts
        files = [(f"f{k}.bin", rng.randbytes(s)) for k, s in enumerate(sizes)]
        kept.append(files)
        if len(kept) > 500:
            kept.pop(0)
    total += sum(len(b) for _, b in files)
    for name, data in files:
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
EOF
RAW=$(du -sb "$TREE" | cut -f1)
FILES=$(find "$TREE" -type f | wc -l)

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

# Bifrost
BF="$SCRATCH/bifrost"
"$BIFROST" init -q "$BF"
cat > "$SCRATCH/rules.toml" <<'EOF'
[[rule]]
glob = "assets/*/"
asset = "{1}"
type = "prop"
EOF
t0=$(now); "$BIFROST" -C "$BF" -q ingest "$TREE" --rules "$SCRATCH/rules.toml" >/dev/null; t1=$(now)
BF_S=$(secs "$t0" "$t1")
BF_STORE=$(du -sb "$BF/.bifrost/store" | cut -f1)
BF_ALL=$(du -sb "$BF/.bifrost" | cut -f1)
t0=$(now); "$BIFROST" -C "$BF" -q ingest "$TREE" --rules "$SCRATCH/rules.toml" >/dev/null; t1=$(now)
BF_AGAIN_S=$(secs "$t0" "$t1")

# restic
export RESTIC_PASSWORD=bench RESTIC_REPOSITORY="$SCRATCH/restic"
restic init -q >/dev/null
t0=$(now); restic backup -q "$TREE" >/dev/null; t1=$(now)
RS_S=$(secs "$t0" "$t1")
RS_ALL=$(du -sb "$SCRATCH/restic" | cut -f1)

# git + git lfs (the tree copied in, then add + commit; LFS objects are stored once per content)
G="$SCRATCH/git"
mkdir -p "$G" && cp -a "$TREE/assets" "$G/"
(
    cd "$G"
    git init -q . && git lfs install --local >/dev/null
    git lfs track '*.bin' >/dev/null
    git -c user.name=b -c user.email=b@b add .gitattributes
    t0=$(now)
    git -c user.name=b -c user.email=b@b add -A
    git -c user.name=b -c user.email=b@b commit -qm bench
    t1=$(now)
    echo "$(secs "$t0" "$t1")" > "$SCRATCH/git.s"
)
GIT_S=$(cat "$SCRATCH/git.s")
GIT_ALL=$(du -sb "$G/.git" | cut -f1)

# Packages against zip/unzip of the same files
PKG="$SCRATCH/all.bfpkg"
t0=$(now); "$BIFROST" -C "$BF" -q pkg create "$PKG" --search 'type:prop' >/dev/null; t1=$(now)
PKG_C=$(secs "$t0" "$t1")
PKG_SIZE=$(stat -c %s "$PKG")
t0=$(now); "$BIFROST" -q pkg extract "$PKG" "$SCRATCH/pkg-out" >/dev/null; t1=$(now)
PKG_X=$(secs "$t0" "$t1")
t0=$(now); (cd "$TREE" && zip -q -r "$SCRATCH/all.zip" assets); t1=$(now)
ZIP_C=$(secs "$t0" "$t1")
ZIP_SIZE=$(stat -c %s "$SCRATCH/all.zip")
t0=$(now); unzip -q "$SCRATCH/all.zip" -d "$SCRATCH/zip-out"; t1=$(now)
ZIP_X=$(secs "$t0" "$t1")
t0=$(now); (cd "$TREE" && zip -q -0 -r "$SCRATCH/all0.zip" assets); t1=$(now)
ZIP0_C=$(secs "$t0" "$t1")

mib() { python3 -c "print(f'{$1 / 1048576:.0f}')"; }
rate() { python3 -c "print(f'{$1 / 1048576 / max($2, 0.001):.0f}')"; }
pct() { python3 -c "print(f'{100 - 100 * $1 / $2:.1f}')"; }
REPORT=$(cat <<EOF
Tree: $ASSETS assets, $FILES files, $(mib "$RAW") MiB (30% of the bytes repeat earlier assets).

| | wall time (s) | stored (MiB) | saved vs raw |
|---|---:|---:|---:|
| bifrost ingest (store / all of .bifrost) | $BF_S | $(mib "$BF_STORE") / $(mib "$BF_ALL") | $(pct "$BF_ALL" "$RAW")% |
| bifrost ingest again (resume, nothing new) | $BF_AGAIN_S | | |
| restic backup | $RS_S | $(mib "$RS_ALL") | $(pct "$RS_ALL" "$RAW")% |
| git add + commit (git lfs) | $GIT_S | $(mib "$GIT_ALL") | $(pct "$GIT_ALL" "$RAW")% |

| packages | create (s) | MiB/s | extract (s) | MiB/s | file (MiB) |
|---|---:|---:|---:|---:|---:|
| bifrost pkg (distinct contents, from the store) | $PKG_C | $(rate "$RAW" "$PKG_C") | $PKG_X | $(rate "$RAW" "$PKG_X") | $(mib "$PKG_SIZE") |
| zip -r / unzip (deflate) | $ZIP_C | $(rate "$RAW" "$ZIP_C") | $ZIP_X | $(rate "$RAW" "$ZIP_X") | $(mib "$ZIP_SIZE") |
| zip -0 -r (stored) | $ZIP0_C | $(rate "$RAW" "$ZIP0_C") | | | |
EOF
)
echo "$REPORT"
[[ -n "$OUT" ]] && echo "$REPORT" > "$OUT"
exit 0
