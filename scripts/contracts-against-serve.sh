#!/usr/bin/env bash
# Runs the contract suites against a real `mockserver serve` process on a free loopback port,
# the way a QA engineer points them at a deployed fake. Extra arguments go to pytest; SERVE_ARGS
# go to `mockserver serve` (its state engine comes from MOCKSERVER_STATE, memory by default).
set -euo pipefail
BIN=${BIN:-.venv/bin}
port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
# shellcheck disable=SC2086 # SERVE_ARGS is a list of options
"$BIN/mockserver" serve --port "$port" --validate-responses --no-access-log ${SERVE_ARGS:-} >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  if "$BIN/python" -c "import httpx, sys; httpx.get('http://127.0.0.1:$port/__admin/health', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
"$BIN/pytest" contracts/ --target "http://127.0.0.1:$port" -q "$@"
