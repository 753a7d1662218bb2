package heat_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/heat"
)

// TestDropBefore: after a drop the aggregate answers as one loaded with
// only the rows kept, its columns shrink, and it keeps taking updates
// and new rows. Rows are shuffled in time against their ids (as a late
// import makes them), so a prefix cut would be wrong.
func TestDropBefore(t *testing.T) {
	rows := randomRows(60_000, 11)
	agg := heat.New()
	agg.Apply(rows)
	before := agg.Bytes()
	cut := t0.AddDate(0, 5, 0).Add(500 * time.Millisecond)
	kept := reportedFrom(rows, cut)
	if n := agg.DropBefore(cut); n != len(rows)-len(kept) {
		t.Fatalf("dropped %d, want %d", n, len(rows)-len(kept))
	}
	if agg.Len() != len(kept) {
		t.Fatalf("len %d, want %d", agg.Len(), len(kept))
	}
	if after := agg.Bytes(); after >= before*len64(kept)/int64(len(rows))+before/10 {
		t.Errorf("bytes %d after the drop, %d before: not shrunk in proportion", after, before)
	}
	if n := agg.DropBefore(cut); n != 0 {
		t.Errorf("a second drop removed %d", n)
	}
	check := func(stage string) {
		t.Helper()
		for _, tc := range filters() {
			got, want := agg.CountByGrid(tc.f), naive(kept, tc.f)
			if got.Total != want.Total || got.Unassigned != want.Unassigned || fmt.Sprint(got.ByCode) != fmt.Sprint(want.ByCode) {
				t.Errorf("%s, %s: got %+v, want %+v", stage, tc.name, got, want)
			}
		}
		buckets, err := heat.Buckets(heat.Month, t0, t0.AddDate(1, 0, 0), gridmap.ChinaTime)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range agg.Series(heat.Filter{}, buckets) {
			if want := naive(kept, heat.Filter{From: p.Start, To: p.End}).Total; p.Count != want {
				t.Errorf("%s: series %s: %d, want %d", stage, p.Start, p.Count, want)
			}
		}
	}
	check("after the drop")

	// Updates of kept rows, an update of a dropped row (held again, as the
	// feed would not send it), and new rows after the drop.
	var more []heat.Row
	for i := 0; i < len(kept); i += 53 {
		kept[i].Status = gridmap.StatusClosed
		more = append(more, kept[i])
	}
	extra := randomRows(5_000, 12)
	for i := range extra {
		extra[i].ID += int64(len(rows))
		extra[i].ReportedAt = cut.Add(time.Duration(i) * time.Minute)
	}
	more = append(more, extra...)
	agg.Apply(more)
	kept = append(kept, extra...)
	if agg.Len() != len(kept) {
		t.Fatalf("len %d after more rows, want %d", agg.Len(), len(kept))
	}
	check("after more rows")
	if n := agg.DropBefore(time.Time{}); n != 0 {
		t.Errorf("dropping before the zero time removed %d", n)
	}
	if n := agg.DropBefore(t0.AddDate(2, 0, 0)); n != len(kept) || agg.Len() != 0 {
		t.Errorf("dropping everything removed %d, left %d", n, agg.Len())
	}
	check2 := agg.CountByGrid(heat.Filter{})
	if check2.Total != 0 {
		t.Errorf("empty aggregate counts %d", check2.Total)
	}
}

func len64[T any](s []T) int64 { return int64(len(s)) }

// BenchmarkDropBefore: dropping the oldest 2 of 12 months from 1M rows,
// beside loading the kept rows into a new aggregate (the baseline: what
// an instance would do without DropBefore). Each drop starts from a
// fresh load, outside the timer.
func BenchmarkDropBefore(b *testing.B) {
	const n = 1_000_000
	rows := randomRows(n, 1)
	cut := t0.AddDate(0, 2, 0)
	load := func() *heat.Aggregate {
		agg := heat.New()
		agg.Grow(n)
		for start := 0; start < n; start += 16384 {
			agg.Apply(rows[start:min(start+16384, n)])
		}
		return agg
	}
	b.Run("n=1000000/drop-2-of-12-months", func(b *testing.B) {
		var m0, m1 runtime.MemStats
		var before, after int64
		for b.Loop() {
			b.StopTimer()
			agg := load()
			runtime.GC()
			runtime.ReadMemStats(&m0)
			before = agg.Bytes()
			b.StartTimer()
			agg.DropBefore(cut)
			b.StopTimer()
			after = agg.Bytes()
			runtime.GC()
			runtime.ReadMemStats(&m1)
			runtime.KeepAlive(agg)
			b.StartTimer()
		}
		b.ReportMetric(float64(before), "bytes-before")
		b.ReportMetric(float64(after), "bytes-after")
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)), "heap-delta-B")
	})
	// The baseline: what the drop spares, loading the kept rows afresh.
	kept := reportedFrom(rows, cut)
	b.Run("n=1000000/baseline-reload-kept", func(b *testing.B) {
		for b.Loop() {
			agg := heat.New()
			agg.Grow(len(kept))
			for start := 0; start < len(kept); start += 16384 {
				agg.Apply(kept[start:min(start+16384, len(kept))])
			}
		}
	})
}

// TestDropBeforeBlockCounts: the block counts by grid (made by a count
// over whole blocks) are right after a drop and after more rows.
func TestDropBeforeBlockCounts(t *testing.T) {
	rows := randomRows(700_000, 13)
	agg := heat.New()
	agg.Apply(rows)
	all := heat.Filter{}
	if got := agg.CountByGrid(all); got.Total != len(rows) { // makes the block counts
		t.Fatalf("total %d", got.Total)
	}
	cut := t0.AddDate(0, 4, 0)
	agg.DropBefore(cut)
	kept := reportedFrom(rows, cut)
	for _, f := range []heat.Filter{all, {From: cut.AddDate(0, 1, 0)}} {
		got, want := agg.CountByGrid(f), naive(kept, f)
		if got.Total != want.Total || fmt.Sprint(got.ByCode) != fmt.Sprint(want.ByCode) {
			t.Errorf("after the drop, from %s: %+v, want %+v", f.From, got, want)
		}
	}
	// Regrid rows, then drop again.
	var moved []heat.Row
	for i := 0; i < len(kept); i += 7 {
		kept[i].GridCode = "B02"
		moved = append(moved, kept[i])
	}
	agg.Apply(moved)
	cut2 := cut.AddDate(0, 2, 0)
	agg.DropBefore(cut2)
	kept2 := reportedFrom(kept, cut2)
	if got, want := agg.CountByGrid(all), naive(kept2, all); got.Total != want.Total || fmt.Sprint(got.ByCode) != fmt.Sprint(want.ByCode) {
		t.Errorf("after the second drop: %+v, want %+v", got, want)
	}
}

// reportedFrom returns the rows reported at or after cut, in order (a new
// slice; rows is left as it is).
func reportedFrom(rows []heat.Row, cut time.Time) []heat.Row {
	var out []heat.Row
	for _, r := range rows {
		if !r.ReportedAt.Before(cut) {
			out = append(out, r)
		}
	}
	return out
}
