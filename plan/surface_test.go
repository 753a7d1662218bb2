package plan_test

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridmap/gridmap/plan"
)

// TestPointOnSurface: the point is inside, also where the centroid is
// not (a U, a ring with a hole, two parts), and on the widest stretch.
func TestPointOnSurface(t *testing.T) {
	u := orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	holed := orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}}
	for name, mp := range map[string]orb.MultiPolygon{
		"U":     {u},
		"holed": {holed},
		"parts": {{{{10, 10}, {11, 10}, {11, 11}, {10, 11}, {10, 10}}}, u},
	} {
		c, _ := planar.CentroidArea(mp)
		p, ok := plan.PointOnSurface(mp)
		if !ok || !planar.MultiPolygonContains(mp, p) {
			t.Errorf("%s: %v (%v) is not inside (centroid %v)", name, p, ok, c)
		}
	}
	if p, _ := plan.PointOnSurface(orb.MultiPolygon{holed}); p[0] != 0.5 {
		t.Errorf("holed: %v, want the middle of the left stretch (x 0.5)", p)
	}
	if _, ok := plan.PointOnSurface(nil); ok {
		t.Error("no polygon gave a point")
	}
}
