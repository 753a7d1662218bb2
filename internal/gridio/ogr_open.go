package gridio

import (
	"context"
	"encoding/json"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// FileOptions controls OpenFile.
type FileOptions struct {
	// Props names the properties (columns) of code, name and parent.
	Props
	// CSV names the geometry columns of a CSV file (its Props are ignored).
	CSV CSVOptions
	// OGR chooses the layer and text encoding of a file read through GDAL.
	OGR OGROptions
	// CRS is the coordinate system of the file's coordinates, a name
	// geo.ParseCRS reads: "" or wgs84, cgcs2000 (taken as WGS84, see
	// below), gcj02 or bd09 (converted to WGS84 with geo.ToWGS84).
	CRS string
}

// OpenFile reads grids from the file at path, choosing the reader by its
// extension: .geojson and .json (ReadGeoJSON), .csv (ReadCSV), each also
// gzipped (.gz); .zip and .shp (Shapefile), .gpkg (GeoPackage) and any
// other extension through GDAL (ReadOGR), when it is installed.
//
// Coordinates are converted from o.CRS to WGS84. CGCS2000 (the national
// datum, EPSG:4490) is accepted as WGS84 without a shift: they agree to a
// few centimetres.
//
// A file exported by gridmap (GET /api/v1/grids, GeoJSON or CSV, or
// either converted by ogr2ogr) imports back as it was exported: its
// bookkeeping properties level, parent, grid_id, version, valid_from and
// valid_to are not taken as attributes, and its attributes property (an
// object, or that object as JSON text) is the attributes.
//
// The returned sequence must be read to its end or abandoned; close
// releases the file. Errors: EINVALID for an unknown crs, a file that
// cannot be opened, or a format that needs GDAL when it is missing.
func OpenFile(ctx context.Context, path string, o FileOptions) (rows iter.Seq2[gridmap.GridRow, error], close func() error, err error) {
	crs, err := geo.ParseCRS(o.CRS)
	if err != nil {
		return nil, nil, gridmap.Errorf(gridmap.EINVALID, "--crs %q is not supported: use %s", o.CRS, geo.CRSChoices)
	}
	name := strings.ToLower(filepath.Base(path))
	name = strings.TrimSuffix(name, ".gz")
	switch ext := filepath.Ext(name); ext {
	case ".geojson", ".json", ".csv":
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, gridmap.Errorf(gridmap.EINVALID, "cannot read %s: %v", path, err)
		}
		if ext == ".csv" {
			co := o.CSV
			co.Props = o.Props
			rows = ReadCSV(f, co)
		} else {
			rows = ReadGeoJSON(f, o.Props)
		}
		return postprocess(rows, crs), f.Close, nil
	default:
		if strings.HasSuffix(strings.ToLower(path), ".gz") {
			return nil, nil, gridmap.Errorf(gridmap.EINVALID, "%s: only .geojson, .json and .csv files may be gzipped", filepath.Base(path))
		}
		if !HaveOGR() {
			if ext == ".zip" || ext == ".shp" || ext == ".gpkg" {
				return nil, nil, errNoOGR(path)
			}
			return nil, nil, gridmap.Errorf(gridmap.EINVALID, "%s: unknown format %q; gridmap reads .geojson, .json and .csv, and with GDAL installed (Debian gdal-bin) .zip and .shp (Shapefile), .gpkg (GeoPackage) and whatever else GDAL reads", filepath.Base(path), ext)
		}
		rows, cleanup, err := ReadOGR(ctx, path, o.Props, o.OGR)
		if err != nil {
			return nil, nil, err
		}
		return postprocess(rows, crs), cleanup, nil
	}
}

// exportKeys are the bookkeeping properties of a gridmap export.
var exportKeys = []string{"level", "parent", "grid_id", "version", "valid_from", "valid_to"}

// postprocess turns exported bookkeeping back into attributes and converts
// coordinates to WGS84.
func postprocess(rows iter.Seq2[gridmap.GridRow, error], crs geo.CRS) iter.Seq2[gridmap.GridRow, error] {
	return func(yield func(gridmap.GridRow, error) bool) {
		for row, err := range rows {
			if err == nil && unexport(&row) {
				// The exported attributes were JSON text: check what it held.
				field, p := rowText(&row, func(f string) string {
					switch f {
					case "code", "name", "parent":
						return f
					case "":
						return "attributes"
					}
					return "attributes." + f
				})
				if p != "" {
					err = &gridmap.ItemError{Index: row.Index, Code: row.Code, Field: field, Message: p}
				}
			}
			if err == nil {
				if crs != geo.WGS84 {
					row.Boundary = toWGS84(crs, row.Boundary)
				}
			}
			if !yield(row, err) {
				return
			}
		}
	}
}

// unexport recognises the rows of a gridmap export by their grid_id,
// version, valid_from and attributes properties, and rebuilds the
// attributes: the exported attributes object, plus any property added
// since, less the bookkeeping (exportKeys, and an id that repeats the
// code, as ogr2ogr writes the feature id).
// It reports whether the attributes came from JSON text.
func unexport(row *gridmap.GridRow) (fromText bool) {
	a := row.Attributes
	for _, k := range []string{"grid_id", "version", "valid_from", "attributes"} {
		if _, ok := a[k]; !ok {
			return false
		}
	}
	var attrs map[string]any
	switch v := a["attributes"].(type) {
	case map[string]any:
		attrs = v
	case string:
		if json.Unmarshal([]byte(v), &attrs) != nil {
			return false // not ours after all
		}
		fromText = true
	case nil:
	default:
		return false
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	for k, v := range a {
		if k == "attributes" || slices.Contains(exportKeys, k) || k == "id" && propString(v) == row.Code {
			continue
		}
		attrs[k] = v
	}
	row.Attributes = attrs
	return fromText
}

// toWGS84 converts every vertex of a Polygon or MultiPolygon.
func toWGS84(crs geo.CRS, g orb.Geometry) orb.Geometry {
	conv := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = make(orb.Ring, len(r))
			for k, pt := range r {
				out[i][k], _ = geo.ToWGS84(crs, pt)
			}
		}
		return out
	}
	switch g := g.(type) {
	case orb.Polygon:
		return conv(g)
	case orb.MultiPolygon:
		mp := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			mp[i] = conv(p)
		}
		return mp
	}
	return g
}
