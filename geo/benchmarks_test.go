package geo_test

import (
	"fmt"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// benchSet is one set of grids with the points to look up.
type benchSet struct {
	name  string
	grids []gridmap.Grid
	ix    *geo.Index
	pts   []orb.Point // random order, fixed seed; len a power of two
}

func benchSets(tb testing.TB) []benchSet {
	tb.Helper()
	street := streetGrids(tb)
	counties := loadCounties(tb)
	var sets []benchSet
	for _, s := range []struct {
		name  string
		grids []gridmap.Grid
		pts   func(ix *geo.Index) []orb.Point
	}{
		// Uniform over the street's bound: almost all in a micro-grid.
		{"street242", street, func(*geo.Index) []orb.Point { return randomPoints(gridBounds(street), 1<<16, 7) }},
		// Uniform over China's bound: about 30% in a county.
		{"counties2735", counties, func(*geo.Index) []orb.Point { return randomPoints(gridBounds(counties), 1<<16, 8) }},
		// Only points inside some county.
		{"counties2735-hits", counties, func(ix *geo.Index) []orb.Point { return hitsOnly(ix, gridBounds(counties), 1<<16) }},
		// Within about 1 m of a county border: the worst case.
		{"counties2735-edges", counties, func(*geo.Index) []orb.Point { return nearEdges(counties, 1<<16) }},
	} {
		ix := mustIndex(tb, s.grids)
		sets = append(sets, benchSet{s.name, s.grids, ix, s.pts(ix)})
	}
	return sets
}

func hitsOnly(ix *geo.Index, bd orb.Bound, n int) []orb.Point {
	var pts []orb.Point
	for seed := uint64(100); len(pts) < n; seed++ {
		for _, p := range randomPoints(bd, n, seed) {
			if _, ok := ix.Lookup(p[0], p[1]); ok && len(pts) < n {
				pts = append(pts, p)
			}
		}
	}
	return pts
}

func nearEdges(grids []gridmap.Grid, n int) []orb.Point {
	pts := edgePoints(grids, 3*n, 1e-5, 9)
	out := pts[:0]
	for i, p := range pts {
		if i%3 == 2 {
			out = append(out, p)
		}
	}
	return out[:n]
}

// BenchmarkLookup measures single lookups in random order. Sub-benchmarks:
// index (Lookup), raster+rtree (raster, then the R-tree for cells edges
// cross), rtree (R-tree then exact tests, no raster), and the baselines
// naive-bbox (every grid, bounding box first, then orb's
// planar.MultiPolygonContains) and naive (planar.MultiPolygonContains on
// every grid).
func BenchmarkLookup(b *testing.B) {
	for _, s := range benchSets(b) {
		mask := len(s.pts) - 1
		bounds := make([]orb.Bound, len(s.grids))
		for i, g := range s.grids {
			bounds[i] = g.Boundary.Bound()
		}
		b.Run(s.name+"/index", func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := s.pts[i&mask]
				s.ix.Lookup(p[0], p[1])
			}
		})
		b.Run(s.name+"/raster+rtree", func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := s.pts[i&mask]
				s.ix.LookupRasterRTree(p[0], p[1])
			}
		})
		b.Run(s.name+"/rtree", func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := s.pts[i&mask]
				s.ix.LookupRTree(p[0], p[1])
			}
		})
		b.Run(s.name+"/naive-bbox", func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := s.pts[i&mask]
				for g := range s.grids {
					if bounds[g].Contains(p) && planar.MultiPolygonContains(s.grids[g].Boundary, p) {
						break
					}
				}
			}
		})
		b.Run(s.name+"/naive", func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := s.pts[i&mask]
				for g := range s.grids {
					if planar.MultiPolygonContains(s.grids[g].Boundary, p) {
						break
					}
				}
			}
		})
	}
}

// BenchmarkLookupBatch measures LookupBatch on batches of n random points;
// ns/op is per point.
func BenchmarkLookupBatch(b *testing.B) {
	for _, s := range benchSets(b) {
		for _, n := range []int{1 << 8, 1 << 12, 1 << 16} {
			out := make([]int32, n)
			b.Run(fmt.Sprintf("%s/n=%d", s.name, n), func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				// Successive batches take successive windows of the
				// points, so a small batch is not served from a warm cache.
				for i := 0; i < b.N; i += n {
					w := i % len(s.pts)
					s.ix.LookupBatch(s.pts[w:w+n], out)
				}
			})
		}
	}
}

// BenchmarkNewIndex measures building an index.
func BenchmarkNewIndex(b *testing.B) {
	for _, s := range []struct {
		name  string
		grids []gridmap.Grid
	}{
		{"street242", streetGrids(b)},
		{"counties2735", loadCounties(b)},
	} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := geo.NewIndex(s.grids); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNearest measures Nearest: another micro-grid within 30 m of a
// point in the street, and the nearest county within 50 km of a point
// outside all counties.
func BenchmarkNearest(b *testing.B) {
	sets := benchSets(b)
	street, counties := sets[0], sets[1]
	b.Run("street242/30m", func(b *testing.B) {
		type q struct {
			p    orb.Point
			code string
		}
		var qs []q
		for _, p := range street.pts {
			if h, ok := street.ix.Lookup(p[0], p[1]); ok && h.Grid().Level == gridmap.LevelMicro {
				qs = append(qs, q{p, h.Grid().Code})
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			x := qs[i%len(qs)]
			street.ix.Nearest(x.p[0], x.p[1], 30, x.code)
		}
	})
	b.Run("counties2735/outside-50km", func(b *testing.B) {
		var qs []orb.Point
		for _, p := range counties.pts {
			if _, ok := counties.ix.Lookup(p[0], p[1]); !ok {
				qs = append(qs, p)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			p := qs[i%len(qs)]
			counties.ix.Nearest(p[0], p[1], 50_000, "")
		}
	})
}

// BenchmarkCRS measures the coordinate conversions.
func BenchmarkCRS(b *testing.B) {
	p := orb.Point{116.8, 35.55}
	for _, c := range []struct {
		name string
		f    func(orb.Point) orb.Point
	}{
		{"WGS84ToGCJ02", geo.WGS84ToGCJ02},
		{"GCJ02ToWGS84", geo.GCJ02ToWGS84},
		{"GCJ02ToBD09", geo.GCJ02ToBD09},
		{"BD09ToWGS84", geo.BD09ToWGS84},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.f(p)
			}
		})
	}
}
