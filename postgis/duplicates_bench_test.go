package postgis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkDuplicates measures the possible duplicates of one case
// (Store.Duplicates: same category, open, within 50 m and 7 days) on the
// 1M synthetic incidents of BenchmarkIncidentAggregates, as the query is
// (the BRIN index on reported_at bounds the 14 days; no index on location),
// then with a GiST index on the open incidents' locations, to show what
// such an index (which every insert would pay) would buy.
func BenchmarkDuplicates(b *testing.B) {
	const n = 1_000_000
	l := loadedStore(b, n)
	ctx := context.Background()
	var lo, hi int64
	if err := l.st.Pool().QueryRow(ctx, `SELECT min(id), max(id) FROM incident`).Scan(&lo, &hi); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B) {
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
	b.Run(fmt.Sprintf("brin/n=%d", n), run)
	if _, err := l.st.Pool().Exec(ctx, `CREATE INDEX bench_open_location ON incident USING gist (location)
WHERE status IN ('reported', 'accepted', 'in_progress')`); err != nil {
		b.Fatal(err)
	}
	if _, err := l.st.Pool().Exec(ctx, `ANALYZE incident`); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("gist/n=%d", n), run)
}
