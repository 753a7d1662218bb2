package shareddata

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
)

// CountyGrids reads the 2,735 county polygons of China once per process:
// Code and ID are the adcode (a number in most features, a string in
// four), Level the file's level (district, county, city), Parent the
// parent adcode, Version 1. Callers must not modify the grids. The error
// is os.ErrNotExist when the file is absent (see Path to skip or fail).
var CountyGrids = sync.OnceValues(loadCounties)

func loadCounties() ([]gridmap.Grid, error) {
	path, ok := Find(Counties)
	if !ok {
		return nil, os.ErrNotExist
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, err
	}
	code := func(v any) string {
		switch v := v.(type) {
		case float64:
			return strconv.FormatInt(int64(v), 10)
		case string:
			return v
		}
		return ""
	}
	grids := make([]gridmap.Grid, 0, len(fc.Features))
	for _, ft := range fc.Features {
		c := code(ft.Properties["adcode"])
		id, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("adcode %v: %w", ft.Properties["adcode"], err)
		}
		var mp orb.MultiPolygon
		switch g := ft.Geometry.(type) {
		case orb.MultiPolygon:
			mp = g
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		default:
			return nil, fmt.Errorf("adcode %s: geometry %T", c, g)
		}
		level, _ := ft.Properties["level"].(string)
		name, _ := ft.Properties["name"].(string)
		grids = append(grids, gridmap.Grid{
			ID: id, Code: c, Name: name, Level: gridmap.Level(level),
			Parent: code(ft.Properties["parent"]), Boundary: mp, Version: 1,
		})
	}
	return grids, nil
}
