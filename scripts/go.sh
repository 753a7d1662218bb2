#!/usr/bin/env bash
# Runs the go command with a Go that can build this module, finding or
# fetching one first:
#
#   scripts/go.sh build ./cmd/gridmap     as `go build ./cmd/gridmap`
#   PATH="$(scripts/go.sh env GOROOT)/bin:$PATH"   (what make test does)
#
# It tries, in order: `go` on PATH, /usr/local/go/bin/go, and, as root
# where apt-get works, Debian's golang-go (installed when there is no Go at
# all). When that Go is older than go.mod asks (Debian 12 ships 1.19, which
# knows neither `go 1.x.y` lines nor GOTOOLCHAIN), the toolchain go.mod
# names (its toolchain line, else its go line) is fetched as the module
# golang.org/toolchain@v0.0.1-goX.Y.Z.GOOS-GOARCH through the module proxy
# (GOPROXY, checked against GOSUMDB as every module is) into the module
# cache, and that one runs. Messages go to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "go.sh: $*" >&2; }

# The version go.mod needs, and the toolchain to fetch when it is missing.
need=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$root/go.mod")
want=$(sed -n 's/^toolchain go\([0-9.]*\).*/\1/p' "$root/go.mod")
want=${want:-$need}
case "$want" in *.*.*) ;; *) want=$want.0 ;; esac # go1.26 → go1.26.0

# newer A B: A is at least B (dotted versions).
newer() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" = "$2" ]; }

# version GO: the version of that go binary, without the "go" prefix.
# (From /, so no go.mod is read.)
version() { (cd / && GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) | sed 's/^go//'; }
goenv() { (cd / && GOTOOLCHAIN=local "$base" env "$1"); }

find_go() {
  local g
  for g in "$(command -v go || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [ -n "$g" ] && [ -x "$g" ]; then echo "$g"; return; fi
  done
}

base=$(find_go)
if [ -z "$base" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "no Go found: installing Debian's golang-go with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends golang-go ca-certificates >&2
    base=$(find_go)
  fi
  if [ -z "$base" ]; then
    log "no Go found. Install Go $need or newer (https://go.dev/dl/, or Debian's golang-go, which this script then upgrades)."
    exit 1
  fi
fi

go=$base
have=$(version "$base")
if ! newer "$have" "$need"; then
  mod=golang.org/toolchain@v0.0.1-go$want.$(goenv GOHOSTOS)-$(goenv GOHOSTARCH)
  dir=$(goenv GOMODCACHE)/$mod
  if [ ! -x "$dir/bin/go" ]; then
    if [ ! -f "$dir/bin/go" ]; then
      log "$base is go$have; go.mod needs go$need: fetching $mod through the module proxy"
      # Outside any module, so the old go never reads our go.mod.
      tmp=$(mktemp -d)
      (cd "$tmp" && GO111MODULE=on GOFLAGS=-mod=mod GOTOOLCHAIN=local "$base" mod download "$mod") >&2
      rmdir "$tmp"
    fi
    # Zips carry no modes: make the commands executable, as the go command
    # does for the toolchains it fetches itself.
    find "$dir/bin" "$dir/pkg/tool" -type f -exec chmod a+x {} +
  fi
  go=$dir/bin/go
fi
# This go runs itself: never switch toolchains again.
GOTOOLCHAIN=local exec "$go" "$@"
