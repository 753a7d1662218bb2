package httpapi

import (
	"maps"
	"net/http"
	"testing"
)

// TestHotPatternMatch: the tile fast path matches exactly what the
// router's template would ({name} is one non-empty path segment) and
// leaves everything else to the router.
func TestHotPatternMatch(t *testing.T) {
	pt := newHotPattern(&route{method: http.MethodGet, path: "/tiles/grids/{z}/{x}/{y}.mvt"}, []string{http.MethodGet, http.MethodHead})
	p := &pt
	for _, c := range []struct {
		method, path string
		want         map[string]string
	}{
		{"GET", "/tiles/grids/10/853/416.mvt", map[string]string{"z": "10", "x": "853", "y": "416"}},
		{"HEAD", "/tiles/grids/0/0/0.mvt", map[string]string{"z": "0", "x": "0", "y": "0"}},
		{"GET", "/tiles/grids/a/b/c.mvt", map[string]string{"z": "a", "x": "b", "y": "c"}}, // the handler says 400
		{"POST", "/tiles/grids/1/2/3.mvt", nil},
		{"GET", "/tiles/grids/1/2.mvt", nil},
		{"GET", "/tiles/grids/1/2/3/4.mvt", nil},
		{"GET", "/tiles/grids//2/3.mvt", nil},
		{"GET", "/tiles/grids/1/2/.mvt", nil},
		{"GET", "/tiles/grids/1/2/3.pbf", nil},
		{"GET", "/tiles/grids.mvt", nil},
		{"GET", "/tiles/heat/1/2/3.mvt", nil},
	} {
		got, ok := p.match(c.method, c.path)
		if ok != (c.want != nil) || !maps.Equal(got, c.want) {
			t.Errorf("%s %s: %v %v, want %v", c.method, c.path, got, ok, c.want)
		}
	}
}
