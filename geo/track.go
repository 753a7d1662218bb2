package geo

import (
	"math"
	"slices"

	"github.com/gridmap/gridmap"
	"github.com/paulmach/orb"
)

// Visit is a grid a track passes through, with the metres of the track
// assigned to it.
type Visit struct {
	Grid *gridmap.Grid
	// Metres is the length of the track pieces whose midpoint lies in
	// the grid (see VisitedGrids); 0 when the track only grazes it.
	Metres float64
}

// pieceMetres is the longest piece of a segment that VisitedGrids assigns
// to one grid by its midpoint: a long segment (a GPS gap) is cut so its
// length is shared among the grids it crosses, to about this resolution.
const pieceMetres = 25

// VisitedGrids returns the grids that keep accepts (nil: leaf grids) which
// the track shares a point with, boundaries included, as PostGIS
// ST_Intersects(track, boundary) decides; sorted by code. A track of one
// point is that point.
//
// Each segment runs in two phases, as Intersecting: the R-tree on the
// segment's bound gives candidate polygon parts, then an exact test:
// an endpoint inside the part, or the segment meeting one of its edges
// (only the edges in the stripes of the segment's latitude range).
//
// Metres: each segment is cut into pieces of at most pieceMetres, each
// piece's length (local equirectangular metric at its latitude, WGS84
// radii, within 0.1% of geodesic at these lengths) goes to the accepted
// grid nearest the leaf in the chain of the deepest grid containing the
// piece's midpoint. Lengths off every accepted grid are dropped.
func (ix *Index) VisitedGrids(track orb.LineString, keep func(*gridmap.Grid) bool) []Visit {
	ok := func(g int32) bool {
		if keep == nil {
			return ix.leaf[g]
		}
		return keep(&ix.grids[g])
	}
	seen := map[int32]int{} // grid -> position in out
	var out []Visit
	add := func(g int32) {
		if _, dup := seen[g]; !dup {
			seen[g] = len(out)
			out = append(out, Visit{Grid: &ix.grids[g]})
		}
	}
	if len(track) == 1 {
		track = orb.LineString{track[0], track[0]}
	}
	for i := 0; i+1 < len(track); i++ {
		a, b := track[i], track[i+1]
		lo := orb.Point{math.Min(a[0], b[0]), math.Min(a[1], b[1])}
		hi := orb.Point{math.Max(a[0], b[0]), math.Max(a[1], b[1])}
		ix.tree.Search(lo, hi, func(_, _ [2]float64, pi int32) bool {
			p := &ix.parts[pi]
			if _, done := seen[p.grid]; done || !ok(p.grid) {
				return true
			}
			if p.contains(a[0], a[1]) || p.contains(b[0], b[1]) || p.crossesSegment(a, b) {
				add(p.grid)
			}
			return true
		})
	}
	// Metres, by piece midpoints.
	for i := 0; i+1 < len(track); i++ {
		a, b := track[i], track[i+1]
		m := SegmentMetres(a, b)
		if !(m > 0) {
			continue
		}
		n := int(math.Ceil(m / pieceMetres))
		for k := range n {
			t := (float64(k) + 0.5) / float64(n)
			g := ix.lookup(a[0]+t*(b[0]-a[0]), a[1]+t*(b[1]-a[1]))
			if g < 0 {
				continue
			}
			for _, c := range ix.chains[g] {
				ci := ix.byCode[c.Code]
				if ok(ci) {
					if j, in := seen[ci]; in {
						out[j].Metres += m / float64(n)
					}
					break
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y Visit) int {
		switch {
		case x.Grid.Code < y.Grid.Code:
			return -1
		case x.Grid.Code > y.Grid.Code:
			return 1
		}
		return 0
	})
	return out
}

// TrackMetres returns the length of a track in metres, by the metric of
// VisitedGrids.
func TrackMetres(track orb.LineString) float64 {
	var m float64
	for i := 0; i+1 < len(track); i++ {
		m += SegmentMetres(track[i], track[i+1])
	}
	return m
}

// SegmentMetres returns the length of segment ab (EPSG:4326 degrees) in
// metres, in the local equirectangular metric at its mean latitude on the
// WGS84 ellipsoid: within 0.1% of the geodesic for segments up to tens of
// kilometres.
func SegmentMetres(a, b orb.Point) float64 {
	kx, ky := metresPerDegree((a[1] + b[1]) / 2)
	return math.Hypot((b[0]-a[0])*kx, (b[1]-a[1])*ky)
}

// crossesSegment reports whether segment ab meets an edge of the part,
// touching included.
func (pt *part) crossesSegment(a, b orb.Point) bool {
	s0, s1 := pt.stripeRange(a[1], b[1])
	for _, g := range pt.segs[pt.off[s0]:pt.off[s1+1]] {
		if segmentsMeet(a[0], a[1], b[0], b[1], g.ax, g.ay, g.bx, g.by) {
			return true
		}
	}
	return false
}

// segmentsMeet reports whether segments pq and rs share a point.
func segmentsMeet(px, py, qx, qy, rx, ry, sx, sy float64) bool {
	if math.Max(px, qx) < math.Min(rx, sx) || math.Max(rx, sx) < math.Min(px, qx) ||
		math.Max(py, qy) < math.Min(ry, sy) || math.Max(ry, sy) < math.Min(py, qy) {
		return false
	}
	d1 := orient(rx, ry, sx, sy, px, py)
	d2 := orient(rx, ry, sx, sy, qx, qy)
	d3 := orient(px, py, qx, qy, rx, ry)
	d4 := orient(px, py, qx, qy, sx, sy)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	// Touching or collinear: an endpoint on the other segment (the
	// bounds overlap, checked above, makes collinear means on it).
	return (d1 == 0 && onSeg(rx, ry, sx, sy, px, py)) || (d2 == 0 && onSeg(rx, ry, sx, sy, qx, qy)) ||
		(d3 == 0 && onSeg(px, py, qx, qy, rx, ry)) || (d4 == 0 && onSeg(px, py, qx, qy, sx, sy))
}

func orient(ax, ay, bx, by, cx, cy float64) float64 {
	return (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
}

// onSeg reports whether c, collinear with ab, lies within ab's bound.
func onSeg(ax, ay, bx, by, cx, cy float64) bool {
	return math.Min(ax, bx) <= cx && cx <= math.Max(ax, bx) && math.Min(ay, by) <= cy && cy <= math.Max(ay, by)
}

// TrackFlags returns why a track is not to be trusted as walked, in the
// order of gridmap's flags: FlagSpeed when two consecutive points are
// farther apart than MaxPatrolKmh allows in the time between them (the
// same time counts as no time), FlagOutside when a point is outside every
// grid of the index, FlagAccuracy when a point's accuracy is worse than
// MaxAccuracyMetres. Empty, not nil, when none.
func (ix *Index) TrackFlags(pts []gridmap.TrackPoint) []string {
	var speed, outside, accuracy bool
	const maxMps = gridmap.MaxPatrolKmh / 3.6
	for i, p := range pts {
		if p.Accuracy > gridmap.MaxAccuracyMetres {
			accuracy = true
		}
		if ix.lookup(p.Lon, p.Lat) < 0 {
			outside = true
		}
		if i > 0 {
			q := pts[i-1]
			m := SegmentMetres(orb.Point{q.Lon, q.Lat}, orb.Point{p.Lon, p.Lat})
			dt := p.Time.Sub(q.Time).Seconds()
			// A point may repeat its time with a tiny move (GPS jitter):
			// 1 s at least.
			if m > maxMps*math.Max(dt, 1) {
				speed = true
			}
		}
	}
	flags := []string{}
	if speed {
		flags = append(flags, gridmap.FlagSpeed)
	}
	if outside {
		flags = append(flags, gridmap.FlagOutside)
	}
	if accuracy {
		flags = append(flags, gridmap.FlagAccuracy)
	}
	return flags
}
