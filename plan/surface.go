package plan

import (
	"slices"

	"github.com/paulmach/orb"
)

// PointOnSurface returns a point inside mp as GEOS's InteriorPointArea
// (PostGIS ST_PointOnSurface) finds it: on a horizontal line through the
// middle of each polygon, placed between vertex ordinates, the midpoint of
// the widest stretch inside (the first, on a tie); false for no area.
// Planar: in the units of mp (degrees of EPSG:4326 for a boundary).
func PointOnSurface(mp orb.MultiPolygon) (orb.Point, bool) {
	var best orb.Point
	width := 0.0
	var xs []float64
	for _, poly := range mp {
		if len(poly) == 0 {
			continue
		}
		b := poly.Bound()
		mid := (b.Min[1] + b.Max[1]) / 2
		lo, hi := b.Min[1], b.Max[1]
		for _, r := range poly {
			for _, p := range r {
				if p[1] <= mid && p[1] > lo {
					lo = p[1]
				}
				if p[1] > mid && p[1] < hi {
					hi = p[1]
				}
			}
		}
		y := (lo + hi) / 2
		xs = xs[:0]
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				p, q := r[i], r[i+1]
				if (p[1] > y) != (q[1] > y) {
					xs = append(xs, p[0]+(y-p[1])*(q[0]-p[0])/(q[1]-p[1]))
				}
			}
		}
		slices.Sort(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			if w := xs[i+1] - xs[i]; w > width {
				width, best = w, orb.Point{(xs[i] + xs[i+1]) / 2, y}
			}
		}
	}
	return best, width > 0
}
