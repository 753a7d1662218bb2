package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/postgis"
	"github.com/gridmap/gridmap/tiles"
)

// Run with a database holding the synthetic province (gridmap demo
// --province 37 [--cases N], see docs/SCALE.md) beside the demo street with
// its year of cases, which the test cluster makes:
//
//	GRIDMAP_PROVINCE_DATABASE_URL=postgres://… PKGS=./tests/ scripts/test.sh -run '^$' -bench BenchmarkProvince -benchtime 1x
//
// BenchmarkProvince measures one instance on each data set, the street as
// the baseline: start-up (index, tiles and case statistics loaded) and the
// heap it keeps, the index build alone, single lookups through the
// handler, cold tiles (cut from the in-memory set) and cached ones (through
// the handler), per-grid counts of a 90-day window, heat tiles, and a plan
// touching 10 grids (benchPlan10: it changes boundaries and back). The
// lookups, tiles, counts and heat run -benchtime times, or at least
// 1,000/200 times when it is 1x (the start-up is slow on a province).
func BenchmarkProvince(b *testing.B) {
	prov := os.Getenv("GRIDMAP_PROVINCE_DATABASE_URL")
	if prov == "" {
		b.Skip("set GRIDMAP_PROVINCE_DATABASE_URL to a database holding gridmap demo --province 37")
	}
	sets := []struct{ name, url string }{{"street", demoIncidentsDB(b)}, {"province", prov}}
	for _, ds := range sets {
		var a *app.App
		var stop func()
		b.Run(ds.name+"/startup", func(b *testing.B) {
			for i := range b.N {
				if stop != nil {
					stop()
				}
				var before runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				t0 := time.Now()
				a, stop = startInstance(b, ds.url)
				d := time.Since(t0)
				var after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&after)
				if i == b.N-1 {
					b.ReportMetric(d.Seconds(), "s-to-ready")
					b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap-MB")
				}
			}
		})
		if a == nil {
			continue
		}
		ix, ver := a.Live.Index()
		b.Logf("%s: %d grids at version %d", ds.name, ix.Len(), ver)
		b.Run(ds.name+"/index", func(b *testing.B) {
			st, err := postgis.Open(context.Background(), ds.url)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			grids, _, err := st.CurrentGrids(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := geo.NewIndex(grids); err != nil {
					b.Fatal(err)
				}
			}
		})
		w := &discardWriter{h: http.Header{}}
		serve := func(b *testing.B, reqs []*http.Request, min int) {
			n := max(b.N, min)
			samples := make([]time.Duration, 0, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range n {
				clear(w.h)
				t0 := time.Now()
				a.Handler.ServeHTTP(w, reqs[i%len(reqs)])
				samples = append(samples, time.Since(t0))
			}
			b.StopTimer()
			reportPercentiles(b, samples)
			var sum time.Duration
			for _, s := range samples {
				sum += s
			}
			b.ReportMetric(float64(n)/sum.Seconds(), "req/s")
		}
		pts := randomPoints(ix, 1000, 3)
		b.Run(ds.name+"/lookup", func(b *testing.B) {
			reqs := make([]*http.Request, len(pts))
			for i, p := range pts {
				reqs[i] = httptest.NewRequest("GET", lookupURL("", p, ""), nil)
			}
			serve(b, reqs, 100_000)
		})
		// Cold tiles: a fresh set (as after a boundary change), each tile
		// cut once, over a fixed spread at each zoom.
		st, err := postgis.Open(context.Background(), ds.url)
		if err != nil {
			b.Fatal(err)
		}
		cur, version, err := st.CurrentGrids(context.Background())
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		set, err := tiles.NewSet(cur, version, tiles.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: tile set of %d grids built in %v", ds.name, len(cur), time.Since(t0).Round(time.Millisecond))
		for _, z := range []uint32{8, 10, 12, 14} {
			spread := tileSpread(b, set, cur, z, 64)
			if len(spread) == 0 {
				continue
			}
			b.Run(fmt.Sprintf("%s/tile-cold/z%d", ds.name, z), func(b *testing.B) {
				n := max(b.N, len(spread))
				samples := make([]time.Duration, 0, n)
				for i := range n {
					t := spread[i%len(spread)]
					t0 := time.Now()
					if _, err := set.Tile(t[0], t[1], t[2], tiles.Options{}); err != nil {
						b.Fatal(err)
					}
					samples = append(samples, time.Since(t0))
				}
				reportPercentiles(b, samples)
			})
		}
		b.Run(ds.name+"/tile-cached/z14", func(b *testing.B) {
			var reqs []*http.Request
			for _, p := range randomPoints(ix, 200, 5) {
				t := maptile.At(p, 14)
				r := httptest.NewRequest("GET", fmt.Sprintf("/tiles/grids/%d/%d/%d.mvt?v=%d", t.Z, t.X, t.Y, ver), nil)
				r.Header.Set("Accept-Encoding", "gzip")
				reqs = append(reqs, r)
				a.Handler.ServeHTTP(w, r) // cut once, so cached
			}
			serve(b, reqs, 10_000)
		})
		now := time.Now()
		window := url.Values{"from": {now.AddDate(0, 0, -90).Format(time.RFC3339)}, "to": {now.Format(time.RFC3339)}}
		// Per-grid counts: the first after start-up (it makes the block
		// counts and the level's cache), then the same again; the village
		// level; one category (the rows of the window scanned).
		for _, c := range []struct{ name, level, category string }{
			{"grid-counts-90d", "micro", ""}, {"grid-counts-90d/village", "village", ""}, {"grid-counts-90d/category", "micro", "dispute"},
		} {
			q := url.Values{"level": {c.level}}
			for k, v := range window {
				q[k] = v
			}
			if c.category != "" {
				q.Set("category", c.category)
			}
			b.Run(ds.name+"/"+c.name, func(b *testing.B) {
				t0 := time.Now()
				a.Handler.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/stats/grids?"+q.Encode(), nil))
				first := time.Since(t0)
				serve(b, []*http.Request{httptest.NewRequest("GET", "/api/v1/stats/grids?"+q.Encode(), nil)}, 100)
				b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
			})
		}
		// Heat tiles over the whole data set (z8 for the province, the
		// street's own z12) and at z14 around grids, a 90-day window.
		for _, z := range []uint32{8, 12, 14} {
			var reqs []*http.Request
			seen := map[maptile.Tile]bool{}
			for _, p := range randomPoints(ix, 200, 9) {
				t := maptile.At(p, maptile.Zoom(z))
				if seen[t] {
					continue
				}
				seen[t] = true
				r := httptest.NewRequest("GET", fmt.Sprintf("/tiles/heat/%d/%d/%d.mvt?%s", t.Z, t.X, t.Y, window.Encode()), nil)
				r.Header.Set("Accept-Encoding", "gzip")
				reqs = append(reqs, r)
			}
			b.Run(fmt.Sprintf("%s/heat-90d/z%d", ds.name, z), func(b *testing.B) {
				serve(b, reqs, 50)
			})
		}
		b.Run(ds.name+"/plan-10", func(b *testing.B) { benchPlan10(b, a) })
		stop()
	}
}

// startInstance starts one app on url and waits until it is ready (index,
// tiles and incident statistics loaded); stop ends it.
func startInstance(tb testing.TB, url string) (*app.App, func()) {
	tb.Helper()
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	a := app.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	go a.Run(ctx)
	h := a.Handler
	a.Handler = asAdmin(tb, st, h)
	for _, ch := range []<-chan struct{}{a.Live.Loaded(), a.Incidents.Loaded()} {
		select {
		case <-ch:
		case <-time.After(20 * time.Minute):
			tb.Fatal("instance not ready within 20 minutes")
		}
	}
	return a, func() { cancel(); st.Close() }
}
