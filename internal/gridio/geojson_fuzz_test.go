package gridio

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gridmap/gridmap"
)

// checkReadErr fails unless err is nil, a *gridmap.ItemError or a
// *gridmap.Error, with a message a person can act on.
func checkReadErr(t *testing.T, err error) {
	t.Helper()
	var ie *gridmap.ItemError
	var ge *gridmap.Error
	switch {
	case err == nil:
	case errors.As(err, &ie):
		if ie.Message == "" {
			t.Fatalf("an item error without a message: %#v", ie)
		}
	case errors.As(err, &ge):
		if ge.Message == "" || ge.Code != gridmap.EINVALID {
			t.Fatalf("a read error that is not a clear EINVALID: %#v", ge)
		}
	default:
		t.Fatalf("an error that is neither an ItemError nor a gridmap.Error: %T %v", err, err)
	}
}

// checkRowText fails when a row that passed holds bytes that are not text
// (issue 12): they must be an item error, not reach the database.
func checkRowText(t *testing.T, row gridmap.GridRow, err error) {
	t.Helper()
	if err != nil {
		return
	}
	if field, p := rowText(&row, func(f string) string { return f }); p != "" {
		t.Fatalf("a row passed with %s that %s: %+v", field, p, row)
	}
}

// FuzzReadGeoJSON: any input read as a grid GeoJSON file yields rows and
// clear errors, never a panic. Seeds: testdata/fuzz/FuzzReadGeoJSON.
func FuzzReadGeoJSON(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1","name":"a"},` +
		`"geometry":{"type":"Polygon","coordinates":[[[116,35],[117,35],[117,36],[116,35]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":1.5e300},"geometry":null}]}`))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		for row, err := range ReadGeoJSON(bytes.NewReader(data), Props{Code: "code", Name: "name", Parent: "parent"}) {
			checkReadErr(t, err)
			if err == nil && row.Boundary == nil {
				t.Fatalf("a row without a boundary: %+v", row)
			}
			checkRowText(t, row, err)
			if n++; n > 10000 {
				break
			}
		}
	})
}

// FuzzReadGridCSV: the same for grid CSV (WKT column or vertex table).
func FuzzReadGridCSV(f *testing.F) {
	f.Add([]byte("code,name,wkt\n1,a,\"POLYGON((116 35,117 35,117 36,116 35))\"\n"))
	f.Add([]byte("code,name,lon,lat\n1,a,116,35\n1,a,117,35\n1,a,117,36\n"))
	f.Add([]byte("\ufeffcode,wkt\n2,\"MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((2 2,3 2,3 3,2 2)))\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		for row, err := range ReadCSV(bytes.NewReader(data), CSVOptions{Props: Props{Code: "code", Name: "name"}}) {
			checkReadErr(t, err)
			checkRowText(t, row, err)
			if n++; n > 10000 {
				break
			}
		}
	})
}
