#!/usr/bin/env bash
# Runs a command with a real redis-server beside it: a free loopback port, a temporary folder,
# stopped by its PID afterwards. The command finds the server in MOCKSERVER_STATE (and REDIS_URL).
set -euo pipefail
BIN=${BIN:-.venv/bin}
server_binary=$(command -v redis-server || true)
if [ -z "$server_binary" ]; then
  echo "redis-server is missing: install Redis 7 with 'apt-get install -y redis-server' (Debian's package)" >&2
  exit 1
fi
port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
folder=$(mktemp -d)
"$server_binary" --port "$port" --bind 127.0.0.1 --dir "$folder" --save "" --appendonly no \
  --logfile "$folder/redis.log" >/dev/null 2>&1 &
redis=$!
trap 'kill "$redis" 2>/dev/null || true; wait "$redis" 2>/dev/null || true; rm -rf "$folder"' EXIT
for _ in $(seq 1 100); do
  if "$BIN/python" -c "import redis; redis.Redis(port=$port).ping()" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$redis" 2>/dev/null; then
    cat "$folder/redis.log" >&2
    exit 1
  fi
  sleep 0.1
done
export REDIS_URL="redis://127.0.0.1:$port/0"
export MOCKSERVER_STATE="$REDIS_URL"
"$@"
