package tiles

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Snapping to whole tile units folds outlines where they are narrower than
// a unit, and some source boundaries cross themselves. repair makes such a
// polygon simple again: it puts a vertex wherever two edges meet, then cuts
// each ring into loops at its repeated vertices. A loop turning the way of
// an exterior is a polygon, one turning the other way a hole; loops of no
// area are folds and go.

// maxNodeRounds bounds noding: snapping a crossing point can make another
// crossing, which the next round nodes.
const maxNodeRounds = 8

// repair returns the polygons of a snapped polygon p that does not pass
// simple, as simple polygons; holes that still cross an exterior, or lie in
// none, are dropped. ok is false if noding did not settle, leaving p as it
// was.
func repair(p orb.Polygon) (out orb.MultiPolygon, ok bool) {
	rings, ok := node(p)
	if !ok {
		return orb.MultiPolygon{p}, false
	}
	var exteriors, holes []orb.Ring
	for i, r := range rings {
		for _, l := range loops(r) {
			l = cleanRing(l)
			a := area2(l)
			switch {
			case a > 0 && i == 0:
				exteriors = append(exteriors, l)
			case a < 0: // a hole, or a fold of the exterior enclosing nothing
				holes = append(holes, l)
			}
		}
	}
	// Smallest first, so a hole goes to the innermost exterior around it.
	slices.SortFunc(exteriors, func(a, b orb.Ring) int { return cmp.Compare(area2(a), area2(b)) })
	for _, e := range exteriors {
		out = append(out, orb.Polygon{e})
	}
	for _, h := range holes {
		for i := range out {
			if inside(h, out[i][0]) && simple(orb.Polygon{out[i][0], h}) {
				out[i] = append(out[i], h)
				break
			}
		}
	}
	// Holes from different loops may still cross one another.
	for i, q := range out {
		for !simple(q) && len(q) > 1 {
			q = q[:len(q)-1]
		}
		out[i] = q
	}
	return out, true
}

// inside reports whether every point of h lies in or on ring e.
func inside(h, e orb.Ring) bool {
	for _, p := range h {
		if !planar.RingContains(e, p) {
			return false
		}
	}
	return true
}

// node returns the rings of p with a vertex wherever two edges meet, points
// of crossing snapped to whole units, and repeats that until no edge meets
// another but at a shared vertex. ok is false if it did not settle.
func node(p orb.Polygon) (rings []orb.Ring, ok bool) {
	rings = p
	for range maxNodeRounds {
		adds := map[[2]int][]orb.Point{} // ring, edge → points to insert
		add := func(s *segment, m orb.Point) {
			if m != s.a && m != s.b {
				k := [2]int{s.ring, s.i}
				adds[k] = append(adds[k], m)
			}
		}
		sw := newSweep(rings)
		sw.eachPair(func(s, t *segment) bool {
			for _, m := range meetPoints(s.a, s.b, t.a, t.b) {
				add(s, m)
				add(t, m)
			}
			return true
		})
		sw.release()
		if len(adds) == 0 {
			return rings, true
		}
		next := make([]orb.Ring, len(rings))
		for ri, r := range rings {
			out := make(orb.Ring, 0, len(r))
			for i := 0; i+1 < len(r); i++ {
				out = appendPoint(out, r[i])
				ms := adds[[2]int{ri, i}]
				a := r[i]
				slices.SortFunc(ms, func(m, n orb.Point) int {
					return cmp.Compare(planar.DistanceSquared(a, m), planar.DistanceSquared(a, n))
				})
				for _, m := range ms {
					out = appendPoint(out, m)
				}
			}
			next[ri] = appendPoint(out, r[len(r)-1])
		}
		rings = next
	}
	return nil, false
}

// appendPoint appends p unless it repeats the last point.
func appendPoint(r orb.Ring, p orb.Point) orb.Ring {
	if len(r) > 0 && r[len(r)-1] == p {
		return r
	}
	return append(r, p)
}

// meetPoints returns the points where segments ab and cd meet, other than
// where they only share an endpoint: a crossing point snapped to whole
// units, or the endpoints of one lying on the other.
func meetPoints(a, b, c, d orb.Point) []orb.Point {
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		// t along ab where it meets line cd.
		den := (b[0]-a[0])*(d[1]-c[1]) - (b[1]-a[1])*(d[0]-c[0])
		t := ((c[0]-a[0])*(d[1]-c[1]) - (c[1]-a[1])*(d[0]-c[0])) / den
		return []orb.Point{{math.Round(a[0] + t*(b[0]-a[0])), math.Round(a[1] + t*(b[1]-a[1]))}}
	}
	var ms []orb.Point
	if o1 == 0 && onSegment(a, b, c) {
		ms = append(ms, c)
	}
	if o2 == 0 && onSegment(a, b, d) {
		ms = append(ms, d)
	}
	if o3 == 0 && onSegment(c, d, a) {
		ms = append(ms, a)
	}
	if o4 == 0 && onSegment(c, d, b) {
		ms = append(ms, b)
	}
	return ms
}

// loops cuts a closed ring into closed loops at its repeated vertices, so
// that no loop visits a point twice.
func loops(r orb.Ring) []orb.Ring {
	var out []orb.Ring
	stack := make(orb.Ring, 0, len(r))
	at := make(map[orb.Point]int, len(r))
	for _, p := range r[:len(r)-1] {
		if i, seen := at[p]; seen {
			out = append(out, append(slices.Clone(stack[i:]), p))
			for _, q := range stack[i+1:] {
				delete(at, q)
			}
			stack = stack[:i+1]
			continue
		}
		at[p] = len(stack)
		stack = append(stack, p)
	}
	if len(stack) > 0 {
		out = append(out, append(stack, stack[0]))
	}
	return out
}
