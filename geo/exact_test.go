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
	return b
}

func (b *brute) lookup(p orb.Point) int {
	best, _ := b.lookupAll(p)
	return best
}

// lookupAll returns the winner and how many grids contain p.
func (b *brute) lookupAll(p orb.Point) (best, n int) {
	best = -1
	for _, i := range b.order {
		if len(b.grids[i].Boundary) > 0 && b.bounds[i].Contains(p) && planar.MultiPolygonContains(b.grids[i].Boundary, p) {
			if n == 0 {
				best = i
			}
			n++
		}
	}
	return best, n
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

// compare looks up every point in ix and in the brute force. Disagreements
// within boundaryTolerance of either grid's boundary are counted apart;
// others fail the test (the first few are logged).
func compare(tb testing.TB, ix *geo.Index, b *brute, pts []orb.Point) exactness {
	tb.Helper()
	var e exactness
	for _, p := range pts {
		e.points++
		want, n := b.lookupAll(p)
		if n > 1 {
			e.multi++
		}
		got := -1
		if h, ok := ix.Lookup(p[0], p[1]); ok {
			got = h.Index()
		}
		if got == want {
			e.agree++
			continue
		}
		if min(b.distToBoundary(got, p), b.distToBoundary(want, p)) < boundaryTolerance {
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
			tb.Errorf("Lookup(%v, %v) = %s, brute force says %s", p[0], p[1], name(got), name(want))
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compare(t, ix, b, tt.pts)
			t.Logf("%d points (%d in two or more grids): %d agree, %d differ within %g° of a boundary, %d differ elsewhere",
				e.points, e.multi, e.agree, e.nearBoundary, boundaryTolerance, e.disagree)
		})
	}
}
