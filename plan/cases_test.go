package plan_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/plan"
)

// planCase is one file of testdata/cases, read also by the editor's unit
// test (static/test/unit/plansteps.test.mjs): the map before (a file of
// testdata/maps), the changes as the plans API takes them, and what the
// plan leaves. A case with go_only says why the editor's preview is not
// tested on it.
type planCase struct {
	Name        string           `json:"name"`
	Description string           `json:"description"`
	GoOnly      string           `json:"go_only"`
	Map         string           `json:"map"`
	Members     []gridmap.Member `json:"members"`
	grids       struct {
		Grids []caseGrid `json:"grids"`
	}
	Changes []gridmap.Change `json:"changes"`
	Expect  struct {
		// Grids are all the grids live after the plan, by code.
		Grids      map[string]liveGrid    `json:"grids"`
		Added      []string               `json:"added"`
		Changed    []string               `json:"changed"`
		Retired    []string               `json:"retired"`
		Reparented []gridmap.Reparented   `json:"reparented"`
		Members    []gridmap.MemberChange `json:"members"`    // Go only
		Duplicates []string               `json:"duplicates"` // Go only
		Error      string                 `json:"error"`      // Go only
	} `json:"expect"`
}

type caseGrid struct {
	Code     string          `json:"code"`
	Name     string          `json:"name"`
	Level    string          `json:"level"`
	Parent   string          `json:"parent"`
	Version  int64           `json:"version"`
	Boundary json.RawMessage `json:"boundary"`
}

type liveGrid struct {
	Name   string `json:"name"`
	Level  string `json:"level"`
	Parent string `json:"parent"`
}

func loadCases(tb testing.TB) []planCase {
	tb.Helper()
	files, err := filepath.Glob("testdata/cases/*.json")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no cases in testdata/cases: %v", err)
	}
	var out []planCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var c planCase
		if err := json.Unmarshal(b, &c); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		if err := readJSON("testdata/maps/"+c.Map+".json", &c.grids); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		if c.Name+".json" != filepath.Base(f) {
			tb.Fatalf("%s: name %q is not the file's", f, c.Name)
		}
		out = append(out, c)
	}
	return out
}

func readJSON(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func boundary(tb testing.TB, raw json.RawMessage) orb.MultiPolygon {
	tb.Helper()
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		tb.Fatal(err)
	}
	switch g := g.Geometry().(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	tb.Fatalf("boundary %s is not a polygon", raw)
	return nil
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}

// TestCases applies each case's changes as AddChanges does (check the
// change, its references, apply) and compares the map it leaves and the
// impact summary. Interior points are not loaded: every child gets
// PointOnSurface, as a grid the plan reshaped does.
func TestCases(t *testing.T) {
	for _, tc := range loadCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			cur := map[string]gridmap.Grid{}
			for _, g := range tc.grids.Grids {
				cur[g.Code] = gridmap.Grid{Code: g.Code, Name: g.Name, Level: gridmap.Level(g.Level), Parent: g.Parent,
					Version: g.Version, Attributes: map[string]any{}, Boundary: boundary(t, g.Boundary)}
			}
			a := plan.New(cur, tc.Members)
			var err error
			for i := range tc.Changes {
				c := &tc.Changes[i]
				if err = plan.CheckChange(i, c); err != nil {
					break
				}
				if err = a.CheckRefs(i, c); err != nil {
					break
				}
				if err = a.Apply(i, c); err != nil {
					break
				}
			}
			if tc.Expect.Error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.Expect.Error) {
					t.Fatalf("error %v, want one saying %q", err, tc.Expect.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			live := map[string]liveGrid{}
			for code := range cur {
				if g := a.Live(code); g != nil {
					live[code] = liveGrid{g.Name, string(g.Level), g.Parent}
				}
			}
			for code, g := range a.State {
				if g != nil {
					live[code] = liveGrid{g.Name, string(g.Level), g.Parent}
				}
			}
			if !reflect.DeepEqual(live, tc.Expect.Grids) {
				t.Errorf("grids after the plan:\n got %v\nwant %v", live, tc.Expect.Grids)
			}
			im := plan.Impact(a, nil)
			for _, l := range []struct {
				what      string
				got, want []string
			}{{"added", im.Added, tc.Expect.Added}, {"changed", im.Changed, tc.Expect.Changed}, {"retired", im.Retired, tc.Expect.Retired}} {
				if got, want := sorted(l.got), sorted(l.want); !slices.Equal(got, want) {
					t.Errorf("%s %v, want %v", l.what, got, want)
				}
			}
			want := tc.Expect.Reparented
			if want == nil {
				want = []gridmap.Reparented{}
			}
			if !reflect.DeepEqual(im.Reparented, want) {
				t.Errorf("reparented %v, want %v", im.Reparented, want)
			}
			if tc.Expect.Members != nil && !reflect.DeepEqual(im.Members, tc.Expect.Members) {
				t.Errorf("members %+v, want %+v", im.Members, tc.Expect.Members)
			}
			var dups []string
			for _, p := range a.Dups {
				if p.Kind != gridmap.ProblemDuplicateCode {
					t.Errorf("problem %+v is not a duplicate code", p)
				}
				dups = append(dups, p.Codes...)
			}
			if got, want := sorted(dups), sorted(tc.Expect.Duplicates); !slices.Equal(got, want) {
				t.Errorf("duplicates %v, want %v", got, want)
			}
		})
	}
}

// TestPointOnSurfaceCases: the points of testdata/point-on-surface.json,
// which the editor's interiorPoint is tested against too.
func TestPointOnSurfaceCases(t *testing.T) {
	var f struct {
		Cases []struct {
			Name     string          `json:"name"`
			Geometry json.RawMessage `json:"geometry"`
			Point    *orb.Point      `json:"point"`
		} `json:"cases"`
	}
	if err := readJSON("testdata/point-on-surface.json", &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Cases {
		p, ok := plan.PointOnSurface(boundary(t, c.Geometry))
		switch {
		case c.Point == nil && ok:
			t.Errorf("%s: %v, want no point", c.Name, p)
		case c.Point != nil && (!ok || p != *c.Point):
			t.Errorf("%s: %v (%v), want %v", c.Name, p, ok, *c.Point)
		}
	}
}
