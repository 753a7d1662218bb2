package tiles

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
)

// fullShare is the share of a grid's vertices above which a zoom is not
// precomputed: from that zoom on tiles snap the full boundary instead, which
// costs as little per tile and saves the memory of near copies.
const fullShare = 0.9

// precomputeAll is the zoom through which every grid is precomputed: past
// the zoom where simplification stops paying, snapped alone (snapOnly), as
// a tile would snap it. There a tile still holds long stretches of a
// county's outline, and a precomputed zoom spares it projecting them and,
// where the snapped outline is simple, checking the clipped result whole.
const precomputeAll = 10

// minTolerance is the tolerance, in tile units, below which halving stops
// and snapping alone is used: Douglas–Peucker under half a unit removes
// nothing that snapping has not.
const minTolerance = 0.5

// simplifyMulti returns the polygons of world (unit square, y down,
// exteriors of positive area) for a zoom of scale tile units per world unit:
// snapped to whole units of the zoom's global tile grid and simplified by
// simplifyPolygon. It also returns their number of points.
func simplifyMulti(world orb.MultiPolygon, scale, tol, minArea float64) (orb.MultiPolygon, int) {
	var out orb.MultiPolygon
	n := 0
	for _, p := range world {
		for _, q := range simplifyPolygon(p, scale, tol, minArea) {
			out = append(out, q)
			for _, r := range q {
				n += len(r)
			}
		}
	}
	return out, n
}

// simplifyPolygon snaps p to whole tile units and simplifies it with
// Douglas–Peucker at tol tile units, by the package rules: if the result
// loses its exterior or a hole of at least minArea units², or any of its
// rings meet (simple), tol is halved and it tries again, down to snapping
// alone. A polygon under minArea whose exterior collapses is dropped (nil).
// If even snapping alone folds the polygon (where it is narrower than a
// unit) or the source crosses itself, a polygon under minArea is drawn as
// its hull and a bigger one is repaired.
func simplifyPolygon(p orb.Polygon, scale, tol, minArea float64) orb.MultiPolygon {
	areas := make([]float64, len(p)) // in tile units²
	snapped := make(orb.Polygon, len(p))
	for i, r := range p {
		areas[i] = math.Abs(signedArea(r)) * scale * scale
		s := make(orb.Ring, len(r))
		for k, pt := range r {
			s[k] = orb.Point{math.Round(pt[0] * scale), math.Round(pt[1] * scale)}
		}
		snapped[i] = cleanRing(s)
	}
	if snapped[0] == nil || area2(snapped[0]) <= 0 {
		return nil // narrower than a unit everywhere: nothing to draw
	}
	base := orb.Polygon{snapped[0]}
	for i, r := range snapped[1:] {
		if r == nil || area2(r) >= 0 {
			snapped[i+1] = nil // a hole snapping closed or inside out
			continue
		}
		base = append(base, r)
	}
	for t := tol; t >= minTolerance; t /= 2 {
		q, lostBig := simplifyRings(base, snapped, areas, t, minArea)
		switch {
		case q == nil && areas[0] < minArea:
			return nil
		case q != nil && !lostBig && simple(q):
			return orb.MultiPolygon{q}
		}
	}
	switch {
	case simple(base):
		return orb.MultiPolygon{base}
	case areas[0] < minArea:
		// Snapping a detailed outline to a coarse grid folds it onto
		// itself. At under a pixel nobody sees the shape, but everybody
		// would see the hole in a choropleth: draw the hull.
		if h := hull(base[0]); h != nil {
			return orb.MultiPolygon{{h}}
		}
		return nil
	}
	mp, _ := repair(base)
	return mp
}

// snapOnly returns the polygons of world snapped at scale as a tile past
// the precomputed zooms would snap them: rings cleaned, polygons whose
// exterior collapses or turns left out, and so holes.
func snapOnly(world orb.MultiPolygon, scale float64) orb.MultiPolygon {
	var out orb.MultiPolygon
	xf := xform{scale: scale}
	for _, p := range world {
		q := make(orb.Polygon, 0, len(p))
		for i, r := range p {
			t := cleanRing(xf.ring(make(orb.Ring, 0, len(r)), r))
			a := area2(t)
			if i == 0 && a <= 0 {
				break
			}
			if i > 0 && a >= 0 {
				continue
			}
			q = append(q, t)
		}
		if len(q) > 0 {
			out = append(out, q)
		}
	}
	return out
}

// hull returns the convex hull of the points of r as an exterior ring
// (positive area, y down), nil if they are collinear. Andrew's monotone
// chain, exact on snapped points.
func hull(r orb.Ring) orb.Ring {
	pts := slices.Clone(r[:len(r)-1])
	slices.SortFunc(pts, func(a, b orb.Point) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	pts = slices.Compact(pts)
	if len(pts) < 3 {
		return nil
	}
	h := make(orb.Ring, 0, len(pts)+1)
	for pass := 0; pass < 2; pass++ { // lower chain, then upper
		start := len(h)
		for _, p := range pts {
			for len(h) >= start+2 && orient(h[len(h)-2], h[len(h)-1], p) <= 0 {
				h = h[:len(h)-1]
			}
			h = append(h, p)
		}
		h = h[:len(h)-1] // the last point starts the other chain
		slices.Reverse(pts)
	}
	if len(h) < 3 {
		return nil
	}
	return append(h, h[0])
}

// simplifyRings runs Douglas–Peucker at tol on each ring of snapped (nil
// for rings already lost; areas in tile units²) and cleans the result. It returns nil if the exterior
// collapsed, and lostBig if a hole of at least minArea collapsed. base is
// returned when nothing was removed, to share its memory.
func simplifyRings(base, snapped orb.Polygon, areas []float64, tol, minArea float64) (q orb.Polygon, lostBig bool) {
	dp := simplify.DouglasPeucker(tol)
	changed := false
	q = make(orb.Polygon, 0, len(base))
	for i, r := range snapped {
		if r == nil {
			continue
		}
		n := len(r)
		s := cleanRing(dp.Ring(slices.Clone(r))) // DP works in place
		a := area2(s)
		ok := s != nil && (i == 0 && a > 0 || i > 0 && a < 0)
		switch {
		case ok:
			q = append(q, s)
			changed = changed || len(s) != n
		case i == 0:
			return nil, false
		case areas[i] >= minArea:
			lostBig = true
		}
	}
	if !changed && len(q) == len(base) && !lostBig {
		return base, lostBig
	}
	return q, lostBig
}
