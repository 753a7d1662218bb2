package main

import (
	"errors"
	"flag"
	"os"
	"time"
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
}

func loadConfig() Config {
	return Config{
		DatabaseURL:     os.Getenv("DATABASE_URL"),
		Addr:            envOr("GRIDMAP_ADDR", "127.0.0.1:8080"),
		LogLevel:        envOr("GRIDMAP_LOG_LEVEL", "info"),
		ShutdownTimeout: 20 * time.Second,
	}
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
