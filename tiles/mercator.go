package tiles

import (
	"math"

	"github.com/paulmach/orb"
)

// maxLat is the latitude, in degrees, where EPSG:3857 ends (the square world).
const maxLat = 85.05112877980659

// toWorld projects a point in EPSG:4326 degrees to EPSG:3857 scaled to the
// unit square, y down: the tile grid of zoom 0. Latitudes beyond ±maxLat are
// clamped. (maptile.Fraction clamps the south to row 2^z-1, which is the
// north edge at zoom 0, so it cannot be used at zoom 0.)
func toWorld(p orb.Point) orb.Point {
	lat := math.Max(-maxLat, math.Min(maxLat, p[1]))
	sin := math.Sin(lat * math.Pi / 180)
	return orb.Point{
		p[0]/360 + 0.5,
		0.5 - math.Log((1+sin)/(1-sin))/(4*math.Pi),
	}
}

// fromWorld is the inverse of toWorld, to EPSG:4326 degrees.
func fromWorld(p orb.Point) orb.Point {
	return orb.Point{
		(p[0] - 0.5) * 360,
		math.Atan(math.Sinh(math.Pi*(1-2*p[1]))) * 180 / math.Pi,
	}
}

// worldBound returns the unit-square bound of a bound in degrees.
func worldBound(b orb.Bound) orb.Bound {
	return orb.Bound{Min: toWorld(orb.Point{b.Min[0], b.Max[1]}), Max: toWorld(orb.Point{b.Max[0], b.Min[1]})}
}

// degreeBound returns the bound in degrees of a unit-square bound.
func degreeBound(b orb.Bound) orb.Bound {
	return orb.Bound{Min: fromWorld(orb.Point{b.Min[0], b.Max[1]}), Max: fromWorld(orb.Point{b.Max[0], b.Min[1]})}
}

// tileWorldBound returns the unit-square bound of tile z/x/y grown by pad
// tile units of a tile of extent units on each side.
func tileWorldBound(z, x, y uint32, extent, pad float64) orb.Bound {
	n := float64(uint64(1) << z)
	d := pad / extent
	return orb.Bound{
		Min: orb.Point{(float64(x) - d) / n, (float64(y) - d) / n},
		Max: orb.Point{(float64(x) + 1 + d) / n, (float64(y) + 1 + d) / n},
	}
}
