#!/usr/bin/env bash
# make test: a throwaway PostGIS cluster, go vet, every test with PostGIS
# tests required to run (GRIDMAP_TESTDB=true), then the cluster is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/gridmap-test-XXXXXX)
port=${GRIDMAP_TEST_PORT:-55433}
cleanup() { scripts/db.sh stop "$dir/pg" || true; rm -rf "$dir"; }
trap cleanup EXIT
# fsync off: a throwaway cluster needs no durability and tests run faster.
url=$(GRIDMAP_PG_FSYNC=off scripts/db.sh start "$dir/pg" "$port")
export GRIDMAP_TEST_DATABASE_URL="$url" GRIDMAP_TESTDB=true
export GRIDMAP_SHARED_DATA=${GRIDMAP_SHARED_DATA:-$(cd .. && pwd)/shared/data}
echo "== go vet"
go vet ./...
echo "== go test (PostGIS at $url)"
go test -count=1 -timeout 20m "$@" ${PKGS:-./...}
