package geo_test

import (
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// TestParseCRS: the names every caller (lookup ?crs=, import --crs, a
// record's crs field, grid import --crs) accepted before there was one
// parser, and a refusal naming the choices.
func TestParseCRS(t *testing.T) {
	tests := []struct {
		name, in string
		want     geo.CRS
		err      bool
	}{
		{"default", "", geo.WGS84, false},
		{"wgs84", "wgs84", geo.WGS84, false},
		{"upper case", "WGS84", geo.WGS84, false},
		{"epsg 4326", "EPSG:4326", geo.WGS84, false},
		{"cgcs2000 as wgs84", "cgcs2000", geo.WGS84, false},
		{"epsg 4490 as wgs84", "epsg:4490", geo.WGS84, false},
		{"gcj02", "GCJ02", geo.GCJ02, false},
		{"bd09", "bd09", geo.BD09, false},
		{"spaces", " bd09 ", "", true},
		{"unknown", "utm", "", true},
		{"a near miss", "gcj-02", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := geo.ParseCRS(tc.in)
			if tc.err {
				if gridmap.ErrorCode(err) != gridmap.EINVALID || got != "" {
					t.Fatalf("ParseCRS(%q) = %q, %v; want EINVALID", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseCRS(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
