#!/usr/bin/env bash
# Single incident posts (POST /api/v1/incidents, one incident per request,
# each with its own external id and reporter data) under wrk at CONN
# connections for DUR, beside the baseline in the same run: pgbench
# inserting single rows into a copy of the incident table (LIKE incident
# INCLUDING ALL: the same columns, defaults, checks and indexes) with as
# many clients. Both on one throwaway cluster with fsync and
# synchronous_commit on (nothing acknowledged lost). Loopback only; bounded
# by DUR. Needs wrk and pgbench (installed when missing).
# STANDBY=1 attaches a streaming standby (scripts/db.sh standby, on
# BENCH_SBPORT) before the posts and samples its replay lag five times a
# second while they run (docs/SCALE.md).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10s}
CONN=${CONN:-8}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
dir=$(mktemp -d /tmp/gridmap-posts-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/db.sh stop "$dir/sb" || true; scripts/db.sh stop "$dir/pg" || true; rm -rf "$dir"; }
trap cleanup EXIT
url=$(GRIDMAP_PG_FSYNC=on scripts/db.sh start "$dir/pg" "${BENCH_PGPORT:-55436}")
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | tail -1)
scripts/go.sh build -o "$dir/gridmap" ./cmd/gridmap
export DATABASE_URL=$url
"$dir/gridmap" migrate >/dev/null
"$dir/gridmap" demo >/dev/null
# The demo has just written its year: vacuum and analyze it now, or
# autovacuum does it during the measurement (PostgreSQL's CPU, counted).
psql "$url" -q -c "VACUUM ANALYZE"
if [ -n "${STANDBY:-}" ]; then
  GRIDMAP_PG_FSYNC=on scripts/db.sh standby "$dir/sb" "${BENCH_SBPORT:-55437}" "${BENCH_PGPORT:-55436}" >/dev/null
  for i in $(seq 1 100); do [ "$(psql "$url" -Atq -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] && break; sleep 0.1; done
fi
token=$("$dir/gridmap" token create --role reporter --name bench-posts | tail -n 1)
addr=127.0.0.1:${BENCH_HTTP_PORT:-18082}
GRIDMAP_RATE_TOKEN=1000000 GRIDMAP_LOG_LEVEL=warn "$dir/gridmap" serve --addr "$addr" 2>"$dir/serve.log" & pids+=($!)
for i in $(seq 1 300); do curl -sf "$addr/readyz" >/dev/null && break; sleep 0.1; done
read -r lon lat < <(psql "$url" -Atq -F' ' -c "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) p FROM grid_version WHERE level='micro' AND valid_to IS NULL ORDER BY code LIMIT 1) s")

cat > "$dir/post.lua" <<LUA
-- Each thread numbers its own posts; RUN keeps the warm-up's apart.
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("tid", threads) end
init = function() counter = 0 end
request = function()
  counter = counter + 1
  local body = string.format('{"external_id":"bench-%s-%d-%d","category":"dispute","source":"grid_worker","lon":%s,"lat":%s,"reported_at":"2026-11-25T09:30:00+08:00","description":"邻里纠纷","reporter":{"name":"张三","phone":"13800000000"}}', os.getenv("RUN"), tid, counter, "$lon", "$lat")
  return wrk.format("POST", "/api/v1/incidents", {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("p50_ms %.2f p90_ms %.2f p99_ms %.2f\n", latency:percentile(50)/1000, latency:percentile(90)/1000, latency:percentile(99)/1000))
end
LUA
# Warm up (connections, prepared statements), then measure.
RUN=warm wrk -t2 -c"$CONN" -d2s -s "$dir/post.lua" "http://$addr" >/dev/null
before=$(psql "$url" -Atq -c "SELECT count(*) FROM incident")
# CPU ticks (user+system) of processes so far, with their children that
# ended (the postmaster's: backends of pgbench's closed connections), for
# the split of each post's CPU between gridmap, PostgreSQL and wrk.
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15+$16+$17}' "/proc/$p/stat"))); done; echo "$t"; }
pgpids() { local pm; pm=$(head -1 "$dir/pg/postmaster.pid"); echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"; }
serve_pid=${pids[0]}
pg0=$(ticks $(pgpids)); gm0=$(ticks "$serve_pid")
TIMEFORMAT='%U %S'
if [ -n "${STANDBY:-}" ]; then
  # Bytes of WAL the standby has not replayed, and replay_lag (ms), while
  # the posts run: a bounded loop of DUR × 5 samples.
  ( for i in $(seq 1 $((${DUR%s} * 5))); do
      psql "$url" -Atq -F' ' -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), coalesce(extract(epoch FROM replay_lag) * 1000, 0) FROM pg_stat_replication" >> "$dir/lag.txt"
      sleep 0.2
    done ) & lagpid=$!
fi
{ time RUN=measure wrk -t2 -c"$CONN" -d"$DUR" -s "$dir/post.lua" "http://$addr" > "$dir/wrk.txt"; } 2> "$dir/wrk.time"
if [ -n "${STANDBY:-}" ]; then
  wait "$lagpid" || true
  lsn=$(psql "$url" -Atq -c "SELECT pg_current_wal_lsn()")
  for i in $(seq 1 100); do [ "$(psql "$url" -Atq -c "SELECT replay_lsn >= '$lsn' FROM pg_stat_replication")" = t ] && break; sleep 0.1; done
  sbcount=$(psql "postgres://postgres@127.0.0.1:${BENCH_SBPORT:-55437}/gridmap?sslmode=disable" -Atq -c "SELECT count(*) FROM incident")
fi
pg1=$(ticks $(pgpids)); gm1=$(ticks "$serve_pid")
after=$(psql "$url" -Atq -c "SELECT count(*) FROM incident")
non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' "$dir/wrk.txt")

psql "$url" -q -c "CREATE TABLE bench_incident (LIKE incident INCLUDING ALL)"
# Since migration 00020 incident is partitioned (primary key (id,
# reported_at), external_id unique in incident_key): the baseline stays the
# one table of before, primary key id and unique external_id.
if [ "$(psql "$url" -Atq -c "SELECT relkind FROM pg_class WHERE oid = 'incident'::regclass")" = p ]; then
  psql "$url" -q -c "ALTER TABLE bench_incident DROP CONSTRAINT bench_incident_pkey, ADD PRIMARY KEY (id)" \
    -c "CREATE UNIQUE INDEX ON bench_incident (external_id)"
fi
if [ -n "${NOTIFY:-}" ]; then psql "$url" -q -c "CREATE TRIGGER n AFTER INSERT ON bench_incident FOR EACH STATEMENT EXECUTE FUNCTION incident_notify()"; fi
cat > "$dir/insert.sql" <<SQL
INSERT INTO bench_incident (external_id, category, source, status, reported_at, location, grid_code, boundary_version, description, reporter_name, reporter_phone, created_by)
VALUES ('pgb-' || gen_random_uuid(), 'dispute', 'grid_worker', 'reported', now(), ST_SetSRID(ST_MakePoint($lon, $lat), 4326), NULL, 1, '邻里纠纷', '张三', '13800000000', 'bench');
SQL
pgb0=$(psql "$url" -Atq -c "SELECT count(*) FROM bench_incident")
pgp0=$(ticks $(pgpids))
{ time "$pgbench" -n -M prepared -c "$CONN" -j2 -T "${DUR%s}" -f "$dir/insert.sql" "$url" > "$dir/pgbench.txt" 2>&1 || { cat "$dir/pgbench.txt"; exit 1; }; } 2> "$dir/pgbench.time"
pgp1=$(ticks $(pgpids))
pgb1=$(psql "$url" -Atq -c "SELECT count(*) FROM bench_incident")
echo "== single posts, $CONN connections, $DUR (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
grep -E "requests in|Requests/sec" "$dir/wrk.txt"
grep -E "^p50_ms" "$dir/wrk.txt"
echo "stored: $((after - before)) incidents; non-2xx answers: ${non2xx:-0}"
if [ -n "${STANDBY:-}" ]; then
  echo "standby: $sbcount incidents after replay (primary $after); replay lag while posting ($(wc -l < "$dir/lag.txt") samples):"
  for col in 1 2; do
    sort -g -k"$col","$col" "$dir/lag.txt" | awk -v col="$col" '{ v[NR] = $col } END {
      p99 = int(NR * 0.99) + 1; if (p99 > NR) p99 = NR
      printf "  %s p50 %s, p99 %s, max %s\n", (col == 1 ? "bytes behind" : "replay_lag ms"), v[int(NR * 0.5) + 1], v[p99], v[NR] }'
  done
fi
hz=$(getconf CLK_TCK)
awk -v n="$((after - before))" -v gm="$((gm1 - gm0))" -v pg="$((pg1 - pg0))" -v hz="$hz" -v w="$(cat "$dir/wrk.time")" 'BEGIN {
  split(w, t, " "); if (n < 1) n = 1
  printf "CPU per post: gridmap %.3f ms, PostgreSQL %.3f ms, wrk %.3f ms\n", gm / hz * 1000 / n, pg / hz * 1000 / n, (t[1] + t[2]) * 1000 / n }'
echo "== pgbench single-row INSERT into LIKE incident INCLUDING ALL, $CONN clients"
grep -E "^tps|latency average" "$dir/pgbench.txt"
awk -v n="$((pgb1 - pgb0))" -v pg="$((pgp1 - pgp0))" -v hz="$hz" -v w="$(cat "$dir/pgbench.time")" 'BEGIN {
  split(w, t, " "); if (n < 1) n = 1
  printf "CPU per insert: PostgreSQL %.3f ms, pgbench %.3f ms\n", pg / hz * 1000 / n, (t[1] + t[2]) * 1000 / n }'
