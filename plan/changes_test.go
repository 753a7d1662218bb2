package plan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/plan"
)

func str(s string) *string { return &s }

var square = orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}

func TestCheckChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    gridmap.Change
		want string // "" for none
	}{
		{"replace", gridmap.Change{Kind: gridmap.ChangeReplace, Code: "A", Name: str("n")}, ""},
		{"replace without code", gridmap.Change{Kind: gridmap.ChangeReplace, Name: str("n")}, "replace needs the code"},
		{"replace of nothing", gridmap.Change{Kind: gridmap.ChangeReplace, Code: "A"}, "needs a name, attributes or a boundary"},
		{"add", gridmap.Change{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{Code: "A", Level: "micro", Boundary: square}}, ""},
		{"add without grid", gridmap.Change{Kind: gridmap.ChangeAdd}, `add needs the "grid"`},
		{"add without boundary", gridmap.Change{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{Code: "A", Level: "micro"}}, "the added grid A needs a boundary"},
		{"add without level", gridmap.Change{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{Code: "A", Boundary: square}}, "needs a level"},
		{"add with a bad member", gridmap.Change{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{Code: "A", Level: "micro", Boundary: square,
			Members: []gridmap.Member{{Role: "boss", Name: "x"}}}}, "members[0] needs a name and a role"},
		{"split", gridmap.Change{Kind: gridmap.ChangeSplit, Code: "A", Into: []gridmap.GridDraft{{Code: "A", Boundary: square}, {Code: "B", Boundary: square}}}, ""},
		{"split in one", gridmap.Change{Kind: gridmap.ChangeSplit, Code: "A", Into: []gridmap.GridDraft{{Code: "B", Boundary: square}}}, "at least two parts"},
		{"split part without boundary", gridmap.Change{Kind: gridmap.ChangeSplit, Code: "A", Into: []gridmap.GridDraft{{Code: "A", Boundary: square}, {Code: "B"}}}, "into[1] B needs a boundary"},
		{"split code twice", gridmap.Change{Kind: gridmap.ChangeSplit, Code: "A", Into: []gridmap.GridDraft{{Code: "B", Boundary: square}, {Code: "B", Boundary: square}}}, "given to two parts"},
		{"merge", gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{"A", "B"}, Grid: &gridmap.GridDraft{Code: "A"}}, ""},
		{"merge of one", gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{"A"}, Grid: &gridmap.GridDraft{Code: "A"}}, "at least two grids"},
		{"merge named twice", gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{"A", "A"}, Grid: &gridmap.GridDraft{Code: "A"}}, "A is named twice"},
		{"merge without result", gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{"A", "B"}}, `merge needs the resulting "grid"`},
		{"retire", gridmap.Change{Kind: gridmap.ChangeRetire, Code: "A"}, ""},
		{"retire without code", gridmap.Change{Kind: gridmap.ChangeRetire}, "retire needs the code"},
		{"move to root", gridmap.Change{Kind: gridmap.ChangeMove, Code: "A", Parent: str("")}, ""},
		{"move without parent", gridmap.Change{Kind: gridmap.ChangeMove, Code: "A"}, `move needs the new "parent"`},
		{"unknown kind", gridmap.Change{Kind: "rotate", Code: "A"}, `kind "rotate" is not one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := plan.CheckChange(3, &tc.c)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			case err != nil && gridmap.ErrorCode(err) != gridmap.EINVALID:
				t.Fatalf("code %s, want EINVALID", gridmap.ErrorCode(err))
			case err != nil && !strings.HasPrefix(gridmap.ErrorMessage(err), "changes[3]"):
				t.Fatalf("%q does not name the change", gridmap.ErrorMessage(err))
			}
		})
	}
}

func TestReferencedAndReshapedCodes(t *testing.T) {
	changes := []gridmap.Change{
		{Kind: gridmap.ChangeMove, Code: "M", Parent: str("P")},
		{Kind: gridmap.ChangeSplit, Code: "S", Into: []gridmap.GridDraft{{Code: "S1", Parent: str("Q")}, {Code: "S2"}}},
		{Kind: gridmap.ChangeMerge, Codes: []string{"A", "B"}, Grid: &gridmap.GridDraft{Code: "AB"}},
		{Kind: gridmap.ChangeMove, Code: "R", Parent: str("")},
	}
	if got, want := plan.ReferencedCodes(changes), []string{"A", "AB", "B", "M", "P", "Q", "R", "S", "S1", "S2"}; !slices.Equal(got, want) {
		t.Errorf("ReferencedCodes %v, want %v", got, want)
	}
	if got, want := plan.ReshapedCodes(changes), []string{"S", "A", "B"}; !slices.Equal(got, want) {
		t.Errorf("ReshapedCodes %v, want %v", got, want)
	}
}

func TestConflicts(t *testing.T) {
	cur := map[string]gridmap.Grid{"A": {Code: "A", Version: 5}, "B": {Code: "B", Version: 7}}
	changes := []gridmap.Change{
		{Kind: gridmap.ChangeMerge, Codes: []string{"A", "B"}, Base: map[string]int64{"A": 5, "B": 6}},
		{Kind: gridmap.ChangeRetire, Code: "C", Base: map[string]int64{"C": 2}},
		{Kind: gridmap.ChangeRetire, Code: "B", Base: map[string]int64{"B": 1}}, // the first change holds B
	}
	want := []gridmap.Conflict{{Code: "B", BaseVersion: 6, CurrentVersion: 7}, {Code: "C", BaseVersion: 2, CurrentVersion: 0}}
	if got := plan.Conflicts(changes, cur); !slices.Equal(got, want) {
		t.Errorf("Conflicts %+v, want %+v", got, want)
	}
}

// TestFillBase: the first change to touch a grid holds its base version
// (the client's, when it sent one, reported when not current); a grid a
// change before touched gets none.
func TestFillBase(t *testing.T) {
	cur := map[string]gridmap.Grid{"A": {Code: "A", Version: 5, Boundary: square}, "B": {Code: "B", Version: 7, Boundary: square}}
	a := plan.New(cur, nil)
	c0 := gridmap.Change{Kind: gridmap.ChangeReplace, Code: "A", Name: str("n"), Base: map[string]int64{"A": 4}}
	if got, want := a.FillBase(&c0), []gridmap.Conflict{{Code: "A", BaseVersion: 4, CurrentVersion: 5}}; !slices.Equal(got, want) {
		t.Errorf("stale %+v, want %+v", got, want)
	}
	if c0.Base["A"] != 4 {
		t.Errorf("base %v, want the client's A 4 kept", c0.Base)
	}
	if err := a.Apply(0, &c0); err != nil {
		t.Fatal(err)
	}
	c1 := gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{"A", "B"}, Grid: &gridmap.GridDraft{Code: "A", Boundary: square}}
	if stale := a.FillBase(&c1); stale != nil {
		t.Errorf("stale %+v, want none", stale)
	}
	if len(c1.Base) != 1 || c1.Base["B"] != 7 {
		t.Errorf("base %v, want only B 7 (A is held by the change before)", c1.Base)
	}
}

func TestCheckRefs(t *testing.T) {
	cur := map[string]gridmap.Grid{"A": {Code: "A", Version: 5, Boundary: square}}
	a := plan.New(cur, nil)
	for _, tc := range []struct {
		name string
		c    gridmap.Change
		want string
	}{
		{"current grid", gridmap.Change{Kind: gridmap.ChangeRetire, Code: "A"}, ""},
		{"unknown grid", gridmap.Change{Kind: gridmap.ChangeRetire, Code: "X"}, "X is not a current grid"},
		{"unknown parent", gridmap.Change{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{Code: "N", Parent: str("X")}}, "the parent X is not a current grid"},
		{"root parent", gridmap.Change{Kind: gridmap.ChangeMove, Code: "A", Parent: str("")}, ""},
		{"own parent", gridmap.Change{Kind: gridmap.ChangeMove, Code: "A", Parent: str("A")}, "cannot be its own parent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := a.CheckRefs(0, &tc.c)
			if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
