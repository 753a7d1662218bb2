package gridio

import (
	"strings"
	"testing"
)

// TestReadBadText: a grid whose code, name, parent or attributes hold
// bytes that are not text (a NUL, invalid UTF-8 behind a JSON decoder, a
// control character) is an item error naming the field as the file names
// it, in GeoJSON, CSV (WKT and vertex tables) and a gridmap export whose
// attributes are JSON text (issue 12).
func TestReadBadText(t *testing.T) {
	poly := `"geometry":{"type":"Polygon","coordinates":[[[116,35],[117,35],[117,36],[116,35]]]}`
	feature := func(props string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{` + props + `},` + poly + `}]}`
	}
	wkt := `"POLYGON((116.1 35.1,116.2 35.1,116.2 35.2,116.1 35.1))"`
	for _, c := range []struct {
		name, file, content string
		field, message      string
	}{
		{"GeoJSON: NUL in the name", "g.geojson", feature(`"adcode":"A1","name":"a\u0000b"`), "properties.name", "NUL"},
		{"GeoJSON: NUL in the code", "g.geojson", feature(`"adcode":"A\u0000","name":"a"`), "properties.adcode", "NUL"},
		{"GeoJSON: newline in the parent", "g.geojson", feature(`"adcode":"A1","up":"A\n"`), "properties.up", "U+000A"},
		{"GeoJSON: invalid UTF-8 in an attribute", "g.geojson", feature("\"adcode\":\"A1\",\"note\":\"\xC3\x28\""), "properties.note", "U+FFFD"},
		{"GeoJSON: NUL in an attribute key", "g.geojson", feature(`"adcode":"A1","a\u0000":1`), "properties", "property name"},
		{"GeoJSON: nested attribute", "g.geojson", feature(`"adcode":"A1","tags":["x","\u0000"]`), "properties.tags", "properties.tags[1] holds a NUL"},
		{"CSV: NUL in the name", "g.csv", "adcode,name,wkt\nA1,\"a\x00b\"," + wkt + "\n", "name", "NUL"},
		{"CSV: bell in an attribute", "g.csv", "adcode,wkt,note\nA1," + wkt + ",\"a\x07\"\n", "note", "U+0007"},
		{"CSV vertices: NUL in the name", "g.csv", "adcode,name,lon,lat\nA1,\"\x00\",116,35\nA1,\"\x00\",117,35\nA1,\"\x00\",117,36\n", "name", "NUL"},
		{"export: NUL inside the attributes text", "g.csv", "adcode,grid_id,version,valid_from,attributes,wkt\nA1,1,2,2026-01-01,\"{\"\"note\"\":\"\"\\u0000\"\"}\"," + wkt + "\n",
			"attributes.note", "NUL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), c.file, c.content)
			props := Props{Code: "adcode", Name: "name"}
			if strings.HasSuffix(c.file, ".geojson") {
				props.Parent = "up"
			}
			rows, closeFile, err := OpenFile(t.Context(), path, FileOptions{Props: props})
			if err != nil {
				t.Fatal(err)
			}
			defer closeFile()
			got, items, fatal := readAll(t, rows)
			if fatal != nil || len(got) != 0 || len(items) != 1 || items[0].Field != c.field || !strings.Contains(items[0].Message, c.message) {
				t.Fatalf("rows %v, items %+v, fatal %v; want one item error on %s saying %s", got, items, fatal, c.field, c.message)
			}
		})
	}
}
