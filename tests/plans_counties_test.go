package tests

import (
	"context"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/postgis"
)

// TestValidateCounties: validating the 2,735 real county polygons as one
// level finishes and reports their overlaps along shared borders (the
// outlines were drawn independently) and their slivers, each with its area.
func TestValidateCounties(t *testing.T) {
	if testing.Short() {
		t.Skip("imports and validates the 2,735 counties; skipped with -short")
	}
	st := countiesStore(t)
	start := time.Now()
	rep, err := postgis.NewPlans(st).ValidateMap(context.Background(), "county", gridmap.Tolerances{})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	var area float64
	for _, p := range rep.Problems {
		if p.AreaM2 <= 0 && (p.Kind == gridmap.ProblemOverlap || p.Kind == gridmap.ProblemSliver) {
			t.Errorf("%s without an area", p.Message)
		}
		if p.Geometry == nil || p.Location == nil {
			t.Errorf("%s without geometry or location", p.Message)
		}
		area += p.AreaM2
	}
	c := rep.Counts()
	t.Logf("2,735 counties validated in %v: %d problems %v, %.0f km² in all", took, len(rep.Problems), c, area/1e6)
	if rep.Grids != 2735 || c[gridmap.ProblemOverlap] < 1000 || rep.Fatal() != 0 {
		t.Errorf("%d grids checked, %v: want 2,735, over 1,000 overlaps, nothing fatal (the import repaired them)", rep.Grids, c)
	}
}
