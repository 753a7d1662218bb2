#!/usr/bin/env bash
# Builds the web pages into static/dist, which the binary embeds
# (//go:embed in static/embed.go): the npm packages named in
# static/package-lock.json come from the npm registry (npm ci; MapLibre GL
# JS among them, never a CDN), then esbuild bundles them with the pages'
# code (static/build.mjs), then runs the pages' unit tests (static/test/unit,
# node's own test runner). Installs Node.js and npm with apt-get when they
# are missing and this runs as root. Without this step `go build` still
# works; the pages then answer 503 saying to run it.
set -euo pipefail
cd "$(dirname "$0")/../static"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "pages.sh: installing nodejs and npm with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends nodejs npm >&2
  else
    echo "pages.sh: Node.js and npm are needed to build the web pages (Debian packages nodejs npm)" >&2
    exit 1
  fi
fi
# npm ci only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
node build.mjs
node --test --test-reporter=spec test/unit/ >&2
