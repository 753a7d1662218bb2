package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// edgesPerStripe is the mean number of edges per y-stripe a prepared
// polygon aims for. Smaller is faster per test and costs more memory.
const edgesPerStripe = 8

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
	off []int32 // stripe s holds segs[off[s]:off[s+1]]
	// segs are the edges, grouped by stripe, an edge spanning several
	// stripes copied into each: a test reads one contiguous run of memory
	// rather than chasing vertex indices, which costs cache misses.
	segs []seg
	// rings, for a part with more than one ring, holds the index in pts
	// where each ring starts, then len(pts); nil means one ring.
	rings []int32
}

// seg is an edge with its endpoints in canonical order: a lower than b, or
// left of b when level. Both grids sharing an edge store the same seg.
type seg struct{ ax, ay, bx, by float64 }

func newSeg(a, b orb.Point) seg {
	if a[1] > b[1] || (a[1] == b[1] && a[0] > b[0]) {
		a, b = b, a
	}
	return seg{a[0], a[1], b[0], b[1]}
}

// preparePart builds the stripe index of polygon p. It aliases the ring of
// a single closed ring; otherwise it copies, closing open rings.
func preparePart(grid int32, p orb.Polygon) part {
	pt := part{grid: grid}
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
	// The bound of every ring, not only the outer one: with even-odd
	// counting an invalid hole outside its shell still has an inside.
	pt.bound = orb.MultiPoint(pt.pts).Bound()
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
	pt.segs = make([]seg, pt.off[s])
	fill := make([]int32, s)
	copy(fill, pt.off[:s])
	for _, e := range starts {
		g := newSeg(pt.pts[e], pt.pts[e+1])
		for k, k1 := pt.stripeRange(g.ay, g.by); k <= k1; k++ {
			pt.segs[fill[k]] = g
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
// all rings. The side test is evaluated on the edge in canonical order, so
// the two grids that share an edge compute the identical float64 value for
// it: a point is never in neither of two neighbours, and is in both only
// when it is exactly on the edge.
func (pt *part) contains(x, y float64) bool {
	s := pt.stripe(y)
	in := false
	for _, g := range pt.segs[pt.off[s]:pt.off[s+1]] {
		if g.ay <= y && y < g.by {
			o := (g.bx-g.ax)*(y-g.ay) - (g.by-g.ay)*(x-g.ax)
			if o == 0 {
				return true
			}
			if o > 0 {
				in = !in
			}
		} else if g.by == y || g.ay == y {
			// An endpoint, or a level edge, at the point's latitude.
			if (g.by == y && g.bx == x) || (g.ay == y && g.ax == x) ||
				(g.ay == g.by && g.ax < x && x < g.bx) {
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
	for _, g := range pt.segs[pt.off[s]:pt.off[s+1]] {
		if g.ay <= y && y < g.by {
			xs = append(xs, g.ax+(y-g.ay)*(g.bx-g.ax)/(g.by-g.ay))
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
	dist := func(g seg) {
		if d := segDist((g.ax-x)*kx, (g.ay-y)*ky, (g.bx-x)*kx, (g.by-y)*ky); d < best {
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
		pt.eachEdge(func(e int32) { dist(newSeg(pt.pts[e], pt.pts[e+1])) })
		return best
	}
	for _, g := range pt.segs[pt.off[s0]:pt.off[s1+1]] {
		dist(g)
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
// Beyond either end it is the distance to that endpoint, computed from the
// endpoint itself, so two grids sharing a vertex tie exactly.
func segDist(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := -(ax*dx + ay*dy)
	l2 := dx*dx + dy*dy
	switch {
	case t <= 0 || l2 == 0:
		return math.Hypot(ax, ay)
	case t >= l2:
		return math.Hypot(bx, by)
	}
	t /= l2
	return math.Hypot(ax+t*dx, ay+t*dy)
}
