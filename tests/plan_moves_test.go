package tests

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/postgis"
)

// TestPlanMovesMatchPostGIS: a plan that redraws grids in five villages
// apart (benchPlan10's bites) and adds two grids over cases outside every
// grid, west and east of the street, moves exactly the cases PostGIS says
// it must (a case whose grid no longer covers it goes to the changed grid
// that does), in its impact and in its publication. The cases are found in
// a map index read around each grid and loose case, not one box over all.
func TestPlanMovesMatchPostGIS(t *testing.T) {
	ctx := context.Background()
	st, err := postgis.Open(ctx, demoIncidentsDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pool := st.Pool()
	changes := biteChanges(t, pool)

	// Two cases outside every grid, each under a square the plan adds.
	var x0, y0, x1, y1 float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(boundary) e FROM grid_version WHERE valid_to IS NULL) s`).Scan(&x0, &y0, &x1, &y1); err != nil {
		t.Fatal(err)
	}
	grids, version, err := st.CurrentGrids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		t.Fatal(err)
	}
	mid := (y0 + y1) / 2
	loose := []orb.Point{{x0 - 0.02, mid}, {x1 + 0.02, mid}}
	rows := func(yield func(intake.Checked, error) bool) {
		for i, p := range loose {
			in := gridmap.Incident{ExternalID: fmt.Sprintf("LOOSE-%d", i), Category: gridmap.CategoryDispute, Source: gridmap.SourceHotline,
				Location: p, ReportedAt: time.Now().Add(-time.Hour).Truncate(time.Second)}
			if !yield(intake.Checked{Index: i, Incident: in, CRS: geo.WGS84}, nil) {
				return
			}
		}
	}
	if _, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{}, intake.Assign(rows, ix, version)); err != nil {
		t.Fatal(err)
	}
	for i, p := range loose {
		d := 0.002
		sq := orb.MultiPolygon{{{{p[0] - d, p[1] - d}, {p[0] + d, p[1] - d}, {p[0] + d, p[1] + d}, {p[0] - d, p[1] + d}, {p[0] - d, p[1] - d}}}}
		root := ""
		changes = append(changes, gridmap.Change{Kind: gridmap.ChangeAdd, Grid: &gridmap.GridDraft{
			Code: fmt.Sprintf("99990000000%d", i), Name: fmt.Sprintf("测试新增网格%d", i), Level: gridmap.LevelMicro, Parent: &root, Boundary: sq}})
	}

	// What PostGIS says: each case of a changed grid, or in no grid, whose
	// grid (before) does not cover it in the plan's map, goes to the
	// changed grid that covers it.
	plans := postgis.NewPlans(st)
	pl, err := plans.CreatePlan(ctx, "moves across the street", "tester")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.AddChanges(ctx, pl.ID, 0, changes); err != nil {
		t.Fatal(err)
	}
	var codes []string
	var wkbs [][]byte
	for _, c := range changes {
		code, b := c.Code, c.Boundary
		if c.Grid != nil {
			code, b = c.Grid.Code, c.Grid.Boundary
		}
		codes = append(codes, code)
		w, err := wkb.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		wkbs = append(wkbs, w)
	}
	wr, err := pool.Query(ctx, `
WITH planned AS (SELECT * FROM unnest($1::text[], $2::bytea[]) p(code, wkb)),
     pg AS (SELECT code, ST_SetSRID(ST_GeomFromWKB(wkb), 4326) g FROM planned)
SELECT coalesce(i.grid_code, ''), (SELECT p.code FROM pg p WHERE ST_Covers(p.g, i.location) ORDER BY p.code LIMIT 1), count(*)
FROM incident i LEFT JOIN pg o ON o.code = i.grid_code
WHERE (i.grid_code = ANY($1) OR i.grid_code IS NULL) AND NOT coalesce(ST_Covers(o.g, i.location), false)
GROUP BY 1, 2 ORDER BY 1, 2`, codes, wkbs)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for wr.Next() {
		var from string
		var to *string
		var n int
		if err := wr.Scan(&from, &to, &n); err != nil {
			t.Fatal(err)
		}
		if to == nil {
			t.Fatalf("%d cases of %q are in no planned grid", n, from)
		}
		want = append(want, fmt.Sprintf("%s→%s:%d", from, *to, n))
	}
	if wr.Err() != nil {
		t.Fatal(wr.Err())
	}
	slices.Sort(want)
	flows := func(fs []gridmap.IncidentFlow) []string {
		var out []string
		for _, f := range fs {
			out = append(out, fmt.Sprintf("%s→%s:%d", f.From, f.To, f.Incidents))
		}
		slices.Sort(out)
		return out
	}
	im, err := plans.PlanImpact(ctx, pl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := flows(im.Flows); !slices.Equal(got, want) || !slices.Contains(got, "→999900000000:1") || !slices.Contains(got, "→999900000001:1") || len(got) < 4 {
		t.Fatalf("impact flows %v; PostGIS says %v (want one loose case into each added grid, and bites in two villages or more)", got, want)
	}
	res, err := plans.PublishPlan(ctx, pl.ID, gridmap.PublishOptions{Actor: "tester", Force: true, ForceReason: "the added test grids lie outside the street"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reassigned != im.Moved {
		t.Errorf("publication moved %d cases; the impact said %d", res.Reassigned, im.Moved)
	}
	var wrong int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM incident i JOIN grid_version g ON g.code = i.grid_code AND g.valid_to IS NULL
WHERE i.grid_code = ANY($1) AND NOT ST_Covers(g.boundary, i.location)`, codes).Scan(&wrong); err != nil || wrong != 0 {
		t.Errorf("after publication %d cases of the changed grids lie outside their grid (%v)", wrong, err)
	}
	t.Logf("moves %v", want)
}
