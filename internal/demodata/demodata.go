// Package demodata embeds the real outline the synthetic demo street is cut
// from: the Yanzhou district (兖州区, adcode 370812) of Jining, taken from
// ../shared/data/jining-districts.geojson.
package demodata

import (
	_ "embed"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

//go:embed yanzhou.geojson
var yanzhou []byte

// Yanzhou returns the Yanzhou district outline, EPSG:4326 degrees.
func Yanzhou() (orb.MultiPolygon, error) {
	fc, err := geojson.UnmarshalFeatureCollection(yanzhou)
	if err != nil {
		return nil, fmt.Errorf("demodata: %w", err)
	}
	switch g := fc.Features[0].Geometry.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("demodata: the outline is not polygonal")
}
