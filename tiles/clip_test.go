package tiles

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// rect returns the ring of a rectangle, oriented as an exterior (positive
// area, y down) or a hole.
func rect(x0, y0, x1, y1 float64, exterior bool) orb.Ring {
	r := orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	if !exterior {
		slices.Reverse(r)
	}
	return r
}

// oriented returns r turned to be an exterior (or a hole).
func oriented(r orb.Ring, exterior bool) orb.Ring {
	if (signedArea(r) > 0) != exterior {
		r = slices.Clone(r)
		slices.Reverse(r)
	}
	return r
}

// mpArea returns the area of snapped polygons, holes subtracted.
func mpArea(mp orb.MultiPolygon) float64 {
	a := 0.0
	for _, p := range mp {
		for _, r := range p {
			a += float64(area2(r)) / 2
		}
	}
	return a
}

// checkPolygons fails tb unless every polygon is valid and simple within
// [lo, hi].
func checkPolygons(tb testing.TB, mp orb.MultiPolygon, lo, hi float64) {
	tb.Helper()
	for pi, p := range mp {
		for ri, r := range p {
			checkRing(tb, r, ri == 0, lo, hi, fmt.Sprintf("polygon %d ring %d", pi, ri))
		}
		if !simple(p) {
			tb.Fatalf("polygon %d is not simple: %v", pi, p)
		}
	}
}

func TestClipPolygon(t *testing.T) {
	cl := newClipper(100, 10) // snapped box [-10, 110]
	uShape := oriented(orb.Ring{{50, 20}, {150, 20}, {150, 80}, {50, 80}, {50, 60}, {130, 60}, {130, 40}, {50, 40}, {50, 20}}, true)
	tests := []struct {
		name  string
		in    orb.Polygon
		parts int
		holes int
		area  float64
	}{
		{name: "outside", in: orb.Polygon{rect(200, 200, 300, 300, true)}},
		{name: "inside", in: orb.Polygon{rect(10, 10, 20, 30, true)}, parts: 1, area: 200},
		{name: "across an edge", in: orb.Polygon{rect(50, 50, 300, 60, true)}, parts: 1, area: 60 * 10},
		{name: "surrounds the tile", in: orb.Polygon{rect(-50, -50, 200, 200, true)}, parts: 1, area: 120 * 120},
		{
			name:  "surrounds the tile, hole inside",
			in:    orb.Polygon{rect(-50, -50, 200, 200, true), rect(40, 40, 60, 60, false)},
			parts: 1, holes: 1, area: 120*120 - 400,
		},
		{
			name:  "surrounds the tile, hole across an edge",
			in:    orb.Polygon{rect(-50, -50, 200, 200, true), rect(100, 40, 150, 60, false)},
			parts: 1, area: 120*120 - 10*20,
		},
		{
			name: "tile inside a hole",
			in:   orb.Polygon{rect(-100, -100, 300, 300, true), rect(-50, -50, 200, 200, false)},
		},
		{name: "leaves and re-enters: two polygons, no bridge", in: orb.Polygon{uShape}, parts: 2, area: 2 * 60 * 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in.Clone()
			out := cl.polygon(tt.in)
			if !tt.in.Equal(in) {
				t.Fatal("polygon modified its input")
			}
			checkPolygons(t, out, cl.lo, cl.hi)
			holes := 0
			for _, p := range out {
				holes += len(p) - 1
			}
			if len(out) != tt.parts || holes != tt.holes || mpArea(out) != tt.area {
				t.Errorf("clip = %v: %d polygons, %d holes, area %v; want %d, %d, %v", out, len(out), holes, mpArea(out), tt.parts, tt.holes, tt.area)
			}
		})
	}
}

// star returns a random star-shaped ring around c, radii in [r0, r1].
func star(rng *rand.Rand, c orb.Point, r0, r1 float64, n int, exterior bool) orb.Ring {
	r := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		d := r0 + (r1-r0)*rng.Float64()
		r = append(r, orb.Point{math.Round(c[0] + d*math.Cos(a)), math.Round(c[1] + d*math.Sin(a))})
	}
	r = cleanRing(r)
	if r == nil {
		return nil
	}
	return oriented(r, exterior)
}

// TestClipRandom clips random star polygons, with and without holes,
// against the box: the result must be valid and simple, and its area that
// of Sutherland–Hodgman clipping (exact in area, if not in shape).
func TestClipRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cl := newClipper(100, 10)
	exact := orb.Bound{Min: orb.Point{cl.lo, cl.lo}, Max: orb.Point{cl.hi, cl.hi}}
	for i := range 2000 {
		c := orb.Point{-80 + 260*rng.Float64(), -80 + 260*rng.Float64()}
		outer := star(rng, c, 40, 150, 5+rng.IntN(40), true)
		if outer == nil || !simple(orb.Polygon{outer}) {
			continue
		}
		p := orb.Polygon{outer}
		if rng.IntN(2) == 0 {
			if h := star(rng, c, 5, 35, 3+rng.IntN(12), false); h != nil && simple(orb.Polygon{outer, h}) {
				p = append(p, h)
			}
		}
		out := cl.polygon(p)
		checkPolygons(t, out, cl.lo, cl.hi)

		want := 0.0
		if sh := clip.Polygon(exact, p.Clone()); sh != nil {
			for _, r := range sh {
				want += signedArea(r)
			}
		}
		// Clipping half a unit outside [lo, hi] and then snapping the cut
		// onto it differs from clipping at [lo, hi] by at most a half-unit
		// strip along the box edges, plus rounding at each cut.
		if got := mpArea(out); math.Abs(got-want) > 2*(cl.hi-cl.lo)+float64(len(outer)) {
			t.Fatalf("case %d: area %v, Sutherland–Hodgman %v\npolygon %v\nclipped %v", i, got, want, p, out)
		}
	}
}

// TestCutSimple checks the shortcut of clipper.cutSimple against simple
// on polygons cut from random simple rings with narrow spikes, where
// snapping the cut points folds them: both must agree on every polygon, and
// cut must give what polygon gives.
func TestCutSimple(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cl := newClipper(100, 10)
	folded, checked := 0, 0
	for range 4000 {
		c := orb.Point{-60 + 220*rng.Float64(), -60 + 220*rng.Float64()}
		outer := star(rng, c, 2, 120, 20+rng.IntN(200), true)
		if outer == nil || !simple(orb.Polygon{outer}) {
			continue
		}
		p := orb.Polygon{outer}
		if cl.enters(outer) {
			for _, q := range cl.smartclip(p) {
				s := cl.snapPolygon(q)
				if s == nil {
					continue
				}
				checked++
				want := simple(s)
				if !want {
					folded++
				}
				if got := cl.cutSimple(s); got != want {
					t.Fatalf("cutSimple = %v, simple = %v\nring %v\ncut %v", got, want, outer, s)
				}
			}
		}
		got, want := cl.cut(p, true), cl.polygon(p)
		if !slices.EqualFunc(got, want, func(a, b orb.Polygon) bool { return a.Equal(b) }) {
			t.Fatalf("cut(valid) = %v, polygon = %v", got, want)
		}
	}
	t.Logf("%d cut polygons, %d folded by snapping", checked, folded)
	if folded == 0 {
		t.Error("no polygon folded: the test does not reach the repairs")
	}
}
