package tiles

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestCleanRing(t *testing.T) {
	tests := []struct {
		name string
		in   orb.Ring
		want orb.Ring
	}{
		{
			name: "already clean",
			in:   orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
			want: orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
		},
		{
			name: "repeated and collinear points",
			in:   orb.Ring{{0, 0}, {2, 0}, {2, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 2}, {0, 0}},
			want: orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
		},
		{
			name: "spike",
			in:   orb.Ring{{0, 0}, {4, 0}, {4, 4}, {6, 4}, {4, 4}, {0, 4}, {0, 0}},
			want: orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
		},
		{
			name: "collinear across the seam",
			in:   orb.Ring{{2, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}, {2, 0}},
			want: orb.Ring{{4, 0}, {4, 4}, {0, 4}, {0, 0}, {4, 0}},
		},
		{
			name: "not closed",
			in:   orb.Ring{{0, 0}, {4, 0}, {4, 4}},
			want: orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 0}},
		},
		{name: "flat", in: orb.Ring{{0, 0}, {4, 0}, {8, 0}, {0, 0}}, want: nil},
		{name: "one point", in: orb.Ring{{1, 1}, {1, 1}, {1, 1}, {1, 1}}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanRing(tt.in); !got.Equal(tt.want) {
				t.Errorf("cleanRing = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSimple(t *testing.T) {
	square := orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}
	tests := []struct {
		name string
		p    orb.Polygon
		want bool
	}{
		{"square", orb.Polygon{square}, true},
		{"bow tie", orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}, false},
		{"touches itself at a vertex", orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {2, 0}, {0, 4}, {0, 0}}}, false},
		{"vertex on own edge", orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {5, 0}, {3, 5}, {0, 5}, {0, 0}}}, false},
		{"hole inside", orb.Polygon{square, {{2, 2}, {2, 4}, {4, 4}, {4, 2}, {2, 2}}}, true},
		{"hole touching the exterior at a point", orb.Polygon{square, {{0, 5}, {3, 7}, {3, 3}, {0, 5}}}, true},
		{"hole crossing the exterior", orb.Polygon{square, {{-2, 2}, {-2, 4}, {4, 4}, {4, 2}, {-2, 2}}}, false},
		{"hole sharing an edge stretch", orb.Polygon{square, {{0, 2}, {0, 4}, {4, 4}, {4, 2}, {0, 2}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := simple(tt.p); got != tt.want {
				t.Errorf("simple = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHull(t *testing.T) {
	tests := []struct {
		name string
		in   orb.Ring
		area int64 // twice the area of the hull
	}{
		{"square with a dent", orb.Ring{{0, 0}, {10, 0}, {5, 5}, {10, 10}, {0, 10}, {0, 0}}, 200},
		{"folded", orb.Ring{{0, 0}, {4, 0}, {4, 4}, {2, 0}, {0, 4}, {0, 0}}, 32},
		{"collinear", orb.Ring{{0, 0}, {4, 0}, {8, 0}, {0, 0}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hull(tt.in)
			if tt.area == 0 {
				if h != nil {
					t.Fatalf("hull = %v, want nil", h)
				}
				return
			}
			if got := area2(h); got != tt.area {
				t.Errorf("hull %v: area2 %d, want %d (positive: exterior)", h, got, tt.area)
			}
			if !simple(orb.Polygon{h}) {
				t.Errorf("hull %v is not simple", h)
			}
		})
	}
}

func TestRepair(t *testing.T) {
	tests := []struct {
		name  string
		in    orb.Polygon
		parts int     // polygons out
		holes int     // holes out, over all polygons
		area  float64 // total area out, tile units²
	}{
		{
			name:  "bow tie keeps the half turning as an exterior",
			in:    orb.Polygon{{{0, 0}, {10, 0}, {0, 10}, {10, 10}, {0, 0}}},
			parts: 1, area: 25,
		},
		{
			name:  "figure eight touching at a vertex",
			in:    orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {8, 4}, {8, 8}, {4, 8}, {4, 4}, {0, 4}, {0, 0}}},
			parts: 2, area: 32,
		},
		{
			name:  "inverted hole becomes a hole",
			in:    orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {5, 8}, {7, 5}, {3, 5}, {5, 8}, {5, 10}, {0, 10}, {0, 0}}},
			parts: 1, holes: 1, area: 100 - 6,
		},
		{
			name:  "vertex on its own edge",
			in:    orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {6, 10}, {5, 0}, {0, 10}, {0, 0}}},
			parts: 2, area: 70,
		},
		{
			name:  "hole crossing the exterior is dropped",
			in:    orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{-2, 2}, {-2, 4}, {4, 4}, {4, 2}, {-2, 2}}},
			parts: 1, area: 100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, ok := repair(tt.in)
			if !ok {
				t.Fatal("noding did not settle")
			}
			holes, area := 0, 0.0
			for _, p := range out {
				if !simple(p) {
					t.Errorf("polygon %v is not simple", p)
				}
				for i, r := range p {
					checkRing(t, r, i == 0, -100, 100, "repaired ring")
					area += float64(area2(r)) / 2
				}
				holes += len(p) - 1
			}
			if len(out) != tt.parts || holes != tt.holes || math.Abs(area-tt.area) > 1e-9 {
				t.Errorf("repair = %v: %d polygons, %d holes, area %v; want %d, %d, %v", out, len(out), holes, area, tt.parts, tt.holes, tt.area)
			}
		})
	}
}

// TestLoops checks the cut of a ring at its repeated vertices.
func TestLoops(t *testing.T) {
	r := orb.Ring{{0, 0}, {4, 0}, {4, 4}, {8, 4}, {8, 8}, {4, 8}, {4, 4}, {0, 4}, {0, 0}}
	got := loops(r)
	if len(got) != 2 {
		t.Fatalf("loops = %v, want 2", got)
	}
	for _, l := range got {
		if l[0] != l[len(l)-1] || len(l) != 5 {
			t.Errorf("loop %v: want a closed square", l)
		}
	}
}
