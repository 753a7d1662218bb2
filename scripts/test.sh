#!/usr/bin/env bash
# make test: a throwaway PostGIS cluster, go vet, every test with PostGIS
# tests required to run (GRIDMAP_TESTDB=true), then the cluster is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Fuzz targets, bounded by inputs, not time (a busy machine must not fail
# CI): GRIDMAP_FUZZTIME inputs per target (default 2000x; 0 skips) on a
# whole run (no arguments, no PKGS) or when GRIDMAP_FUZZTIME is set; they
# run last. Time-boxed fuzzing is make fuzz.
fuzztime=${GRIDMAP_FUZZTIME:-}
if [ -z "$fuzztime" ] && [ $# -eq 0 ] && [ -z "${PKGS:-}" ]; then fuzztime=2000x; fi
if [ -n "$fuzztime" ] && [ "$fuzztime" != 0 ] && ! [[ "$fuzztime" =~ ^[0-9]+x$ ]]; then
  echo "GRIDMAP_FUZZTIME=$fuzztime: make test fuzzes a number of inputs such as 2000x (0 to skip); for time-boxed fuzzing run make fuzz FUZZTIME=$fuzztime" >&2
  exit 2
fi
# A Go new enough for go.mod, first on PATH for this script and the tests
# that run go themselves (scripts/go.sh fetches one when needed).
gobin="$(scripts/go.sh env GOROOT)/bin"
export PATH="$gobin:$PATH"
dir=$(mktemp -d /tmp/gridmap-test-XXXXXX)
port=${GRIDMAP_TEST_PORT:-55433}
cleanup() { scripts/db.sh stop "$dir/pg" || true; rm -rf "$dir"; }
trap cleanup EXIT
# fsync off: a throwaway cluster needs no durability and tests run faster.
url=$(GRIDMAP_PG_FSYNC=off scripts/db.sh start "$dir/pg" "$port")
export GRIDMAP_TEST_DATABASE_URL="$url" GRIDMAP_TESTDB=true
export GRIDMAP_SHARED_DATA=${GRIDMAP_SHARED_DATA:-$(cd .. && pwd)/shared/data}
# The web pages are embedded in the test binaries, and the browser test
# drives Debian's Chromium (installed here when missing, as db.sh does for
# PostgreSQL; fonts-noto-cjk so Chinese labels render).
echo "== web pages"
scripts/pages.sh
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing chromium for the browser test"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
fi
# The PDF reports embed a TrueType Chinese font (report.FontCandidates) and
# are read back with poppler's pdftotext and pdftoppm (tests/reports_test.go).
if { ! command -v pdftoppm >/dev/null || [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing poppler-utils and fonts-wqy-microhei for the report tests"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils fonts-wqy-microhei >/dev/null
fi
# GDAL's own clients (ogrinfo, ogr2ogr) test the OGC API, the tiles and the
# import of Shapefiles and GeoPackages (tests/gdal_test.go).
if ! command -v ogr2ogr >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing gdal-bin for the GDAL tests"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gdal-bin >/dev/null
fi
# haproxy and pgbouncer: the balancer and pooler tests (tests/replicas_test.go).
if { ! [ -x /usr/sbin/haproxy ] || ! [ -x /usr/sbin/pgbouncer ]; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing haproxy and pgbouncer for the balancer and pooler tests"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy pgbouncer >/dev/null
fi
# The README's curl examples are run as written (tests/readme_test.go).
if ! command -v curl >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing curl for the README examples"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates >/dev/null
fi
echo "== go vet"
go vet ./...
echo "== go test (PostGIS at $url)"
# The timeout is only a backstop for a hung test: on two busy cores the
# tests package alone took 14 minutes, and CI allows 90.
go test -count=1 -timeout 75m "$@" ${PKGS:-./...}
if [ -n "$fuzztime" ] && [ "$fuzztime" != 0 ]; then
  echo "== fuzz ($fuzztime per target)"
  scripts/fuzz.sh "$fuzztime"
fi
