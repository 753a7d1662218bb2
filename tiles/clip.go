package tiles

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/clip/smartclip"
	"github.com/paulmach/orb/planar"
)

// clipper clips snapped polygons (whole tile units, exteriors of positive
// area) to a tile plus its buffer.
type clipper struct {
	// box has its edges on half units, half a unit outside the buffer, so
	// that no snapped vertex ever lies on an edge, where smartclip's
	// endpoint rules are fragile.
	box orb.Bound
	// lo and hi are the snapped edges of the clip box, in tile units.
	lo, hi float64
}

func newClipper(extent, buffer uint32) clipper {
	lo, hi := -float64(buffer), float64(extent)+float64(buffer)
	return clipper{
		box: orb.Bound{Min: orb.Point{lo - 0.5, lo - 0.5}, Max: orb.Point{hi + 0.5, hi + 0.5}},
		lo:  lo,
		hi:  hi,
	}
}

// contains reports whether b needs no clipping.
func (c clipper) contains(b orb.Bound) bool {
	return c.box.Contains(b.Min) && c.box.Contains(b.Max)
}

// polygon returns p clipped to the box as valid snapped polygons (see the
// package rules), nil if nothing is left. p is not modified.
func (c clipper) polygon(p orb.Polygon) orb.MultiPolygon {
	return c.cut(p.Clone(), false)
}

// cut is polygon, but may overwrite p and return its memory; valid says p
// passed simple, which spares most of the check of the result (see
// cutSimple).
func (c clipper) cut(p orb.Polygon, valid bool) orb.MultiPolygon {
	if !c.enters(p[0]) {
		return c.surrounding(p)
	}
	return c.snap(c.smartclip(p), valid && len(p) == 1)
}

// surrounding handles an exterior ring that does not enter the box: it is
// either outside the box, or surrounds all of it (which smartclip, made for
// rings known to cross the view, would drop or return unclipped).
func (c clipper) surrounding(p orb.Polygon) orb.MultiPolygon {
	centre := c.box.Center() // on no ring: none enters the box's inside
	if !planar.RingContains(p[0], centre) {
		return nil
	}
	out := orb.Polygon{c.boxRing()}
	for _, h := range p[1:] {
		switch {
		case c.contains(h.Bound()):
			out = append(out, h) // simple with the box: it lies inside it
		case c.enters(h):
			return c.snap(c.smartclip(p), false) // holes crossing the box: smartclip wraps them
		case planar.RingContains(h, centre):
			return nil // the whole tile is inside a hole
		}
	}
	return orb.MultiPolygon{out}
}

// boxRing returns the snapped clip box as an exterior ring.
func (c clipper) boxRing() orb.Ring {
	return orb.Ring{{c.lo, c.lo}, {c.hi, c.lo}, {c.hi, c.hi}, {c.lo, c.hi}, {c.lo, c.lo}}
}

// enters reports whether ring r has any point inside the box.
func (c clipper) enters(r orb.Ring) bool {
	for _, p := range r {
		if c.box.Contains(p) {
			return true
		}
	}
	// No vertex inside: only an edge passing through can enter.
	for i := 0; i+1 < len(r); i++ {
		seg := orb.Bound{Min: r[i], Max: r[i]}.Extend(r[i+1])
		if seg.Intersects(c.box) && len(clip.LineString(c.box, orb.LineString{r[i], r[i+1]}, clip.OpenBound(true))) > 0 {
			return true
		}
	}
	return false
}

// smartclip clips p with orb's smartclip, which closes the cut outline
// around the box. Should it panic on input it did not foresee, the tile is
// still served: Sutherland–Hodgman clipping (orb/clip) takes over, whose
// only flaw is zero-width bridges along the box edge, in the buffer.
func (c clipper) smartclip(p orb.Polygon) (mp orb.MultiPolygon) {
	defer func() {
		if recover() != nil {
			mp = nil
			if q := clip.Polygon(c.box, p.Clone()); q != nil {
				mp = orb.MultiPolygon{q}
			}
		}
	}()
	return smartclip.Polygon(c.box, p, orb.CCW)
}

// snap rounds clipped polygons back to whole tile units, the points on the
// box edges onto the snapped edges, and keeps the rings that stay valid and
// rightly oriented. valid says they were cut from one simple ring.
func (c clipper) snap(mp orb.MultiPolygon, valid bool) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		q := c.snapPolygon(p)
		switch {
		case q == nil:
		case valid && c.cutSimple(q):
			out = append(out, q)
		default:
			out = append(out, ensureSimple(q)...)
		}
	}
	return out
}

// snapPolygon snaps one clipped polygon in place, not checking that it is
// simple; nil if its exterior collapses.
func (c clipper) snapPolygon(p orb.Polygon) orb.Polygon {
	q := p[:0]
	for i, s := range p {
		for k, pt := range s {
			s[k] = orb.Point{c.clamp(math.Round(pt[0])), c.clamp(math.Round(pt[1]))}
		}
		s = cleanInPlace(s)
		a := area2(s)
		if i == 0 && a <= 0 {
			return nil
		}
		if i > 0 && a >= 0 {
			continue
		}
		q = append(q, s)
	}
	return q
}

// cutSimple is simple for a polygon cut from one simple ring. Its edges
// with no end on the snapped box edges are edges of that ring (or several
// collinear ones joined), which met nothing; they lie inside the box, off
// its edges. So only two kinds of edges are checked: those running into the
// box from its edges, against every edge, and those along the box edges,
// against one another. Where many run in, a full sweep is cheaper.
func (c clipper) cutSimple(q orb.Polygon) bool {
	on := func(p orb.Point) bool { return p[0] == c.lo || p[0] == c.hi || p[1] == c.lo || p[1] == c.hi }
	sw := sweeps.Get().(*sweep)
	defer sw.release()
	inward, along := sw.segs[:0], sw.along[:0]
	for ri, r := range q {
		n := len(r) - 1
		for i := 0; i < n; i++ {
			a, b := r[i], r[i+1]
			if !on(a) && !on(b) {
				continue
			}
			s := segment{a: a, b: b, minX: min(a[0], b[0]), maxX: max(a[0], b[0]), ring: ri, i: i, n: n}
			if a[0] == b[0] && (a[0] == c.lo || a[0] == c.hi) || a[1] == b[1] && (a[1] == c.lo || a[1] == c.hi) {
				along = append(along, s)
			} else {
				inward = append(inward, s)
			}
		}
	}
	sw.segs, sw.along = inward, along
	if len(inward) > 64 {
		return simple(q)
	}
	if len(inward) > 0 {
		for ri, r := range q {
			n := len(r) - 1
			for i := 0; i < n; i++ {
				a, b := r[i], r[i+1]
				minX, maxX, minY, maxY := min(a[0], b[0]), max(a[0], b[0]), min(a[1], b[1]), max(a[1], b[1])
				for k := range inward {
					s := &inward[k]
					if s.minX > maxX || s.maxX < minX || min(s.a[1], s.b[1]) > maxY || max(s.a[1], s.b[1]) < minY || s.ring == ri && s.i == i {
						continue
					}
					if !allowed(s, &segment{a: a, b: b, ring: ri, i: i, n: n}) {
						return false
					}
				}
			}
		}
	}
	for i := range along {
		s := &along[i]
		for j := i + 1; j < len(along); j++ {
			t := &along[j]
			if s.minX > t.maxX || s.maxX < t.minX || min(s.a[1], s.b[1]) > max(t.a[1], t.b[1]) || max(s.a[1], s.b[1]) < min(t.a[1], t.b[1]) {
				continue
			}
			if !allowed(s, t) {
				return false
			}
		}
	}
	return true
}

// ensureSimple returns q, repaired if it is not simple.
func ensureSimple(q orb.Polygon) orb.MultiPolygon {
	if simple(q) {
		return orb.MultiPolygon{q}
	}
	mp, _ := repair(q)
	return mp
}

func (c clipper) clamp(v float64) float64 {
	return max(c.lo, min(c.hi, v))
}
