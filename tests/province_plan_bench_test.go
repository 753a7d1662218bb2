package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/postgis"
)

// benchPlan10 measures a plan touching 10 micro-grids through the plans
// API of instance a (in-process, as admin): in five villages spread over
// the data set, one micro-grid takes a bite of its neighbour (a disk on
// their shared edge, 0.3 of the neighbour's width across), both
// redrawn; then validate, impact, publish, and the instance's own index
// and tile set at the published version. It runs the plan and then its reverse (the
// old boundaries), so the data set ends as it began; each step is
// reported as the mean of the two, in ms.
func benchPlan10(b *testing.B, a *app.App) {
	pairs := planPairs(b, a.Store.Pool())
	call := func(method, path string, body any, hdr map[string]string, v any) (*httptest.ResponseRecorder, time.Duration) {
		var rd *bytes.Reader
		if body != nil {
			buf, err := json.Marshal(body)
			if err != nil {
				b.Fatal(err)
			}
			rd = bytes.NewReader(buf)
		} else {
			rd = bytes.NewReader(nil)
		}
		r := httptest.NewRequest(method, path, rd)
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		t0 := time.Now()
		a.Handler.ServeHTTP(w, r)
		d := time.Since(t0)
		if w.Code >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		if v != nil {
			if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
				b.Fatalf("%s %s: %v", method, path, err)
			}
		}
		return w, d
	}
	steps := []string{"create", "redraw-10", "validate", "impact", "publish", "instance-ready", "tiles-ready"}
	sum := map[string]time.Duration{}
	moved := 0
	for round := range 2 {
		var changes []any
		for _, p := range pairs {
			mb, nb := p.mGrown, p.nShrunk
			if round == 1 {
				mb, nb = p.mBefore, p.nBefore
			}
			changes = append(changes,
				map[string]any{"kind": "replace", "code": p.m, "boundary": mb},
				map[string]any{"kind": "replace", "code": p.n, "boundary": nb})
		}
		var pl planResp
		_, d := call("POST", "/api/v1/plans", map[string]any{"title": fmt.Sprintf("bench: 10 grids, round %d", round), "actor": "bench"}, nil, &pl)
		sum["create"] += d
		w, d := call("POST", fmt.Sprintf("/api/v1/plans/%d/changes", pl.ID), map[string]any{"changes": changes}, nil, &pl)
		sum["redraw-10"] += d
		etag := w.Header().Get("ETag")
		var rep topoReportResp
		// width_m=0.5: the synthetic province tiles its villages to float
		// noise, gaps of a decimetre along some children (372 m² by 0.1 m in
		// 370911009003), which the default 0.1 m would call gaps.
		_, d = call("POST", fmt.Sprintf("/api/v1/plans/%d/validate?width_m=0.5", pl.ID), nil, nil, &rep)
		sum["validate"] += d
		if !rep.Valid || rep.Grids < 10 {
			for _, f := range rep.Features {
				b.Logf("%s %v %.3g m²: %s", f.Properties.Kind, f.Properties.Codes, f.Properties.AreaM2, f.Properties.Message)
			}
			b.Fatalf("round %d: plan not valid (%d grids checked): %+v", round, rep.Grids, rep.Counts)
		}
		var im planImpactResp
		_, d = call("GET", fmt.Sprintf("/api/v1/plans/%d/impact", pl.ID), nil, nil, &im)
		sum["impact"] += d
		var pub planPublishResp
		t0 := time.Now()
		// Forced for the same gaps: publication validates with the default
		// tolerances. The work is the same.
		_, d = call("POST", fmt.Sprintf("/api/v1/plans/%d/publish", pl.ID), map[string]any{"actor": "bench", "force": true,
			"force_reason": "float noise of the synthetic tiling (decimetre gaps)"}, map[string]string{"If-Match": etag}, &pub)
		sum["publish"] += d
		moved += pub.Reassigned
		// The instance's own map at the published version (bounded wait).
		for i := 0; ; i++ {
			if _, v := a.Live.Index(); v >= pub.DataVersion {
				break
			}
			if i == 60_000 {
				b.Fatalf("round %d: the instance did not reach version %d in 10 minutes", round, pub.DataVersion)
			}
			time.Sleep(10 * time.Millisecond)
		}
		sum["instance-ready"] += time.Since(t0)
		// And its vector tiles of the new map.
		if _, _, err := a.Live.TileSet(context.Background(), pub.DataVersion); err != nil {
			b.Fatalf("round %d: tiles at version %d: %v", round, pub.DataVersion, err)
		}
		sum["tiles-ready"] += time.Since(t0)
		b.Logf("round %d: %d grids checked, %d cases moved (impact said %d), version %d", round, rep.Grids, pub.Reassigned, im.Moved, pub.DataVersion)
	}
	for _, s := range steps {
		b.ReportMetric(float64(sum[s].Microseconds())/2000, s+"-ms")
	}
	b.ReportMetric(float64(moved)/2, "cases-moved")
}

// planPair is a micro-grid m that takes a bite of its neighbour n, with
// both boundaries before and after.
type planPair struct {
	m, n             string
	mGrown, nShrunk  json.RawMessage
	mBefore, nBefore json.RawMessage
}

// planPairs picks five villages spread over the data set and, in each,
// the two micro-grids with the longest shared edge.
func planPairs(b testing.TB, pool *pgxpool.Pool) []planPair {
	ctx := context.Background()
	rows, err := pool.Query(ctx, `
WITH v AS (SELECT code FROM grid_version WHERE level = 'village' AND valid_to IS NULL ORDER BY md5(code) LIMIT 5),
p AS (
  SELECT DISTINCT ON (a.parent_code) a.code ac, b.code bc,
         ST_LineInterpolatePoint(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 2)), 0.5) pt
  FROM v JOIN grid_version a ON a.parent_code = v.code AND a.level = 'micro' AND a.valid_to IS NULL
  JOIN grid_version b ON b.parent_code = v.code AND b.level = 'micro' AND b.valid_to IS NULL AND a.code < b.code
  WHERE ST_Touches(a.boundary, b.boundary)
    AND ST_GeometryType(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 2))) = 'ST_LineString'
  ORDER BY a.parent_code, ST_Length(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 2))) DESC, a.code)
SELECT p.ac, p.bc,
       ST_AsGeoJSON(ST_Multi(ST_Union(a.boundary, bite)), 15),
       ST_AsGeoJSON(ST_Multi(ST_Difference(b.boundary, bite)), 15),
       ST_AsGeoJSON(a.boundary, 15), ST_AsGeoJSON(b.boundary, 15)
FROM p JOIN grid_version a ON a.code = p.ac AND a.valid_to IS NULL JOIN grid_version b ON b.code = p.bc AND b.valid_to IS NULL
CROSS JOIN LATERAL (SELECT ST_Intersection(b.boundary, ST_Buffer(p.pt::geography, 0.15 * sqrt(ST_Area(b.boundary::geography)))::geometry) bite) d
ORDER BY p.ac`)
	if err != nil {
		b.Fatal(err)
	}
	var pairs []planPair
	for rows.Next() {
		var p planPair
		var g [4]string
		if err := rows.Scan(&p.m, &p.n, &g[0], &g[1], &g[2], &g[3]); err != nil {
			b.Fatal(err)
		}
		p.mGrown, p.nShrunk, p.mBefore, p.nBefore = json.RawMessage(g[0]), json.RawMessage(g[1]), json.RawMessage(g[2]), json.RawMessage(g[3])
		pairs = append(pairs, p)
	}
	if rows.Err() != nil || len(pairs) != 5 {
		b.Fatalf("pairs of neighbours: %d, %v", len(pairs), rows.Err())
	}
	return pairs
}

// BenchmarkPlanImpact measures the impact of benchPlan10's plan (postgis
// Plans.PlanImpact: the plan applied, its candidate cases located in the
// map it leaves) on the street and, with GRIDMAP_PROVINCE_DATABASE_URL, on
// the province, through the store alone (no instance to start). The plan
// is discarded at the end; the data set is not changed.
//
//	GRIDMAP_PROVINCE_DATABASE_URL=postgres://… PKGS=./tests/ scripts/test.sh -run '^$' -bench BenchmarkPlanImpact
func BenchmarkPlanImpact(b *testing.B) {
	sets := []struct{ name, url string }{{"street", demoIncidentsDB(b)}, {"province", os.Getenv("GRIDMAP_PROVINCE_DATABASE_URL")}}
	for _, ds := range sets {
		b.Run(ds.name, func(b *testing.B) {
			if ds.url == "" {
				b.Skip("set GRIDMAP_PROVINCE_DATABASE_URL to a database holding gridmap demo --province 37")
			}
			ctx := context.Background()
			st, err := postgis.Open(ctx, ds.url)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			changes := biteChanges(b, st.Pool())
			plans := postgis.NewPlans(st)
			pl, err := plans.CreatePlan(ctx, "bench: impact of 10 grids", "bench")
			if err != nil {
				b.Fatal(err)
			}
			defer plans.DiscardPlan(ctx, pl.ID, "bench", 0)
			if _, err := plans.AddChanges(ctx, pl.ID, 0, changes); err != nil {
				b.Fatal(err)
			}
			var im gridmap.Impact
			b.ResetTimer()
			for range b.N {
				if im, err = plans.PlanImpact(ctx, pl.ID); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(im.Moved), "cases-moved")
		})
	}
}

// biteChanges is benchPlan10's plan as store changes: in each village of
// planPairs, m grown by its bite of n and n without it.
func biteChanges(tb testing.TB, pool *pgxpool.Pool) []gridmap.Change {
	var changes []gridmap.Change
	for _, p := range planPairs(tb, pool) {
		for _, c := range []struct {
			code string
			js   json.RawMessage
		}{{p.m, p.mGrown}, {p.n, p.nShrunk}} {
			g, err := geojson.UnmarshalGeometry(c.js)
			if err != nil {
				tb.Fatal(err)
			}
			mp, ok := g.Geometry().(orb.MultiPolygon)
			if !ok {
				tb.Fatalf("%s: a %s, not a MultiPolygon", c.code, g.Type)
			}
			changes = append(changes, gridmap.Change{Kind: gridmap.ChangeReplace, Code: c.code, Boundary: mp})
		}
	}
	return changes
}
