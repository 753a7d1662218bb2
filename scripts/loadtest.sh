#!/usr/bin/env bash
# make loadtest: a throwaway PostGIS cluster with the demo street and its
# year of incidents, `gridmap serve` on loopback, and scripts/loadtest
# driving it (lookups, grid and heat tiles, statistics, incident posts) for
# 60 s; arguments go to scripts/loadtest (e.g. -duration 10s -workers 8).
# Prints p50/p95/p99 per route and the server's RSS; fails on any error or
# a growing RSS. Everything stays on 127.0.0.1 and is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/gridmap-load-XXXXXX)
# The first free port from a start (other clusters may run on this machine).
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
pgport=${GRIDMAP_LOADTEST_PGPORT:-$(free_port 55435)}
addr=${GRIDMAP_LOADTEST_ADDR:-127.0.0.1:$(free_port 18080)}
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  scripts/db.sh stop "$dir/pg" || true
  rm -rf "$dir"
}
trap cleanup EXIT
url=$(GRIDMAP_PG_FSYNC=off scripts/db.sh start "$dir/pg" "$pgport")
echo "== build"
scripts/go.sh build -o "$dir/gridmap" ./cmd/gridmap
scripts/go.sh build -o "$dir/loadtest" ./scripts/loadtest
export DATABASE_URL="$url"
"$dir/gridmap" migrate
"$dir/gridmap" demo
token=$("$dir/gridmap" token create --role reporter --name loadtest | tail -n 1)
echo "== gridmap serve on $addr"
# The rate limit stays in the path, far above what one client sends here.
GRIDMAP_RATE_TOKEN=1000000 GRIDMAP_LOG_LEVEL=warn "$dir/gridmap" serve --addr "$addr" 2>"$dir/server.log" &
server=$!
echo "== load (waits for /readyz)"
"$dir/loadtest" -url "http://$addr" -token "$token" "$@" || { echo "== server log"; tail -50 "$dir/server.log"; exit 1; }
