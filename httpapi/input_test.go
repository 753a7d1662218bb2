package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gridmap/gridmap"
)

func TestCheckQuery(t *testing.T) {
	ru := &rule{query: []string{"lon", "lat", "crs", "levels"}}
	page := &rule{page: true}
	tests := []struct {
		name, raw string
		ru        *rule
		want      string // "" for fine, else part of the error
	}{
		{"plain", "lon=116.8&lat=35.5", ru, ""},
		{"escaped list", "levels=street%2Cvillage%2Cmicro", ru, ""},
		{"plus and UTF-8", "crs=a+b&levels=%E5%BE%AE", ru, ""},
		{"empty pairs", "&lon=1&&lat=2&", ru, ""},
		{"no value", "crs", ru, ""},
		{"unknown", "lon=1&foo=2", ru, `unknown query parameter "foo"; GET /api/v1/lookup accepts lon, lat, crs, levels`},
		{"unknown escaped name", "f%6Fo=2", ru, `unknown query parameter "foo"`},
		{"NUL", "lon=%00", ru, "query parameter lon holds a NUL byte"},
		{"invalid UTF-8", "lat=%C3%28", ru, "query parameter lat is not valid UTF-8"},
		{"raw invalid UTF-8", "lat=\xC3\x28", ru, "query parameter lat is not valid UTF-8"},
		{"control", "crs=%07", ru, "query parameter crs holds the control character U+0007"},
		{"newline", "crs=a%0Ab", ru, "U+000A"},
		{"overlong", "crs=" + strings.Repeat("x", 1025), ru, "query parameter crs is longer than 1024 bytes"},
		{"overlong escaped", "crs=" + strings.Repeat("%41", 1025), ru, "longer than 1024 bytes"},
		{"at the limit escaped", "crs=" + strings.Repeat("%41", 1024), ru, ""},
		{"bad escape", "lon=%zz", ru, "query parameter lon is not percent-encoded properly"},
		{"cut escape", "lon=1%4", ru, "not percent-encoded properly"},
		{"bad name escape", "lo%zn=1", ru, "name \"lo%zn\" is not percent-encoded"},
		{"page takes any name", "lang=en&whatever=1", page, ""},
		{"page checks values", "lang=%00", page, "query parameter lang holds a NUL byte"},
		{"bad name on a page", "%00=1", page, `query parameter name "\x00" holds a NUL byte`},
		{"no parameters", "x=1", &rule{}, `unknown query parameter "x"; GET /api/v1/lookup takes no query parameters`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkQuery(tc.raw, tc.ru, "GET", "/api/v1/lookup")
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(gridmap.ErrorMessage(err), tc.want)):
				t.Errorf("error %v, want EINVALID with %q", err, tc.want)
			}
		})
	}
}

func TestCheckVars(t *testing.T) {
	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"code": "37081200100101", "z": "10"}, ""},
		{map[string]string{"code": "\x00"}, "the path variable {code} holds a NUL byte"},
		{map[string]string{"code": "\xC3\x28"}, "{code} is not valid UTF-8"},
		{map[string]string{"featureId": "a\tb"}, "{featureId} holds the control character U+0009"},
		{map[string]string{"code": strings.Repeat("x", 1025)}, "{code} is 1025 bytes long"},
	} {
		err := checkVars(c.vars)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("checkVars(%q) = %v, want %q", c.vars, err, c.want)
		}
	}
}

// TestCheckInputAllocs: the check runs on the hot routes (lookups, tiles)
// and must not allocate for a good request, escaped or not.
func TestCheckInputAllocs(t *testing.T) {
	rt, ok := fullServer(t).ruleOf("GET", "/tiles/grids/{z}/{x}/{y}.mvt")
	if !ok {
		t.Fatal("no grid tile route")
	}
	ru := rt.rule
	vars := map[string]string{"z": "10", "x": "853", "y": "416"}
	for _, q := range []string{"", "v=12&levels=street,village", "v=12&levels=street%2Cvillage%2Cmicro&as_of=2026-01-31T08%3A00%3A00%2B08%3A00"} {
		r := httptest.NewRequest("GET", "/tiles/grids/10/853/416.mvt?"+q, nil)
		if err := checkInput(r, vars, &ru, "/tiles/grids/{z}/{x}/{y}.mvt"); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = checkInput(r, vars, &ru, "/tiles/grids/{z}/{x}/{y}.mvt") }); n != 0 {
			t.Errorf("checkInput(%q) allocates %v times", q, n)
		}
	}
}
