package postgis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/heat"
)

// BenchmarkDuplicates measures the possible duplicates of one case (same
// category, open, within 50 m and 7 days) on the 1M synthetic incidents of
// BenchmarkIncidentAggregates: from the in-memory aggregate (what the API
// does), and in SQL (Store.Duplicates) without and with a GiST index on
// the open incidents' locations, and what that index costs an import:
// 100,000 more incidents by COPY, without it and with it, in the same run.
func BenchmarkDuplicates(b *testing.B) {
	const n = 1_000_000
	l := loadedStore(b, n)
	ctx := context.Background()
	var lo, hi int64
	if err := l.st.Pool().QueryRow(ctx, `SELECT min(id), max(id) FROM incident`).Scan(&lo, &hi); err != nil {
		b.Fatal(err)
	}
	exec := func(sql string) {
		if _, err := l.st.Pool().Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	query := func(b *testing.B) {
		rng := rand.New(rand.NewPCG(7, 7))
		found := 0
		b.ResetTimer()
		for range b.N {
			ds, err := l.st.Duplicates(ctx, lo+rng.Int64N(hi-lo+1))
			if err != nil {
				b.Fatal(err)
			}
			found += len(ds)
		}
		b.ReportMetric(float64(found)/float64(b.N), "found/op")
	}
	batch := 0
	// One batch whatever b.N (rows/s is the figure): -benchtime sets the
	// number of queries without importing millions more rows.
	imports := func(b *testing.B) {
		for range 1 {
			batch++
			incs := benchIncidents(l.ix, 100_000, uint64(1000+batch), fmt.Sprintf("D%d", batch))
			start := time.Now()
			importBench(b, l.st, l.ix, 0, incs)
			b.ReportMetric(float64(len(incs))/time.Since(start).Seconds(), "rows/s")
		}
	}
	const index = `CREATE INDEX incident_open_location ON incident USING gist (location)
WHERE status IN ('reported', 'accepted', 'in_progress')`
	exec(`DROP INDEX IF EXISTS incident_open_location`)
	exec(`ANALYZE incident`)
	// What the API does: the aggregate's Near for the case's place,
	// category and window (the case read from PostGIS first, as the API
	// reads it).
	b.Run(fmt.Sprintf("aggregate/n=%d", n), func(b *testing.B) {
		rng := rand.New(rand.NewPCG(7, 7))
		found := 0
		for range b.N {
			var lon, lat float64
			var cat string
			var at time.Time
			if err := l.st.Pool().QueryRow(ctx, `SELECT ST_X(location), ST_Y(location), category, reported_at FROM incident WHERE id = $1`,
				lo+rng.Int64N(hi-lo+1)).Scan(&lon, &lat, &cat, &at); err != nil {
				b.Fatal(err)
			}
			found += len(l.agg.Near(lon, lat, caseflow.DuplicateRadiusM, heat.Filter{Categories: []gridmap.Category{gridmap.Category(cat)},
				Statuses: []gridmap.Status{gridmap.StatusReported, gridmap.StatusAccepted, gridmap.StatusInProgress},
				From:     at.Add(-caseflow.DuplicateWindow), To: at.Add(caseflow.DuplicateWindow + time.Second)}))
		}
		b.ReportMetric(float64(found)/float64(b.N), "found/op")
	})
	b.Run(fmt.Sprintf("query/no-index/n=%d", n), query)
	b.Run("import-100k/no-index", imports)
	exec(index)
	exec(`ANALYZE incident`)
	b.Run(fmt.Sprintf("query/gist/n=%d", n), query)
	b.Run("import-100k/gist", imports)
}
