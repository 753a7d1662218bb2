package heat_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/heat"
)

// Benchmarks of the aggregate alone (no database), 1M and 10M incidents
// from a fixed seed, each beside a naive baseline in the same run: a loop
// over a slice of Row structs with the same filter. The database baselines
// (SQL GROUP BY, ST_AsMVT) are in postgis/incidents_bench_test.go.

func benchAggregate(b *testing.B, n int) (*heat.Aggregate, []heat.Row, float64) {
	b.Helper()
	rows := randomRows(n, 1)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	agg := heat.New()
	agg.Grow(n)
	for start := 0; start < n; start += 16384 {
		agg.Apply(rows[start:min(start+16384, n)])
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	return agg, rows, float64(m1.HeapAlloc-m0.HeapAlloc) / float64(n)
}

func BenchmarkAggregate(b *testing.B) {
	f := heat.Filter{Categories: []gridmap.Category{"dispute", "hazard"}, From: t0.AddDate(0, 9, 0), To: t0.AddDate(0, 12, 0)}
	for _, n := range []int{1_000_000, 10_000_000} {
		agg, rows, perIncident := benchAggregate(b, n)
		b.Run(fmt.Sprintf("CountByGrid/n=%d/aggregate", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				agg.CountByGrid(f)
			}
			b.ReportMetric(perIncident, "heap-B/incident")
		})
		overdue := true
		fo := f
		fo.Overdue, fo.Now = &overdue, t0.AddDate(0, 11, 0)
		b.Run(fmt.Sprintf("CountByGrid/n=%d/aggregate-overdue", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				agg.CountByGrid(fo)
			}
		})
		b.Run(fmt.Sprintf("CountByGrid/n=%d/naive", n), func(b *testing.B) {
			for b.Loop() {
				naive(rows, f)
			}
		})
		// The wall map's ticker on load: the 12 newest of everything.
		b.Run(fmt.Sprintf("Newest/n=%d/12", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				agg.Newest(heat.Filter{}, 12)
			}
		})
		tile := maptile.At([2]float64{116.8, 35.55}, 12)
		b.Run(fmt.Sprintf("Tile/n=%d/z=12", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cells, _ := agg.Tile(uint32(tile.Z), tile.X, tile.Y, f, 0)
				if _, err := heat.EncodeTile(cells); err != nil {
					b.Fatal(err)
				}
			}
		})
		buckets, err := heat.Buckets(heat.Day, t0, t0.AddDate(1, 0, 0), gridmap.ChinaTime)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("Series/n=%d/day", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				agg.Series(f, buckets)
			}
		})
		rows = nil
		runtime.GC()
	}
}
