package postgis_test

import (
	"context"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

func TestDemo(t *testing.T) {
	ctx := context.Background()
	st := testdb.Store(t)
	outline, err := demodata.Yanzhou()
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Demo(ctx, outline, postgis.DefaultDemo)
	if err != nil {
		t.Fatalf("Demo: %v", err)
	}
	if res.Inserted != postgis.DefaultDemo.Grids() {
		t.Errorf("inserted %d grids, want %d", res.Inserted, postgis.DefaultDemo.Grids())
	}
	count := map[gridmap.Level]int{}
	err = st.ListGrids(ctx, gridmap.GridFilter{}, func(g gridmap.Grid) error {
		count[g.Level]++
		if g.Attributes["synthetic"] != true {
			t.Errorf("grid %s does not say it is synthetic", g.Code)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[gridmap.Level]int{gridmap.LevelStreet: 1, gridmap.LevelVillage: postgis.DefaultDemo.Villages, gridmap.LevelMicro: postgis.DefaultDemo.Micro}
	for l, n := range want {
		if count[l] != n {
			t.Errorf("level %s: %d grids, want %d", l, count[l], n)
		}
	}

	// The children of each level tile their parent: same area, and the
	// symmetric difference is negligible (float noise only).
	var streetKm2, gapKm2, overlapKm2, villageGapKm2 float64
	err = st.Pool().QueryRow(ctx, `
WITH s AS (SELECT boundary b FROM grid_version WHERE level = 'street' AND valid_to IS NULL),
     m AS (SELECT ST_Union(boundary) b FROM grid_version WHERE level = 'micro' AND valid_to IS NULL),
     o AS (SELECT coalesce(sum(ST_Area(ST_Intersection(a.boundary, b.boundary)::geography)), 0) a
           FROM grid_version a JOIN grid_version b
             ON a.code < b.code AND a.boundary && b.boundary AND ST_Relate(a.boundary, b.boundary, '2********')
           WHERE a.level = 'micro' AND b.level = 'micro' AND a.valid_to IS NULL AND b.valid_to IS NULL),
     v AS (SELECT ST_Union(boundary) b FROM grid_version WHERE level = 'village' AND valid_to IS NULL)
SELECT ST_Area(s.b::geography) / 1e6,
       ST_Area(ST_SymDifference(s.b, m.b)::geography) / 1e6,
       o.a / 1e6,
       ST_Area(ST_SymDifference(s.b, v.b)::geography) / 1e6
FROM s, m, v, o`).Scan(&streetKm2, &gapKm2, &overlapKm2, &villageGapKm2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("street %.2f km², micro gap %.3g km², micro overlap %.3g km², village gap %.3g km²", streetKm2, gapKm2, overlapKm2, villageGapKm2)
	if streetKm2 < 50 || streetKm2 > 80 {
		t.Errorf("street is %.1f km², want 50–80", streetKm2)
	}
	const eps = 1e-6 // km², i.e. 1 m²
	if gapKm2 > eps || overlapKm2 > eps || villageGapKm2 > eps {
		t.Errorf("children do not tile the street: micro gap %g km², overlap %g km², village gap %g km²", gapKm2, overlapKm2, villageGapKm2)
	}
	// Every micro-grid lies in its parent village.
	var strays int
	if err := st.Pool().QueryRow(ctx, `
SELECT count(*) FROM grid_version m JOIN grid_version v ON v.code = m.parent_code AND v.valid_to IS NULL
WHERE m.level = 'micro' AND m.valid_to IS NULL
  AND ST_Area(ST_Difference(m.boundary, v.boundary)::geography) > 1`).Scan(&strays); err != nil {
		t.Fatal(err)
	}
	if strays != 0 {
		t.Errorf("%d micro-grids stick out of their village", strays)
	}
	ms, err := st.Members(ctx, []string{"370812001000", "370812001001", "37081200100101"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 3 {
		t.Errorf("members of street, first village and first micro-grid: %+v", ms)
	}
	var workers int
	if err := st.Pool().QueryRow(ctx, `SELECT count(DISTINCT name) FROM grid_member WHERE role = 'worker'`).Scan(&workers); err != nil {
		t.Fatal(err)
	}
	if workers != 57 {
		t.Errorf("%d grid workers, want 57", workers)
	}

	// Deterministic: a second run changes nothing.
	res, err = st.Demo(ctx, outline, postgis.DefaultDemo)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged != postgis.DefaultDemo.Grids() || res.Inserted != 0 || res.Updated != 0 {
		t.Errorf("second demo run: %+v, want all %d unchanged", res, postgis.DefaultDemo.Grids())
	}
}
