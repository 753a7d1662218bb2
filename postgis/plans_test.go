package postgis_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// planStore returns the plan service on a fresh database holding the demo
// street.
func planStore(tb testing.TB) (*postgis.Store, *postgis.Plans) {
	tb.Helper()
	st := testdb.Store(tb)
	outline, err := demodata.Yanzhou()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Demo(context.Background(), outline, postgis.DefaultDemo); err != nil {
		tb.Fatal(err)
	}
	return st, postgis.NewPlans(st)
}

// geomSQL runs a query yielding one WKB polygonal geometry and returns it
// as a MultiPolygon.
func geomSQL(tb testing.TB, st *postgis.Store, sql string, args ...any) orb.MultiPolygon {
	tb.Helper()
	var b []byte
	if err := st.Pool().QueryRow(context.Background(), sql, args...).Scan(&b); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		tb.Fatal(err)
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g
	case orb.Polygon:
		return orb.MultiPolygon{g}
	}
	tb.Fatalf("%s: got %T", sql, g)
	return nil
}

// areaM2 is the area of mp on the spheroid, from PostGIS.
func areaM2(tb testing.TB, st *postgis.Store, mp orb.MultiPolygon) float64 {
	tb.Helper()
	b, _ := wkb.Marshal(mp)
	var a float64
	if err := st.Pool().QueryRow(context.Background(), `SELECT ST_Area(ST_SetSRID(ST_GeomFromWKB($1), 4326)::geography)`, b).Scan(&a); err != nil {
		tb.Fatal(err)
	}
	return a
}

// demoPair returns two micro-grids of one village that share their longest
// edge, the village, and a point in the middle of that edge.
func demoPair(tb testing.TB, st *postgis.Store) (m, n, village string, edge orb.Point) {
	tb.Helper()
	if err := st.Pool().QueryRow(context.Background(), `
SELECT a.code, b.code, a.parent_code, ST_X(p), ST_Y(p) FROM (
  SELECT a.code ac, b.code bc,
         ST_LineInterpolatePoint(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 2)), 0.5) p
  FROM grid_version a JOIN grid_version b ON a.code < b.code AND a.parent_code = b.parent_code AND ST_Touches(a.boundary, b.boundary)
  WHERE a.level = 'micro' AND a.valid_to IS NULL AND b.valid_to IS NULL
    AND ST_GeometryType(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 2))) = 'ST_LineString'
  ORDER BY ST_Length(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 2))) DESC, a.code LIMIT 1) s
JOIN grid_version a ON a.code = s.ac AND a.valid_to IS NULL JOIN grid_version b ON b.code = s.bc AND b.valid_to IS NULL`).
		Scan(&m, &n, &village, &edge[0], &edge[1]); err != nil {
		tb.Fatal(err)
	}
	return m, n, village, edge
}

// wantCode checks err's gridmap error code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := gridmap.ErrorCode(err); got != code {
		tb.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func ptr[T any](v T) *T { return &v }

// TestTopologyProblems: each kind of problem is found in a plan, with its
// area where it has one.
func TestTopologyProblems(t *testing.T) {
	ctx := context.Background()
	st, plans := planStore(t)
	m, n, village, edge := demoPair(t, st)
	var outer, outerVillage string
	var outerPt orb.Point
	// A micro-grid on the street's outer edge, and a point on that edge.
	if err := st.Pool().QueryRow(ctx, `
SELECT c.code, c.parent_code, ST_X(p), ST_Y(p) FROM grid_version c
JOIN grid_version s ON s.level = 'street' AND s.valid_to IS NULL
CROSS JOIN LATERAL (SELECT ST_LineInterpolatePoint(ST_LineMerge(ST_CollectionExtract(
        ST_Intersection(ST_Boundary(c.boundary), ST_Boundary(s.boundary)), 2)), 0.5) p) q
WHERE c.level = 'micro' AND c.valid_to IS NULL
  AND ST_GeometryType(ST_LineMerge(ST_CollectionExtract(ST_Intersection(ST_Boundary(c.boundary), ST_Boundary(s.boundary)), 2))) = 'ST_LineString'
  AND ST_Length(ST_Intersection(ST_Boundary(c.boundary), ST_Boundary(s.boundary))::geography) > 200
ORDER BY c.code LIMIT 1`).Scan(&outer, &outerVillage, &outerPt[0], &outerPt[1]); err != nil {
		t.Fatal(err)
	}
	var otherMicro string // a micro-grid of another village
	if err := st.Pool().QueryRow(ctx, `SELECT min(code) FROM grid_version WHERE level = 'micro' AND valid_to IS NULL AND parent_code <> $1`, village).Scan(&otherMicro); err != nil {
		t.Fatal(err)
	}

	cur := func(code string) orb.MultiPolygon {
		return geomSQL(t, st, `SELECT ST_AsBinary(boundary) FROM grid_version WHERE code = $1 AND valid_to IS NULL`, code)
	}
	// A disk of r metres around p (EPSG:4326).
	disk := `ST_Buffer(ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $4)::geometry`
	disk1 := `ST_Buffer(ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3)::geometry`

	bulge := geomSQL(t, st, `SELECT ST_AsBinary(ST_Intersection(boundary, `+disk+`)) FROM grid_version WHERE code = $1 AND valid_to IS NULL`, n, edge[0], edge[1], 25.0)
	grown := geomSQL(t, st, `SELECT ST_AsBinary(ST_Multi(ST_Union(boundary, ST_Intersection(n, `+disk+`))))
FROM grid_version, (SELECT boundary n FROM grid_version WHERE code = $5 AND valid_to IS NULL) nb WHERE code = $1 AND valid_to IS NULL`, m, edge[0], edge[1], 25.0, n)
	bite := geomSQL(t, st, `SELECT ST_AsBinary(ST_Intersection(boundary, `+disk+`)) FROM grid_version WHERE code = $1 AND valid_to IS NULL`, m, edge[0], edge[1], 25.0)
	bitten := geomSQL(t, st, `SELECT ST_AsBinary(ST_Multi(ST_Difference(boundary, `+disk+`))) FROM grid_version WHERE code = $1 AND valid_to IS NULL`, m, edge[0], edge[1], 25.0)
	outside := geomSQL(t, st, `SELECT ST_AsBinary(ST_Difference(`+disk1+`, s.boundary)) FROM grid_version s WHERE s.level = 'street' AND s.valid_to IS NULL`, outerPt[0], outerPt[1], 40.0)
	overhang := geomSQL(t, st, `SELECT ST_AsBinary(ST_Multi(ST_Union(boundary, `+disk+`))) FROM grid_version WHERE code = $1 AND valid_to IS NULL`, outer, outerPt[0], outerPt[1], 40.0)
	// A corner of m, about 5 m across, cut off as its own grid.
	corner := geomSQL(t, st, `SELECT ST_AsBinary(ST_Intersection(boundary, ST_Buffer(ST_PointN(ST_ExteriorRing(ST_GeometryN(boundary, 1)), 1)::geography, 4)::geometry))
FROM grid_version WHERE code = $1 AND valid_to IS NULL`, m)
	rest := geomSQL(t, st, `SELECT ST_AsBinary(ST_Multi(ST_Difference(boundary, ST_Buffer(ST_PointN(ST_ExteriorRing(ST_GeometryN(boundary, 1)), 1)::geography, 4)::geometry)))
FROM grid_version WHERE code = $1 AND valid_to IS NULL`, m)
	c := cur(m).Bound().Center()
	const d = 0.001
	bowtie := orb.MultiPolygon{{{{c[0] - d, c[1] - d}, {c[0] + d, c[1] + d}, {c[0] + d, c[1] - d}, {c[0] - d, c[1] + d}, {c[0] - d, c[1] - d}}}}
	far := orb.MultiPolygon{{{{100, 30}, {100.01, 30}, {100.01, 30.01}, {100, 30.01}, {100, 30}}}}

	cases := []struct {
		name    string
		changes []gridmap.Change
		kind    gridmap.ProblemKind
		codes   []string
		area    float64 // expected m², 0 when the kind has none
	}{
		{"overlap", []gridmap.Change{{Kind: gridmap.ChangeReplace, Code: m, Boundary: grown}},
			gridmap.ProblemOverlap, sorted(m, n), areaM2(t, st, bulge)},
		{"gap", []gridmap.Change{{Kind: gridmap.ChangeReplace, Code: m, Boundary: bitten}},
			gridmap.ProblemGap, []string{village}, areaM2(t, st, bite)},
		{"outside parent", []gridmap.Change{{Kind: gridmap.ChangeReplace, Code: outer, Boundary: overhang}},
			gridmap.ProblemOutsideParent, []string{outer, outerVillage}, areaM2(t, st, outside)},
		{"sliver", []gridmap.Change{{Kind: gridmap.ChangeSplit, Code: m, Into: []gridmap.GridDraft{
			{Code: m, Boundary: rest}, {Code: m + "99", Boundary: corner}}}},
			gridmap.ProblemSliver, []string{m + "99"}, areaM2(t, st, corner)},
		{"invalid geometry", []gridmap.Change{{Kind: gridmap.ChangeReplace, Code: m, Boundary: bowtie}},
			gridmap.ProblemInvalidGeometry, []string{m}, 0},
		{"duplicate code", []gridmap.Change{{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{Code: n, Level: "micro", Boundary: far}}},
			gridmap.ProblemDuplicateCode, []string{n}, 0},
		{"malformed code", []gridmap.Change{{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{Code: "bad code!", Level: "micro", Boundary: far}}},
			gridmap.ProblemMalformedCode, []string{"bad code!"}, 0},
		{"unknown level", []gridmap.Change{{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{Code: "X1", Level: "block", Boundary: far}}},
			gridmap.ProblemUnknownLevel, []string{"X1"}, 0},
		{"retired parent", []gridmap.Change{{Kind: gridmap.ChangeRetire, Code: village}},
			gridmap.ProblemUnknownParent, []string{m, village}, 0},
		{"parent level", []gridmap.Change{{Kind: gridmap.ChangeMove, Code: village, Parent: ptr(otherMicro)}},
			gridmap.ProblemParentLevel, []string{village, otherMicro}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := map[string]orb.MultiPolygon{}
			for _, c := range tc.changes {
				if c.Kind == gridmap.ChangeReplace {
					before[c.Code] = cur(c.Code)
				}
			}
			pl, err := plans.CreatePlan(ctx, tc.name, "tester")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := plans.AddChanges(ctx, pl.ID, 0, tc.changes); err != nil {
				t.Fatal(err)
			}
			rep, err := plans.ValidatePlan(ctx, pl.ID, gridmap.Tolerances{})
			if err != nil {
				t.Fatal(err)
			}
			var found *gridmap.Problem
			for i, p := range rep.Problems {
				t.Logf("%s: %s (%.2f m², width %.2f m)", p.Kind, p.Message, p.AreaM2, p.WidthM)
				if p.Kind == tc.kind && strings.Join(p.Codes, ",") == strings.Join(tc.codes, ",") {
					found = &rep.Problems[i]
				}
			}
			if found == nil {
				t.Fatalf("no %s problem for %v among %d problems", tc.kind, tc.codes, len(rep.Problems))
			}
			if tc.area > 0 {
				if math.Abs(found.AreaM2-tc.area) > 0.02*tc.area+0.5 {
					t.Errorf("%s area %.2f m², want %.2f m²", tc.kind, found.AreaM2, tc.area)
				}
				if found.Geometry == nil || found.Location == nil {
					t.Errorf("%s has no geometry or location", tc.kind)
				}
			}
			if tc.kind == gridmap.ProblemInvalidGeometry && (found.Location == nil || !strings.Contains(found.Message, "Self-intersection")) {
				t.Errorf("invalid geometry: %q at %v, want a self-intersection with its location", found.Message, found.Location)
			}
			// Nothing else is reported for the clean-cut cases.
			switch tc.kind {
			case gridmap.ProblemOverlap, gridmap.ProblemGap, gridmap.ProblemOutsideParent, gridmap.ProblemSliver:
				if len(rep.Problems) != 1 {
					t.Errorf("%d problems, want only the %s", len(rep.Problems), tc.kind)
				}
			}
			// Refused: fatal problems even when forced.
			_, err = plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{Actor: "tester", Force: true, ForceReason: "test"})
			if tc.kind.Fatal() {
				wantCode(t, err, gridmap.ECONFLICT)
			} else if err != nil {
				t.Fatalf("forced publication of a %s: %v", tc.kind, err)
			} else {
				// Undo for the next case: the map is the demo again.
				undo(t, plans, tc.changes, before)
			}
		})
	}
}

// undo publishes the map back after a forced case: the boundaries before
// a replace, the two parts of a split merged again.
func undo(t *testing.T, plans *postgis.Plans, changes []gridmap.Change, before map[string]orb.MultiPolygon) {
	t.Helper()
	ctx := context.Background()
	var back []gridmap.Change
	for _, c := range changes {
		switch c.Kind {
		case gridmap.ChangeReplace:
			back = append(back, gridmap.Change{Kind: gridmap.ChangeReplace, Code: c.Code, Boundary: before[c.Code]})
		case gridmap.ChangeSplit:
			back = append(back, gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{c.Into[0].Code, c.Into[1].Code}, Grid: &gridmap.GridDraft{Code: c.Code}})
		}
	}
	pl, err := plans.CreatePlan(ctx, "undo", "tester")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.AddChanges(ctx, pl.ID, 0, back); err != nil {
		t.Fatal(err)
	}
	if _, err := plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{Actor: "tester", Force: true, ForceReason: "undo a test"}); err != nil {
		t.Fatal(err)
	}
}

func sorted(a, b string) []string {
	if a > b {
		return []string{b, a}
	}
	return []string{a, b}
}

// TestPlanChanges: what adding, removing and publishing refuse.
func TestPlanChanges(t *testing.T) {
	ctx := context.Background()
	st, plans := planStore(t)
	m, n, _, _ := demoPair(t, st)
	g, err := st.Grid(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plans.CreatePlan(ctx, "checks", "tester")
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name   string
		change gridmap.Change
		code   string
		msg    string
	}{
		{"unknown kind", gridmap.Change{Kind: "rotate", Code: m}, gridmap.EINVALID, "kind"},
		{"unknown grid", gridmap.Change{Kind: gridmap.ChangeRetire, Code: "nope"}, gridmap.EINVALID, "not a current grid"},
		{"replace nothing", gridmap.Change{Kind: gridmap.ChangeReplace, Code: m}, gridmap.EINVALID, "name, attributes or a boundary"},
		{"split in one", gridmap.Change{Kind: gridmap.ChangeSplit, Code: m, Into: []gridmap.GridDraft{{Code: "a", Boundary: g.Boundary}}}, gridmap.EINVALID, "two parts"},
		{"merge one", gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{m}, Grid: &gridmap.GridDraft{Code: m}}, gridmap.EINVALID, "two grids"},
		{"move to nowhere", gridmap.Change{Kind: gridmap.ChangeMove, Code: m, Parent: ptr("nope")}, gridmap.EINVALID, "parent nope"},
		{"stale base", gridmap.Change{Kind: gridmap.ChangeRetire, Code: m, Base: map[string]int64{m: g.Version - 1}}, gridmap.ECONFLICT, "stale"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{tc.change})
			wantCode(t, err, tc.code)
			if !strings.Contains(gridmap.ErrorMessage(err), tc.msg) {
				t.Errorf("%q does not mention %q", gridmap.ErrorMessage(err), tc.msg)
			}
		})
	}
	// A merge without a boundary gets the union; base versions are filled.
	pl, err = plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{
		{Kind: gridmap.ChangeReplace, Code: m, Name: ptr("renamed")},
		{Kind: gridmap.ChangeMerge, Codes: []string{m, n}, Grid: &gridmap.GridDraft{Code: m}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Revision != 1 || len(pl.Changes) != 2 || pl.Changes[0].Base[m] != g.Version || pl.Changes[1].Base[m] != 0 || pl.Changes[1].Base[n] == 0 {
		t.Fatalf("plan %+v: want revision 1, two changes, bases filled once per grid", pl)
	}
	union := pl.Changes[1].Grid.Boundary
	if got, want := areaM2(t, st, union), areaM2(t, st, g.Boundary); got <= want {
		t.Errorf("merged boundary %.0f m² is not larger than %s's %.0f m²", got, m, want)
	}
	// If-Match on the plan revision.
	_, err = plans.RemoveChange(ctx, pl.ID, 7, 1)
	wantCode(t, err, gridmap.EPRECONDITION)
	pl, err = plans.RemoveChange(ctx, pl.ID, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Changes) != 1 || pl.Changes[0].Kind != gridmap.ChangeMerge {
		t.Fatalf("after removing change 1: %+v", pl.Changes)
	}
	rep, err := plans.ValidatePlan(ctx, pl.ID, gridmap.Tolerances{})
	if err != nil || !rep.Valid() {
		t.Fatalf("merge of two neighbours: %v %+v", err, rep.Problems)
	}
	// Publishing needs an actor; forcing needs a reason.
	_, err = plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{})
	wantCode(t, err, gridmap.EINVALID)
	_, err = plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{Actor: "a", Force: true})
	wantCode(t, err, gridmap.EINVALID)
	res, err := plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{Actor: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.Status != gridmap.PlanPublished || res.Versions[m] == 0 || len(res.Retired) != 1 || res.Retired[0] != n {
		t.Fatalf("publish result %+v", res)
	}
	// A published plan no longer changes.
	_, err = plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{{Kind: gridmap.ChangeRetire, Code: m}})
	wantCode(t, err, gridmap.ECONFLICT)
	_, err = plans.DiscardPlan(ctx, pl.ID, "tester", 0)
	wantCode(t, err, gridmap.ECONFLICT)
	list, err := plans.ListPlans(ctx, gridmap.PlanPublished)
	if err != nil || len(list) != 1 || list[0].ID != pl.ID || list[0].ChangeCount != 1 {
		t.Fatalf("published plans: %+v %v", list, err)
	}
	_, err = plans.Plan(ctx, 999)
	wantCode(t, err, gridmap.ENOTFOUND)
}

// TestPlanStale: a plan drafted against a grid that has changed since is
// refused with the grid named; a direct edit with an old version is a
// failed precondition.
func TestPlanStale(t *testing.T) {
	ctx := context.Background()
	st, plans := planStore(t)
	m, _, _, _ := demoPair(t, st)
	g, err := st.Grid(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plans.CreatePlan(ctx, "slow", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{{Kind: gridmap.ChangeReplace, Code: m, Name: ptr("alice's name")}}); err != nil {
		t.Fatal(err)
	}
	res, err := plans.EditGrid(ctx, m, g.Version, gridmap.GridEdit{Name: ptr("bob's name")}, gridmap.PublishOptions{Actor: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = plans.EditGrid(ctx, m, g.Version, gridmap.GridEdit{Name: ptr("carol's name")}, gridmap.PublishOptions{Actor: "carol"})
	wantCode(t, err, gridmap.EPRECONDITION)

	for _, op := range []func() error{
		func() error {
			_, err := plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{Actor: "alice"})
			return err
		},
		func() error { _, err := plans.ValidatePlan(ctx, pl.ID, gridmap.Tolerances{}); return err },
		func() error { _, err := plans.PlanImpact(ctx, pl.ID); return err },
	} {
		err := op()
		wantCode(t, err, gridmap.ECONFLICT)
		var e *gridmap.Error
		if !errors.As(err, &e) {
			t.Fatal(err)
		}
		cs, _ := e.Details.(map[string]any)["conflicts"].([]gridmap.Conflict)
		if len(cs) != 1 || cs[0].Code != m || cs[0].BaseVersion != g.Version || cs[0].CurrentVersion != res.Versions[m] {
			t.Errorf("conflicts %+v, want %s from %d to %d", cs, m, g.Version, res.Versions[m])
		}
	}
	cur, _ := st.Grid(ctx, m, nil)
	if cur.Name != "bob's name" {
		t.Errorf("name %q after the refused publication", cur.Name)
	}
	// Removing the stale change makes the plan publishable again.
	if _, err := plans.RemoveChange(ctx, pl.ID, 0, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := plans.DiscardPlan(ctx, pl.ID, "alice", 0); err != nil {
		t.Fatal(err)
	}
}

// TestValidateMapDemo: the demo street is clean at the default tolerances,
// and its Voronoi seams show up once the width tolerance is below them.
func TestValidateMapDemo(t *testing.T) {
	ctx := context.Background()
	_, plans := planStore(t)
	rep, err := plans.ValidateMap(ctx, "", gridmap.Tolerances{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || rep.Grids != postgis.DefaultDemo.Grids() {
		t.Fatalf("demo street: %d grids, problems %+v", rep.Grids, rep.Problems)
	}
	rep, err = plans.ValidateMap(ctx, "micro", gridmap.Tolerances{WidthM: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Grids != postgis.DefaultDemo.Micro {
		t.Errorf("level micro: %d grids checked, want %d", rep.Grids, postgis.DefaultDemo.Micro)
	}
	for _, p := range rep.Problems {
		if p.AreaM2 > 50 || p.WidthM > 0.1 {
			t.Errorf("at width 1e-6 m: %s", p.Message)
		}
	}
	t.Logf("at a 1 µm width tolerance the demo has %d seams (%v)", len(rep.Problems), rep.Counts())
	_, err = plans.ValidateMap(ctx, "nope", gridmap.Tolerances{})
	wantCode(t, err, gridmap.EINVALID)
}

// TestPlanMembers: the people responsible follow their grids through a
// merge and a split, a draft can name them, and a plain retire leaves its
// people listed as unassigned.
func TestPlanMembers(t *testing.T) {
	ctx := context.Background()
	st, plans := planStore(t)
	m, n, village, _ := demoPair(t, st)
	members := func(code string) []string {
		t.Helper()
		ms, err := st.Members(ctx, []string{code})
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, x := range ms {
			out = append(out, x.Role+"/"+x.Name+"/"+x.Contact)
		}
		slices.Sort(out)
		return out
	}
	before, _, err := st.CurrentGrids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bound := map[string]orb.MultiPolygon{}
	for _, g := range before {
		bound[g.Code] = g.Boundary
	}
	mm, nm := members(m), members(n)
	if len(mm) == 0 || len(nm) == 0 {
		t.Fatalf("demo grids %s and %s should have members: %v %v", m, n, mm, nm)
	}
	union := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(mm), nm...))))
	publish := func(changes ...gridmap.Change) (gridmap.Impact, gridmap.PublishResult) {
		t.Helper()
		pl, err := plans.CreatePlan(ctx, "members", "tester")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plans.AddChanges(ctx, pl.ID, 0, changes); err != nil {
			t.Fatal(err)
		}
		im, err := plans.PlanImpact(ctx, pl.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{Actor: "tester"})
		if err != nil {
			t.Fatal(err)
		}
		return im, res
	}

	// Merge n into m: m has everyone, n no one.
	im, _ := publish(gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{m, n}, Grid: &gridmap.GridDraft{Code: m}})
	if len(im.RetiredMembers) != 0 {
		t.Errorf("merge: retired_members %v, want none (they move to %s)", im.RetiredMembers, m)
	}
	want := []gridmap.MemberChange{{Code: m, Before: len(mm), After: len(union), From: []string{m, n}}, {Code: n, Before: len(nm), After: 0, From: nil}}
	if len(im.Members) != 2 || im.Members[0].Code != want[0].Code || im.Members[0].After != want[0].After || im.Members[1].Code != n || im.Members[1].After != 0 {
		t.Errorf("merge impact members %+v, want %+v", im.Members, want)
	}
	if got := members(m); !slices.Equal(got, union) {
		t.Errorf("after merge %s has %v, want %v", m, got, union)
	}
	if got := members(n); len(got) != 0 {
		t.Errorf("after merge retired %s still has %v", n, got)
	}

	// Split m back: m keeps its people, the new part gets a copy.
	part := n + "9"
	publish(gridmap.Change{Kind: gridmap.ChangeSplit, Code: m, Into: []gridmap.GridDraft{
		{Code: m, Boundary: bound[m]}, {Code: part, Boundary: bound[n]}}})
	if got := members(m); !slices.Equal(got, union) {
		t.Errorf("after split %s has %v, want %v", m, got, union)
	}
	if got := members(part); !slices.Equal(got, union) {
		t.Errorf("after split the new part %s has %v, want a copy %v", part, got, union)
	}

	// A draft that names its people gets exactly them.
	named := []gridmap.Member{{Role: "worker", Name: "测试网格员", Contact: "13800000000"}}
	publish(gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{m, part}, Grid: &gridmap.GridDraft{Code: m, Members: named}})
	if got := members(m); !slices.Equal(got, []string{"worker/测试网格员/13800000000"}) {
		t.Errorf("merge with named members: %s has %v", m, got)
	}
	if got := members(part); len(got) != 0 {
		t.Errorf("after merge retired %s still has %v", part, got)
	}

	// A bad member is refused when added.
	pl, err := plans.CreatePlan(ctx, "bad member", "tester")
	if err != nil {
		t.Fatal(err)
	}
	_, err = plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{{Kind: gridmap.ChangeMerge, Codes: []string{m, village}, Grid: &gridmap.GridDraft{Code: m,
		Members: []gridmap.Member{{Role: "boss", Name: "x"}}}}})
	wantCode(t, err, gridmap.EINVALID)

	// A plain retire lists its people as unassigned and leaves them on
	// the retired grid.
	pl, err = plans.CreatePlan(ctx, "retire", "tester")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{{Kind: gridmap.ChangeRetire, Code: m}}); err != nil {
		t.Fatal(err)
	}
	im, err = plans.PlanImpact(ctx, pl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if im.RetiredMembers[m] != 1 || len(im.Members) != 0 {
		t.Errorf("retire impact: retired_members %v members %+v, want {%s: 1} and none", im.RetiredMembers, im.Members, m)
	}
}

// TestPlanChildrenFollow: merging two villages moves the micro-grids of
// the one merged away under the merged village; splitting it again puts
// each micro-grid under the part that holds it. The plan validates clean
// (no orphaned children) and the impact lists every move.
func TestPlanChildrenFollow(t *testing.T) {
	ctx := context.Background()
	st, plans := planStore(t)
	var v1, v2 string
	if err := st.Pool().QueryRow(ctx, `
SELECT a.code, b.code FROM grid_version a JOIN grid_version b ON a.code < b.code AND ST_Touches(a.boundary, b.boundary)
WHERE a.level = 'village' AND b.level = 'village' AND a.valid_to IS NULL AND b.valid_to IS NULL
ORDER BY ST_Length(ST_Intersection(a.boundary, b.boundary)) DESC LIMIT 1`).Scan(&v1, &v2); err != nil {
		t.Fatal(err)
	}
	childrenOf := func(code string) []string {
		t.Helper()
		rows, err := st.Pool().Query(ctx, `SELECT code FROM grid_version WHERE valid_to IS NULL AND parent_code = $1 ORDER BY code`, code)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	kids1, kids2 := childrenOf(v1), childrenOf(v2)
	if len(kids1) == 0 || len(kids2) == 0 {
		t.Fatalf("villages %s and %s have no micro-grids", v1, v2)
	}
	grids, _, err := st.CurrentGrids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bound := map[string]orb.MultiPolygon{}
	for _, g := range grids {
		bound[g.Code] = g.Boundary
	}
	run := func(c gridmap.Change) gridmap.Impact {
		t.Helper()
		pl, err := plans.CreatePlan(ctx, "villages", "tester")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{c}); err != nil {
			t.Fatal(err)
		}
		rep, err := plans.ValidatePlan(ctx, pl.ID, gridmap.Tolerances{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Valid() {
			t.Fatalf("%s: %d problems, first %+v", c.Kind, len(rep.Problems), rep.Problems[0])
		}
		im, err := plans.PlanImpact(ctx, pl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{Actor: "tester"}); err != nil {
			t.Fatal(err)
		}
		return im
	}

	im := run(gridmap.Change{Kind: gridmap.ChangeMerge, Codes: []string{v1, v2}, Grid: &gridmap.GridDraft{Code: v1}})
	if len(im.Reparented) != len(kids2) {
		t.Errorf("merge impact: %d reparented, want the %d micro-grids of %s: %+v", len(im.Reparented), len(kids2), v2, im.Reparented)
	}
	for _, r := range im.Reparented {
		if r.From != v2 || r.To != v1 || !slices.Contains(kids2, r.Code) || !slices.Contains(im.Changed, r.Code) {
			t.Errorf("merge impact: %+v", r)
		}
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(kids1), kids2...)))
	if got := childrenOf(v1); !slices.Equal(got, all) {
		t.Errorf("after the merge %s has children %v, want %v", v1, got, all)
	}
	if got := childrenOf(v2); len(got) != 0 {
		t.Errorf("retired %s still has children %v", v2, got)
	}

	// Giving the retired code to a new grid is allowed (undoing a merge)
	// but said: the impact lists it as reused.
	pl, err := plans.CreatePlan(ctx, "reuse", "tester")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{{Kind: gridmap.ChangeSplit, Code: v1, Into: []gridmap.GridDraft{
		{Code: v1, Boundary: bound[v1]}, {Code: v2, Boundary: bound[v2]}}}}); err != nil {
		t.Fatal(err)
	}
	if im, err := plans.PlanImpact(ctx, pl.ID); err != nil || len(im.Reused) != 1 || im.Reused[0].Code != v2 || im.Reused[0].Name == "" || im.Reused[0].RetiredAt.IsZero() {
		t.Fatalf("impact of reusing %s: %+v %v", v2, im.Reused, err)
	}
	if _, err := plans.DiscardPlan(ctx, pl.ID, "tester", 0); err != nil {
		t.Fatal(err)
	}

	v3 := v2 + "9"
	im = run(gridmap.Change{Kind: gridmap.ChangeSplit, Code: v1, Into: []gridmap.GridDraft{
		{Code: v1, Boundary: bound[v1]}, {Code: v3, Name: "新村", Boundary: bound[v2]}}})
	if len(im.Reused) != 0 {
		t.Errorf("split into the new code %s: reused %+v", v3, im.Reused)
	}
	if len(im.Reparented) != len(kids2) {
		t.Errorf("split impact: %d reparented, want %d: %+v", len(im.Reparented), len(kids2), im.Reparented)
	}
	if got := childrenOf(v1); !slices.Equal(got, kids1) {
		t.Errorf("after the split %s has children %v, want %v", v1, got, kids1)
	}
	if got := childrenOf(v3); !slices.Equal(got, kids2) {
		t.Errorf("after the split %s has children %v, want %v", v3, got, kids2)
	}
}
