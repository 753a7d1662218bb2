package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/postgis"
)

// Config is everything the binary can be told, from the environment with
// flags on top. No package reads configuration on its own.
type Config struct {
	DatabaseURL string // DATABASE_URL
	// DB: GRIDMAP_READ_DATABASE_URL (standbys, comma-separated),
	// GRIDMAP_READ_MAX_LAG (seconds), GRIDMAP_LISTEN_DATABASE_URL.
	DB       postgis.Options
	Addr     string // GRIDMAP_ADDR, --addr
	LogLevel string // GRIDMAP_LOG_LEVEL: debug, info, warn, error
	// ShutdownTimeout bounds how long in-flight requests may finish after
	// SIGTERM.
	ShutdownTimeout time.Duration
	HTTP            httpapi.Config
	// Window: GRIDMAP_CASE_MONTHS, GRIDMAP_ROLLUP_EVERY (issue 17).
	Window app.Window
	// Err is a setting that could not be parsed (serve refuses to start).
	Err error
}

func loadConfig() Config {
	var env settings
	cfg := Config{
		DatabaseURL:     os.Getenv("DATABASE_URL"),
		Addr:            envOr("GRIDMAP_ADDR", "127.0.0.1:8080"),
		LogLevel:        env.logLevel("GRIDMAP_LOG_LEVEL"),
		ShutdownTimeout: 20 * time.Second,
		HTTP: httpapi.Config{
			NearBoundaryMetres: env.positive("GRIDMAP_NEAR_BOUNDARY_M", 30),
			MaxBatchPoints:     env.count("GRIDMAP_MAX_BATCH_POINTS", 1_000_000, "1000000"),
			MaxBodyBytes:       int64(env.count("GRIDMAP_MAX_BODY_BYTES", 64<<20, "67108864")),
			MaxAttachmentBytes: int64(env.count("GRIDMAP_MAX_ATTACHMENT", httpapi.DefaultMaxAttachmentBytes, "10485760")),
			BaseMapStyleURL:    os.Getenv("GRIDMAP_BASEMAP_STYLE"),
			ReportFont:         os.Getenv("GRIDMAP_REPORT_FONT"),
			Topology: gridmap.Tolerances{
				WidthM:   env.positive("GRIDMAP_TOPOLOGY_WIDTH_M", gridmap.DefaultTolerances.WidthM),
				SliverM2: env.positive("GRIDMAP_TOPOLOGY_SLIVER_M2", gridmap.DefaultTolerances.SliverM2),
			},
		},
	}
	for _, u := range strings.Split(os.Getenv("GRIDMAP_READ_DATABASE_URL"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.DB.ReadURLs = append(cfg.DB.ReadURLs, u)
		}
	}
	cfg.DB.MaxLag = time.Duration(env.positive("GRIDMAP_READ_MAX_LAG", 5) * float64(time.Second))
	cfg.DB.ListenURL = strings.TrimSpace(os.Getenv("GRIDMAP_LISTEN_DATABASE_URL"))
	cfg.Window.CaseMonths = env.whole("GRIDMAP_CASE_MONTHS", 0, "every month")
	cfg.Window.RollupEvery = env.duration("GRIDMAP_ROLLUP_EVERY", time.Hour)
	loadTrust(&cfg.HTTP.Trust, &env) // token.go: GRIDMAP_OPEN, rate limits, timeout, CORS
	cfg.Err = env.err()
	return cfg
}

// settings reads settings from the environment and keeps every bad one, so
// a command refuses to start naming each variable and what it allows,
// rather than running on a default the operator did not choose.
type settings struct{ errs []error }

func (s *settings) bad(k, v, want string) {
	s.errs = append(s.errs, fmt.Errorf("%s=%q: want %s", k, v, want))
}

func (s *settings) err() error { return errors.Join(s.errs...) }

// number reads a finite decimal number ≥ 0 ("" when unset).
func (s *settings) number(k string) (f float64, v string, ok bool) {
	v = strings.TrimSpace(os.Getenv(k))
	if v == "" {
		return 0, "", false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, v, false
	}
	return f, v, true
}

// positive reads a number > 0.
func (s *settings) positive(k string, def float64) float64 {
	f, v, ok := s.number(k)
	if v == "" {
		return def
	}
	if !ok || f == 0 {
		s.bad(k, v, fmt.Sprintf("a number greater than 0 (default %g)", def))
		return def
	}
	return f
}

// nonNegative reads a number ≥ 0; zero says what 0 means.
func (s *settings) nonNegative(k string, def float64, zero string) float64 {
	f, v, ok := s.number(k)
	if v == "" {
		return def
	}
	if !ok {
		s.bad(k, v, fmt.Sprintf("a number ≥ 0 (0 for %s; default %g)", zero, def))
		return def
	}
	return f
}

// count reads a whole number ≥ 1; defText says the default to people.
func (s *settings) count(k string, def int, defText string) int {
	v := strings.TrimSpace(os.Getenv(k))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		s.bad(k, v, "a whole number ≥ 1 (default "+defText+")")
		return def
	}
	return n
}

// whole reads a whole number ≥ 0; zero says what 0 means (the default).
func (s *settings) whole(k string, def int, zero string) int {
	v := strings.TrimSpace(os.Getenv(k))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		s.bad(k, v, fmt.Sprintf("a whole number ≥ 0 (0 for %s; default %d)", zero, def))
		return def
	}
	return n
}

// duration reads a Go duration > 0 such as 30m or 1h.
func (s *settings) duration(k string, def time.Duration) time.Duration {
	v := strings.TrimSpace(os.Getenv(k))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		s.bad(k, v, "a duration greater than 0 such as 30m or 1h (default "+def.String()+")")
		return def
	}
	return d
}

// logLevel reads debug, info, warn or error (default info).
func (s *settings) logLevel(k string) string {
	v := strings.TrimSpace(os.Getenv(k))
	if v == "" {
		return "info"
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		s.bad(k, v, "debug, info, warn or error (default info)")
		return "info"
	}
	return v
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
