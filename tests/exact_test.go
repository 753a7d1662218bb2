package tests

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/internal/gridio"
	"github.com/gridmap/gridmap/internal/shareddata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// countiesStore returns a store holding the 2,735 real county polygons as
// level "county", repaired with --make-valid as a user would import them.
func countiesStore(tb testing.TB) *postgis.Store {
	tb.Helper()
	path := shareddata.Path(tb, shareddata.Counties)
	st := testdb.Store(tb)
	ctx := context.Background()
	if _, err := st.Pool().Exec(ctx, `INSERT INTO grid_level VALUES ('county', 0, '县级', 'County')`); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := st.ImportGrids(ctx, postgis.ImportOptions{Level: "county", MakeValid: true},
		gridio.ReadGeoJSON(f, gridio.Props{Code: "adcode", Name: "name"})); err != nil {
		tb.Fatal(err)
	}
	return st
}

// randomPoints: half uniform over the data's bounds, half jittered around
// polygon vertices, where boundaries make lookups hard. Fixed seed.
func randomPoints(ix *geo.Index, n int, seed uint64) []orb.Point {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b orb.Bound
	var verts []orb.Point
	for i := range ix.Len() {
		g := ix.At(i)
		if i == 0 {
			b = g.Boundary.Bound()
		} else {
			b = b.Union(g.Boundary.Bound())
		}
		for _, poly := range g.Boundary {
			verts = append(verts, poly[0]...)
		}
	}
	pts := make([]orb.Point, n)
	for i := range pts {
		if i%2 == 0 {
			pts[i] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		} else {
			v := verts[rng.IntN(len(verts))]
			pts[i] = orb.Point{v[0] + (rng.Float64()-0.5)*0.02, v[1] + (rng.Float64()-0.5)*0.02}
		}
	}
	return pts
}

// TestIndexMatchesPostGIS checks the in-memory index against PostGIS
// ST_Contains on the real counties with 100,000 points: any disagreement must
// lie within 1e-7 degrees of a boundary.
func TestIndexMatchesPostGIS(t *testing.T) {
	ctx := context.Background()
	st := countiesStore(t)
	grids, _, err := st.CurrentGrids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100_000
	pts := randomPoints(ix, n, 42)
	got := make([]int32, n)
	ix.LookupBatch(pts, got)

	tx, err := st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE pts (i int, x float8, y float8)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"pts"}, []string{"i", "x", "y"}, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		return []any{i, pts[i][0], pts[i][1]}, nil
	})); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `
SELECT p.i, array_remove(array_agg(g.code ORDER BY g.code), NULL)
FROM pts p LEFT JOIN grid_version g
  ON g.valid_to IS NULL AND ST_Contains(g.boundary, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
GROUP BY p.i`)
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]string, n)
	for rows.Next() {
		var i int
		var codes []string
		if err := rows.Scan(&i, &codes); err != nil {
			t.Fatal(err)
		}
		want[i] = codes
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	inside, overlaps, disagree, nearEdge := 0, 0, 0, 0
	for i := range pts {
		code := ""
		if got[i] >= 0 {
			code = ix.At(int(got[i])).Code
		}
		if len(want[i]) > 0 {
			inside++
		}
		if len(want[i]) > 1 {
			overlaps++
		}
		agree := (code == "" && len(want[i]) == 0) || (len(want[i]) > 0 && code == want[i][0])
		if agree {
			continue
		}
		disagree++
		// Allowed only within 1e-7° of the boundary of a grid involved.
		involved := append([]string{code}, want[i]...)
		var near bool
		if err := tx.QueryRow(ctx, `
SELECT coalesce(bool_or(ST_DWithin(ST_Boundary(boundary), ST_SetSRID(ST_MakePoint($1, $2), 4326), 1e-7)), false)
FROM grid_version WHERE valid_to IS NULL AND code = ANY($3)`, pts[i][0], pts[i][1], involved).Scan(&near); err != nil {
			t.Fatal(err)
		}
		if near {
			nearEdge++
			continue
		}
		if disagree-nearEdge <= 10 {
			t.Errorf("point %d %v: index says %q, PostGIS ST_Contains says %v", i, pts[i], code, want[i])
		}
	}
	t.Logf("%d points, %d inside a county, %d in two overlapping counties (index gives the smallest code); %d disagreements, all within 1e-7° of a boundary: %v",
		n, inside, overlaps, disagree, disagree == nearEdge)
	if disagree != nearEdge {
		t.Errorf("%d disagreements away from any boundary", disagree-nearEdge)
	}
}
