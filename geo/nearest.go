package geo

import (
	"math"
)

// WGS84 ellipsoid.
const (
	wgs84A  = 6378137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F)
)

// firstRadius (metres) is Nearest's first search radius, four times larger
// at each further step: near_boundary checks (30 m) finish in one.
const firstRadius = 64.0

// metresPerDegree returns the length in metres of one degree of longitude
// and of latitude at latitude lat (degrees) on the WGS84 ellipsoid: the
// radii of curvature in the prime vertical and the meridian.
func metresPerDegree(lat float64) (kx, ky float64) {
	phi := lat * math.Pi / 180
	s := math.Sin(phi)
	w := 1 - wgs84E2*s*s
	n := wgs84A / math.Sqrt(w)
	m := wgs84A * (1 - wgs84E2) / (w * math.Sqrt(w))
	return n * math.Cos(phi) * math.Pi / 180, m * math.Pi / 180
}

// Nearest returns the grid nearest to the point (lon, lat), EPSG:4326
// degrees, among the grids of the same Level as the grid exclude, other
// than exclude itself; or among all leaf grids when exclude is "". The
// distance is in metres to the nearest point of the grid's boundary, 0 when
// the grid contains the point. Only grids within maxMetres count; ties go
// to the smaller code.
//
// Use it for "near a boundary" (is another grid within 30 m of a point in
// exclude?) and for a point outside every grid ("the nearest grid is X,
// d m away", with maxMetres up to tens of kilometres).
//
// Distances are measured in a plane tangent at the point, scaled by the
// WGS84 radii of curvature at its latitude. Against geodesic (Vincenty)
// distances the relative error, about tan(lat)·d/2R, is below 2e-6 at 30 m,
// 5e-5 at 1 km and 0.25% at 50 km, for latitudes up to 55°. Longitudes do
// not wrap at ±180°.
//
// Nearest reports false when no such grid is within maxMetres, when
// exclude is not a code in the index, or when an argument is NaN.
func (ix *Index) Nearest(lon, lat, maxMetres float64, exclude string) (code string, metres float64, ok bool) {
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsNaN(maxMetres) || maxMetres < 0 {
		return "", 0, false
	}
	ex := int32(-1)
	if exclude != "" {
		var found bool
		if ex, found = ix.byCode[exclude]; !found {
			return "", 0, false
		}
	}
	eligible := func(g int32) bool {
		if ex < 0 {
			return ix.leaf[g]
		}
		return g != ex && ix.grids[g].Level == ix.grids[ex].Level
	}

	// Search boxes of growing radius r: a part nearer than r has bounds
	// that meet the box, so once the best distance is within r it is final.
	kx, ky := metresPerDegree(lat)
	best, bestG := math.Inf(1), int32(-1)
	for r := math.Min(firstRadius, maxMetres); ; r = math.Min(r*4, maxMetres) {
		dx, dy := r/kx, r/ky
		ix.tree.Search([2]float64{lon - dx, lat - dy}, [2]float64{lon + dx, lat + dy}, func(min, max [2]float64, pi int32) bool {
			p := &ix.parts[pi]
			if !eligible(p.grid) {
				return true
			}
			limit := math.Min(best, r)
			bx := math.Max(0, math.Max(min[0]-lon, lon-max[0])) * kx
			by := math.Max(0, math.Max(min[1]-lat, lat-max[1])) * ky
			if math.Hypot(bx, by) > limit {
				return true
			}
			d := p.distance(lon, lat, kx, ky, limit)
			if d < best || (d == best && bestG >= 0 && ix.grids[p.grid].Code < ix.grids[bestG].Code) {
				best, bestG = d, p.grid
			}
			return true
		})
		covered := lon-dx <= ix.bound.Min[0] && lon+dx >= ix.bound.Max[0] &&
			lat-dy <= ix.bound.Min[1] && lat+dy >= ix.bound.Max[1]
		if best <= r || r >= maxMetres || covered {
			break
		}
	}
	if bestG < 0 || best > maxMetres {
		return "", 0, false
	}
	return ix.grids[bestG].Code, best, true
}
