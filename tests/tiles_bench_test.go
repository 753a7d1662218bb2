package tests

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/postgis"
	"github.com/gridmap/gridmap/tiles"
)

// Run with (a throwaway PostGIS; the counties come from ../shared/data):
//
//	PKGS=./tests/ scripts/test.sh -run '^$' -bench 'TileCold' -benchtime 200x
//
// BenchmarkTileCold cuts tiles with no cache, one at a time, over the demo
// street and over China's 2,735 counties: gridmap's in-memory tiles.Set
// (simplified per zoom, clipped, labelled and gzipped) beside the same
// tiles built by PostGIS ST_AsMVT (postgis.TileMVT, the query pg_tileserv
// runs) in the same run on the same database. Each zoom cycles through a
// fixed spread of non-empty tiles (all of them, or 64 drawn with a fixed
// seed around grid label points). Metrics: p50 and p99 of one tile in µs,
// mean bytes of a tile (gridmap's gzipped; the baseline's raw MVT and its
// gzipped size), tiles in the spread.
func BenchmarkTileCold(b *testing.B) {
	ctx := context.Background()
	demo, err := postgis.Open(ctx, demoDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer demo.Close()
	sets := []struct {
		name string
		st   *postgis.Store
	}{{"street", demo}, {"counties", countiesStore(b)}}
	for _, ds := range sets {
		grids, version, err := ds.st.CurrentGrids(ctx)
		if err != nil {
			b.Fatal(err)
		}
		cfg := tiles.DefaultConfig()
		start := time.Now()
		set, err := tiles.NewSet(grids, version, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d grids, tile set built in %v", ds.name, len(grids), time.Since(start).Round(time.Millisecond))
		for _, z := range []uint32{4, 6, 8, 10, 12, 14} {
			spread := tileSpread(b, set, grids, z, 64)
			if len(spread) == 0 {
				continue
			}
			levels := levelsAt(set, cfg, z)
			b.Run(fmt.Sprintf("%s/z%d/gridmap", ds.name, z), func(b *testing.B) {
				samples := make([]time.Duration, 0, b.N)
				size := 0
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t := spread[i%len(spread)]
					t0 := time.Now()
					data, err := set.Tile(t[0], t[1], t[2], tiles.Options{})
					samples = append(samples, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					size += len(data)
				}
				reportPercentiles(b, samples)
				b.ReportMetric(float64(size)/float64(b.N), "B/tile")
				b.ReportMetric(float64(len(spread)), "tiles")
			})
			b.Run(fmt.Sprintf("%s/z%d/postgis-st_asmvt", ds.name, z), func(b *testing.B) {
				samples := make([]time.Duration, 0, b.N)
				size, gz := 0, 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t := spread[i%len(spread)]
					t0 := time.Now()
					data, err := ds.st.TileMVT(ctx, t[0], t[1], t[2], levels)
					samples = append(samples, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					size += len(data)
					if i < len(spread) {
						gz += gzipLen(data)
					}
				}
				reportPercentiles(b, samples)
				b.ReportMetric(float64(size)/float64(b.N), "B/tile")
				b.ReportMetric(float64(gz)/float64(min(b.N, len(spread))), "gzB/tile")
				b.ReportMetric(float64(len(spread)), "tiles")
			})
		}
	}
}

// tileSpread returns the non-empty tiles of zoom z that a benchmark cycles
// through: all tiles over the grids when there are at most max, else max
// tiles holding grid label points, drawn with a fixed seed.
func tileSpread(tb testing.TB, set *tiles.Set, grids []gridmap.Grid, z uint32, max int) [][3]uint32 {
	tb.Helper()
	var cand [][3]uint32
	if over := tilesOver(set.Bound(), maptile.Zoom(z)); len(over) <= 4*max {
		for _, t := range over {
			cand = append(cand, [3]uint32{z, t.X, t.Y})
		}
	} else {
		seen := map[[3]uint32]bool{}
		for _, g := range grids {
			p, _ := set.Label(g.Code)
			t := maptile.At(orb.Point(p), maptile.Zoom(z))
			k := [3]uint32{z, t.X, t.Y}
			if !seen[k] {
				seen[k] = true
				cand = append(cand, k)
			}
		}
		slices.SortFunc(cand, func(a, b [3]uint32) int {
			if a[1] != b[1] {
				return int(a[1]) - int(b[1])
			}
			return int(a[2]) - int(b[2])
		})
	}
	var out [][3]uint32
	for _, t := range cand {
		if _, err := set.Tile(t[0], t[1], t[2], tiles.Options{}); err == nil {
			out = append(out, t)
		} else if !errors.Is(err, tiles.ErrEmpty) {
			tb.Fatal(err)
		}
	}
	if len(out) > max {
		rng := rand.New(rand.NewPCG(5, 5))
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		out = out[:max]
	}
	return out
}

// levelsAt returns the levels a Set draws at zoom z, nil for all of them:
// the baseline query draws the same.
func levelsAt(set *tiles.Set, cfg tiles.Config, z uint32) []gridmap.Level {
	var out []gridmap.Level
	all := set.Levels()
	for _, l := range all {
		if mz, ok := cfg.LevelMinZoom[l]; !ok || mz <= z {
			out = append(out, l)
		}
	}
	if len(out) == len(all) {
		return nil
	}
	return out
}

func reportPercentiles(b *testing.B, samples []time.Duration) {
	slices.Sort(samples)
	at := func(q float64) float64 {
		return float64(samples[min(len(samples)-1, int(q*float64(len(samples))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

func gzipLen(data []byte) int {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Len()
}
