package httpapi

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
)

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		name, header string
		want         bool
	}{
		{"absent", "", false},
		{"gzip", "gzip", true},
		{"list", "br, gzip, deflate", true},
		{"weighted", "gzip;q=0.5, br", true},
		{"refused", "gzip;q=0, identity", false},
		{"refused spaced", "gzip; q=0.000", false},
		{"star", "*", true},
		{"other", "br, deflate", false},
		{"case", "GZIP", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := acceptsGzip(tt.header); got != tt.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestParseTileParams(t *testing.T) {
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	tests := []struct {
		name, query string
		version     int64
		levels      []gridmap.Level
		asOf        bool
		bad         bool
	}{
		{name: "none", query: ""},
		{name: "version", query: "v=42", version: 42},
		{name: "levels", query: "levels=street,%20village", levels: []gridmap.Level{"street", "village"}},
		{name: "past", query: "as_of=" + url.QueryEscape(past), asOf: true},
		{name: "future is current", query: "as_of=" + url.QueryEscape(future)},
		{name: "bad version", query: "v=abc", bad: true},
		{name: "negative version", query: "v=-1", bad: true},
		{name: "empty levels", query: "levels=", bad: true},
		{name: "empty level", query: "levels=street,,micro", bad: true},
		{name: "bad as_of", query: "as_of=yesterday", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			p, err := parseTileParams(q)
			if tt.bad {
				if gridmap.ErrorCode(err) != gridmap.EINVALID {
					t.Fatalf("err %v, want EINVALID", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.version != tt.version || (p.asOf != nil) != tt.asOf || len(p.opts.Levels) != len(tt.levels) {
				t.Errorf("got %+v", p)
			}
			for i, l := range tt.levels {
				if p.opts.Levels[i] != l {
					t.Errorf("levels %v, want %v", p.opts.Levels, tt.levels)
				}
			}
		})
	}
}

func TestParseZXY(t *testing.T) {
	tests := []struct {
		z, x, y string
		ok      bool
	}{
		{"0", "0", "0", true},
		{"18", "262143", "1", true},
		{"a", "0", "0", false},
		{"-1", "0", "0", false},
		{"1.5", "0", "0", false},
		{"3", "", "0", false},
		{"99999999999", "0", "0", false},
	}
	for _, tt := range tests {
		_, _, _, err := parseZXY(map[string]string{"z": tt.z, "x": tt.x, "y": tt.y})
		if (err == nil) != tt.ok {
			t.Errorf("%s/%s/%s: err %v", tt.z, tt.x, tt.y, err)
		}
	}
}

func TestRenderStyle(t *testing.T) {
	tmpl := []byte(`{"version":8,"sources":{
		"a":{"type":"vector","url":"/tiles/grids.json"},
		"b":{"type":"vector","tiles":["/tiles/heat/{z}/{x}/{y}.mvt","https://other.example/{z}/{x}/{y}.mvt"]},
		"c":{"type":"vector","url":"//cdn.example/x.json"}},"layers":[]}`)
	out, err := renderStyle(tmpl, "http://h:1", "https://base.example/style.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Metadata map[string]string
		Sources  map[string]struct {
			URL   string
			Tiles []string
		}
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if s.Sources["a"].URL != "http://h:1/tiles/grids.json" ||
		s.Sources["b"].Tiles[0] != "http://h:1/tiles/heat/{z}/{x}/{y}.mvt" ||
		s.Sources["b"].Tiles[1] != "https://other.example/{z}/{x}/{y}.mvt" ||
		s.Sources["c"].URL != "//cdn.example/x.json" {
		t.Errorf("sources %+v", s.Sources)
	}
	if s.Metadata["gridmap:basemap"] != "https://base.example/style.json" {
		t.Errorf("metadata %v", s.Metadata)
	}
}
