package geo

import (
	"slices"

	"github.com/gridmap/gridmap"
	"github.com/paulmach/orb"
)

// Intersecting returns the grids of ix whose boundary intersects b (see
// IntersectsBound: boundaries touching count) and that keep accepts (nil
// keeps every grid), in the order of the slice given to NewIndex. b is
// EPSG:4326 longitude, latitude in degrees.
//
// It runs in two phases: the R-tree over the polygon parts' bounds gives
// the candidates, then IntersectsBound decides on each grid's whole
// boundary. A polygon with an empty outer ring is ignored, as by Lookup.
// The Grids are shared; do not modify them.
func (ix *Index) Intersecting(b orb.Bound, keep func(*gridmap.Grid) bool) []*gridmap.Grid {
	var cand []int32
	ix.tree.Search(b.Min, b.Max, func(_, _ [2]float64, pi int32) bool {
		cand = append(cand, ix.parts[pi].grid)
		return true
	})
	// A grid of several parts is a candidate once.
	slices.Sort(cand)
	cand = slices.Compact(cand)
	var out []*gridmap.Grid
	for _, gi := range cand {
		g := &ix.grids[gi]
		if (keep == nil || keep(g)) && IntersectsBound(g.Boundary, b) {
			out = append(out, g)
		}
	}
	return out
}

// IntersectsBound reports whether mp and b share a point (boundaries
// touching included), as PostGIS ST_Intersects does: a vertex of mp inside
// b, an edge of mp crossing b, or b inside mp. Degrees, EPSG:4326.
func IntersectsBound(mp orb.MultiPolygon, b orb.Bound) bool {
	if len(mp) == 0 || !mp.Bound().Intersects(b) {
		return false
	}
	for _, poly := range mp {
		if !poly.Bound().Intersects(b) {
			continue
		}
		for _, ring := range poly {
			for i, p := range ring {
				if b.Contains(p) {
					return true
				}
				if i > 0 && segmentHitsBound(ring[i-1], p, b) {
					return true
				}
			}
		}
		// No vertex inside and no edge crossing: b is wholly inside or
		// wholly outside every ring, so one corner tells.
		if polygonContains(poly, b.Min) {
			return true
		}
	}
	return false
}

// segmentHitsBound clips segment a-b to the box (Liang–Barsky).
func segmentHitsBound(a, b orb.Point, box orb.Bound) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := b[0]-a[0], b[1]-a[1]
	clip := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		t := q / p
		if p < 0 {
			if t > t1 {
				return false
			}
			t0 = max(t0, t)
		} else {
			if t < t0 {
				return false
			}
			t1 = min(t1, t)
		}
		return true
	}
	return clip(-dx, a[0]-box.Min[0]) && clip(dx, box.Max[0]-a[0]) &&
		clip(-dy, a[1]-box.Min[1]) && clip(dy, box.Max[1]-a[1]) && t0 <= t1
}

// polygonContains is the even-odd rule over all rings of poly, for a point
// known not to be on the boundary (so no boundary rule is needed, unlike
// part.contains, which needs a prepared polygon).
func polygonContains(poly orb.Polygon, p orb.Point) bool {
	in := false
	for _, ring := range poly {
		for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
			a, b := ring[i], ring[j]
			if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
				in = !in
			}
		}
	}
	return in
}
