#!/usr/bin/env bash
# Runs schemathesis (property-based API testing from the OpenAPI document) against a real
# `bifrost serve` over a seeded repository, and fails on any 5xx answer or any answer that does
# not match the document. Once on SQLite, then (unless --sqlite-only) on a fresh PostgreSQL
# database that is dropped afterwards.
#
#   bash .ci/schemathesis.sh                  # builds the debug binary, both catalogs
#   bash .ci/schemathesis.sh --sqlite-only
#   BIFROST_BIN=path/to/bifrost bash .ci/schemathesis.sh --no-build
#
# Environment:
#   CARGO_TARGET_DIR          where cargo builds (default: $HOME/.cache/bifrost-target)
#   BIFROST_BIN               the binary to test (default: $CARGO_TARGET_DIR/debug/bifrost)
#   SCHEMATHESIS_EXAMPLES     examples per operation and pass (default: 25)
#   BIFROST_TEST_POSTGRES_URL PostgreSQL server (default: postgres://postgres@127.0.0.1:5432/postgres);
#                             a database bifrost_st_<pid> is created beside it and dropped
#   SCHEMATHESIS_VENV         the venv with schemathesis (default: $HOME/.cache/bifrost-venv)
#
# Two passes per catalog: "random" (project `main`, every other path segment generated) and
# "seeded" (paths pinned to the seeded asset, version, sequence and shot so that handlers get
# past their lookups; DELETE excluded there so the seeded data survives the pass). The event
# stream (SSE, an endless answer) is excluded. Takes 2-6 minutes per catalog on 2 cores (about 11
# minutes for both on a loaded machine).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=1
RUN_PG=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --sqlite-only) RUN_PG=0 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bifrost-target}"
VENV="${SCHEMATHESIS_VENV:-$HOME/.cache/bifrost-venv}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-25}"
PG_BASE="${BIFROST_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BIN="${BIFROST_BIN:-$CARGO_TARGET_DIR/debug/bifrost}"

log() { printf '\n== schemathesis: %s\n' "$*"; }

# --- schemathesis (pinned to the 3.x CLI used below) -------------------------------------------
# hypothesis-jsonschema 0.23 (what schemathesis 3 uses) calls `many.more()`, which newer
# hypothesis releases removed: pin hypothesis below 6.126 with it.
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" - 2>/dev/null <<'EOF' || "$VENV/bin/python" -m pip install -q 'schemathesis==3.*' 'hypothesis<6.126'
import sys
import schemathesis
from hypothesis.internal.conjecture.utils import many
sys.exit(not (schemathesis.__version__.startswith("3.") and hasattr(many, "more")))
EOF
ST="$VENV/bin/st"

if [[ $BUILD == 1 ]]; then
  log "cargo build --bin bifrost"
  cargo build --bin bifrost
fi
[[ -x "$BIN" ]] || { echo "$BIN is missing: build it (cargo build --bin bifrost)" >&2; exit 1; }
BIN="$(realpath "$BIN")"

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/bifrost-schemathesis.XXXXXX")"
SERVER_PID=""
PG_DB=""
PG_SERVER="${PG_BASE%/*}"
psql_admin() { psql "$PG_BASE" -w -qAtc "$1"; }
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
drop_db() {
  if [[ -n "$PG_DB" ]]; then
    psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" || true
    PG_DB=""
  fi
}
cleanup() { stop_server; drop_db; rm -rf "$SCRATCH"; }
trap cleanup EXIT

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_catalog LABEL [INIT ARGS...]: seed a repository, serve it, run both passes.
run_catalog() {
  local label="$1"
  shift
  local repo="$SCRATCH/$label"
  mkdir -p "$repo/files"
  log "$label: seeding a repository"
  (
    cd "$repo"
    b() { "$BIN" -q "$@"; }
    b init "$@"
    printf '%s' 'schemathesis admin password' | b user add admin --role admin --password-stdin >/dev/null
    # Not quiet: -q would hold back the token itself.
    "$BIN" token create --user admin --name ci > token 2>/dev/null
    printf 'barrel v1\n' > files/barrel.txt
    b asset create barrel --type prop --tag hero --meta poly=12000
    b publish barrel ./files -m "first pass"
    printf 'barrel v2\n' > files/barrel.txt
    b publish barrel ./files -m "second pass"
    b asset create crate --type prop
    b seq create SQ010
    b shot create SQ010/SH010 --frames 1001-1096 --fps 24
    b task create SQ010/SH010 --dept animation --assignee admin
    b link SQ010/SH010 barrel --kind reference --pin v2
    b comment barrel@v2 "rim too shiny"
  )
  local token port log_file
  token="$(cat "$repo/token")"
  port="$(free_port)"
  log_file="$SCRATCH/$label-server.log"
  # One fast client: request-rate limits would turn most examples into 429s.
  (cd "$repo" && exec "$BIN" serve --listen "127.0.0.1:$port" --rate-per-address 0 --rate-per-token 0) >"$log_file" 2>&1 &
  SERVER_PID=$!
  local url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log_file" >&2; echo "bifrost serve exited" >&2; return 1; }
    sleep 0.1
  done
  curl -fsS "$url/healthz" >/dev/null || { cat "$log_file" >&2; echo "bifrost serve does not answer /healthz" >&2; return 1; }

  local common=(
    "$url/api/v1/openapi.json" --base-url "$url/api/v1"
    -H "Authorization: Bearer $token"
    --checks not_a_server_error,response_schema_conformance
    --data-generation-method all
    --hypothesis-max-examples "$EXAMPLES"
    --hypothesis-deadline None
    --hypothesis-seed 4
    --hypothesis-database none
    --request-timeout 20000
    --exclude-path-regex 'events/stream$'
    --set-path project=main
    --show-trace
    --experimental=openapi-3.1
  )
  local failed=0
  log "$label: random pass (project main, other path segments generated)"
  "$ST" run "${common[@]}" || failed=1
  log "$label: seeded pass (paths pinned to the seeded entities, no DELETE)"
  "$ST" run "${common[@]}" --exclude-method DELETE \
    --set-path asset=barrel --set-path version=2 --set-path sequence=SQ010 \
    --set-path shot=SH010 || failed=1

  stop_server
  # A 5xx is also logged by the server; show them so the cause is in the CI log.
  if grep -q 'request failed' "$log_file"; then
    echo "server errors logged during the $label run:" >&2
    grep 'request failed' "$log_file" | sort | uniq -c | sort -rn | head -20 >&2
    failed=1
  fi
  return $failed
}

status=0
run_catalog sqlite || status=1
if [[ $RUN_PG == 1 ]]; then
  PG_DB="bifrost_st_$$"
  psql_admin "CREATE DATABASE \"$PG_DB\""
  run_catalog postgres --catalog "$PG_SERVER/$PG_DB" || status=1
  drop_db
fi
if [[ $status != 0 ]]; then
  log "FAILED: see the failures above"
else
  log "no server errors, every answer matches the document"
fi
exit $status
