package tests

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
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

// boundaryPoints returns n points exactly on the grids' boundaries: the
// first half vertices, the rest interpolated along edges. Fixed seed.
func boundaryPoints(ix *geo.Index, n int, seed uint64) (pts []orb.Point, vertices int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	var rings []orb.Ring
	for i := range ix.Len() {
		for _, poly := range ix.At(i).Boundary {
			rings = append(rings, poly...)
		}
	}
	vertices = n / 2
	pts = make([]orb.Point, n)
	for i := range pts {
		r := rings[rng.IntN(len(rings))]
		k := rng.IntN(len(r) - 1)
		a, b := r[k], r[k+1]
		if i < vertices {
			pts[i] = a
			continue
		}
		t := rng.Float64()
		pts[i] = orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	}
	return pts, vertices
}

// TestIndexMatchesPostGIS checks the in-memory index against PostGIS on the
// real counties: 100,000 points uniform and around vertices, and 20,000
// exactly on boundaries (vertices, and points along edges). The index
// answers the first (smallest code) of the counties that cover the point
// (ST_Covers: boundaries are closed). A disagreement passes only where
// float64 rounding can explain it, within 1e-7° (ST_DWithin of ST_Boundary)
// of the boundaries involved: the county named must cover the point or be
// that near, no county clearly containing it (ST_Contains, farther than
// that from its boundary) may have a smaller code, and "none" is wrong for
// a point two counties cover (a shared boundary), for a vertex, and for a
// point clearly inside.
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
	const nRandom, nBoundary = 100_000, 20_000
	pts := randomPoints(ix, nRandom, 42)
	onBoundary, vertices := boundaryPoints(ix, nBoundary, 43)
	pts = append(pts, onBoundary...)
	isVertex := func(i int) bool { return i >= nRandom && i < nRandom+vertices }
	n := len(pts)
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
SELECT p.i,
       coalesce(array_agg(g.code ORDER BY g.code) FILTER (WHERE g.code IS NOT NULL), '{}'),
       coalesce(array_agg(g.code ORDER BY g.code) FILTER (WHERE ST_Contains(g.boundary, p.pt)), '{}')
FROM (SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS pt FROM pts) p
LEFT JOIN grid_version g ON g.valid_to IS NULL AND ST_Covers(g.boundary, p.pt)
GROUP BY p.i`)
	if err != nil {
		t.Fatal(err)
	}
	covers := make([][]string, n)
	contains := make([][]string, n)
	for rows.Next() {
		var i int
		var cov, con []string
		if err := rows.Scan(&i, &cov, &con); err != nil {
			t.Fatal(err)
		}
		covers[i], contains[i] = cov, con
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	inside, shared, disagree, tolerated := 0, 0, 0, 0
	for i := range pts {
		code := ""
		if got[i] >= 0 {
			code = ix.At(int(got[i])).Code
		}
		if len(covers[i]) > 0 {
			inside++
		}
		if len(covers[i]) > 1 {
			shared++
		}
		if (code == "" && len(covers[i]) == 0) || (len(covers[i]) > 0 && code == covers[i][0]) {
			continue
		}
		disagree++
		// The counties involved whose boundary passes within 1e-7° of the point.
		var near []string
		if err := tx.QueryRow(ctx, `
SELECT coalesce(array_agg(code), '{}') FROM grid_version
WHERE valid_to IS NULL AND code = ANY($3)
  AND ST_DWithin(ST_Boundary(boundary), ST_SetSRID(ST_MakePoint($1, $2), 4326), 1e-7)`,
			pts[i][0], pts[i][1], append([]string{code}, covers[i]...)).Scan(&near); err != nil {
			t.Fatal(err)
		}
		var why string
		if code == "" {
			switch {
			case len(covers[i]) > 1:
				why = "the point is on a boundary they share"
			case isVertex(i):
				why = "the point is a vertex"
			case len(contains[i]) > 0 && !slices.Contains(near, contains[i][0]):
				why = "the point is clearly inside"
			}
		} else {
			if !slices.Contains(covers[i], code) && !slices.Contains(near, code) {
				why = code + " does not cover the point and is not at its edge"
			}
			for _, c := range contains[i] {
				if c < code && !slices.Contains(near, c) {
					why = c + " clearly contains the point and comes first"
					break
				}
			}
		}
		if why == "" {
			tolerated++
			continue
		}
		if disagree-tolerated <= 10 {
			t.Errorf("point %d %v: index says %q; PostGIS ST_Covers %v, ST_Contains %v: %s", i, pts[i], code, covers[i], contains[i], why)
		}
	}
	t.Logf("%d points (%d on boundaries, %d of them vertices): %d in a county, %d in two or more (index gives the smallest code); %d disagreements, %d of them tolerated within 1e-7° of a boundary",
		n, nBoundary, vertices, inside, shared, disagree, tolerated)
	if disagree != tolerated {
		t.Errorf("%d disagreements that rounding at a boundary does not explain", disagree-tolerated)
	}
}
