package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/postgis"
)

// demoIndex returns a store on the demo street and the index of its
// current grids.
func demoIndex(tb testing.TB) (*postgis.Store, *geo.Index) {
	tb.Helper()
	ctx := context.Background()
	st, err := postgis.Open(ctx, demoDB(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(st.Close)
	grids, _, err := st.CurrentGrids(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		tb.Fatal(err)
	}
	return st, ix
}

// patrolTracks returns n random walks over the street (fixed seed): each
// starts inside a micro-grid and takes 2 to 80 steps of up to about
// 60 m, with now and then a GPS jump of up to about 600 m.
func patrolTracks(ix *geo.Index, n int, seed uint64) []orb.LineString {
	rng := rand.New(rand.NewPCG(seed, 15))
	var micro []*gridmap.Grid
	for i := range ix.Len() {
		if g := ix.At(i); g.Level == gridmap.LevelMicro {
			micro = append(micro, g)
		}
	}
	out := make([]orb.LineString, 0, n)
	for len(out) < n {
		b := micro[rng.IntN(len(micro))].Boundary.Bound()
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		ls := orb.LineString{p}
		for range 1 + rng.IntN(80) {
			step := 0.0006
			if rng.IntN(30) == 0 {
				step = 0.006
			}
			p = orb.Point{p[0] + (rng.Float64()-0.5)*step*1.2, p[1] + (rng.Float64()-0.5)*step}
			ls = append(ls, p)
		}
		out = append(out, ls)
	}
	return out
}

const sqlTrackMicro = `
SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM grid_version
WHERE valid_to IS NULL AND level = 'micro' AND ST_Intersects(boundary, ST_GeomFromText($1, 4326))`

func microCodes(ix *geo.Index, ls orb.LineString) []string {
	out := []string{}
	for _, v := range ix.VisitedGrids(ls, func(g *gridmap.Grid) bool { return g.Level == gridmap.LevelMicro }) {
		out = append(out, v.Grid.Code)
	}
	return out
}

// TestVisitedGridsMatchPostGIS: the micro-grids of random tracks over the
// demo street, in memory (geo.Index.VisitedGrids), equal PostGIS
// ST_Intersects(track, boundary).
func TestVisitedGridsMatchPostGIS(t *testing.T) {
	ctx := context.Background()
	st, ix := demoIndex(t)
	tracks := patrolTracks(ix, 2000, 1)
	grids := 0
	for i, ls := range tracks {
		var want []string
		if err := st.Pool().QueryRow(ctx, sqlTrackMicro, wkt.MarshalString(ls)).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got := microCodes(ix, ls)
		if !slices.Equal(got, want) {
			t.Fatalf("track %d (%d points): in memory %v, PostGIS %v\n%s", i, len(ls), got, want, wkt.MarshalString(ls))
		}
		grids += len(got)
	}
	if grids < len(tracks) {
		t.Fatalf("only %d grids visited by %d tracks: the tracks miss the street", grids, len(tracks))
	}
	t.Logf("%d tracks, %d grid visits, all equal", len(tracks), grids)
}

// BenchmarkVisitedGrids: one track's visited micro-grids, in memory and by
// a PostGIS ST_Intersects query (GiST index on the boundaries, one round
// trip on loopback), in the same run.
func BenchmarkVisitedGrids(b *testing.B) {
	ctx := context.Background()
	st, ix := demoIndex(b)
	tracks := patrolTracks(ix, 1024, 2)
	texts := make([]string, len(tracks))
	points := 0
	for i, ls := range tracks {
		texts[i] = wkt.MarshalString(ls)
		points += len(ls)
	}
	b.Logf("%d tracks, %.1f points a track", len(tracks), float64(points)/float64(len(tracks)))
	b.Run("memory", func(b *testing.B) {
		i := 0
		for b.Loop() {
			microCodes(ix, tracks[i%len(tracks)])
			i++
		}
	})
	b.Run("postgis", func(b *testing.B) {
		i := 0
		var codes []string
		for b.Loop() {
			if err := st.Pool().QueryRow(ctx, sqlTrackMicro, texts[i%len(texts)]).Scan(&codes); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkPatrolStats: GET /api/v1/stats/patrol's query (the SQL
// aggregate over the stored pieces' grids) on a demo-sized year: 57
// workers, ~13,700 logs, two pieces a log, each through 3–8 micro-grids;
// over a week, a month and the year.
func BenchmarkPatrolStats(b *testing.B) {
	ctx := context.Background()
	st, ix := demoIndex(b)
	var codes []string
	for _, g := range ix.OfLevel(gridmap.LevelMicro) {
		codes = append(codes, g.Code)
	}
	for i := range 57 {
		if _, _, err := st.CreateToken(ctx, fmt.Sprintf("网格员%02d", i+1), gridmap.RoleReporter, ""); err != nil {
			b.Fatal(err)
		}
	}
	year := time.Date(2026, 1, 1, 0, 0, 0, 0, gridmap.ChinaTime)
	if _, err := st.Pool().Exec(ctx, `
INSERT INTO worklog (token_id, worker, role, day)
SELECT t.id, t.name, 'reporter', d::date
FROM api_token t, generate_series($1::date, $1::date + 364, '1 day') d
WHERE t.role = 'reporter' AND random() < 0.66`, year); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `
INSERT INTO worklog_track (worklog_id, client_id, track, started_at, ended_at, metres, grids, grid_metres)
SELECT w.id, 'p' || k, ST_SetSRID('LINESTRING M (116.83 35.55 0, 116.831 35.551 60)'::geometry, 4326),
       w.day + time '09:00' + k * interval '3 hours', w.day + time '10:00' + k * interval '3 hours', 1500, g.codes, g.metres
FROM worklog w, generate_series(0, 1) k,
LATERAL (SELECT array_agg(c) AS codes, array_agg(300.0) AS metres FROM (
    SELECT ($1::text[])[1 + floor(random() * cardinality($1::text[]))::int] AS c
    FROM generate_series(1, 3 + (w.id + k) % 6) WHERE w.id > 0) s) g`, codes); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `ANALYZE worklog; ANALYZE worklog_track`); err != nil {
		b.Fatal(err)
	}
	var logs, pieces int
	_ = st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM worklog), (SELECT count(*) FROM worklog_track)`).Scan(&logs, &pieces)
	b.Logf("%d logs, %d pieces", logs, pieces)
	for _, w := range []struct {
		name string
		days int
	}{{"week", 7}, {"month", 30}, {"year", 365}} {
		b.Run(w.name, func(b *testing.B) {
			from := year.AddDate(0, 6, 0)
			to := from.AddDate(0, 0, w.days)
			if w.days == 365 {
				from, to = year, year.AddDate(1, 0, 0)
			}
			for b.Loop() {
				if _, err := st.PatrolStats(ctx, from, to); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
