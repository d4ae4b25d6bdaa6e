#!/usr/bin/env bash
# The first-start figure of the README: from a clean clone of this checkout beside its ../shared, time
# `make run` until the server answers (it serves only once the first start has loaded and used the world),
# with pip's cache off so the install fetches every package as a fresh machine does.
#   scripts/measure_clean_run.sh [PORT]
set -u
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
port=${1:-8765}
work=$(mktemp -d)
ln -s "$repo/../shared" "$work/shared"
t0=$(date +%s.%N)
git clone -q "$repo" "$work/main"
cd "$work/main" || exit 1
PIP_NO_CACHE_DIR=1 make run PORT="$port" > "$work/run.log" 2>&1 &
pid=$!
until curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login" | grep -q 200; do
  sleep 1
  kill -0 $pid 2>/dev/null || { echo "make run ended early (log: $work/run.log)"; tail -20 "$work/run.log"; exit 1; }
done
t1=$(date +%s.%N)
echo "first page after $(echo "$t1 - $t0" | bc) s (load $(cut -d' ' -f1 /proc/loadavg)); log: $work/run.log"
grep -E "received|First start ready" "$work/run.log"
pkill -f "mainport serve --bootstrap --port $port"
wait $pid 2>/dev/null
