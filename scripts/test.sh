#!/usr/bin/env bash
# The README's test command runs this (through `make test`): lint, then the whole suite.
# Starts a throwaway redis-server when nothing listens on 127.0.0.1:6379 (Celery tests).
set -euo pipefail
cd "$(dirname "$0")/.."

redis_pid=""
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if command -v redis-server >/dev/null; then
    # Outside libfaketime: a suite run under `faketime … make test` moves our clock, and
    # redis-server cannot start under it (a jemalloc clash).
    env -u LD_PRELOAD -u FAKETIME redis-server --port 6379 --bind 127.0.0.1 --save "" \
      --appendonly no --daemonize no --loglevel warning & redis_pid=$!
    trap '[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true' EXIT
  else
    echo "note: no Redis on 127.0.0.1:6379 and no redis-server to start" >&2
  fi
fi

# Browser tests (tests/e2e): Debian's chromium driven by Playwright, and a CJK font so the
# screenshots in test-artifacts/miniapp/ show Chinese.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .; } || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  as_root=""; [ "$(id -u)" -eq 0 ] || as_root="sudo"
  echo "installing ${missing[*]} for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  $as_root apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { $as_root apt-get update -qq && $as_root apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi
export GRIDHUB_REQUIRE_BROWSER=1

ruff check .
python -m pytest --cov --cov-report=term:skip-covered --durations=15 "$@"
python -m coverage report --include='workflows/*' --fail-under=100 >/dev/null \
  || { echo "workflows/ must keep 100 % branch coverage" >&2; python -m coverage report --include='workflows/*' -m; exit 1; }
