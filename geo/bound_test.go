package geo_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// bnd is the box from (a, b) to (c, d).
func bnd(a, b, c, d float64) orb.Bound {
	return orb.Bound{Min: orb.Point{a, b}, Max: orb.Point{c, d}}
}

func TestIntersectsBound(t *testing.T) {
	// A square with a square hole: (0,0)-(10,10), hole (4,4)-(6,6).
	sq := orb.MultiPolygon{{
		{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		{{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}},
	}}
	for _, c := range []struct {
		name string
		b    orb.Bound
		want bool
	}{
		{"box inside", bnd(1, 1, 2, 2), true},
		{"box around", bnd(-1, -1, 11, 11), true},
		{"box in the hole", bnd(4.5, 4.5, 5.5, 5.5), false},
		{"box over the hole's edge", bnd(4.5, 4.5, 7, 5.5), true},
		{"box outside, bounds overlap", bnd(11, 1, 12, 2), false},
		{"edge crossing, no vertex inside", bnd(-1, 4, 11, 5), true},
		{"touching the boundary", bnd(10, 2, 11, 3), true},
		{"a point box inside", bnd(2, 2, 2, 2), true},
		{"far away", bnd(50, 50, 51, 51), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := geo.IntersectsBound(sq, c.b); got != c.want {
				t.Errorf("IntersectsBound(%v) = %v, want %v", c.b, got, c.want)
			}
		})
	}
	// A triangle whose bound overlaps a box it does not touch.
	tri := orb.MultiPolygon{{{{0, 0}, {10, 0}, {0, 10}, {0, 0}}}}
	if geo.IntersectsBound(tri, bnd(8, 8, 9, 9)) {
		t.Error("triangle: a box beyond the hypotenuse intersects")
	}
}

// scanIntersecting is the reference for Index.Intersecting: every grid
// tested with IntersectsBound, in input order.
func scanIntersecting(grids []gridmap.Grid, b orb.Bound, keep func(*gridmap.Grid) bool) []string {
	var codes []string
	for i := range grids {
		g := &grids[i]
		if (keep == nil || keep(g)) && geo.IntersectsBound(g.Boundary, b) {
			codes = append(codes, g.Code)
		}
	}
	return codes
}

// testBoxes returns boxes over b: random ones of several sizes, degenerate
// ones (a point, a line), ones with a corner on a vertex (touching), the
// whole extent and one beyond it; from a fixed seed.
func testBoxes(grids []gridmap.Grid, n int, seed uint64) []orb.Bound {
	b := gridBounds(grids)
	r := rand.New(rand.NewPCG(seed, 6))
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	out := []orb.Bound{b, b.Pad(w), bnd(b.Max[0]+w, b.Max[1]+h, b.Max[0]+2*w, b.Max[1]+2*h)}
	for i, p := range randomPoints(b, n, seed) {
		f := []float64{0, 0.001, 0.01, 0.1, 0.5}[i%5]
		out = append(out, bnd(p[0], p[1], p[0]+f*w*r.Float64(), p[1]+f*h*r.Float64()))
	}
	for i, p := range vertexPoints(grids, n/2, seed) {
		if i%2 == 0 {
			out = append(out, bnd(p[0], p[1], p[0]+0.01*w, p[1]+0.01*h))
		} else {
			out = append(out, bnd(p[0]-0.01*w, p[1]-0.01*h, p[0], p[1]))
		}
	}
	return out
}

// TestIntersectingMatchesScan checks the two-phase search (R-tree, then
// IntersectsBound) against testing every grid, on the synthetic street (a
// tree of three levels) and the counties (multipolygons, islands).
func TestIntersectingMatchesScan(t *testing.T) {
	for _, c := range []struct {
		name  string
		grids func(testing.TB) []gridmap.Grid
		boxes int
		keep  func(*gridmap.Grid) bool // a second pass with this filter
	}{
		{"street", streetGrids, 400, func(g *gridmap.Grid) bool { return g.Level == gridmap.LevelMicro }},
		{"counties", loadCounties, 40, func(g *gridmap.Grid) bool { return g.Code < "4" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			grids := c.grids(t)
			ix, err := geo.NewIndex(grids)
			if err != nil {
				t.Fatal(err)
			}
			hits := 0
			for _, b := range testBoxes(grids, c.boxes, 7) {
				for _, keep := range []func(*gridmap.Grid) bool{nil, c.keep} {
					want := scanIntersecting(grids, b, keep)
					var got []string
					for _, g := range ix.Intersecting(b, keep) {
						got = append(got, g.Code)
					}
					if !slices.Equal(got, want) {
						t.Fatalf("box %v: Intersecting %d grids %v, scan %d %v", b, len(got), got, len(want), want)
					}
					hits += len(got)
				}
			}
			if hits == 0 {
				t.Fatal("no box hit any grid: the test tests nothing")
			}
		})
	}
}

// A grid of two parts, both in the box, is listed once.
func TestIntersectingOncePerGrid(t *testing.T) {
	two := orb.MultiPolygon{
		{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}},
		{{{2, 0}, {3, 0}, {3, 1}, {2, 1}, {2, 0}}},
	}
	ix, err := geo.NewIndex([]gridmap.Grid{{Code: "a", Boundary: two}, {Code: "b", Boundary: orb.MultiPolygon{{{{5, 5}, {6, 5}, {6, 6}, {5, 6}, {5, 5}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	gs := ix.Intersecting(bnd(-1, -1, 4, 2), nil)
	if len(gs) != 1 || gs[0].Code != "a" {
		t.Errorf("got %d grids", len(gs))
	}
}
