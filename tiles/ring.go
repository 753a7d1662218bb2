package tiles

import (
	"cmp"
	"math"
	"slices"

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
	out := make(orb.Ring, 0, n+1)
	for _, p := range r[:n] {
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

// segments returns the edges of the rings sorted by their smallest x.
func segments(rings []orb.Ring) []segment {
	var segs []segment
	for ri, r := range rings {
		n := len(r) - 1
		for i := 0; i < n; i++ {
			a, b := r[i], r[i+1]
			segs = append(segs, segment{a: a, b: b, minX: min(a[0], b[0]), maxX: max(a[0], b[0]), ring: ri, i: i, n: n})
		}
	}
	slices.SortFunc(segs, func(s, t segment) int { return cmp.Compare(s.minX, t.minX) })
	return segs
}

// eachPair calls fn for every two edges whose bounds overlap, sweeping
// edges by x: O(n log n) for ordinary outlines. fn returns false to stop.
func eachPair(segs []segment, fn func(s, t *segment) bool) {
	for i := range segs {
		s := &segs[i]
		sMinY, sMaxY := min(s.a[1], s.b[1]), max(s.a[1], s.b[1])
		for j := i + 1; j < len(segs) && segs[j].minX <= s.maxX; j++ {
			t := &segs[j]
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
	ok := true
	eachPair(segments(p), func(s, t *segment) bool {
		switch {
		case s.ring != t.ring:
			ok = !crosses(s.a, s.b, t.a, t.b)
		case adjacent(s.i, t.i, s.n):
			ok = !overlaps(s.a, s.b, t.a, t.b)
		default:
			ok = !meet(s.a, s.b, t.a, t.b)
		}
		return ok
	})
	return ok
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
