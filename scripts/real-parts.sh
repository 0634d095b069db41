#!/usr/bin/env bash
# The real parts some tests need: a redis-server and Debian's chromium. Installs them with
# apt-get where it can (as root, as CI runs); otherwise says exactly what to install and fails,
# since those tests must run, never be skipped.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages) for the Redis and browser tests" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
  exit 0
fi
echo "the Redis and browser tests need: apt-get install -y ${missing[*]}  (run it as root, then make test again)" >&2
exit 1
