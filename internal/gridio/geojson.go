// Package gridio reads grids from interchange formats (GeoJSON, CSV, and
// through GDAL's ogr2ogr whatever else it reads) into gridmap.GridRow values
// ready for postgis.Store.ImportGrids, reporting each bad item by its
// position.
package gridio

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
)

// Props names the feature properties that carry a grid's code, name and
// parent code. Other properties become the grid's attributes.
type Props struct {
	Code, Name, Parent string
}

// MaybeGunzip returns a reader of r's content, gunzipping it when it starts
// with the gzip magic bytes, so callers accept .geojson and .geojson.gz alike.
func MaybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, gridmap.Errorf(gridmap.EINVALID, "the file looks gzipped but is not: %v", err)
		}
		return zr, nil
	}
	return br, nil
}

// ReadGeoJSON streams the features of a GeoJSON FeatureCollection from r
// (gzipped or not) as rows, one feature in memory at a time. A feature that
// cannot be a grid yields a *gridmap.ItemError and reading goes on, so every
// bad feature is reported at once; a file that is not a FeatureCollection at
// all yields one EINVALID *gridmap.Error and stops.
func ReadGeoJSON(r io.Reader, p Props) iter.Seq2[gridmap.GridRow, error] {
	return func(yield func(gridmap.GridRow, error) bool) {
		for at, raw := range Features(r) {
			if raw == nil { // the collection itself is broken
				yield(gridmap.GridRow{}, at.Err)
				return
			}
			if !yield(rowFromFeature(at.Index, raw, p)) {
				return
			}
		}
	}
}

// FeatureAt is the position of a raw feature in its collection, or, with a
// nil feature, why the collection cannot be read further.
type FeatureAt struct {
	Index int
	Err   error
}

// Features streams the raw features of a GeoJSON FeatureCollection from r
// (gzipped or not), one in memory at a time, with their index. When the
// file is not a FeatureCollection, or breaks off, it yields once more with
// a nil feature and an EINVALID *gridmap.Error in FeatureAt.Err, and stops.
// Grids (ReadGeoJSON) and incidents (intake) read files through it.
func Features(r io.Reader) iter.Seq2[FeatureAt, json.RawMessage] {
	return func(yield func(FeatureAt, json.RawMessage) bool) {
		fail := func(format string, args ...any) {
			yield(FeatureAt{Err: gridmap.Errorf(gridmap.EINVALID, "not a GeoJSON FeatureCollection: "+format, args...)}, nil)
		}
		r, err := MaybeGunzip(r)
		if err != nil {
			yield(FeatureAt{Err: err}, nil)
			return
		}
		dec := json.NewDecoder(r)
		dec.UseNumber()
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			fail("the file does not start with a JSON object (%v)", errOr(err, t))
			return
		}
		sawFeatures := false
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				fail("%v", err)
				return
			}
			switch key {
			case "type":
				var t string
				if err := dec.Decode(&t); err != nil || t != "FeatureCollection" {
					fail("its type is %q", t)
					return
				}
			case "features":
				sawFeatures = true
				if t, err := dec.Token(); err != nil || t != json.Delim('[') {
					fail("features is not an array")
					return
				}
				for i := 0; dec.More(); i++ {
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						fail("features[%d] is not valid JSON: %v", i, err)
						return
					}
					if !yield(FeatureAt{Index: i}, raw) {
						return
					}
				}
				if _, err := dec.Token(); err != nil {
					fail("%v", err)
					return
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					fail("%v", err)
					return
				}
			}
		}
		if !sawFeatures {
			fail("it has no features array")
		}
	}
}

func errOr(err error, t any) any {
	if err != nil {
		return err
	}
	return t
}

func rowFromFeature(i int, raw json.RawMessage, p Props) (gridmap.GridRow, error) {
	row := gridmap.GridRow{Index: i}
	bad := func(field, format string, args ...any) (gridmap.GridRow, error) {
		return row, &gridmap.ItemError{Index: i, Code: row.Code, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	f, err := geojson.UnmarshalFeature(raw)
	if err != nil {
		// Tell a broken geometry from a broken feature: both are common.
		return bad("", "not a valid GeoJSON feature: %v", err)
	}
	row.Code = propString(f.Properties[p.Code])
	if row.Code == "" {
		return bad("properties."+p.Code, "missing the code property %q", p.Code)
	}
	row.Name = propString(f.Properties[p.Name])
	if row.Name == "" {
		row.Name = row.Code
	}
	if p.Parent != "" {
		row.Parent = propString(f.Properties[p.Parent])
	}
	row.Attributes = map[string]any{}
	for k, v := range f.Properties {
		if k != p.Code && k != p.Name && k != p.Parent {
			row.Attributes[k] = v
		}
	}
	if field, problem := rowText(&row, func(field string) string {
		switch field {
		case "code":
			field = p.Code
		case "name":
			field = p.Name
		case "parent":
			field = p.Parent
		case "":
			return "properties"
		}
		return "properties." + field
	}); problem != "" {
		return bad(field, "%s", problem)
	}
	switch g := f.Geometry.(type) {
	case orb.Polygon, orb.MultiPolygon:
		row.Boundary = g
	case nil:
		return bad("geometry", "has no geometry; a grid needs a Polygon or MultiPolygon")
	default:
		return bad("geometry", "is a %s; a grid needs a Polygon or MultiPolygon", g.GeoJSONType())
	}
	if err := checkRings(row.Boundary); err != nil {
		return bad("geometry", "%v", err)
	}
	return row, nil
}

// checkRings catches what PostGIS would refuse to even parse, so the error
// names the feature instead of failing the whole COPY.
func checkRings(g orb.Geometry) error {
	var mp orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	}
	if len(mp) == 0 {
		return errors.New("is empty")
	}
	for pi, poly := range mp {
		if len(poly) == 0 {
			return fmt.Errorf("polygon %d is empty", pi)
		}
		for ri, ring := range poly {
			if len(ring) < 4 {
				return fmt.Errorf("polygon %d ring %d has %d positions; a ring needs at least 4", pi, ri, len(ring))
			}
			if ring[0] != ring[len(ring)-1] {
				return fmt.Errorf("polygon %d ring %d is not closed (first position %v, last %v)", pi, ri, ring[0], ring[len(ring)-1])
			}
			for _, pt := range ring {
				if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 || pt[0] != pt[0] || pt[1] != pt[1] {
					return fmt.Errorf("polygon %d ring %d has position %v outside lon ±180, lat ±90", pi, ri, pt)
				}
			}
		}
	}
	return nil
}

// propString renders a code-like property as text: adcode is a JSON number
// in most published files and a string in some.
func propString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}
