package postgis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/heat"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/postgis"
)

// Incident benchmarks, each beside its baseline in the same run, on the
// demo street (242 micro-grids) with synthetic incidents from a fixed seed:
//
//	BenchmarkIncidentImport  COPY + in-memory assignment vs assignment by a
//	                         PostGIS spatial join (ST_Contains) in the INSERT
//	BenchmarkIncidentAggregates
//	  stats  per-grid counts (category and window filters):
//	         heat.Aggregate vs SQL GROUP BY
//	  tile   heat tile: heat.Aggregate vs ST_AsMVT over a snapped GROUP BY
//
// The sizes are 1M incidents; 10M with GRIDMAP_BENCH_10M=1 (about 4 minutes
// to load on 2 cores). See BENCHMARKS.md for the figures and commands.

// benchEnd is the end of the synthetic year.
var benchEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// benchIncidents makes n incidents with a fixed seed: 70% spread over the
// street's bounds (some fall outside every grid), 30% around 8 hotspots,
// over one year, categories and statuses mixed.
func benchIncidents(ix *geo.Index, n int, seed uint64, prefix string) []gridmap.Incident {
	rng := rand.New(rand.NewPCG(seed, 42))
	g, _ := ix.Grid("370812001000")
	b := g.Boundary.Bound()
	var spots []orb.Point
	for range 8 {
		spots = append(spots, orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])})
	}
	cats := []gridmap.Category{"dispute", "hazard", "public_request", "service_request", "petition", "environment", "public_security", "other"}
	out := make([]gridmap.Incident, n)
	for i := range out {
		var p orb.Point
		if rng.Float64() < 0.3 {
			s := spots[rng.IntN(len(spots))]
			p = orb.Point{s[0] + rng.NormFloat64()*0.004, s[1] + rng.NormFloat64()*0.003}
		} else {
			p = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		}
		out[i] = gridmap.Incident{
			ExternalID: fmt.Sprintf("%s-%08d", prefix, i),
			Category:   cats[rng.IntN(len(cats))],
			Source:     gridmap.Sources[rng.IntN(len(gridmap.Sources))],
			Status:     gridmap.Statuses[rng.IntN(len(gridmap.Statuses))],
			Location:   p,
			ReportedAt: benchEnd.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second),
			Department: "综治中心",
		}
	}
	return out
}

func importBench(tb testing.TB, st *postgis.Store, ix *geo.Index, version int64, incs []gridmap.Incident) gridmap.ImportIncidentsResult {
	tb.Helper()
	res, err := st.ImportIncidents(context.Background(), gridmap.ImportIncidentsOptions{}, intake.Assign(checked(incs), ix, version))
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func BenchmarkIncidentImport(b *testing.B) {
	st, ix, version := demoStreet(b)
	ctx := context.Background()
	const n = 200_000
	b.Run(fmt.Sprintf("n=%d/index", n), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			incs := benchIncidents(ix, n, uint64(i), fmt.Sprintf("I%d", i))
			b.StartTimer()
			if res := importBench(b, st, ix, version, incs); res.Created != n {
				b.Fatalf("created %d", res.Created)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "incidents/s")
	})
	// Baseline: the same COPY, the grid found by the database with a
	// spatial join on the micro-grid boundaries (GiST index) in the INSERT.
	b.Run(fmt.Sprintf("n=%d/st_contains", n), func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			incs := benchIncidents(ix, n, uint64(i), fmt.Sprintf("S%d", i))
			b.StartTimer()
			if got := importSpatialJoin(b, st, incs); got != n {
				b.Fatalf("created %d", got)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "incidents/s")
	})
	_ = ctx
}

// importSpatialJoinSQL is the baseline's INSERT: the deepest current grid
// containing the point, found by PostGIS.
const importSpatialJoinSQL = `
WITH k AS (
    INSERT INTO incident_key (external_id, reported_at) SELECT external_id, reported_at FROM bench_stage
    ON CONFLICT (external_id) DO NOTHING
    RETURNING id, external_id)
INSERT INTO incident (id, external_id, category, source, status, reported_at, department,
    location, grid_code, boundary_version)
SELECT k.id, s.external_id, s.category, s.source, s.status, s.reported_at, s.department,
    ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326),
    (SELECT v.code FROM grid_version v
     WHERE v.valid_to IS NULL AND v.level = 'micro'
       AND ST_Contains(v.boundary, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326))
     ORDER BY v.code LIMIT 1),
    0
FROM bench_stage s JOIN k ON k.external_id = s.external_id`

func importSpatialJoin(tb testing.TB, st *postgis.Store, incs []gridmap.Incident) int {
	tb.Helper()
	ctx := context.Background()
	tx, err := st.Pool().Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE bench_stage (external_id text, category text, source text, status text,
		reported_at timestamptz, department text, lon float8, lat float8) ON COMMIT DROP`); err != nil {
		tb.Fatal(err)
	}
	i := 0
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"bench_stage"}, []string{"external_id", "category", "source", "status", "reported_at", "department", "lon", "lat"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(incs) {
				return nil, nil
			}
			in := &incs[i]
			i++
			return []any{in.ExternalID, string(in.Category), string(in.Source), string(in.Status), in.ReportedAt, in.Department, in.Location[0], in.Location[1]}, nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT gridmap_ensure_incident_month(m)
FROM (SELECT DISTINCT gridmap_incident_month(reported_at) AS m FROM bench_stage) AS months`); err != nil {
		tb.Fatal(err)
	}
	tag, err := tx.Exec(ctx, importSpatialJoinSQL)
	if err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		tb.Fatal(err)
	}
	return int(tag.RowsAffected())
}

// loaded is a store holding n benchmark incidents and the aggregate loaded
// from it through the change feed, shared by the benchmarks of one size.
type loaded struct {
	st       *postgis.Store
	ix       *geo.Index
	agg      *heat.Aggregate
	n        int
	load     time.Duration // reading the feed into the aggregate
	heapUsed uint64        // heap growth of the load
}

// benchSizes is 1M, plus 10M with GRIDMAP_BENCH_10M=1.
func benchSizes() []int {
	if os.Getenv("GRIDMAP_BENCH_10M") == "1" {
		return []int{1_000_000, 10_000_000}
	}
	return []int{1_000_000}
}

func loadedStore(b *testing.B, n int) *loaded {
	b.Helper()
	st, ix, version := demoStreet(b)
	ctx := context.Background()
	const chunk = 500_000
	for start := 0; start < n; start += chunk {
		incs := benchIncidents(ix, min(chunk, n-start), uint64(start), fmt.Sprintf("L%d", start))
		importBench(b, st, ix, version, incs)
	}
	if _, err := st.Pool().Exec(ctx, `VACUUM ANALYZE incident`); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	agg := heat.New()
	if c, err := st.CountIncidents(ctx, false); err == nil {
		agg.Grow(int(c) + int(c)/16)
	}
	batch := make([]heat.Row, 0, 16384)
	if _, err := st.IncidentChanges(ctx, "", func(in gridmap.Incident) error {
		batch = append(batch, heat.FromIncident(&in))
		if len(batch) == cap(batch) {
			agg.Apply(batch)
			batch = batch[:0]
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	agg.Apply(batch)
	l := &loaded{st: st, ix: ix, agg: agg, n: n, load: time.Since(start)}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	l.heapUsed = m1.HeapAlloc - m0.HeapAlloc
	if agg.Len() != n {
		b.Fatalf("aggregate holds %d, want %d", agg.Len(), n)
	}
	return l
}

// The filter of the statistics benchmark: disputes and hazards reported
// in the last 90 days of the year (about 5% of the incidents).
func statsFilter() (gridmap.IncidentFilter, heat.Filter) {
	from, to := benchEnd.AddDate(0, 0, -90), benchEnd
	cats := []gridmap.Category{gridmap.CategoryDispute, gridmap.CategoryHazard}
	return gridmap.IncidentFilter{Categories: cats, From: &from, To: &to},
		heat.Filter{Categories: cats, From: from, To: to}
}

// BenchmarkIncidentAggregates measures, on one loaded database per size,
// per-grid counts and heat tiles from the in-memory aggregate, each beside
// the SQL that answers the same question.
func BenchmarkIncidentAggregates(b *testing.B) {
	for _, n := range benchSizes() {
		l := loadedStore(b, n)
		b.Run(fmt.Sprintf("stats/n=%d", n), func(b *testing.B) { benchStats(b, l) })
		b.Run(fmt.Sprintf("tile/n=%d", n), func(b *testing.B) { benchHeatTile(b, l) })
	}
}

func benchStats(b *testing.B, l *loaded) {
	n := l.n
	{
		sf, hf := statsFilter()
		b.Run("aggregate", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				gc := l.agg.CountByGrid(hf)
				counts, _ := heat.ByLevel(l.ix, gridmap.LevelMicro, gc.ByCode)
				if len(counts) != 242 {
					b.Fatal(len(counts))
				}
			}
			b.ReportMetric(float64(l.heapUsed)/float64(n), "heap-B/incident")
			b.ReportMetric(float64(l.agg.Bytes())/float64(n), "column-B/incident")
			b.ReportMetric(l.load.Seconds(), "load-s")
		})
		b.Run("sql_group_by", func(b *testing.B) {
			for b.Loop() {
				if _, err := l.st.CountIncidentsByGrid(context.Background(), sf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// heatSQL is the baseline heat tile: PostGIS bins the points of the tile
// into the same 64 × 64 cells and encodes the tile.
const heatSQL = `
WITH b AS (SELECT ST_TileEnvelope($1, $2, $3) AS env),
pts AS (
    SELECT ST_Transform(i.location, 3857) AS g
    FROM incident i, b
    WHERE i.location && ST_Transform(b.env, 4326)
      AND i.category = ANY($4) AND i.reported_at >= $5 AND i.reported_at < $6),
cells AS (
    SELECT count(*) AS count, ST_Centroid(ST_Collect(g)) AS g
    FROM pts, b
    GROUP BY floor((ST_X(g) - ST_XMin(b.env)) / (ST_XMax(b.env) - ST_XMin(b.env)) * 64),
             floor((ST_YMax(b.env) - ST_Y(g)) / (ST_YMax(b.env) - ST_YMin(b.env)) * 64))
SELECT ST_AsMVT(t, 'heat', 4096, 'geom') FROM (
    SELECT count, ST_AsMVTGeom(c.g, b.env, 4096, 0, false) AS geom FROM cells c, b) t`

func benchHeatTile(b *testing.B, l *loaded) {
	{
		g, _ := l.ix.Grid("370812001000")
		c := g.Boundary.Bound().Center()
		_, hf := statsFilter()
		hf.From = benchEnd.AddDate(-1, 0, 0) // the whole year: the heaviest tiles
		cats := []string{"dispute", "hazard"}
		for _, z := range []maptile.Zoom{10, 13, 16} {
			t := maptile.At(c, z)
			b.Run(fmt.Sprintf("z=%d/aggregate", z), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					cells, err := l.agg.Tile(uint32(z), t.X, t.Y, hf, 0)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := heat.EncodeTile(cells); err != nil {
						b.Fatal(err)
					}
				}
			})
			if l.n > 1_000_000 {
				continue // ST_AsMVT takes tens of seconds a tile at 10M
			}
			b.Run(fmt.Sprintf("z=%d/st_asmvt", z), func(b *testing.B) {
				for b.Loop() {
					var tile []byte
					if err := l.st.Pool().QueryRow(context.Background(), heatSQL, int(z), int(t.X), int(t.Y), cats, hf.From, hf.To).Scan(&tile); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
