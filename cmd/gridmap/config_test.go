package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestSettingsRefused: a numeric setting that is not a number, out of
// range, or 0 where 0 means nothing stops serve (and validate) with the
// variable named and what it allows; never a silent default.
func TestSettingsRefused(t *testing.T) {
	tests := []struct {
		name, key, value string
	}{
		{"near boundary 0", "GRIDMAP_NEAR_BOUNDARY_M", "0"},
		{"near boundary text", "GRIDMAP_NEAR_BOUNDARY_M", "thirty"},
		{"near boundary negative", "GRIDMAP_NEAR_BOUNDARY_M", "-5"},
		{"near boundary NaN", "GRIDMAP_NEAR_BOUNDARY_M", "NaN"},
		{"batch points 0", "GRIDMAP_MAX_BATCH_POINTS", "0"},
		{"batch points fraction", "GRIDMAP_MAX_BATCH_POINTS", "10.5"},
		{"batch points text", "GRIDMAP_MAX_BATCH_POINTS", "1M"},
		{"body bytes 0", "GRIDMAP_MAX_BODY_BYTES", "0"},
		{"body bytes unit", "GRIDMAP_MAX_BODY_BYTES", "64MB"},
		{"attachment 0", "GRIDMAP_MAX_ATTACHMENT", "0"},
		{"attachment unit", "GRIDMAP_MAX_ATTACHMENT", "10MB"},
		{"width 0", "GRIDMAP_TOPOLOGY_WIDTH_M", "0"},
		{"width Inf", "GRIDMAP_TOPOLOGY_WIDTH_M", "Inf"},
		{"sliver text", "GRIDMAP_TOPOLOGY_SLIVER_M2", "big"},
		{"sliver 0", "GRIDMAP_TOPOLOGY_SLIVER_M2", "0"},
		{"read lag 0", "GRIDMAP_READ_MAX_LAG", "0"},
		{"read lag unit", "GRIDMAP_READ_MAX_LAG", "5s"},
		{"rate text", "GRIDMAP_RATE_TOKEN", "fast"},
		{"rate negative", "GRIDMAP_RATE_ANON", "-1"},
		{"burst 0", "GRIDMAP_RATE_BURST", "0"},
		{"burst fraction", "GRIDMAP_RATE_BURST", "2.5"},
		{"timeout no unit", "GRIDMAP_REQUEST_TIMEOUT", "60"},
		{"timeout negative", "GRIDMAP_REQUEST_TIMEOUT", "-1s"},
		{"log level", "GRIDMAP_LOG_LEVEL", "verbose"},
		{"case months negative", "GRIDMAP_CASE_MONTHS", "-1"},
		{"case months fraction", "GRIDMAP_CASE_MONTHS", "1.5"},
		{"rollup every no unit", "GRIDMAP_ROLLUP_EVERY", "60"},
		{"rollup every 0", "GRIDMAP_ROLLUP_EVERY", "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.key, tt.value)
			// Never reached: settings are checked before the database.
			t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
			for _, cmd := range [][]string{{"serve", "--addr", "127.0.0.1:0"}, {"validate"}} {
				var out bytes.Buffer
				err := run(context.Background(), cmd, &out, &out)
				if err == nil || !strings.Contains(err.Error(), tt.key+"=") || !strings.Contains(err.Error(), "want ") {
					t.Errorf("%s with %s=%q: %v, want an error naming %s and what it allows", cmd[0], tt.key, tt.value, err, tt.key)
				}
			}
		})
	}
}

// TestSettingsAccepted: good values, and 0 where it is documented.
func TestSettingsAccepted(t *testing.T) {
	for k, v := range map[string]string{
		"GRIDMAP_NEAR_BOUNDARY_M":    "12.5",
		"GRIDMAP_MAX_BATCH_POINTS":   "5000",
		"GRIDMAP_MAX_BODY_BYTES":     " 1048576 ",
		"GRIDMAP_TOPOLOGY_WIDTH_M":   "0.5",
		"GRIDMAP_TOPOLOGY_SLIVER_M2": "50",
		"GRIDMAP_RATE_TOKEN":         "0",
		"GRIDMAP_RATE_ANON":          "2.5",
		"GRIDMAP_RATE_BURST":         "7",
		"GRIDMAP_REQUEST_TIMEOUT":    "0",
		"GRIDMAP_LOG_LEVEL":          "debug",
		"GRIDMAP_MAX_ATTACHMENT":     "2097152",
		"GRIDMAP_CASE_MONTHS":        "3",
		"GRIDMAP_ROLLUP_EVERY":       "15m",
	} {
		t.Setenv(k, v)
	}
	cfg := loadConfig()
	if cfg.Err != nil {
		t.Fatal(cfg.Err)
	}
	h := cfg.HTTP
	if h.NearBoundaryMetres != 12.5 || h.MaxBatchPoints != 5000 || h.MaxBodyBytes != 1<<20 || h.Topology.WidthM != 0.5 ||
		h.Topology.SliverM2 != 50 || h.Trust.RatePerToken != 0 || h.Trust.RatePerIP != 2.5 || h.Trust.RateBurst != 7 ||
		h.Trust.RequestTimeout != time.Duration(-1) || cfg.LogLevel != "debug" || h.MaxAttachmentBytes != 2<<20 ||
		cfg.Window.CaseMonths != 3 || cfg.Window.RollupEvery != 15*time.Minute {
		t.Errorf("config %+v", cfg)
	}
}
