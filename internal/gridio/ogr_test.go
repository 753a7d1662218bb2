package gridio

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestUnexport(t *testing.T) {
	for _, c := range []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{"a gridmap export (GeoJSON)",
			map[string]any{"level": "micro", "parent": "A", "grid_id": 3.0, "version": 9.0, "valid_from": "2026-11-25T00:00:00Z", "valid_to": nil,
				"attributes": map[string]any{"households": 12.0}},
			map[string]any{"households": 12.0}},
		{"through ogr2ogr: attributes as JSON text, an id, a column added since",
			map[string]any{"id": "A1", "grid_id": 3.0, "version": 9.0, "valid_from": "2026/11/25", "attributes": `{ "households": 12 }`, "note": "新增"},
			map[string]any{"households": 12.0, "note": "新增"}},
		{"not an export: left alone",
			map[string]any{"version": "2", "attributes": "x"},
			map[string]any{"version": "2", "attributes": "x"}},
		{"attributes text that is not JSON: left alone",
			map[string]any{"grid_id": 1.0, "version": 1.0, "valid_from": "x", "attributes": "{broken"},
			map[string]any{"grid_id": 1.0, "version": 1.0, "valid_from": "x", "attributes": "{broken"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			row := gridmap.GridRow{Code: "A1", Attributes: c.in}
			unexport(&row)
			if !reflect.DeepEqual(row.Attributes, c.want) {
				t.Errorf("got %v, want %v", row.Attributes, c.want)
			}
		})
	}
}

func TestOpenFileCRS(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "g.csv", "code,wkt\nA1,\"POLYGON((116.1 35.1,116.2 35.1,116.2 35.2,116.1 35.2,116.1 35.1))\"\n")
	for _, c := range []struct {
		crs  string
		conv func(orb.Point) orb.Point
		bad  bool
	}{
		{"", func(p orb.Point) orb.Point { return p }, false},
		{"cgcs2000", func(p orb.Point) orb.Point { return p }, false},
		{"gcj02", geo.GCJ02ToWGS84, false},
		{"BD09", geo.BD09ToWGS84, false},
		{"epsg:3857", nil, true},
	} {
		t.Run(c.crs, func(t *testing.T) {
			rows, closeFile, err := OpenFile(context.Background(), f, FileOptions{Props: Props{Code: "code", Name: "name"}, CRS: c.crs})
			if c.bad {
				if err == nil || !strings.Contains(err.Error(), "gcj02") {
					t.Errorf("crs %q: err %v", c.crs, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer closeFile()
			got, items, fatal := readAll(t, rows)
			if len(got) != 1 || len(items) > 0 || fatal != nil {
				t.Fatalf("%v %v %v", got, items, fatal)
			}
			for i, p := range square[0] {
				if q := got[0].Boundary.(orb.Polygon)[0][i]; q != c.conv(p) {
					t.Errorf("vertex %d: %v, want %v", i, q, c.conv(p))
				}
			}
		})
	}
}

func TestOpenFileFormats(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir) // no GDAL here
	for _, c := range []struct{ file, want string }{
		{"grids.gpkg", "gdal-bin"},
		{"grids.zip", "gdal-bin"},
		{"grids.kml", "unknown format"},
		{"grids.shp.gz", "only .geojson, .json and .csv"},
		{"missing.geojson", "cannot read"},
	} {
		_, _, err := OpenFile(context.Background(), filepath.Join(dir, c.file), FileOptions{Props: Props{Code: "code"}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one saying %q", c.file, err, c.want)
		}
	}
}

// needOGR skips without GDAL, or fails under make test, which installs it.
func needOGR(tb testing.TB) {
	tb.Helper()
	if !HaveOGR() {
		if os.Getenv("GRIDMAP_TESTDB") == "true" {
			tb.Fatal("GDAL's ogr2ogr is missing; make test installs gdal-bin")
		}
		tb.Skip("GDAL (gdal-bin) is not installed")
	}
}

func TestReadOGR(t *testing.T) {
	needOGR(t)
	dir := t.TempDir()
	src := writeFile(t, dir, "src.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"A1","name":"甲","households":12},"geometry":{"type":"Polygon","coordinates":[[[116.1,35.1],[116.2,35.1],[116.2,35.2],[116.1,35.2],[116.1,35.1]]]}}]}`)
	ogr := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ogr2ogr", args...).CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
		}
	}
	// A Shapefile: exterior ring written clockwise, read back with the
	// same vertices (ImportGrids normalises the orientation).
	ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "a.shp"), src)
	rows, cleanup, err := ReadOGR(context.Background(), filepath.Join(dir, "a.shp"), Props{Code: "code", Name: "name"}, OGROptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	got, items, fatal := readAll(t, rows)
	if len(got) != 1 || len(items) > 0 || fatal != nil {
		t.Fatalf("%v %v %v", got, items, fatal)
	}
	if got[0].Name != "甲" || got[0].Attributes["households"] != 12.0 || got[0].Boundary.Bound() != square.Bound() {
		t.Errorf("read %+v", got[0])
	}

	// Projected coordinates without a .prj: the range error says why.
	ogr("-f", "ESRI Shapefile", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:3857", filepath.Join(dir, "merc.shp"), src)
	os.Remove(filepath.Join(dir, "merc.prj"))
	rows, cleanup2, err := ReadOGR(context.Background(), filepath.Join(dir, "merc.shp"), Props{Code: "code", Name: "name"}, OGROptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup2()
	_, items, _ = readAll(t, rows)
	if len(items) != 1 || !strings.Contains(items[0].Message, "no coordinate system") {
		t.Errorf("projected, no .prj: %+v", items)
	}

	// A file GDAL cannot read.
	junk := writeFile(t, dir, "junk.gpkg", "not a geopackage")
	if _, _, err := ReadOGR(context.Background(), junk, Props{Code: "code"}, OGROptions{}); err == nil || !strings.Contains(err.Error(), "GDAL cannot open junk.gpkg") {
		t.Errorf("junk: %v", err)
	}
	// An unknown layer names the layers there are.
	if _, _, err := ReadOGR(context.Background(), filepath.Join(dir, "a.shp"), Props{Code: "code"}, OGROptions{Layer: "b"}); err == nil || !strings.Contains(err.Error(), "its layers are a") {
		t.Errorf("unknown layer: %v", err)
	}
}
