package tiles

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestLabel(t *testing.T) {
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		want orb.Point // the pole
		d    float64   // its distance to the outline
	}{
		{
			name: "square",
			mp:   orb.MultiPolygon{{rect(0, 0, 10, 10, true)}},
			want: orb.Point{5, 5}, d: 5,
		},
		{
			// The centroid (5, 3.57) lies in the notch, outside; the pole
			// sits in a corner block, as far from two sides as from the
			// notch's corner: d = √2(3-d).
			name: "U opening downwards",
			mp:   orb.MultiPolygon{{oriented(orb.Ring{{0, 0}, {10, 0}, {10, 10}, {7, 10}, {7, 3}, {3, 3}, {3, 10}, {0, 10}, {0, 0}}, true)}},
			d:    3 * math.Sqrt2 / (1 + math.Sqrt2),
		},
		{
			name: "square with a hole in the middle",
			mp:   orb.MultiPolygon{{rect(0, 0, 12, 12, true), rect(4, 4, 8, 8, false)}},
			d:    4 * math.Sqrt2 / (1 + math.Sqrt2), // a corner, as above
		},
		{
			name: "the bigger part wins",
			mp:   orb.MultiPolygon{{rect(0, 0, 2, 2, true)}, {rect(10, 10, 30, 20, true)}},
			want: orb.Point{20, 15}, d: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, d := label(tt.mp)
			if !planar.MultiPolygonContains(tt.mp, p) {
				t.Fatalf("label %v is outside", p)
			}
			if math.Abs(d-tt.d) > 0.05 { // the search stops at 1/500 of the size
				t.Errorf("label %v at distance %v, want %v", p, d, tt.d)
			}
			if tt.want != (orb.Point{}) && planar.Distance(p, tt.want) > 0.1 {
				t.Errorf("label %v, want %v", p, tt.want)
			}
		})
	}
}

// TestSetLabel checks Set.Label returns degrees inside the grid.
func TestSetLabel(t *testing.T) {
	grids := streetGrids(t)
	s := newSet(t, grids, Config{})
	for _, g := range grids {
		p, ok := s.Label(g.Code)
		if !ok {
			t.Fatalf("no label for %s", g.Code)
		}
		if !planar.MultiPolygonContains(g.Boundary, p) {
			t.Errorf("label of %s at %v is outside its grid", g.Code, p)
		}
	}
	if _, ok := s.Label("nope"); ok {
		t.Error("label for an unknown code")
	}
}
