package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/postgis"
)

// BenchmarkWindowHeap: the Go heap an instance holds once loaded, over a
// year of demo cases at 20 times the street's rate (≈226,000), holding
// every case (months=0, the baseline), a 12-month window and a 2-month
// window (GRIDMAP_CASE_MONTHS), on the real clock. The heap includes the
// map, tiles and everything else an instance keeps; the aggregate's
// columns and the indicator cases are what the window bounds.
func BenchmarkWindowHeap(b *testing.B) {
	url := demoDB(b)
	ctx := context.Background()
	st, err := postgis.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	grids, version, err := st.CurrentGrids(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		b.Fatal(err)
	}
	spec := demodata.DefaultIncidents
	spec.Mix = map[gridmap.Category]int{}
	for c, n := range demodata.DefaultIncidents.Mix {
		spec.Mix[c] = 20 * n
	}
	incs := demodata.Incidents(ix, time.Now(), spec)
	rows := func(yield func(intake.Checked, error) bool) {
		for i, in := range incs {
			if !yield(intake.Checked{Index: i, Incident: in, CRS: geo.WGS84}, nil) {
				return
			}
		}
	}
	if _, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{}, intake.Assign(rows, ix, version)); err != nil {
		b.Fatal(err)
	}
	st.Close()
	incs, grids, ix = nil, nil, nil
	for _, months := range []int{0, 12, 2} {
		b.Run(fmt.Sprintf("months=%d", months), func(b *testing.B) {
			var heap, cols float64
			var held int
			for b.Loop() {
				runtime.GC()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				st, err := postgis.Open(ctx, url)
				if err != nil {
					b.Fatal(err)
				}
				a := app.NewWith(st, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{}, app.Window{CaseMonths: months})
				rctx, cancel := context.WithCancel(ctx)
				go a.Run(rctx)
				for _, ch := range []<-chan struct{}{a.Live.Loaded(), a.Incidents.Loaded(), a.Cases.Loaded()} {
					select {
					case <-ch:
					case <-time.After(2 * time.Minute):
						b.Fatal("not loaded within 2 minutes")
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&m1)
				heap = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / 1e6
				cols = float64(a.Incidents.Aggregate().Bytes()) / 1e6
				held = a.Incidents.Aggregate().Len()
				if n := a.Cases.Set().Len(); n != held {
					b.Errorf("indicator cases %d, aggregate %d", n, held)
				}
				runtime.KeepAlive(a)
				cancel()
				st.Close()
				time.Sleep(time.Second) // its goroutines end before the next heap reading
			}
			b.ReportMetric(heap, "heap-MB")
			b.ReportMetric(cols, "columns-MB")
			b.ReportMetric(float64(held), "cases")
		})
	}
}
