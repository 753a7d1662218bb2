package tiles

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
)

// Ring helpers for rings snapped to whole tile units. Their arithmetic is
// done in int64, so it is exact: coordinates stay below 2^(24+16) and
// differences of coordinates within one polygon far below 2^31.

// cross returns the z component of (b-a)×(c-b): zero when a, b, c are
// collinear, positive when they turn the way an exterior ring turns.
func cross(a, b, c orb.Point) int64 {
	abx, aby := int64(b[0])-int64(a[0]), int64(b[1])-int64(a[1])
	bcx, bcy := int64(c[0])-int64(b[0]), int64(c[1])-int64(b[1])
	return abx*bcy - aby*bcx
}

// area2 returns twice the signed area of a closed snapped ring by the
// surveyor's formula: positive for an MVT exterior ring (y down), negative
// for a hole.
func area2(r orb.Ring) int64 {
	if len(r) < 4 {
		return 0
	}
	var s int64
	ox, oy := int64(r[0][0]), int64(r[0][1])
	for i := 1; i < len(r)-1; i++ {
		x0, y0 := int64(r[i][0])-ox, int64(r[i][1])-oy
		x1, y1 := int64(r[i+1][0])-ox, int64(r[i+1][1])-oy
		s += x0*y1 - x1*y0
	}
	return s
}

// signedArea returns the signed area of a closed ring of any coordinates,
// positive for an exterior ring when y points down (EPSG:3857 world or tile
// units).
func signedArea(r orb.Ring) float64 {
	if len(r) < 4 {
		return 0
	}
	s := 0.0
	ox, oy := r[0][0], r[0][1]
	for i := 1; i < len(r)-1; i++ {
		s += (r[i][0]-ox)*(r[i+1][1]-oy) - (r[i+1][0]-ox)*(r[i][1]-oy)
	}
	return s / 2
}

// cleanRing returns r, snapped, without repeated points, spikes or
// collinear points, closed, in a new slice; nil if fewer than three
// distinct corners remain. Removing a collinear point never changes the
// shape; removing a spike removes only zero area.
func cleanRing(r orb.Ring) orb.Ring {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	return cleanInto(make(orb.Ring, 0, n+1), r[:n])
}

// cleanInPlace is cleanRing in r's memory, for rings that live no longer
// than a tile.
func cleanInPlace(r orb.Ring) orb.Ring {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	return cleanInto(r[:0], r[:n])
}

// cleanInto appends the cleaned open ring r to out, which may be r[:0]:
// out never runs ahead of the point read.
func cleanInto(out, r orb.Ring) orb.Ring {
	for _, p := range r {
		for len(out) >= 2 && cross(out[len(out)-2], out[len(out)-1], p) == 0 {
			out = out[:len(out)-1]
		}
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
	}
	// The same rules across the seam where the ring closes.
	for len(out) >= 3 {
		k := len(out)
		switch {
		case out[0] == out[k-1]:
			out = out[:k-1]
		case cross(out[k-2], out[k-1], out[0]) == 0:
			out = out[:k-1]
		case cross(out[k-1], out[0], out[1]) == 0:
			out = out[1:]
		default:
			return append(out, out[0])
		}
	}
	return nil
}

// segment is one edge of a snapped polygon, with its place for adjacency.
type segment struct {
	a, b       orb.Point
	minX, maxX float64
	ring, i, n int // ring index, edge index, edges in the ring
}

// sweep holds the edges of rings and their order by smallest x. Sweeps
// are pooled: every clipped polygon of every tile is checked.
type sweep struct {
	segs  []segment
	order []uint64  // indices into segs (low 32 bits), see sort
	along []segment // for clipper.cutSimple
}

var sweeps = sync.Pool{New: func() any { return new(sweep) }}

// newSweep returns the edges of rings, sorted; release it after use.
func newSweep(rings []orb.Ring) *sweep {
	sw := newSegments(rings)
	sw.sort()
	return sw
}

// newSegments returns the edges of rings, not sorted, order empty for the
// caller's use; release it after use.
func newSegments(rings []orb.Ring) *sweep {
	sw := sweeps.Get().(*sweep)
	sw.segs, sw.order = sw.segs[:0], sw.order[:0]
	n := 0
	for _, r := range rings {
		n += max(len(r)-1, 0)
	}
	sw.segs = slices.Grow(sw.segs, n)
	for ri, r := range rings {
		n := len(r) - 1
		for i := 0; i < n; i++ {
			a, b := r[i], r[i+1]
			sw.segs = append(sw.segs, segment{a: a, b: b, minX: min(a[0], b[0]), maxX: max(a[0], b[0]), ring: ri, i: i, n: n})
		}
	}
	return sw
}

// sort fills order with the edges by smallest x. On whole units spanning
// less than 2^31, the smallest x less the least one goes above the index,
// so that a plain integer sort orders them; else it sorts by comparison.
func (sw *sweep) sort() {
	base, top, whole := math.Inf(1), math.Inf(-1), true
	for k := range sw.segs {
		x := sw.segs[k].minX
		base, top = min(base, x), max(top, x)
		whole = whole && x == math.Trunc(x)
	}
	sw.order = slices.Grow(sw.order[:0], len(sw.segs))
	if whole && top-base < 1<<31 && len(sw.segs) < 1<<31 {
		for k := range sw.segs {
			sw.order = append(sw.order, uint64(sw.segs[k].minX-base)<<32|uint64(k))
		}
		slices.Sort(sw.order)
		return
	}
	for k := range sw.segs {
		sw.order = append(sw.order, uint64(k))
	}
	slices.SortFunc(sw.order, func(i, j uint64) int { return cmp.Compare(sw.segs[i].minX, sw.segs[j].minX) })
}

// release returns sw to the pool.
func (sw *sweep) release() {
	if cap(sw.segs) <= 1<<16 && cap(sw.along) <= 1<<16 {
		sweeps.Put(sw)
	}
}

// eachPair calls fn for every two edges whose bounds overlap, sweeping
// edges by x: O(n log n) for ordinary outlines. fn returns false to stop.
func (sw *sweep) eachPair(fn func(s, t *segment) bool) {
	for i, oi := range sw.order {
		s := &sw.segs[uint32(oi)]
		sMinY, sMaxY := min(s.a[1], s.b[1]), max(s.a[1], s.b[1])
		for _, oj := range sw.order[i+1:] {
			t := &sw.segs[uint32(oj)]
			if t.minX > s.maxX {
				break
			}
			if min(t.a[1], t.b[1]) > sMaxY || max(t.a[1], t.b[1]) < sMinY {
				continue
			}
			if !fn(s, t) {
				return
			}
		}
	}
}

// simple reports whether the rings of a snapped polygon meet only where
// OGC allows: consecutive edges of a ring at their shared corner, and two
// rings at single points. Within a ring any other contact fails, between
// rings a crossing or a shared stretch does. (Two rings crossing exactly at
// a vertex they share are not caught.) Rings must be cleaned (cleanRing).
func simple(p orb.Polygon) bool {
	sw := newSweep(p)
	defer sw.release()
	ok := true
	sw.eachPair(func(s, t *segment) bool {
		ok = allowed(s, t)
		return ok
	})
	return ok
}

// allowed reports whether two edges of a polygon whose bounds overlap meet
// only as simple allows.
func allowed(s, t *segment) bool {
	switch {
	case s.ring != t.ring:
		return !crosses(s.a, s.b, t.a, t.b)
	case adjacent(s.i, t.i, s.n):
		return !overlaps(s.a, s.b, t.a, t.b)
	}
	return !meet(s.a, s.b, t.a, t.b)
}

// adjacent reports whether edges i and j of a ring of n edges are
// consecutive.
func adjacent(i, j, n int) bool {
	d := i - j
	return d == 1 || d == -1 || d == n-1 || d == 1-n
}

// orient returns the sign of the turn a→b→c: 1, -1 or 0 when collinear.
func orient(a, b, c orb.Point) int {
	v := (int64(b[0])-int64(a[0]))*(int64(c[1])-int64(a[1])) -
		(int64(b[1])-int64(a[1]))*(int64(c[0])-int64(a[0]))
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// onSegment reports whether c, collinear with a and b, lies on segment ab.
func onSegment(a, b, c orb.Point) bool {
	return min(a[0], b[0]) <= c[0] && c[0] <= max(a[0], b[0]) &&
		min(a[1], b[1]) <= c[1] && c[1] <= max(a[1], b[1])
}

// meet reports whether segments ab and cd share any point.
func meet(a, b, c, d orb.Point) bool {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o1 != o2 && o3 != o4 {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) ||
		(o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) ||
		(o4 == 0 && onSegment(c, d, b))
}

// crosses reports whether segments ab and cd cross at a point inside both,
// or share a stretch of positive length.
func crosses(a, b, c, d orb.Point) bool {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	return o1*o2 < 0 && o3*o4 < 0 || overlaps(a, b, c, d)
}

// overlaps reports whether segments ab and cd are collinear and share a
// stretch of positive length.
func overlaps(a, b, c, d orb.Point) bool {
	if orient(a, b, c) != 0 || orient(a, b, d) != 0 {
		return false
	}
	k := 0 // compare along the longer axis of ab
	if math.Abs(b[1]-a[1]) > math.Abs(b[0]-a[0]) {
		k = 1
	}
	lo := max(min(a[k], b[k]), min(c[k], d[k]))
	hi := min(max(a[k], b[k]), max(c[k], d[k]))
	return hi > lo
}
