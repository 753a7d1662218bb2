package demodata_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/internal/demodata"
)

// TestWorklogs: a month of demo logs on a small synthetic street: office
// hours, walking speed, most patrols plausible, visited grids set.
func TestWorklogs(t *testing.T) {
	ix := demoIndex(t)
	end := time.Date(2026, 11, 30, 18, 0, 0, 0, gridmap.ChinaTime)
	logs := demodata.Worklogs(ix, end, demodata.WorklogSpec{Days: 30, Weekday: 0.82, Weekend: 0.27, Seed: 1})
	if len(logs) == 0 {
		t.Fatal("no logs")
	}
	pieces, flagged := 0, 0
	for _, l := range logs {
		for _, p := range l.Tracks {
			pieces++
			if len(p.Flags) > 0 {
				flagged++
			}
			h := p.Start.In(gridmap.ChinaTime).Hour()
			if h < 8 || h > 17 {
				t.Errorf("a patrol starts at %s", p.Start.In(gridmap.ChinaTime))
			}
			if len(p.Grids) == 0 {
				t.Errorf("a patrol passes no micro-grid")
			}
			if kmh := p.Metres / p.End.Sub(p.Start).Seconds() * 3.6; kmh > 6 && len(p.Flags) == 0 {
				t.Errorf("a patrol at %.1f km/h", kmh)
			}
		}
	}
	if flagged*10 > pieces {
		t.Errorf("%d of %d patrols flagged", flagged, pieces)
	}
	t.Logf("%d logs, %d patrols, %d flagged", len(logs), pieces, flagged)
}

// demoIndex is a village of six 500 m micro-grids served by two workers.
func demoIndex(tb testing.TB) *geo.Index {
	tb.Helper()
	const d = 0.005
	x0, y0 := 116.83, 35.55
	grids := []gridmap.Grid{{Code: "V", Level: gridmap.LevelVillage,
		Boundary: orb.MultiPolygon{{{{x0, y0}, {x0 + 3*d, y0}, {x0 + 3*d, y0 + 2*d}, {x0, y0 + 2*d}, {x0, y0}}}}}}
	for i := range 6 {
		x, y := x0+float64(i%3)*d, y0+float64(i/3)*d
		grids = append(grids, gridmap.Grid{Code: fmt.Sprintf("V%02d", i+1), Parent: "V", Level: gridmap.LevelMicro,
			Boundary: orb.MultiPolygon{{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}},
			Members:  []gridmap.Member{{Role: "worker", Name: []string{"王演示", "李演示"}[i%2]}}})
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}
