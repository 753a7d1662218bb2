#!/usr/bin/env bash
# Runs every fuzz target (Fuzz* in *_fuzz_test.go; seeds in each package's
# testdata/fuzz, which go test also runs as ordinary test cases) for
# FUZZTIME, given as go test -fuzztime takes it:
#
#   scripts/fuzz.sh 2000x   2,000 inputs per target: what make test runs; a
#                           busy machine is slower, never failed by it
#   scripts/fuzz.sh 60s     a minute per target: make fuzz, to explore
#
# A failing input is written to testdata/fuzz/FuzzName/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:?usage: scripts/fuzz.sh 2000x|60s}
export PATH="$(scripts/go.sh env GOROOT)/bin:$PATH"
for f in $(grep -rl --include='*_fuzz_test.go' --exclude-dir=node_modules '^func Fuzz' .); do
  for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | cut -d' ' -f2); do
    echo "-- $fn ($fuzztime)"
    go test -run '^$' -fuzz "^$fn\$" -fuzztime "$fuzztime" "./$(dirname "$f")" | grep -v '^fuzz: elapsed' || exit 1
  done
done
