package geo_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/internal/shareddata"
)

// loadCountiesOnce reads the counties as flat grids of one level (no
// parents), as the PostGIS comparisons import them.
var loadCountiesOnce = sync.OnceValues(func() ([]gridmap.Grid, error) {
	all, err := shareddata.CountyGrids()
	if err != nil {
		return nil, err
	}
	grids := make([]gridmap.Grid, len(all))
	for i, g := range all {
		grids[i] = gridmap.Grid{ID: int64(i + 1), Code: g.Code, Name: g.Name, Level: "county", Boundary: g.Boundary}
	}
	return grids, nil
})

// loadCounties returns the 2,735 counties as flat grids (no parents), code
// from adcode. It skips the test when the data file is missing.
func loadCounties(tb testing.TB) []gridmap.Grid {
	tb.Helper()
	shareddata.Path(tb, shareddata.Counties) // skips, or fails under make test, when absent
	grids, err := loadCountiesOnce()
	if err != nil {
		tb.Fatalf("loading counties: %v", err)
	}
	return grids
}

// Synthetic street: a deterministic stand-in for one street office, built
// on a jittered 22 × 11 lattice of 242 micro-grids covering about 10 km ×
// 6 km (≈ 60 km²) around lon 116.8, lat 35.55 (Yanzhou, Shandong). Lattice
// corners are moved randomly by up to 20% of a cell; every lattice side is
// a wiggly 9-vertex line shared exactly by the two cells on either side.
// Villages are blocks of 4 × 2 cells (36 of them), the street the whole
// lattice; their boundaries walk the same shared lines, so the tree nests
// exactly.
const (
	streetCols = 22
	streetRows = 11
	streetLon  = 116.8 - 0.0555 // south-west corner
	streetLat  = 35.55 - 0.027
	streetDX   = 0.005 // ≈ 453 m
	streetDY   = 0.0049
	sideSteps  = 8
)

type street struct {
	corner [streetCols + 1][streetRows + 1]orb.Point
	rng    *rand.Rand
}

func newStreet(seed uint64) *street {
	s := &street{rng: rand.New(rand.NewPCG(seed, 1))}
	for i := 0; i <= streetCols; i++ {
		for j := 0; j <= streetRows; j++ {
			jx := (s.rng.Float64()*2 - 1) * 0.2 * streetDX
			jy := (s.rng.Float64()*2 - 1) * 0.2 * streetDY
			s.corner[i][j] = orb.Point{streetLon + float64(i)*streetDX + jx, streetLat + float64(j)*streetDY + jy}
		}
	}
	return s
}

// side returns the points strictly between corners (i0,j0) and (i1,j1), a
// lattice step apart, in that direction. The wiggle depends only on the
// side, so both neighbours get the identical points.
func (s *street) side(i0, j0, i1, j1 int) []orb.Point {
	rev := i1 < i0 || j1 < j0
	if rev {
		i0, j0, i1, j1 = i1, j1, i0, j0
	}
	a, b := s.corner[i0][j0], s.corner[i1][j1]
	h := uint64(i0*131+j0*7+1) * uint64(1+boolInt(i1 != i0))
	r := rand.New(rand.NewPCG(h, 2))
	nx, ny := -(b[1] - a[1]), b[0]-a[0] // normal
	pts := make([]orb.Point, 0, sideSteps-1)
	for k := 1; k < sideSteps; k++ {
		t := float64(k) / sideSteps
		w := (r.Float64()*2 - 1) * 0.03
		pts = append(pts, orb.Point{a[0] + t*(b[0]-a[0]) + w*nx, a[1] + t*(b[1]-a[1]) + w*ny})
	}
	if rev {
		for x, y := 0, len(pts)-1; x < y; x, y = x+1, y-1 {
			pts[x], pts[y] = pts[y], pts[x]
		}
	}
	return pts
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// block returns the counter-clockwise closed ring around lattice cells
// [i0,i1) × [j0,j1).
func (s *street) block(i0, j0, i1, j1 int) orb.Ring {
	var r orb.Ring
	walk := func(i, j, di, dj, n int) {
		for k := 0; k < n; k++ {
			r = append(r, s.corner[i][j])
			r = append(r, s.side(i, j, i+di, j+dj)...)
			i, j = i+di, j+dj
		}
	}
	walk(i0, j0, 1, 0, i1-i0)
	walk(i1, j0, 0, 1, j1-j0)
	walk(i1, j1, -1, 0, i1-i0)
	walk(i0, j1, 0, -1, j1-j0)
	return append(r, r[0])
}

// streetGrids returns 1 street, 36 villages and 242 micro-grids.
func streetGrids(tb testing.TB) []gridmap.Grid {
	tb.Helper()
	s := newStreet(20240601)
	const sc = "370812001"
	grids := []gridmap.Grid{{
		ID: 1, Code: sc, Name: "合成街道 (synthetic)", Level: gridmap.LevelStreet,
		Boundary: orb.MultiPolygon{{s.block(0, 0, streetCols, streetRows)}},
	}}
	v := 0
	for vj := 0; vj < streetRows; vj += 2 {
		for vi := 0; vi < streetCols; vi += 4 {
			v++
			vc := fmt.Sprintf("%s%03d", sc, v)
			i1, j1 := min(vi+4, streetCols), min(vj+2, streetRows)
			grids = append(grids, gridmap.Grid{
				ID: int64(len(grids) + 1), Code: vc, Name: fmt.Sprintf("合成村 %d", v),
				Level: gridmap.LevelVillage, Parent: sc,
				Boundary: orb.MultiPolygon{{s.block(vi, vj, i1, j1)}},
			})
			m := 0
			for j := vj; j < j1; j++ {
				for i := vi; i < i1; i++ {
					m++
					grids = append(grids, gridmap.Grid{
						ID: int64(len(grids) + 1), Code: fmt.Sprintf("%s%02d", vc, m),
						Name: fmt.Sprintf("合成村 %d 微网格 %d", v, m), Level: gridmap.LevelMicro,
						Parent: vc, Boundary: orb.MultiPolygon{{s.block(i, j, i+1, j+1)}},
					})
				}
			}
		}
	}
	return grids
}

// gridBounds returns the bound of all boundaries.
func gridBounds(grids []gridmap.Grid) orb.Bound {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, g := range grids {
		if len(g.Boundary) > 0 {
			b = b.Union(g.Boundary.Bound())
		}
	}
	return b
}

// randomPoints returns n points uniform in b, from a fixed seed.
func randomPoints(b orb.Bound, n int, seed uint64) []orb.Point {
	r := rand.New(rand.NewPCG(seed, 3))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{
			b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]),
			b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1]),
		}
	}
	return pts
}

// allRings returns every ring of the grids' boundaries, in order.
func allRings(grids []gridmap.Grid) []orb.Ring {
	var rings []orb.Ring
	for _, g := range grids {
		for _, p := range g.Boundary {
			rings = append(rings, p...)
		}
	}
	return rings
}

// edgePoints returns n points on or near the grids' edges: a random
// vertex, a random point along a random edge, or such a point moved by up
// to jitter degrees.
func edgePoints(grids []gridmap.Grid, n int, jitter float64, seed uint64) []orb.Point {
	r := rand.New(rand.NewPCG(seed, 4))
	rings := allRings(grids)
	pts := make([]orb.Point, n)
	for i := range pts {
		ring := rings[r.IntN(len(rings))]
		k := r.IntN(len(ring) - 1)
		a, b := ring[k], ring[k+1]
		switch i % 3 {
		case 0:
			pts[i] = a
		case 1:
			t := r.Float64()
			pts[i] = orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
		default:
			t := r.Float64()
			pts[i] = orb.Point{
				a[0] + t*(b[0]-a[0]) + (r.Float64()*2-1)*jitter,
				a[1] + t*(b[1]-a[1]) + (r.Float64()*2-1)*jitter,
			}
		}
	}
	return pts
}

// vertexPoints returns n vertices of the grids' rings, picked with a fixed
// seed: points exactly on a boundary.
func vertexPoints(grids []gridmap.Grid, n int, seed uint64) []orb.Point {
	r := rand.New(rand.NewPCG(seed, 5))
	rings := allRings(grids)
	pts := make([]orb.Point, n)
	for i := range pts {
		ring := rings[r.IntN(len(rings))]
		pts[i] = ring[r.IntN(len(ring)-1)]
	}
	return pts
}
