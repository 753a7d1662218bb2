package gridmap_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

func TestChangeJSON(t *testing.T) {
	square := `{"type":"Polygon","coordinates":[[[116,35],[116.01,35],[116.01,35.01],[116,35.01],[116,35]]]}`
	tests := []struct {
		name, in string
		want     string // "" for success, else part of the error
	}{
		{"replace", `{"kind":"replace","code":"A","name":"n","boundary":` + square + `}`, ""},
		{"split", `{"kind":"split","code":"A","into":[{"code":"A1","boundary":` + square + `},{"code":"A2","boundary":` + square + `}]}`, ""},
		{"null boundary", `{"kind":"replace","code":"A","name":"n","boundary":null}`, ""},
		{"unknown field", `{"kind":"retire","code":"A","colour":1}`, "colour"},
		{"unknown draft field", `{"kind":"add","grid":{"code":"A","colour":1}}`, "colour"},
		{"point", `{"kind":"replace","code":"A","boundary":{"type":"Point","coordinates":[1,2]}}`, "Polygon or MultiPolygon"},
		{"open ring", `{"kind":"replace","code":"A","boundary":{"type":"Polygon","coordinates":[[[1,2],[2,2],[2,3],[1,3]]]}}`, "not closed"},
		{"short ring", `{"kind":"replace","code":"A","boundary":{"type":"Polygon","coordinates":[[[1,2],[2,2],[1,2]]]}}`, "at least 4"},
		{"out of range", `{"kind":"replace","code":"A","boundary":{"type":"Polygon","coordinates":[[[1,2],[200,2],[2,3],[1,2]]]}}`, "outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c gridmap.Change
			err := json.Unmarshal([]byte(tc.in), &c)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) || gridmap.ErrorCode(err) != gridmap.EINVALID {
					t.Fatalf("error %v, want EINVALID mentioning %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Round trip: the same change back.
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var again gridmap.Change
			if err := json.Unmarshal(b, &again); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			b2, _ := json.Marshal(again)
			if string(b) != string(b2) {
				t.Errorf("round trip:\n%s\n%s", b, b2)
			}
		})
	}
}

func TestTopologyReportJSON(t *testing.T) {
	r := gridmap.TopologyReport{Grids: 2, Tolerances: gridmap.DefaultTolerances, Problems: []gridmap.Problem{
		{Kind: gridmap.ProblemSliver, Codes: []string{"B"}, AreaM2: 3, Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		{Kind: gridmap.ProblemInvalidGeometry, Codes: []string{"A"}, Location: &[2]float64{1, 2}, Geometry: orb.Point{1, 2}},
	}}
	r.Sort()
	if r.Problems[0].Kind != gridmap.ProblemInvalidGeometry || r.Fatal() != 1 || r.Valid() {
		t.Fatalf("sorted %+v, fatal %d", r.Problems, r.Fatal())
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string
		Valid    bool
		Fatal    int
		Counts   map[string]int
		Features []struct {
			Type       string
			Geometry   struct{ Type string }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Type != "FeatureCollection" || fc.Valid || fc.Fatal != 1 || fc.Counts["sliver"] != 1 || len(fc.Features) != 2 ||
		fc.Features[0].Geometry.Type != "Point" || fc.Features[0].Properties["fatal"] != true || fc.Features[1].Properties["area_m2"] != 3.0 {
		t.Errorf("report JSON: %s", b)
	}
}

// TestChangeBase: base is {code: version}, a version being the number in
// the grid's ETag or the ETag itself; a change touching one grid may send
// its version alone (what the README promised; issue 12).
func TestChangeBase(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]int64
		err      string // part of the error, "" for none
	}{
		{"object", `{"kind":"retire","code":"A","base":{"A":12}}`, map[string]int64{"A": 12}, ""},
		{"object of ETags", `{"kind":"merge","codes":["A","B"],"grid":{"code":"A"},"base":{"A":"g12","B":"\"g13\""}}`, map[string]int64{"A": 12, "B": 13}, ""},
		{"number", `{"kind":"retire","code":"A","base":12}`, map[string]int64{"A": 12}, ""},
		{"ETag", `{"kind":"replace","code":"A","name":"n","base":"\"g12\""}`, map[string]int64{"A": 12}, ""},
		{"ETag without quotes", `{"kind":"move","code":"A","parent":"P","base":"g12"}`, map[string]int64{"A": 12}, ""},
		{"none", `{"kind":"retire","code":"A"}`, nil, ""},
		{"number for a merge", `{"kind":"merge","codes":["A","B"],"grid":{"code":"A"},"base":12}`, nil, "touches 2 grids"},
		{"not a version", `{"kind":"retire","code":"A","base":"yesterday"}`, nil, `{"CODE": version}`},
		{"zero", `{"kind":"retire","code":"A","base":{"A":0}}`, nil, "not a version"},
		{"array", `{"kind":"retire","code":"A","base":[12]}`, nil, `{"CODE": version}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c gridmap.Change
			err := json.Unmarshal([]byte(tc.in), &c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || gridmap.ErrorCode(err) != gridmap.EINVALID {
					t.Fatalf("error %v, want EINVALID mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Base) != len(tc.want) {
				t.Fatalf("base %v, want %v", c.Base, tc.want)
			}
			for k, v := range tc.want {
				if c.Base[k] != v {
					t.Errorf("base %v, want %v", c.Base, tc.want)
				}
			}
			// Written back as {code: version}.
			b, _ := json.Marshal(c)
			if tc.want != nil && !strings.Contains(string(b), `"base":{"A":12`) {
				t.Errorf("marshalled %s", b)
			}
		})
	}
}
