package geo_test

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// boundaryTolerance (degrees, about 1 cm) is how near a boundary a point
// may be for the index and the brute force to disagree: there float64
// rounding in two different formulas may fall either way.
const boundaryTolerance = 1e-7

// brute is the reference lookup: every grid tested with orb's
// planar.MultiPolygonContains (boundary inclusive), the winner picked by
// the documented order — leaf first, deeper first, smaller code.
type brute struct {
	grids  []gridmap.Grid
	bounds []orb.Bound
	order  []int // grid indices, best first
	rank   []int // grid index → its place in order
}

func newBrute(tb testing.TB, grids []gridmap.Grid) *brute {
	tb.Helper()
	byCode := map[string]int{}
	for i, g := range grids {
		byCode[g.Code] = i
	}
	leaf := make([]bool, len(grids))
	depth := make([]int, len(grids))
	for i := range leaf {
		leaf[i] = true
	}
	for i, g := range grids {
		if g.Parent != "" {
			leaf[byCode[g.Parent]] = false
		}
		for p := g.Parent; p != ""; p = grids[byCode[p]].Parent {
			depth[i]++
		}
	}
	b := &brute{grids: grids, bounds: make([]orb.Bound, len(grids))}
	for i, g := range grids {
		b.order = append(b.order, i)
		if len(g.Boundary) > 0 {
			b.bounds[i] = g.Boundary.Bound()
		}
	}
	slices.SortFunc(b.order, func(x, y int) int {
		if leaf[x] != leaf[y] {
			if leaf[x] {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(depth[y], depth[x]); c != 0 {
			return c
		}
		return cmp.Compare(grids[x].Code, grids[y].Code)
	})
	b.rank = make([]int, len(grids))
	for r, i := range b.order {
		b.rank[i] = r
	}
	return b
}

func (b *brute) lookup(p orb.Point) int {
	if in := b.containing(p); len(in) > 0 {
		return in[0]
	}
	return -1
}

// containing returns every grid that contains p, boundary included, best
// first.
func (b *brute) containing(p orb.Point) []int {
	var in []int
	for _, i := range b.order {
		if len(b.grids[i].Boundary) > 0 && b.bounds[i].Contains(p) && planar.MultiPolygonContains(b.grids[i].Boundary, p) {
			in = append(in, i)
		}
	}
	return in
}

// isVertex reports whether p is exactly a vertex of grid i.
func (b *brute) isVertex(i int, p orb.Point) bool {
	for _, poly := range b.grids[i].Boundary {
		for _, r := range poly {
			if slices.Contains(r, p) {
				return true
			}
		}
	}
	return false
}

// distToBoundary returns the planar distance in degrees from p to grid i's
// boundary, +Inf for none.
func (b *brute) distToBoundary(i int, p orb.Point) float64 {
	if i < 0 || len(b.grids[i].Boundary) == 0 {
		return math.Inf(1)
	}
	best := math.Inf(1)
	for _, poly := range b.grids[i].Boundary {
		for _, r := range poly {
			best = min(best, planar.DistanceFrom(orb.LineString(r), p))
		}
	}
	return best
}

type exactness struct {
	points, agree, nearBoundary, disagree int
	multi                                 int // points in two or more grids
}

// compare looks up every point in ix and in the brute force. They must
// agree, but for float64 rounding: near a boundary (within
// boundaryTolerance) the two predicates may place a point on either side.
// So a disagreement passes only when
//
//   - the index names a grid that contains p or whose boundary passes within
//     the tolerance of it, and no grid that clearly contains p (farther than
//     the tolerance from its boundary) comes before it in the order; or
//   - the index names none, p lies in at most one grid, within the
//     tolerance of its boundary, and is not one of its vertices: a point
//     exactly on a boundary that grids share, or on a vertex, is in one of
//     them (boundaries are closed).
//
// Any other disagreement fails the test (the first few are logged).
func compare(tb testing.TB, ix *geo.Index, b *brute, pts []orb.Point) exactness {
	tb.Helper()
	return compareLookup(tb, func(p orb.Point) int {
		if h, ok := ix.Lookup(p[0], p[1]); ok {
			return h.Index()
		}
		return -1
	}, b, pts)
}

// compareLookup is compare for any lookup (grid index, -1 for none).
func compareLookup(tb testing.TB, lookup func(orb.Point) int, b *brute, pts []orb.Point) exactness {
	tb.Helper()
	var e exactness
	for _, p := range pts {
		e.points++
		in := b.containing(p)
		if len(in) > 1 {
			e.multi++
		}
		want := -1
		if len(in) > 0 {
			want = in[0]
		}
		got := lookup(p)
		if got == want {
			e.agree++
			continue
		}
		near := func(i int) bool { return b.distToBoundary(i, p) < boundaryTolerance }
		var why string
		if got < 0 {
			switch {
			case len(in) > 1:
				why = "p is on a boundary those grids share"
			case !near(in[0]):
				why = "p is clearly inside"
			case b.isVertex(in[0], p):
				why = "p is a vertex of it"
			}
		} else {
			if !slices.Contains(in, got) && !near(got) {
				why = "p is not in or at the edge of " + b.grids[got].Code
			}
			for _, i := range in {
				if b.rank[i] < b.rank[got] && !near(i) {
					why = b.grids[i].Code + " clearly contains p and comes first"
					break
				}
			}
		}
		if why == "" {
			e.nearBoundary++
			continue
		}
		e.disagree++
		if e.disagree <= 5 {
			name := func(i int) string {
				if i < 0 {
					return "none"
				}
				return b.grids[i].Code
			}
			var codes []string
			for _, i := range in {
				codes = append(codes, name(i))
			}
			tb.Errorf("Lookup(%v, %v) = %s; brute force: in %v: %s", p[0], p[1], name(got), codes, why)
		}
	}
	return e
}

func TestLookupExactCounties(t *testing.T) {
	grids := loadCounties(t)
	ix, err := geo.NewIndex(grids)
	if err != nil {
		t.Fatal(err)
	}
	cells, empty, full, crossed := ix.RasterStats()
	v, bytes := ix.Stats()
	t.Logf("%d counties, %d vertices, %d bytes (%.1f per vertex); raster %d cells: %d empty, %d inside one county, %d crossed by edges",
		ix.Len(), v, bytes, float64(bytes)/float64(v), cells[0], empty[0], full[0], crossed[0])
	b := newBrute(t, grids)
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	tests := []struct {
		name string
		pts  []orb.Point
	}{
		{"uniform in bounds", randomPoints(gridBounds(grids), n, 1)},
		// A third exact vertices, a third interpolated on edges, a third
		// within about 1 m of an edge.
		{"on and near edges", edgePoints(grids, n/2, 1e-5, 2)},
		// Exact vertices alone: each is on the boundary of one county or
		// shared by two or more, and must get one of them.
		{"vertices", vertexPoints(grids, n/4, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compare(t, ix, b, tt.pts)
			t.Logf("%d points (%d in two or more grids): %d agree, %d differ within %g° of a boundary, %d differ elsewhere",
				e.points, e.multi, e.agree, e.nearBoundary, boundaryTolerance, e.disagree)
		})
	}
}

func TestLookupExactStreet(t *testing.T) {
	grids := streetGrids(t)
	ix, err := geo.NewIndex(grids)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrute(t, grids)
	bd := gridBounds(grids).Pad(0.002)
	tests := []struct {
		name string
		pts  []orb.Point
	}{
		{"uniform around the street", randomPoints(bd, 50_000, 5)},
		{"on and near edges", edgePoints(grids, 30_000, 1e-6, 6)},
		{"vertices", vertexPoints(grids, 10_000, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compare(t, ix, b, tt.pts)
			t.Logf("%d points (%d in two or more grids): %d agree, %d differ within %g° of a boundary, %d differ elsewhere",
				e.points, e.multi, e.agree, e.nearBoundary, boundaryTolerance, e.disagree)
		})
	}
}

// errorCounter is a testing.TB that counts Errorf calls.
type errorCounter struct {
	testing.TB
	n int
}

func (c *errorCounter) Helper()               {}
func (c *errorCounter) Errorf(string, ...any) { c.n++ }

// TestCompareFailsWhenItShould: compare is not so tolerant that a wrong
// lookup passes. Lookups that answer none on a shared boundary or vertex,
// or a grid far from the point, are caught on the street's vertices and
// edges; the brute force itself passes.
func TestCompareFailsWhenItShould(t *testing.T) {
	grids := streetGrids(t)
	b := newBrute(t, grids)
	pts := append(vertexPoints(grids, 2000, 8), edgePoints(grids, 3000, 1e-6, 9)...)
	tests := []struct {
		name   string
		lookup func(orb.Point) int
		fails  bool
	}{
		{name: "brute force", lookup: b.lookup},
		{name: "none on shared boundaries", fails: true, lookup: func(p orb.Point) int {
			if in := b.containing(p); len(in) == 1 {
				return in[0]
			}
			return -1
		}},
		{name: "none on vertices", fails: true, lookup: func(p orb.Point) int {
			in := b.containing(p)
			if len(in) == 0 || b.isVertex(in[0], p) {
				return -1
			}
			return in[0]
		}},
		{name: "a far grid", fails: true, lookup: func(p orb.Point) int {
			if in := b.containing(p); len(in) > 0 {
				return (in[0] + len(grids)/2) % len(grids)
			}
			return -1
		}},
		{name: "the street before its micro-grids", fails: true, lookup: func(p orb.Point) int {
			if in := b.containing(p); len(in) > 0 {
				return in[len(in)-1]
			}
			return -1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &errorCounter{TB: t}
			e := compareLookup(c, tt.lookup, b, pts)
			if failed := e.disagree > 0 || c.n > 0; failed != tt.fails {
				t.Errorf("compare failed %v (%d disagreements, %d tolerated near a boundary), want %v", failed, e.disagree, e.nearBoundary, tt.fails)
			}
		})
	}
}
