package httpapi

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"

	"github.com/gridmap/gridmap"
)

// TestAppendWKTExact: every coordinate written parses back to the same
// float64, for awkward values too.
func TestAppendWKTExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ring := orb.Ring{}
	for range 50 {
		ring = append(ring, orb.Point{116 + rng.Float64(), 35 + rng.Float64()})
	}
	ring = append(ring, orb.Point{math.Nextafter(117, 118), 1e-9}, orb.Point{-179.99999999999997, -0.1 + 0.2})
	ring = append(ring, ring[0])
	mp := orb.MultiPolygon{{ring, ring}, {ring}}
	s := string(appendWKT(nil, mp))
	g, err := wkt.Unmarshal(s)
	if err != nil {
		t.Fatalf("%v: %.200s", err, s)
	}
	got := g.(*geom.MultiPolygon)
	if got.NumPolygons() != 2 || got.Polygon(0).NumLinearRings() != 2 {
		t.Fatalf("shape: %d polygons", got.NumPolygons())
	}
	lr := got.Polygon(1).LinearRing(0)
	for i, p := range ring {
		c := lr.Coord(i)
		if c.X() != p[0] || c.Y() != p[1] {
			t.Fatalf("vertex %d: %v, wrote %v", i, c, p)
		}
	}
	if s := string(appendWKT(nil, nil)); s != "MULTIPOLYGON EMPTY" {
		t.Errorf("empty: %s", s)
	}
}

// fakeGrids serves fixed grids, for handler tests.
type fakeGrids struct {
	gridmap.GridService
	grids []gridmap.Grid
}

func (f fakeGrids) ListGrids(ctx context.Context, flt gridmap.GridFilter, fn func(gridmap.Grid) error) error {
	n := 0
	for _, g := range f.grids {
		if g.Code <= flt.After || flt.Limit > 0 && n == flt.Limit {
			continue
		}
		n++
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

func (f fakeGrids) Levels(ctx context.Context) ([]gridmap.Level, error) {
	return []gridmap.Level{gridmap.LevelMicro}, nil
}

func TestGridsCSV(t *testing.T) {
	sq := orb.MultiPolygon{{{{116.1, 35.1}, {116.2, 35.1}, {116.2, 35.2}, {116.1, 35.2}, {116.1, 35.1}}}}
	from := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var grids []gridmap.Grid
	for _, code := range []string{"A1", "A2", "A3"} {
		grids = append(grids, gridmap.Grid{ID: 7, Code: code, Name: "名称, \"引号\"", Level: gridmap.LevelMicro, Parent: "A",
			Attributes: map[string]any{"households": 12}, Boundary: sq, Version: 3, ValidFrom: from})
	}
	s := New(Config{}, Deps{Grids: fakeGrids{grids: grids}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, c := range []struct {
		name, query string
		rows        []string // codes
	}{
		{"all", "format=csv", []string{"A1", "A2", "A3"}},
		{"a page", "format=csv&limit=2", []string{"A1", "A2"}},
		{"the next page", "format=csv&limit=2&cursor=A2", []string{"A3"}},
		{"past the end", "format=csv&cursor=A3", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/grids?level=micro&"+c.query, nil))
			if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") ||
				w.Header().Get("Content-Disposition") != `attachment; filename="grids-micro.csv"` {
				t.Fatalf("%d %v", w.Code, w.Header())
			}
			recs, err := csv.NewReader(w.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(recs[0], ",") != strings.Join(gridCSVHeader, ",") {
				t.Errorf("header %v", recs[0])
			}
			var codes []string
			for _, r := range recs[1:] {
				codes = append(codes, r[0])
				want := []string{r[0], "名称, \"引号\"", "micro", "A", "7", "3", "2026-11-25T09:00:00Z", "", `{"households":12}`,
					"MULTIPOLYGON (((116.1 35.1, 116.2 35.1, 116.2 35.2, 116.1 35.2, 116.1 35.1)))"}
				if strings.Join(r, "|") != strings.Join(want, "|") {
					t.Errorf("row\n%q\nwant\n%q", r, want)
				}
			}
			if strings.Join(codes, ",") != strings.Join(c.rows, ",") {
				t.Errorf("codes %v, want %v", codes, c.rows)
			}
		})
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/grids?format=shp", nil))
	if w.Code != 400 || w.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(w.Body.String(), "geojson and csv") {
		t.Errorf("format=shp: %d %s", w.Code, w.Body)
	}
}
