package gridio

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"
)

// WKT is parsed with go-geom (a full WKT grammar) and converted to orb here,
// once, so orb stays the geometry type everywhere else.

// parseWKT parses a POLYGON or MULTIPOLYGON in WKT (an EWKT prefix
// SRID=4326; is accepted) into an orb.Polygon or orb.MultiPolygon with
// the coordinates exactly as written. Z and M values are dropped.
func parseWKT(s string) (orb.Geometry, error) {
	s = strings.TrimSpace(s)
	if srid, rest, ok := strings.Cut(s, ";"); ok && strings.HasPrefix(strings.ToUpper(srid), "SRID=") {
		if n := strings.TrimSpace(srid[5:]); n != "4326" {
			return nil, fmt.Errorf("the WKT has SRID=%s; grids are imported in EPSG:4326 (use --crs for GCJ-02, or convert it with ogr2ogr)", n)
		}
		s = rest
	}
	g, err := wkt.Unmarshal(s)
	if err != nil {
		short := s
		if len(short) > 40 {
			short = short[:40] + "…"
		}
		return nil, fmt.Errorf("not valid WKT (%q): %v", short, err)
	}
	switch g := g.(type) {
	case *geom.Polygon:
		return polygonFromGeom(g), nil
	case *geom.MultiPolygon:
		mp := make(orb.MultiPolygon, g.NumPolygons())
		for i := range mp {
			mp[i] = polygonFromGeom(g.Polygon(i))
		}
		return mp, nil
	}
	kind := strings.ToUpper(strings.TrimPrefix(fmt.Sprintf("%T", g), "*geom."))
	return nil, fmt.Errorf("the WKT is a %s; a grid needs a POLYGON or MULTIPOLYGON", kind)
}

func polygonFromGeom(p *geom.Polygon) orb.Polygon {
	poly := make(orb.Polygon, p.NumLinearRings())
	for i := range poly {
		lr := p.LinearRing(i)
		ring := make(orb.Ring, lr.NumCoords())
		for k := range ring {
			c := lr.Coord(k)
			ring[k] = orb.Point{c.X(), c.Y()}
		}
		poly[i] = ring
	}
	return poly
}
