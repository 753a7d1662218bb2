package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// edgesPerStripe is the mean number of edges per y-stripe a prepared
// polygon aims for. Smaller is faster per test and costs more memory.
const edgesPerStripe = 4

// part is one polygon (outer ring and holes) of a grid's MultiPolygon,
// prepared for point-in-polygon tests: its edges are bucketed into
// horizontal stripes so a test reads only the edges whose y-range holds the
// point, O(k) for the k edges near that latitude instead of O(n).
type part struct {
	grid  int32
	bound orb.Bound
	// pts holds the rings one after another, each closed; edge e joins
	// pts[e] and pts[e+1]. For a single closed ring it is the ring itself.
	pts []orb.Point
	y0  float64 // bound.Min[1]
	sy  float64 // stripes per degree of latitude
	off []int32 // stripe s holds edges[off[s]:off[s+1]]
	// edges are the indices into pts of edge starts, grouped by stripe.
	edges []int32
	// rings, for a part with more than one ring, holds the index in pts
	// where each ring starts, then len(pts); nil means one ring.
	rings []int32
}

// preparePart builds the stripe index of polygon p. It aliases the ring of
// a single closed ring; otherwise it copies, closing open rings.
func preparePart(grid int32, p orb.Polygon) part {
	pt := part{grid: grid, bound: p.Bound()}
	if len(p) == 1 && len(p[0]) > 1 && p[0][0] == p[0][len(p[0])-1] {
		pt.pts = p[0]
	} else {
		n := 0
		for _, r := range p {
			n += len(r) + 1
		}
		pt.pts = make([]orb.Point, 0, n)
		for _, r := range p {
			if len(r) == 0 {
				continue
			}
			pt.rings = append(pt.rings, int32(len(pt.pts)))
			pt.pts = append(pt.pts, r...)
			if r[0] != r[len(r)-1] || len(r) == 1 {
				pt.pts = append(pt.pts, r[0])
			}
		}
		pt.rings = append(pt.rings, int32(len(pt.pts)))
	}
	var starts []int32 // edge starts, before striping
	pt.eachEdge(func(e int32) { starts = append(starts, e) })

	s := len(starts) / edgesPerStripe
	h := pt.bound.Max[1] - pt.bound.Min[1]
	if s < 1 || !(h > 0) {
		s = 1
	}
	pt.y0 = pt.bound.Min[1]
	if h > 0 {
		pt.sy = float64(s) / h
	}
	pt.off = make([]int32, s+1)
	for _, e := range starts {
		s0, s1 := pt.stripeRange(pt.pts[e][1], pt.pts[e+1][1])
		for k := s0; k <= s1; k++ {
			pt.off[k+1]++
		}
	}
	for k := 1; k <= s; k++ {
		pt.off[k] += pt.off[k-1]
	}
	pt.edges = make([]int32, pt.off[s])
	fill := make([]int32, s)
	copy(fill, pt.off[:s])
	for _, e := range starts {
		s0, s1 := pt.stripeRange(pt.pts[e][1], pt.pts[e+1][1])
		for k := s0; k <= s1; k++ {
			pt.edges[fill[k]] = e
			fill[k]++
		}
	}
	return pt
}

// stripe returns the stripe holding latitude y, clamped to the part. It is
// monotonic in y, which is what makes the bucketing exact: an edge whose
// y-range holds y is always listed in stripe(y).
func (pt *part) stripe(y float64) int {
	s := int((y - pt.y0) * pt.sy)
	if s < 0 {
		return 0
	}
	if n := len(pt.off) - 2; s > n {
		return n
	}
	return s
}

func (pt *part) stripeRange(ya, yb float64) (int, int) {
	if ya > yb {
		ya, yb = yb, ya
	}
	return pt.stripe(ya), pt.stripe(yb)
}

// contains reports whether (x, y) is in the part, boundary included.
//
// It casts a ray east and counts crossings with the half-open rule (an edge
// counts when exactly one endpoint lies strictly above y), even-odd over
// all rings. The side test is evaluated on the edge with its endpoints in
// canonical (lower, upper) order, so the two grids that share an edge
// compute the identical float64 value for it: a point is never in neither
// of two neighbours, and is in both only when it is exactly on the edge.
func (pt *part) contains(x, y float64) bool {
	s := pt.stripe(y)
	pts := pt.pts
	in := false
	for _, e := range pt.edges[pt.off[s]:pt.off[s+1]] {
		a, b := pts[e], pts[e+1]
		if (a[1] > y) != (b[1] > y) {
			if a[1] > b[1] {
				a, b = b, a
			}
			o := (b[0]-a[0])*(y-a[1]) - (b[1]-a[1])*(x-a[0])
			if o == 0 {
				return true
			}
			if o > 0 {
				in = !in
			}
		} else if a[1] == y {
			// Vertex a, or a horizontal edge, at the point's latitude.
			if a[0] == x || (b[1] == y && (a[0] < x) != (b[0] < x)) {
				return true
			}
		}
	}
	return in
}

// crossings appends the x of every edge crossing latitude y, by the same
// half-open rule as contains.
func (pt *part) crossings(y float64, xs []float64) []float64 {
	s := pt.stripe(y)
	pts := pt.pts
	for _, e := range pt.edges[pt.off[s]:pt.off[s+1]] {
		a, b := pts[e], pts[e+1]
		if (a[1] > y) != (b[1] > y) {
			if a[1] > b[1] {
				a, b = b, a
			}
			xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
		}
	}
	return xs
}

// distance returns the distance in metres from (x, y) to the part, 0 when
// the part contains it, measured in the local metric of kx, ky metres per
// degree. Edges farther than limit metres north or south are skipped; if
// none is nearer than limit, the result is +Inf or some value > limit.
func (pt *part) distance(x, y, kx, ky, limit float64) float64 {
	if pt.contains(x, y) {
		return 0
	}
	best := math.Inf(1)
	pts := pt.pts
	seg := func(e int32) {
		ax, ay := (pts[e][0]-x)*kx, (pts[e][1]-y)*ky
		bx, by := (pts[e+1][0]-x)*kx, (pts[e+1][1]-y)*ky
		if d := segDist(ax, ay, bx, by); d < best {
			best = d
		}
	}
	dy := limit / ky
	s0, s1 := 0, len(pt.off)-2
	if !math.IsInf(dy, 1) {
		s0, s1 = pt.stripe(y-dy), pt.stripe(y+dy)
	}
	if 2*(s1-s0+1) > len(pt.off)-1 {
		// Most stripes: walk every edge once rather than stripe copies.
		pt.eachEdge(seg)
		return best
	}
	for _, e := range pt.edges[pt.off[s0]:pt.off[s1+1]] {
		seg(e)
	}
	return best
}

// eachEdge calls fn with the start index of every edge, ring by ring.
func (pt *part) eachEdge(fn func(e int32)) {
	if pt.rings == nil {
		for e := int32(0); e+1 < int32(len(pt.pts)); e++ {
			fn(e)
		}
		return
	}
	for r := 0; r+1 < len(pt.rings); r++ {
		for e := pt.rings[r]; e+1 < pt.rings[r+1]; e++ {
			fn(e)
		}
	}
}

// segDist returns the distance from the origin to segment ab (plane units).
func segDist(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = -(ax*dx + ay*dy) / l2
		t = max(0, min(1, t))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}
