#!/usr/bin/env bash
# Issue 4: `bifrost serve` against Zou (the Kitsu API server, from PyPI) side by side on this
# machine, both on the same PostgreSQL server, under wrk load from loopback: GET one asset,
# list 100 assets, create a shot. Prints a markdown table (requests/s, p50, p99, non-2xx and
# the Bifrost/Zou ratios).
#
#   bash bench/server.sh                      # build, set up both servers, measure, tear down
#   bash bench/server.sh --no-build           # use the release binary already built
#   bash bench/server.sh --duration 20 --connections 64 --threads 2 --rounds 1
#   bash bench/server.sh --zou-workers 3 --zou-worker-class gevent
#   bash bench/server.sh --bifrost-catalog sqlite   # Bifrost on its embedded SQLite instead
#   bash bench/server.sh --out results.md
#   bash bench/server.sh --python             # also issue 12's Python figures (bench/python_hub.py):
#                                             # bifrost.hub vs gazu (list 100 assets), and
#                                             # bifrost.hub vs the CLI (publish/checkout 1 GiB)
#   bash bench/server.sh --python --no-wrk --size-mib 1024
#
# Environment:
#   CARGO_TARGET_DIR  where to build (default: $HOME/.cache/bifrost-target)
#   PG_URL            PostgreSQL server (default: postgres://postgres@127.0.0.1:5432/postgres);
#                     the benchmark creates bifrost_srv_<pid> and zou_srv_<pid> there and drops
#                     them on exit
#   ZOU_VENV          venv with zou (default: $HOME/.cache/zou-venv; created with
#                     `pip install zou` when missing)
#   KV_HOST/KV_PORT   Redis for Zou (default 127.0.0.1:6379)
#
# Zou runs as its production docs describe: gunicorn with gevent workers (3 by default, as in
# the docs' /etc/zou/gunicorn.py), no access log; requests go to gunicorn directly (no nginx
# in front), which only helps Zou. Bifrost runs `bifrost serve` (release build) with its
# defaults except the per-address and per-token rate limits, which are off (wrk is one address
# and one token; what is measured is the server, not the limiter). Each workload runs on both servers one after the other (order alternating between
# rounds), after a 3 s warm-up of the same workload. wrk shares the two cores with the server
# under test.
#
# Needs: cargo, python3, psql, a PostgreSQL server, Redis (Zou keeps its token blacklist
# there), wrk (installed with apt when missing), curl.
set -euo pipefail

BUILD=1
DURATION=20
CONNECTIONS=64
THREADS=2
ROUNDS=1
ZOU_WORKERS=3
ZOU_CLASS=gevent
BIFROST_CATALOG=postgres
OUT=""
PYTHON=0
WRK=1
SIZE_MIB=1024
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --duration) DURATION="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --zou-workers) ZOU_WORKERS="$2"; shift ;;
    --zou-worker-class) ZOU_CLASS="$2"; shift ;;
    --bifrost-catalog) BIFROST_CATALOG="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --python) PYTHON=1 ;;
    --no-wrk) WRK=0 ;;
    --size-mib) SIZE_MIB="$2"; shift ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bifrost-target}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_SERVER="${PG_URL%/*}"
PG_HOSTPORT="${PG_SERVER#*@}"
ZOU_VENV="${ZOU_VENV:-$HOME/.cache/zou-venv}"
BIN="$CARGO_TARGET_DIR/release/bifrost"
say() { printf '== %s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------------------------
SUDO=""
[[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
if ! command -v wrk >/dev/null; then
  say "installing wrk"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
if ! "$ZOU_VENV/bin/python" -c 'import zou' 2>/dev/null; then
  say "installing zou into $ZOU_VENV"
  python3 -m venv "$ZOU_VENV"
  "$ZOU_VENV/bin/pip" install -q zou
fi
if [[ $BUILD == 1 ]]; then
  say "cargo build --release --bin bifrost"
  (cd "$ROOT" && cargo build --release --bin bifrost) >&2
fi
[[ -x "$BIN" ]] || { echo "$BIN is missing: build it first (drop --no-build)" >&2; exit 1; }

# --- scratch, databases, cleanup --------------------------------------------------------------
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/bifrost-server-bench.XXXXXX")"
BIFROST_DB="bifrost_srv_$$"
ZOU_DB="zou_srv_$$"
BIFROST_PID=""
ZOU_PID=""
psql_admin() { psql "$PG_URL" -w -qAtc "$1"; }
cleanup() {
  [[ -n "$BIFROST_PID" ]] && { kill -TERM "$BIFROST_PID" 2>/dev/null || true; wait "$BIFROST_PID" 2>/dev/null || true; }
  [[ -n "$ZOU_PID" ]] && { kill -TERM "$ZOU_PID" 2>/dev/null || true; wait "$ZOU_PID" 2>/dev/null || true; }
  psql_admin "DROP DATABASE IF EXISTS \"$BIFROST_DB\" WITH (FORCE)" 2>/dev/null || true
  psql_admin "DROP DATABASE IF EXISTS \"$ZOU_DB\" WITH (FORCE)" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() { # wait_http URL PID LOG
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; echo "server exited" >&2; return 1; }
    sleep 0.1
  done
  cat "$3" >&2
  echo "no answer from $1" >&2
  return 1
}

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- Zou --------------------------------------------------------------------------------------
say "Zou: database $ZOU_DB, init-db, init-data, create-admin"
psql_admin "CREATE DATABASE \"$ZOU_DB\""
export DB_HOST="${PG_HOSTPORT%%:*}" DB_PORT="${PG_HOSTPORT##*:}" DB_USERNAME=postgres DB_PASSWORD=
export DB_DATABASE="$ZOU_DB"
export SECRET_KEY="bench-only-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export KV_HOST="${KV_HOST:-127.0.0.1}" KV_PORT="${KV_PORT:-6379}"
export PREVIEW_FOLDER="$SCRATCH/zou-previews" TMP_DIR="$SCRATCH/zou-tmp"
mkdir -p "$PREVIEW_FOLDER" "$TMP_DIR"
ZOU_PASSWORD="bench-password-$$"
(cd "$SCRATCH" && "$ZOU_VENV/bin/zou" init-db && "$ZOU_VENV/bin/zou" init-data \
  && "$ZOU_VENV/bin/zou" create-admin admin@example.com --password "$ZOU_PASSWORD") >"$SCRATCH/zou-init.log" 2>&1 \
  || { cat "$SCRATCH/zou-init.log" >&2; exit 1; }
ZOU_PORT="$(free_port)"
(cd "$SCRATCH" && exec "$ZOU_VENV/bin/gunicorn" -k "$ZOU_CLASS" -w "$ZOU_WORKERS" \
  -b "127.0.0.1:$ZOU_PORT" --control-socket "$SCRATCH/gunicorn.ctl" zou.app:app) \
  >"$SCRATCH/zou.log" 2>&1 &
ZOU_PID=$!
ZOU="http://127.0.0.1:$ZOU_PORT"
wait_http "$ZOU/" "$ZOU_PID" "$SCRATCH/zou.log"
say "Zou: project, 100 assets, a sequence (through its API)"
eval "$("$ZOU_VENV/bin/python" "$ROOT/bench/zou_seed.py" --url "$ZOU" --email admin@example.com \
  --password "$ZOU_PASSWORD" --assets 100)"
ZOU_VERSION="$("$ZOU_VENV/bin/python" -c 'import zou; print(zou.__version__)')"

# --- Bifrost ----------------------------------------------------------------------------------
say "Bifrost: repository on $BIFROST_CATALOG, admin token, 100 assets, a sequence"
REPO="$SCRATCH/bifrost"
mkdir -p "$REPO"
if [[ $BIFROST_CATALOG == postgres ]]; then
  psql_admin "CREATE DATABASE \"$BIFROST_DB\""
  (cd "$REPO" && "$BIN" -q init --catalog "$PG_SERVER/$BIFROST_DB")
else
  (cd "$REPO" && "$BIN" -q init)
fi
(cd "$REPO" && printf '%s' "bench-password-$$" | "$BIN" -q user add admin --role admin --password-stdin >/dev/null)
BIFROST_TOKEN="$(cd "$REPO" && "$BIN" token create --user admin --name bench 2>/dev/null)"
BIFROST_PORT="$(free_port)"
(cd "$REPO" && exec "$BIN" serve --listen "127.0.0.1:$BIFROST_PORT" --rate-per-address 0 --rate-per-token 0) >"$SCRATCH/bifrost.log" 2>&1 &
BIFROST_PID=$!
BIFROST="http://127.0.0.1:$BIFROST_PORT"
wait_http "$BIFROST/healthz" "$BIFROST_PID" "$SCRATCH/bifrost.log"
bpost() { # bpost PATH JSON
  curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $BIFROST_TOKEN" \
    -H 'Content-Type: application/json' -d "$2" "$BIFROST/api/v1$1"
}
for i in $(seq 0 99); do
  bpost /projects/main/assets "$(printf '{"name":"asset%04d","type":"prop","metadata":{"description":"bench asset"}}' "$i")"
done
bpost /projects/main/sequences '{"name":"SQ010"}'
COUNT="$(curl -fsS -H "Authorization: Bearer $BIFROST_TOKEN" "$BIFROST/api/v1/projects/main/assets?limit=100" \
  | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')"
[[ "$COUNT" == 100 ]] || { echo "Bifrost lists $COUNT assets, expected 100" >&2; exit 1; }

# --- workloads --------------------------------------------------------------------------------
# workload NAME SERVER -> prints "NAME SERVER <RESULT line fields>"
RESULTS="$SCRATCH/results.txt"
: >"$RESULTS"
run_wrk() { # run_wrk SECONDS TOKEN URL [POST BODY TEMPLATE]
  local seconds="$1" token="$2" url="$3" body="${4:-}"
  if [[ -n "$body" ]]; then
    WRK_BODY="$body" WRK_PREFIX="r$RANDOM$RANDOM" wrk -c"$CONNECTIONS" -t"$THREADS" -d"${seconds}s" --timeout 30s \
      --latency -s "$ROOT/bench/wrk/load.lua" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' "$url"
  else
    wrk -c"$CONNECTIONS" -t"$THREADS" -d"${seconds}s" --timeout 30s --latency -s "$ROOT/bench/wrk/load.lua" \
      -H "Authorization: Bearer $token" "$url"
  fi
}
measure() { # measure WORKLOAD SERVER TOKEN URL [BODY]
  local workload="$1" server="$2"
  shift 2
  run_wrk 3 "$@" >/dev/null
  local out
  out="$(run_wrk "$DURATION" "$@")"
  printf '%s\n' "$out" >"$SCRATCH/wrk-$workload-$server.txt"
  local line
  line="$(grep '^RESULT ' <<<"$out")"
  printf '%s %s %s\n' "$workload" "$server" "${line#RESULT }" >>"$RESULTS"
  say "$workload $server: ${line#RESULT }"
}
BIFROST_SHOT='{"sequence":"SQ010","name":"%s","frame_start":1001,"frame_end":1096}'
ZOU_SHOT="{\"name\":\"%s\",\"sequence_id\":\"$ZOU_SEQUENCE\",\"nb_frames\":96}"
for round in $(seq 1 "$((WRK ? ROUNDS : 0))"); do
  for workload in get_asset list_assets create_shot; do
    if (( round % 2 == 1 )); then order="bifrost zou"; else order="zou bifrost"; fi
    for server in $order; do
      case "$workload/$server" in
        get_asset/bifrost) measure "$workload" "$server" "$BIFROST_TOKEN" "$BIFROST/api/v1/projects/main/assets/asset0000" ;;
        get_asset/zou) measure "$workload" "$server" "$ZOU_TOKEN" "$ZOU/data/assets/$ZOU_ASSET" ;;
        list_assets/bifrost) measure "$workload" "$server" "$BIFROST_TOKEN" "$BIFROST/api/v1/projects/main/assets?limit=100" ;;
        list_assets/zou) measure "$workload" "$server" "$ZOU_TOKEN" "$ZOU/data/projects/$ZOU_PROJECT/assets" ;;
        create_shot/bifrost) measure "$workload" "$server" "$BIFROST_TOKEN" "$BIFROST/api/v1/projects/main/shots" "$BIFROST_SHOT" ;;
        create_shot/zou) measure "$workload" "$server" "$ZOU_TOKEN" "$ZOU/data/projects/$ZOU_PROJECT/shots" "$ZOU_SHOT" ;;
      esac
    done
  done
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
BIFROST_SHOTS="$(curl -fsS -H "Authorization: Bearer $BIFROST_TOKEN" "$BIFROST/api/v1/projects/main/shots?limit=1" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')"
ZOU_SHOTS="$(curl -fsS -H "Authorization: Bearer $ZOU_TOKEN" "$ZOU/data/projects/$ZOU_PROJECT/shots" \
  | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"

# --- Python (issue 12) --------------------------------------------------------------------------
PY_REPORT=""
if [[ $PYTHON == 1 ]]; then
  say "Python: bifrost (release build of crates/bifrost-py) and gazu into $ZOU_VENV"
  "$ZOU_VENV/bin/python" -c 'import gazu, maturin' 2>/dev/null || "$ZOU_VENV/bin/pip" install -q gazu maturin
  (cd "$ROOT/crates/bifrost-py" && VIRTUAL_ENV="$ZOU_VENV" PATH="$ZOU_VENV/bin:$PATH" maturin develop --release --locked -q) >&2
  PY_JSON="$("$ZOU_VENV/bin/python" "$ROOT/bench/python_hub.py" --bin "$BIN" \
    --bifrost-url "$BIFROST" --bifrost-token "$BIFROST_TOKEN" \
    --zou-url "$ZOU" --zou-email admin@example.com --zou-password "$ZOU_PASSWORD" \
    --zou-project "$ZOU_PROJECT" --size-mib "$SIZE_MIB")"
  say "python: $PY_JSON"
  PY_REPORT="$(python3 - "$PY_JSON" "$SIZE_MIB" <<'EOF'
import json, sys
r = json.loads(sys.argv[1]); size = sys.argv[2]
def ms(s): return f"{s * 1000:,.1f} ms"
print("| Python workload | bifrost.hub | peer | peer | ratio | target |")
print("|---|---:|---|---:|---:|---|")
ratio = r["list_gazu_s"] / r["list_bifrost_hub_s"]
print(f"| list 100 assets (remote) | {ms(r['list_bifrost_hub_s'])} | gazu + Zou | {ms(r['list_gazu_s'])} | **{ratio:.1f}x faster** | >= 10x: {'met' if ratio >= 10 else 'missed'} |")
for op in ("publish", "checkout"):
    hub, cli = r[f"{op}_hub_s"], r[f"{op}_cli_s"]
    ratio = hub / cli
    print(f"| {op} {size} MiB (local) | {hub:.2f} s | bifrost CLI | {cli:.2f} s | **{ratio:.2f}x the CLI** | <= 1.2x: {'met' if ratio <= 1.2 else 'missed'} |")
EOF
)"
fi

# --- table ------------------------------------------------------------------------------------
TABLE="$(python3 - "$RESULTS" <<EOF
import sys
from collections import defaultdict
rows = defaultdict(lambda: defaultdict(list))
for line in open(sys.argv[1]):
    workload, server, *fields = line.split()
    rows[workload][server].append(dict(f.split("=") for f in fields))
labels = {
    "get_asset": "GET one asset",
    "list_assets": "list 100 assets",
    "create_shot": "create a shot (POST)",
}
def best(runs, key):
    return max(float(r[key]) for r in runs) if key == "rps" else min(float(r[key]) for r in runs)
print("| workload | server | requests/s | p50 ms | p99 ms | non-2xx | socket errors / timeouts | Bifrost/Zou req/s | p99 < 10 ms | >= 10x |")
print("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
for workload in ["get_asset", "list_assets", "create_shot"]:
    b, z = rows[workload]["bifrost"], rows[workload]["zou"]
    ratio = best(b, "rps") / best(z, "rps")
    for server, runs in (("Bifrost", b), ("Zou", z)):
        rps = " / ".join(f"{float(r['rps']):,.0f}" for r in runs)
        p50 = " / ".join(f"{float(r['p50_ms']):.2f}" for r in runs)
        p99 = " / ".join(f"{float(r['p99_ms']):.2f}" for r in runs)
        non2xx = " / ".join(r["non2xx"] for r in runs)
        errors = " / ".join(r["socket_errors"] for r in runs)
        if server == "Bifrost":
            p99ok = "met" if best(runs, "p99_ms") < 10 else "missed"
            extra = f"**{ratio:.1f}x** | {p99ok} | {'met' if ratio >= 10 else 'missed'}"
        else:
            extra = "| |"
        print(f"| {labels[workload]} | {server} | {rps} | {p50} | {p99} | {non2xx} | {errors} | {extra} |")
EOF
)"
REPORT="$(cat <<EOF
wrk 4.1: -c$CONNECTIONS -t$THREADS -d${DURATION}s --timeout 30s --latency, ${ROUNDS} round(s), 3 s warm-up per run.
Bifrost: \`bifrost serve\` (release), catalog: $BIFROST_CATALOG. Zou $ZOU_VERSION: gunicorn -k $ZOU_CLASS -w $ZOU_WORKERS, same PostgreSQL server.
Machine: $(nproc) cores, load average at start: $LOAD_START, at end: $LOAD_END.
Shots created during the run: Bifrost $BIFROST_SHOTS, Zou $ZOU_SHOTS.

$TABLE

$PY_REPORT
EOF
)"
printf '%s\n' "$REPORT"
if [[ -n "$OUT" ]]; then
  printf '%s\n' "$REPORT" >"$OUT"
  say "wrote $OUT"
fi
