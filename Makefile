# gridmap — the two commands: `make run` and `make test`.
# Both bring up a private PostgreSQL 15 + PostGIS 3 cluster (installing the
# Debian packages when missing) unless DATABASE_URL names one.

# GO: scripts/go.sh finds a Go new enough for go.mod, or fetches one
# (Debian's golang-go first, then the toolchain go.mod names).
GO      ?= scripts/go.sh
DATA    ?= .data
PGPORT  ?= 55432
# ADDR: where make run serves; GRIDMAP_ADDR works too (make run ADDR=...
# wins over it).
GRIDMAP_ADDR ?= 127.0.0.1:8080
ADDR    ?= $(GRIDMAP_ADDR)

.PHONY: run test fuzz build pages bench loadtest vet fmt db-start db-stop clean

## build: the web pages (npm ci + esbuild into static/dist), then the binary
## that embeds them.
build: pages
	$(GO) build -o bin/gridmap ./cmd/gridmap

pages:
	scripts/pages.sh

## run: private cluster under $(DATA)/pg (kept between runs), migrate,
## load the demo street when the database is empty, serve on $(ADDR).
run: build
	@set -e; \
	url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url=$$(scripts/db.sh start $(DATA)/pg $(PGPORT)); fi; \
	export DATABASE_URL="$$url"; \
	./bin/gridmap migrate; \
	./bin/gridmap demo --if-empty; \
	exec ./bin/gridmap serve --addr $(ADDR)

## test: throwaway cluster, go vet, every test (PostGIS tests must run).
test:
	scripts/test.sh

## fuzz: every fuzz target for FUZZTIME each (make test runs 2000 inputs
## each instead, so a busy machine cannot fail it).
FUZZTIME ?= 60s
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## bench: the Go benchmarks against a throwaway cluster.
bench:
	scripts/test.sh -run '^$$' -bench . -benchmem

## loadtest: gridmap serve on 127.0.0.1 with the demo street, driven for
## DURATION (60s) by scripts/loadtest: p99 per route, RSS (BENCHMARKS.md).
DURATION ?= 60s
loadtest:
	scripts/loadtest.sh -duration $(DURATION)

db-start:
	@scripts/db.sh start $(DATA)/pg $(PGPORT)

db-stop:
	@scripts/db.sh stop $(DATA)/pg

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

clean:
	scripts/db.sh stop $(DATA)/pg; rm -rf bin
