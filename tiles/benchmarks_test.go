package tiles

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
)

// Run with:
//
//	go test ./tiles/ -run '^$' -bench . -benchtime 2s
//
// The synthetic street is built from a fixed seed; the counties come from
// shared/data (skipped without them). The PostGIS ST_AsMVT baseline is
// tests/BenchmarkTileCold, which needs a database; BenchmarkTileSpread cuts
// its spread of tiles without one.

// benchCentre is where zooms too deep to cut whole are sampled: the
// synthetic street, in the dense east of China.
var benchCentre = orb.Point{streetLon, streetLat}

// benchTiles returns the non-empty tiles of zoom z that a benchmark cycles
// through: all tiles over s if there are at most 128, else the 4×4 block
// around benchCentre.
func benchTiles(tb testing.TB, s *Set, z uint32) [][3]uint32 {
	tb.Helper()
	all := tilesOver(s.Bound(), z)
	if len(all) > 128 {
		w := toWorld(benchCentre)
		n := float64(uint64(1) << z)
		cx, cy := uint32(w[0]*n), uint32(w[1]*n)
		all = all[:0]
		for x := cx - 2; x < cx+2; x++ {
			for y := cy - 2; y < cy+2; y++ {
				all = append(all, [3]uint32{z, x, y})
			}
		}
	}
	var out [][3]uint32
	for _, t := range all {
		if _, err := s.Tile(t[0], t[1], t[2], Options{}); err == nil {
			out = append(out, t)
		} else if !errors.Is(err, ErrEmpty) {
			tb.Fatal(err)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no tile at zoom %d", z)
	}
	return out
}

// benchSet is a Set the benchmarks cut, by name.
type benchSet struct {
	name string
	set  *Set
}

func benchData(b *testing.B) []benchSet {
	return []benchSet{
		{"street", newSet(b, streetGrids(b), Config{})},
		{"counties", counties(b)},
	}
}

// BenchmarkTile cuts tiles cold (no cache): B/tile is the mean gzipped size.
func BenchmarkTile(b *testing.B) {
	for _, d := range benchData(b) {
		for _, z := range []uint32{4, 6, 8, 10, 12} {
			tiles := benchTiles(b, d.set, z)
			b.Run(fmt.Sprintf("%s/z%d", d.name, z), func(b *testing.B) {
				size := 0
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t := tiles[i%len(tiles)]
					data, err := d.set.Tile(t[0], t[1], t[2], Options{})
					if err != nil {
						b.Fatal(err)
					}
					size += len(data)
				}
				b.ReportMetric(float64(size)/float64(b.N), "B/tile")
				b.ReportMetric(float64(len(tiles)), "tiles")
			})
		}
	}
}

// spreadTiles picks tiles the way tests/BenchmarkTileCold does, so that
// figures here predict the PostGIS comparison: all non-empty tiles over s
// when there are at most 4·limit, else the tiles under grid labels, shuffled
// with a fixed seed, at most limit.
func spreadTiles(tb testing.TB, s *Set, z uint32, limit int) [][3]uint32 {
	tb.Helper()
	var cand [][3]uint32
	if over := tilesOver(s.Bound(), z); len(over) <= 4*limit {
		cand = over
	} else {
		seen := map[[3]uint32]bool{}
		for i := range s.features {
			t := maptile.At(s.features[i].label, maptile.Zoom(z))
			if k := [3]uint32{z, t.X, t.Y}; !seen[k] {
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
		if _, err := s.Tile(t[0], t[1], t[2], Options{}); err == nil {
			out = append(out, t)
		} else if !errors.Is(err, ErrEmpty) {
			tb.Fatal(err)
		}
	}
	if len(out) > limit {
		rng := rand.New(rand.NewPCG(5, 5))
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		out = out[:limit]
	}
	return out
}

// BenchmarkTileSpread cuts tiles cold over the spread of
// tests/BenchmarkTileCold and reports the p50 and p99 of one tile, as that
// benchmark does (without its PostGIS baseline).
func BenchmarkTileSpread(b *testing.B) {
	for _, d := range benchData(b) {
		for _, z := range []uint32{4, 6, 8, 10, 12} {
			tiles := spreadTiles(b, d.set, z, 64)
			b.Run(fmt.Sprintf("%s/z%d", d.name, z), func(b *testing.B) {
				samples := make([]time.Duration, 0, b.N)
				size := 0
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t := tiles[i%len(tiles)]
					t0 := time.Now()
					data, err := d.set.Tile(t[0], t[1], t[2], Options{})
					samples = append(samples, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					size += len(data)
				}
				slices.Sort(samples)
				at := func(q float64) float64 {
					return float64(samples[min(len(samples)-1, int(q*float64(len(samples))))].Nanoseconds()) / 1e3
				}
				b.ReportMetric(at(0.50), "p50-µs")
				b.ReportMetric(at(0.99), "p99-µs")
				b.ReportMetric(float64(size)/float64(b.N), "B/tile")
				b.ReportMetric(float64(len(tiles)), "tiles")
			})
		}
	}
}

// BenchmarkCacheHit fetches cut tiles from a Cache.
func BenchmarkCacheHit(b *testing.B) {
	for _, d := range benchData(b) {
		tiles := benchTiles(b, d.set, 10)
		c := NewCache(0)
		for _, t := range tiles {
			if _, err := c.Tile(d.set, t[0], t[1], t[2], Options{}); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(d.name+"/z10", func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t := tiles[i%len(tiles)]
				if _, err := c.Tile(d.set, t[0], t[1], t[2], Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNewSet builds Sets: projection, per-zoom simplification, labels
// and the R-tree.
func BenchmarkNewSet(b *testing.B) {
	street := streetGrids(b)
	sets := []struct {
		name  string
		grids func() []gridmap.Grid
	}{
		{"street", func() []gridmap.Grid { return street }},
		{"counties", func() []gridmap.Grid { counties(b); g, _ := countiesOnce(); return g }},
	}
	for _, s := range sets {
		grids := s.grids()
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := NewSet(grids, 1, Config{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The Set after a publication that changed one grid: Next
		// prepares that one, NewSet (the baseline above) all of them.
		b.Run(s.name+"/next-1-changed", func(b *testing.B) {
			grids := slices.Clone(grids)
			for i := range grids {
				grids[i].Version = int64(i + 1)
			}
			prev, err := NewSet(grids, 1, Config{})
			if err != nil {
				b.Fatal(err)
			}
			grids[len(grids)/2].Version = int64(len(grids) + 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := prev.Next(grids, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
