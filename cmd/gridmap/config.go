package main

import (
	"errors"
	"flag"
	"os"
	"strconv"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// Config is everything the binary can be told, from the environment with
// flags on top. No package reads configuration on its own.
type Config struct {
	DatabaseURL string // DATABASE_URL
	Addr        string // GRIDMAP_ADDR, --addr
	LogLevel    string // GRIDMAP_LOG_LEVEL: debug, info, warn, error
	// ShutdownTimeout bounds how long in-flight requests may finish after
	// SIGTERM.
	ShutdownTimeout time.Duration
	HTTP            httpapi.Config
	// Err is a setting that could not be parsed (serve refuses to start).
	Err error
}

func loadConfig() Config {
	cfg := Config{
		DatabaseURL:     os.Getenv("DATABASE_URL"),
		Addr:            envOr("GRIDMAP_ADDR", "127.0.0.1:8080"),
		LogLevel:        envOr("GRIDMAP_LOG_LEVEL", "info"),
		ShutdownTimeout: 20 * time.Second,
		HTTP: httpapi.Config{
			NearBoundaryMetres: envFloat("GRIDMAP_NEAR_BOUNDARY_M", 30),
			MaxBatchPoints:     int(envFloat("GRIDMAP_MAX_BATCH_POINTS", 1_000_000)),
			MaxBodyBytes:       int64(envFloat("GRIDMAP_MAX_BODY_BYTES", 64<<20)),
			BaseMapStyleURL:    os.Getenv("GRIDMAP_BASEMAP_STYLE"),
			Topology: gridmap.Tolerances{
				WidthM:   envFloat("GRIDMAP_TOPOLOGY_WIDTH_M", gridmap.DefaultTolerances.WidthM),
				SliverM2: envFloat("GRIDMAP_TOPOLOGY_SLIVER_M2", gridmap.DefaultTolerances.SliverM2),
			},
		},
	}
	cfg.Err = loadTrust(&cfg.HTTP.Trust) // token.go: GRIDMAP_OPEN, rate limits, timeout, CORS
	return cfg
}

func envFloat(k string, def float64) float64 {
	if v := os.Getenv(k); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			return f
		}
	}
	return def
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (c Config) needDB() error {
	if c.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set: point it at a PostGIS database (make run sets it up), e.g. postgres://user@127.0.0.1:5432/gridmap")
	}
	return nil
}

func newFlags(name string) *flag.FlagSet {
	return flag.NewFlagSet("gridmap "+name, flag.ContinueOnError)
}
