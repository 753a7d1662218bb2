package postgis

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Geometry crosses the PostGIS boundary as WKB (ST_AsBinary out,
// ST_GeomFromWKB in) through orb's codec, so orb stays the one geometry type
// in memory and no second representation needs converting.

func toWKB(g orb.Geometry) ([]byte, error) {
	return wkb.Marshal(g)
}

func multiPolygonFromWKB(b []byte) (orb.MultiPolygon, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decoding WKB: %w", err)
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("decoding WKB: got %s, want MultiPolygon", g.GeoJSONType())
}
