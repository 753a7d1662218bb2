package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

func near(a, b orb.Point, tol float64) bool {
	return math.Abs(a[0]-b[0]) <= tol && math.Abs(a[1]-b[1]) <= tol
}

// Published conversion vectors:
//
//   - wandergis/coordtransform, test/app.js: the forward conversions of
//     (116.404, 39.915). Its inverse conversions are the one-step
//     approximations, so only the forward values serve as exact vectors.
//   - googollee/eviltransform, go/transform_test.go: WGS84 → GCJ-02 for
//     Shanghai, Shenzhen and Beijing (there given as lat, lng).
func TestCRSVectors(t *testing.T) {
	tests := []struct {
		name     string
		f        func(orb.Point) orb.Point
		in, want orb.Point
	}{
		{"coordtransform wgs84togcj02", geo.WGS84ToGCJ02, orb.Point{116.404, 39.915}, orb.Point{116.41024449916938, 39.91640428150164}},
		{"coordtransform gcj02tobd09", geo.GCJ02ToBD09, orb.Point{116.404, 39.915}, orb.Point{116.41036949371029, 39.92133699351021}},
		{"eviltransform shanghai", geo.WGS84ToGCJ02, orb.Point{121.5272106, 31.1774276}, orb.Point{121.531541859215, 31.17530398364597}},
		{"eviltransform shenzhen", geo.WGS84ToGCJ02, orb.Point{113.912316, 22.543847}, orb.Point{113.9171764808363, 22.540796131694766}},
		{"eviltransform beijing", geo.WGS84ToGCJ02, orb.Point{116.377817, 39.911954}, orb.Point{116.38404722455657, 39.91334545536069}},
		// Inverses: the exact inverse of a published forward pair.
		{"inverse of wgs84togcj02", geo.GCJ02ToWGS84, orb.Point{116.41024449916938, 39.91640428150164}, orb.Point{116.404, 39.915}},
		{"inverse of gcj02tobd09", geo.BD09ToGCJ02, orb.Point{116.41036949371029, 39.92133699351021}, orb.Point{116.404, 39.915}},
		{"inverse shanghai", geo.GCJ02ToWGS84, orb.Point{121.531541859215, 31.17530398364597}, orb.Point{121.5272106, 31.1774276}},
		{"outside China: identity", geo.WGS84ToGCJ02, orb.Point{2.35, 48.85}, orb.Point{2.35, 48.85}},
		{"outside China inverse: identity", geo.GCJ02ToWGS84, orb.Point{-74, 40.7}, orb.Point{-74, 40.7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.in); !near(got, tt.want, 1e-9) {
				t.Errorf("got %.15f, %.15f; want %.15f, %.15f (diff %.2g, %.2g)",
					got[0], got[1], tt.want[0], tt.want[1], got[0]-tt.want[0], got[1]-tt.want[1])
			}
		})
	}
}

// TestCRSRoundTrip measures the round-trip error over China: the inverse
// transforms are exact to well under the documented 1e-9 degrees.
func TestCRSRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	tests := []struct {
		name    string
		to, fro func(orb.Point) orb.Point
	}{
		{"WGS84 → GCJ-02 → WGS84", geo.WGS84ToGCJ02, geo.GCJ02ToWGS84},
		{"GCJ-02 → BD-09 → GCJ-02", geo.GCJ02ToBD09, geo.BD09ToGCJ02},
		{"WGS84 → BD-09 → WGS84", geo.WGS84ToBD09, geo.BD09ToWGS84},
		{"GCJ-02 → WGS84 → GCJ-02", geo.GCJ02ToWGS84, geo.WGS84ToGCJ02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			worst := 0.0
			for range 100_000 {
				// China's own extent, well inside the InChina box.
				p := orb.Point{73.5 + r.Float64()*(135-73.5), 18 + r.Float64()*(53.5-18)}
				q := tt.fro(tt.to(p))
				worst = max(worst, math.Abs(q[0]-p[0]), math.Abs(q[1]-p[1]))
			}
			if worst > 1e-9 {
				t.Errorf("worst round-trip error %.3g degrees > 1e-9", worst)
			}
			t.Logf("worst round-trip error over 100,000 points: %.3g degrees", worst)
		})
	}
}

func TestCRSByName(t *testing.T) {
	p := orb.Point{116.404, 39.915}
	tests := []struct {
		name string
		crs  geo.CRS
		want orb.Point // p converted from WGS84 to crs
		code string
	}{
		{"wgs84", geo.WGS84, p, ""},
		{"gcj02", geo.GCJ02, geo.WGS84ToGCJ02(p), ""},
		{"bd09", geo.BD09, geo.WGS84ToBD09(p), ""},
		{"unknown", geo.CRS("epsg:3857"), p, gridmap.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := geo.FromWGS84(tt.crs, p)
			if gridmap.ErrorCode(err) != tt.code {
				t.Fatalf("FromWGS84 error %v, want code %q", err, tt.code)
			}
			if err != nil {
				return
			}
			if got != tt.want {
				t.Errorf("FromWGS84 = %v, want %v", got, tt.want)
			}
			back, err := geo.ToWGS84(tt.crs, got)
			if err != nil || !near(back, p, 1e-9) {
				t.Errorf("ToWGS84 = %v, %v; want %v", back, err, p)
			}
		})
	}
	if _, err := geo.ToWGS84("nope", p); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("ToWGS84(nope) error %v, want EINVALID", err)
	}
}
