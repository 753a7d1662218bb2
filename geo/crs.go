package geo

import (
	"math"

	"github.com/gridmap/gridmap"
	"github.com/paulmach/orb"
)

// CRS names a geographic coordinate system that clients in China send.
// Points are always longitude, latitude in degrees.
type CRS string

// The coordinate systems ToWGS84 and FromWGS84 accept.
const (
	// WGS84 is EPSG:4326, what GPS receivers report and the index uses.
	WGS84 CRS = "wgs84"
	// GCJ02 is the offset ("Mars") system of the national survey bureau,
	// used by the Gaode (AMap) and Tencent map SDKs.
	GCJ02 CRS = "gcj02"
	// BD09 is Baidu's further offset of GCJ-02 ("bd09ll").
	BD09 CRS = "bd09"
)

// ToWGS84 converts p from crs to WGS84 (EPSG:4326).
// Errors: EINVALID for an unknown crs.
func ToWGS84(crs CRS, p orb.Point) (orb.Point, error) {
	switch crs {
	case WGS84:
		return p, nil
	case GCJ02:
		return GCJ02ToWGS84(p), nil
	case BD09:
		return BD09ToWGS84(p), nil
	}
	return p, gridmap.Errorf(gridmap.EINVALID, "unknown coordinate system %q (want wgs84, gcj02 or bd09)", crs)
}

// FromWGS84 converts p from WGS84 (EPSG:4326) to crs.
// Errors: EINVALID for an unknown crs.
func FromWGS84(crs CRS, p orb.Point) (orb.Point, error) {
	switch crs {
	case WGS84:
		return p, nil
	case GCJ02:
		return WGS84ToGCJ02(p), nil
	case BD09:
		return WGS84ToBD09(p), nil
	}
	return p, gridmap.Errorf(gridmap.EINVALID, "unknown coordinate system %q (want wgs84, gcj02 or bd09)", crs)
}

// InChina reports whether p (degrees) is inside the box where GCJ-02
// differs from WGS84: longitude 72.004 to 137.8347, latitude 0.8293 to
// 55.8271. This is the box every common implementation uses (coordtransform,
// eviltransform, gcoord); it is coarse, so parts of neighbouring countries
// are offset too, as the Chinese SDKs do.
func InChina(p orb.Point) bool {
	return p[0] >= 72.004 && p[0] <= 137.8347 && p[1] >= 0.8293 && p[1] <= 55.8271
}

// WGS84ToGCJ02 converts a WGS84 point to GCJ-02 (degrees). Outside the
// InChina box it returns p unchanged.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if !InChina(p) {
		return p
	}
	dx, dy := gcjDelta(p)
	return orb.Point{p[0] + dx, p[1] + dy}
}

// GCJ02ToWGS84 converts a GCJ-02 point to WGS84 (degrees) by inverting
// WGS84ToGCJ02 with a fixed-point iteration, not the common one-step
// approximation (which is off by up to about 2 m). WGS84ToGCJ02 of the
// result equals p to within 1e-9 degrees (0.1 mm); measured over China the
// round trip is within 1e-13 degrees. Outside the InChina box it returns p
// unchanged.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if !InChina(p) {
		return p
	}
	return invert(p, WGS84ToGCJ02)
}

// xPi is Baidu's angular constant, π·3000/180.
const xPi = math.Pi * 3000 / 180

// GCJ02ToBD09 converts a GCJ-02 point to BD-09 (degrees). Baidu applies
// this offset everywhere, so there is no box check.
func GCJ02ToBD09(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Hypot(x, y) + 0.00002*math.Sin(y*xPi)
	t := math.Atan2(y, x) + 0.000003*math.Cos(x*xPi)
	return orb.Point{z*math.Cos(t) + 0.0065, z*math.Sin(t) + 0.006}
}

// BD09ToGCJ02 converts a BD-09 point to GCJ-02 (degrees), exactly by
// iteration: GCJ02ToBD09 of the result equals p to within 1e-9 degrees.
func BD09ToGCJ02(p orb.Point) orb.Point {
	return invert(p, GCJ02ToBD09)
}

// WGS84ToBD09 converts a WGS84 point to BD-09 (degrees).
func WGS84ToBD09(p orb.Point) orb.Point { return GCJ02ToBD09(WGS84ToGCJ02(p)) }

// BD09ToWGS84 converts a BD-09 point to WGS84 (degrees); both steps are
// exact inverses, so WGS84ToBD09 of the result equals p to within 1e-9
// degrees.
func BD09ToWGS84(p orb.Point) orb.Point { return GCJ02ToWGS84(BD09ToGCJ02(p)) }

// invert solves f(q) = p for q. Both offsets are the identity plus a
// small, slowly varying shift, so the fixed-point step q ← q + (p − f(q))
// contracts fast: over China it reaches 1e-12 degrees in at most six steps.
func invert(p orb.Point, f func(orb.Point) orb.Point) orb.Point {
	const tol = 1e-12 // degrees
	q := p
	for range 20 {
		r := f(q)
		dx, dy := p[0]-r[0], p[1]-r[1]
		q = orb.Point{q[0] + dx, q[1] + dy}
		if math.Abs(dx) < tol && math.Abs(dy) < tol {
			break
		}
	}
	return q
}

// gcjDelta returns the GCJ-02 offset (degrees) at WGS84 point p: the
// published polynomial-and-sine shift in metres on the Krasovsky 1940
// ellipsoid (a = 6378245 m), turned into degrees at p's latitude.
func gcjDelta(p orb.Point) (dlon, dlat float64) {
	const (
		a  = 6378245.0
		ee = 0.00669342162296594323
	)
	x, y := p[0]-105, p[1]-35
	s := 20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)
	dlat = -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) +
		(s+20*math.Sin(y*math.Pi)+40*math.Sin(y/3*math.Pi)+160*math.Sin(y/12*math.Pi)+320*math.Sin(y*math.Pi/30))*2/3
	dlon = 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) +
		(s+20*math.Sin(x*math.Pi)+40*math.Sin(x/3*math.Pi)+150*math.Sin(x/12*math.Pi)+300*math.Sin(x/30*math.Pi))*2/3
	rad := p[1] * math.Pi / 180
	m := 1 - ee*math.Sin(rad)*math.Sin(rad)
	sm := math.Sqrt(m)
	dlat = dlat * 180 / (a * (1 - ee) / (m * sm) * math.Pi)
	dlon = dlon * 180 / (a / sm * math.Cos(rad) * math.Pi)
	return dlon, dlat
}
