package postgis_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/gridio"
	"github.com/gridmap/gridmap/internal/shareddata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// BenchmarkValidateCounties validates the 2,735 real county polygons as one
// level (gridmap validate --level county). The baseline is the bare
// overlap query — every intersecting pair's ST_Intersection, nothing else
// — on the same data in the same run.
func BenchmarkValidateCounties(b *testing.B) {
	ctx := context.Background()
	st := testdb.Store(b)
	if _, err := st.Pool().Exec(ctx, `INSERT INTO grid_level VALUES ('county', 0, '县级', 'County')`); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(shareddata.Path(b, shareddata.Counties))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := st.ImportGrids(ctx, postgis.ImportOptions{Level: "county", MakeValid: true},
		gridio.ReadGeoJSON(f, gridio.Props{Code: "adcode", Name: "name"})); err != nil {
		b.Fatal(err)
	}
	plans := postgis.NewPlans(st)
	b.Run("validate", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			rep, err := plans.ValidateMap(ctx, "county", gridmap.Tolerances{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(rep.Problems)), "problems")
		}
	})
	b.Run("baseline-bare-overlaps", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := st.Pool().QueryRow(ctx, `
SELECT count(*) FROM grid_version a JOIN grid_version b ON a.code < b.code AND a.boundary && b.boundary
WHERE a.valid_to IS NULL AND b.valid_to IS NULL AND ST_Intersects(a.boundary, b.boundary)
  AND NOT ST_IsEmpty(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 3))`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n), "pairs")
		}
	})
}

// BenchmarkPlanDemo measures a planner's change to the demo street: one
// micro-grid's boundary moved into its neighbour and back, validated, and
// published (draft, add the change, publish: new versions, incidents
// moved, audit). Each publication alternates between the two boundaries so
// every iteration really changes the map.
func BenchmarkPlanDemo(b *testing.B) {
	ctx := context.Background()
	st, plans := planStore(b)
	seedIncidents(b, st, 47) // about the demo's 11,300
	m, n, _, edge := demoPair(b, st)
	disk := `ST_Buffer(ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, 30)::geometry`
	// m takes a bite of n, and n gives it: a clean boundary move.
	mGrown := geomSQL(b, st, `SELECT ST_AsBinary(ST_Multi(ST_Union(a.boundary, ST_Intersection(nb.boundary, `+disk+`))))
FROM grid_version a, grid_version nb WHERE a.code = $1 AND nb.code = $4 AND a.valid_to IS NULL AND nb.valid_to IS NULL`, m, edge[0], edge[1], n)
	nShrunk := geomSQL(b, st, `SELECT ST_AsBinary(ST_Multi(ST_Difference(boundary, `+disk+`))) FROM grid_version WHERE code = $1 AND valid_to IS NULL`, n, edge[0], edge[1])
	g1, _ := st.Grid(ctx, m, nil)
	g2, _ := st.Grid(ctx, n, nil)
	states := [2][2]orb.MultiPolygon{{mGrown, nShrunk}, {g1.Boundary, g2.Boundary}}

	draft := func(i int) int64 {
		pl, err := plans.CreatePlan(ctx, fmt.Sprint("bench ", i), "bench")
		if err != nil {
			b.Fatal(err)
		}
		s := states[i%2]
		if _, err := plans.AddChanges(ctx, pl.ID, 0, []gridmap.Change{
			{Kind: gridmap.ChangeReplace, Code: m, Boundary: s[0]},
			{Kind: gridmap.ChangeReplace, Code: n, Boundary: s[1]},
		}); err != nil {
			b.Fatal(err)
		}
		return pl.ID
	}
	b.Run("validate", func(b *testing.B) {
		id := draft(0)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			rep, err := plans.ValidatePlan(ctx, id, gridmap.Tolerances{})
			if err != nil || !rep.Valid() {
				b.Fatalf("%v %+v", err, rep.Problems)
			}
		}
	})
	b.Run("draft-validate-publish", func(b *testing.B) {
		i := 0
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			id := draft(i)
			if rep, err := plans.ValidatePlan(ctx, id, gridmap.Tolerances{}); err != nil || !rep.Valid() {
				b.Fatalf("%v %+v", err, rep.Problems)
			}
			if _, err := plans.PublishPlan(ctx, id, gridmap.PublishOptions{Actor: "bench"}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("baseline-whole-map-validate", func(b *testing.B) {
		for b.Loop() {
			if _, err := plans.ValidateMap(ctx, "", gridmap.Tolerances{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// seedIncidents stores perGrid incidents at seeded random points inside
// every micro-grid, assigned to it (as the demo's incidents are).
func seedIncidents(tb testing.TB, st *postgis.Store, perGrid int) {
	tb.Helper()
	// The key first (migration 00020), in the rows' months.
	if _, err := st.Pool().Exec(context.Background(), `
SELECT gridmap_ensure_incident_month(m::date)
FROM generate_series(date_trunc('month', now() - $1 * interval '1 day' - interval '1 month'), now(), interval '1 month') m`, perGrid); err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Pool().Exec(context.Background(), `
WITH src AS (
    SELECT nextval('incident_id_seq') AS id, 'SEED-' || g.code || '-' || d.path[1] AS external_id,
           d.path[1] AS n, now() - d.path[1] * interval '1 day' AS reported_at, d.geom, g.code
    FROM grid_version g, ST_Dump(ST_GeneratePoints(g.boundary, $1, 7)) d
    WHERE g.level = 'micro' AND g.valid_to IS NULL),
k AS (INSERT INTO incident_key (id, external_id, reported_at) SELECT id, external_id, reported_at FROM src)
INSERT INTO incident (id, external_id, category, source, status, reported_at, location, grid_code, boundary_version)
SELECT id, external_id, 'dispute', 'hotline',
       CASE WHEN n % 3 = 0 THEN 'in_progress' ELSE 'closed' END,
       reported_at, geom, code, (SELECT data_version FROM gridmap_state)
FROM src`, perGrid); err != nil {
		tb.Fatal(err)
	}
}
