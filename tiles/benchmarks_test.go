package tiles

import (
	"errors"
	"fmt"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// Run with:
//
//	go test ./tiles/ -run '^$' -bench . -benchtime 2s
//
// The synthetic street is built from a fixed seed; the counties come from
// shared/data (skipped without them). A PostGIS ST_AsMVT baseline lives with
// postgis/, which can reach a database.

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

func benchData(b *testing.B) []struct {
	name string
	set  *Set
} {
	return []struct {
		name string
		set  *Set
	}{
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
	}
}
