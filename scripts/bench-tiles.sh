#!/usr/bin/env bash
# HTTP load benchmarks of the grid tiles on loopback (bounded: fixed
# durations), each beside baselines measured in the same run:
#   - cached tiles from gridmap over a spread of versioned tile URLs: the
#     demo street (every non-empty tile, zoom 10 to 16) and China's 2,735
#     counties (tiles under county label points, zoom 4 to 12, and zoom 10
#     alone);
#   - the same zoom-10 county tiles from a pg_tileserv-style server that runs
#     one PostGIS ST_AsMVT query per request (scripts/pgtiles);
#   - a bare net/http handler (scripts/barehttp): the ceiling of the stack.
# Also the bytes of a tile by zoom (gzip on), read while warming the cache.
# Needs wrk (Debian package; installed when missing) and the shared county
# file. Output: a summary on stdout, suitable for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10s}
CONN=${CONN:-16}
SHARED=${GRIDMAP_SHARED_DATA:-$(cd .. && pwd)/shared/data}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
dir=$(mktemp -d /tmp/gridmap-benchtiles-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/db.sh stop "$dir/pg" || true; rm -rf "$dir"; }
trap cleanup EXIT
url=$(GRIDMAP_PG_FSYNC=off scripts/db.sh start "$dir/pg" "${BENCH_PGPORT:-55435}")
curl_db=${url/\/gridmap\?//counties?}
psql "$url" -Atq -c "CREATE DATABASE counties" >/dev/null
scripts/go.sh build -o "$dir/gridmap" ./cmd/gridmap
scripts/go.sh build -o "$dir/barehttp" ./scripts/barehttp
scripts/go.sh build -o "$dir/pgtiles" ./scripts/pgtiles
DATABASE_URL=$url "$dir/gridmap" migrate >/dev/null
DATABASE_URL=$url "$dir/gridmap" demo >/dev/null
DATABASE_URL=$curl_db "$dir/gridmap" migrate >/dev/null
psql "$curl_db" -Atq -c "INSERT INTO grid_level VALUES ('county', 0, '县级', 'County')" >/dev/null
DATABASE_URL=$curl_db "$dir/gridmap" import grids "$SHARED/cn-counties.geojson.gz" --level county --code-prop adcode --make-valid >/dev/null

# One client address stands for many wall maps: no per-address rate limit.
export GRIDMAP_RATE_ANON=0
DATABASE_URL=$url GRIDMAP_LOG_LEVEL=warn "$dir/gridmap" serve --addr 127.0.0.1:18180 2>"$dir/street.log" & pids+=($!)
DATABASE_URL=$curl_db GRIDMAP_LOG_LEVEL=warn "$dir/gridmap" serve --addr 127.0.0.1:18181 2>"$dir/counties.log" & pids+=($!)
DATABASE_URL=$curl_db "$dir/pgtiles" --addr 127.0.0.1:18182 & pids+=($!)
"$dir/barehttp" --addr 127.0.0.1:18183 & pids+=($!)
for port in 18180 18181; do
  # TileJSON answers once the tile set of the current grids is built.
  for i in $(seq 1 300); do curl -sf "127.0.0.1:$port/tiles/grids.json" >/dev/null && break; sleep 0.1; done
done

# Tile URL lists: fixed, computed from the data (no randomness), warmed
# once through gridmap's cache; empty tiles (204) are left out.
psql "$curl_db" -Atq -F' ' -c "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) p, code FROM grid_version WHERE valid_to IS NULL) s ORDER BY code" > "$dir/county-points.txt"
python3 - "$dir" <<'PY'
import json, math, sys, urllib.request
d = sys.argv[1]
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
    return min(x, n - 1), min(y, n - 1)
def fetch(url):
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req) as r:
        return r.status, len(r.read())
sizes = {}
def keep(name, base, tmpl, tiles):
    out = []
    for z, x, y in tiles:
        path = tmpl.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
        status, n = fetch(base + path)
        if status == 200:
            out.append((z, path))
            sizes.setdefault((name, z), []).append(n)
    return out
def template(port):
    tj = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/tiles/grids.json"))
    return tj["tiles"][0].split(f"127.0.0.1:{port}")[1], tj["bounds"]
# Demo street: every tile over its bounds, zoom 10 to 16.
tmpl, (w, s, e, n) = template(18180)
street = []
for z in range(10, 17):
    x0, y0 = tile(w, n, z); x1, y1 = tile(e, s, z)
    street += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
street = keep("street", "http://127.0.0.1:18180", tmpl, street)
# Counties: the tiles under each county's point on surface, zoom 4 to 12.
tmpl, _ = template(18181)
pts = [tuple(map(float, l.split())) for l in open(f"{d}/county-points.txt")]
counties = []
for z in range(4, 13):
    seen = sorted({tile(lon, lat, z) for lon, lat in pts})
    counties += [(z, x, y) for x, y in seen]
counties = keep("counties", "http://127.0.0.1:18181", tmpl, counties)
def lua(name, paths):
    with open(f"{d}/{name}.lua", "w") as f:
        f.write("local paths = {\n" + ",\n".join(json.dumps(p) for p in paths) + "\n}\n")
        f.write('local i = 0\nwrk.headers["Accept-Encoding"] = "gzip"\n')
        f.write("request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n")
lua("street", [p for _, p in street])
lua("counties", [p for _, p in counties])
z10 = [p for z, p in counties if z == 10]
lua("counties-z10", z10)
lua("pgtiles-z10", [p.split("?")[0].replace("/tiles/grids/", "/tiles/") for p in z10])
with open(f"{d}/counts.txt", "w") as f:
    f.write(f"{len(street)} {len(counties)} {len(z10)}\n")
print("# Bytes per tile (gzip on, as served), by zoom: mean / largest")
for (name, z), v in sorted(sizes.items()):
    print(f"{name:9} z{z:<2} {len(v):5} tiles  {sum(v) / len(v):9.0f} B mean  {max(v):8} B largest")
PY
read -r nstreet ncounties nz10 < "$dir/counts.txt"

summ() { # name, wrk output file
  awk -v name="$1" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$4} END {printf "%-52s %10.0f req/s   p50 %-8s p99 %-8s%s\n", name, rps, p50, p99, (bad ? "  NON-2XX: " bad : "")}' "$2"
}
echo
echo "# HTTP on loopback: wrk -t2 -c$CONN -d$DUR --latency (2 cores shared by server and wrk), Accept-Encoding: gzip"
wrk -t2 -c"$CONN" -d"$DUR" --latency http://127.0.0.1:18183/ > "$dir/bare.txt"; summ "bare net/http handler (baseline)" "$dir/bare.txt"
wrk -t2 -c"$CONN" -d"$DUR" --latency -s "$dir/street.lua" http://127.0.0.1:18180 > "$dir/street.txt"; summ "gridmap cached tiles, street z10-16 ($nstreet URLs)" "$dir/street.txt"
wrk -t2 -c"$CONN" -d"$DUR" --latency -s "$dir/counties.lua" http://127.0.0.1:18181 > "$dir/counties.txt"; summ "gridmap cached tiles, counties z4-12 ($ncounties URLs)" "$dir/counties.txt"
wrk -t2 -c"$CONN" -d"$DUR" --latency -s "$dir/counties-z10.lua" http://127.0.0.1:18181 > "$dir/z10.txt"; summ "gridmap cached tiles, counties z10 ($nz10 URLs)" "$dir/z10.txt"
wrk -t2 -c"$CONN" -d"$DUR" --latency -s "$dir/pgtiles-z10.lua" http://127.0.0.1:18182 > "$dir/pg.txt"; summ "ST_AsMVT per request, counties z10 (baseline)" "$dir/pg.txt"
ours=$(awk '/Requests\/sec/ {print $2}' "$dir/z10.txt"); pg=$(awk '/Requests\/sec/ {print $2}' "$dir/pg.txt")
python3 -c "print(f'counties z10: gridmap cached / ST_AsMVT per request: {float($ours)/float($pg):.0f}x')"
