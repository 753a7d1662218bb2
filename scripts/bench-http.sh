#!/usr/bin/env bash
# HTTP load benchmarks on loopback (bounded: fixed durations), each beside a
# baseline measured in the same run:
#   - single-point lookups: gridmap vs a bare net/http handler vs PostGIS
#     ST_Contains through pgbench;
#   - 1,000-point batch lookups.
# Needs wrk (Debian package; installed when missing). Output: a summary on
# stdout, suitable for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10s}
CONN=${CONN:-16}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
dir=$(mktemp -d /tmp/gridmap-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/db.sh stop "$dir/pg" || true; rm -rf "$dir"; }
trap cleanup EXIT
url=$(GRIDMAP_PG_FSYNC=off scripts/db.sh start "$dir/pg" "${BENCH_PGPORT:-55434}")
scripts/go.sh build -o "$dir/gridmap" ./cmd/gridmap
scripts/go.sh build -o "$dir/barehttp" ./scripts/barehttp
export DATABASE_URL=$url
"$dir/gridmap" migrate >/dev/null
"$dir/gridmap" demo >/dev/null
GRIDMAP_RATE_ANON=0 GRIDMAP_LOG_LEVEL=warn "$dir/gridmap" serve --addr 127.0.0.1:18080 2>"$dir/serve.log" & pids+=($!)
"$dir/barehttp" --addr 127.0.0.1:18081 & pids+=($!)
for i in $(seq 1 100); do curl -sf 127.0.0.1:18080/readyz >/dev/null && break; sleep 0.1; done

# 1,000 fixed points inside the street's bounding box (seeded), as wrk URLs
# and as a batch body.
read -r minx miny maxx maxy < <(psql "$url" -Atq -F' ' -c "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Extent(boundary) b FROM grid_version WHERE level='street' AND valid_to IS NULL) s")
psql "$url" -Atq -c "SELECT setseed(0.42); SELECT '' WHERE false" >/dev/null
# The same number of points inside the street (PostGIS, seeded): the usual
# case, where every lookup finds its grid.
psql "$url" -Atq -F, -c "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(boundary, 1000, 42))).geom g FROM grid_version WHERE level='street' AND valid_to IS NULL) s" > "$dir/inside.csv"
{
  echo 'local pts = {}'
  awk -F, '{printf "pts[%d] = \"/api/v1/lookup?lon=%s&lat=%s\"\n", NR, $1, $2}' "$dir/inside.csv"
  echo 'local i = 0'
  echo 'request = function() i = i % #pts + 1; return wrk.format("GET", pts[i]) end'
} > "$dir/inside.lua"
cat > "$dir/points.lua" <<LUA
local pts = {}
math.randomseed(42)
for i = 1, 1000 do
  pts[i] = string.format("/api/v1/lookup?lon=%.6f&lat=%.6f", $minx + math.random() * ($maxx - $minx), $miny + math.random() * ($maxy - $miny))
end
local i = 0
request = function()
  i = i % 1000 + 1
  return wrk.format("GET", pts[i])
end
LUA
python3 - "$minx" "$miny" "$maxx" "$maxy" > "$dir/batch.json" <<'PY'
import json, random, sys
minx, miny, maxx, maxy = map(float, sys.argv[1:])
random.seed(42)
print(json.dumps({"points": [[minx + random.random() * (maxx - minx), miny + random.random() * (maxy - miny)] for _ in range(1000)]}))
PY
cat > "$dir/batch.lua" <<LUA
local f = io.open("$dir/batch.json"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "application/json"
LUA
cat > "$dir/pgbench.sql" <<SQL
\set xi random(0, 1000000)
\set yi random(0, 1000000)
SELECT code FROM grid_version WHERE valid_to IS NULL AND level = 'micro'
  AND ST_Contains(boundary, ST_SetSRID(ST_MakePoint($minx + :xi * ($maxx - $minx) / 1e6, $miny + :yi * ($maxy - $miny) / 1e6), 4326));
SQL

summ() { # name, wrk output file
  awk -v name="$1" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "%-34s %10.0f req/s   p50 %-8s p99 %s\n", name, rps, p50, p99}' "$2"
}
echo "# HTTP on loopback: wrk -t2 -c$CONN -d$DUR --latency (2 cores shared by server and wrk)"
wrk -t2 -c"$CONN" -d"$DUR" --latency http://127.0.0.1:18081/ > "$dir/bare.txt"; summ "bare net/http handler (baseline)" "$dir/bare.txt"
wrk -t2 -c"$CONN" -d"$DUR" --latency -s "$dir/inside.lua" http://127.0.0.1:18080 > "$dir/lookup.txt"; summ "gridmap GET /api/v1/lookup (inside)" "$dir/lookup.txt"
wrk -t2 -c"$CONN" -d"$DUR" --latency -s "$dir/points.lua" http://127.0.0.1:18080 > "$dir/lookup-bbox.txt"; summ "gridmap GET /api/v1/lookup (bbox)" "$dir/lookup-bbox.txt"
wrk -t2 -c"$CONN" -d"$DUR" --latency -s "$dir/batch.lua" http://127.0.0.1:18080/api/v1/lookup > "$dir/batch.txt"; summ "gridmap POST 1,000-point batch" "$dir/batch.txt"
/usr/lib/postgresql/15/bin/pgbench -n -c "$CONN" -j 2 -T "${DUR%s}" -f "$dir/pgbench.sql" "$url" 2>/dev/null > "$dir/pgbench.txt"
awk '/^tps/ {printf "%-34s %10.0f req/s   (pgbench -c'"$CONN"' -j2, ST_Contains on the 242 micro-grids)\n", "PostGIS ST_Contains (baseline)", $3}' "$dir/pgbench.txt"
bare=$(awk '/Requests\/sec/ {print $2}' "$dir/bare.txt"); ours=$(awk '/Requests\/sec/ {print $2}' "$dir/lookup.txt")
python3 -c "print(f'lookup / bare handler: {float($ours)/float($bare)*100:.0f}%')"
