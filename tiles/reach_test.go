package tiles

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// polygonsEqual reports whether two results of clipping are the same.
func polygonsEqual(a, b orb.MultiPolygon) bool {
	return slices.EqualFunc(a, b, func(p, q orb.Polygon) bool { return p.Equal(q) })
}

// bigStar returns a star ring of n points around c (whole units of a
// zoom's global grid), radii r0 to r1, as an exterior; nil if it is not
// simple.
func bigStar(rng *rand.Rand, c orb.Point, r0, r1 float64, n int) orb.Ring {
	r := star(rng, c, r0, r1, n, true)
	if r == nil || !simple(orb.Polygon{r}) {
		return nil
	}
	return r
}

// TestReducePrecomputed clips long snapped rings (many chunks) to tiles
// placed on them: cutting the ring reduced to the chunks a tile reaches
// must give what cutting the whole ring gives, and so for the test whether
// a ring that misses the tile surrounds it.
func TestReducePrecomputed(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const extent, buffer = 256, 16
	cl := newClipper(extent, buffer)
	cases, shrunk := 0, 0
	for i := range 300 {
		c := orb.Point{100000 + math.Round(rng.Float64()*1000), 100000 + math.Round(rng.Float64()*1000)}
		r := bigStar(rng, c, 200+rng.Float64()*300, 900+rng.Float64()*600, 200+rng.IntN(2000))
		if r == nil {
			continue
		}
		p := orb.Polygon{r}
		idx := indexPolygon(p, false)
		for range 10 {
			// A tile somewhere over the ring's bound, often on its outline,
			// sometimes inside it away from the outline, sometimes outside.
			b := idx[0].bound
			ox := math.Round(b.Min[0] - extent + rng.Float64()*(b.Max[0]-b.Min[0]+extent))
			oy := math.Round(b.Min[1] - extent + rng.Float64()*(b.Max[1]-b.Min[1]+extent))
			xf := xform{snapped: true, ox: ox, oy: oy}
			q := orb.Bound{
				Min: orb.Point{cl.box.Min[0] + ox, cl.box.Min[1] + oy},
				Max: orb.Point{cl.box.Max[0] + ox, cl.box.Max[1] + oy},
			}
			whole := orb.Polygon{xf.ring(nil, r)}
			reduced := orb.Polygon{xf.reduce(nil, r, &idx[0], q)}
			if len(reduced[0]) > len(whole[0]) {
				t.Fatalf("case %d: reduced ring of %d points from %d", i, len(reduced[0]), len(whole[0]))
			}
			cases++
			if 2*len(reduced[0]) < len(whole[0]) {
				shrunk++
			}
			want := cl.polygon(whole)
			if got := cl.polygon(reduced); !polygonsEqual(got, want) {
				t.Fatalf("case %d, tile at %v,%v: reduced %v, whole %v", i, ox, oy, got, want)
			}
			if got := cl.cut(reduced, true); !polygonsEqual(got, want) {
				t.Fatalf("case %d, tile at %v,%v: cut as valid %v, whole %v", i, ox, oy, got, want)
			}
		}
	}
	if shrunk < cases/3 {
		t.Errorf("%d of %d rings reduced to less than half: the test misses reduce", shrunk, cases)
	}
}

// TestReduceWorld does the same for world rings snapped at a zoom beyond
// the precomputed ones: reduced and cleaned, against snapped and cleaned
// whole.
func TestReduceWorld(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const extent, buffer = 4096, 64
	cl := newClipper(extent, buffer)
	cases, shrunk := 0, 0
	for i := range 200 {
		// A wiggly ring of some kilometres near 35°N, in world units.
		c := toWorld(orb.Point{116 + rng.Float64(), 35 + rng.Float64()})
		n := 300 + rng.IntN(3000)
		r := make(orb.Ring, 0, n+1)
		for k := range n {
			a := 2 * math.Pi * float64(k) / float64(n)
			d := 2e-5 * (1 + 0.3*math.Sin(7*a) + 0.05*rng.Float64())
			r = append(r, orb.Point{c[0] + d*math.Cos(a), c[1] + d*math.Sin(a)})
		}
		r = oriented(append(r, r[0]), true)
		p := orb.Polygon{r}
		idx := indexPolygon(p, true)
		z := uint32(14 + rng.IntN(4))
		scale := scaleAt(extent, z)
		for range 10 {
			tx := math.Floor((c[0] + (rng.Float64()-0.5)*5e-5) * float64(uint64(1)<<z))
			ty := math.Floor((c[1] + (rng.Float64()-0.5)*5e-5) * float64(uint64(1)<<z))
			xf := xform{scale: scale, ox: tx * extent, oy: ty * extent}
			q := tileWorldBound(z, uint32(tx), uint32(ty), extent, buffer+1)

			whole := orb.Polygon{cleanRing(xf.ring(nil, r))}
			if area2(whole[0]) <= 0 {
				t.Fatalf("case %d: ring collapsed", i)
			}
			if sign := snappedSign(r, &idx[0], scale); sign != 1 {
				t.Fatalf("case %d: snappedSign %d, want 1", i, sign)
			}
			red := xf.reduce(nil, r, &idx[0], q)
			cases++
			if 2*len(red) < len(r) {
				shrunk++
			}
			red = cleanInPlace(red)
			want := cl.polygon(whole)
			var got orb.MultiPolygon
			if red != nil {
				got = cl.polygon(orb.Polygon{red})
			}
			if !polygonsEqual(got, want) {
				t.Fatalf("case %d, zoom %d tile %v,%v: reduced %v, whole %v", i, z, tx, ty, got, want)
			}
		}
	}
	if shrunk < cases/3 {
		t.Errorf("%d of %d rings reduced to less than half: the test misses reduce", shrunk, cases)
	}
}

// TestSnappedSign checks the sign of the snapped area against snapping,
// on rings thin enough that snapping may turn or flatten them.
func TestSnappedSign(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 3000 {
		c := orb.Point{0.3 + 0.4*rng.Float64(), 0.3 + 0.4*rng.Float64()}
		w, h := 1e-7*rng.Float64(), 1e-9*rng.Float64() // a sliver
		n := 4 + rng.IntN(40)
		r := make(orb.Ring, 0, n+1)
		for k := range n {
			a := 2 * math.Pi * float64(k) / float64(n)
			r = append(r, orb.Point{c[0] + w*math.Cos(a), c[1] + h*math.Sin(a) + 1e-10*rng.Float64()})
		}
		r = append(r, r[0])
		idx := indexPolygon(orb.Polygon{r}, true)
		scale := scaleAt(4096, uint32(rng.IntN(25)))
		xf := xform{scale: scale}
		want := 0
		if a := area2(cleanRing(xf.ring(nil, r))); a > 0 {
			want = 1
		} else if a < 0 {
			want = -1
		}
		if got := snappedSign(r, &idx[0], scale); got != want {
			t.Fatalf("case %d: snappedSign %d, snapping gives %d", i, got, want)
		}
	}
}

// TestSimpleFar checks simple on edges too far apart for the packed sort
// of the sweep, which then sorts by comparison.
func TestSimpleFar(t *testing.T) {
	const far = 1 << 32
	long := orb.Ring{{0, 0}, {far, 0}, {far, 100}, {0, 100}, {0, 0}}
	for _, tt := range []struct {
		name string
		p    orb.Polygon
		want bool
	}{
		{"long", orb.Polygon{long}, true},
		{"bow tie", orb.Polygon{{{0, 0}, {far, 100}, {far, 0}, {0, 100}, {0, 0}}}, false},
		{"hole inside", orb.Polygon{long, {{10, 10}, {10, 50}, {far / 2, 50}, {far / 2, 10}, {10, 10}}}, true},
		{"hole crossing", orb.Polygon{long, {{-2, 10}, {-2, 50}, {far / 2, 50}, {far / 2, 10}, {-2, 10}}}, false},
		{"hole crossing far away", orb.Polygon{long, {{far - 10, 10}, {far - 10, 50}, {far + 2, 50}, {far + 2, 10}, {far - 10, 10}}}, false},
	} {
		if got := simple(tt.p); got != tt.want {
			t.Errorf("%s: simple = %v, want %v", tt.name, got, tt.want)
		}
	}
}
