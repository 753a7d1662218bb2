package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// squares returns four leaf grids of 0.01° squares, A B over C D, below
// one parent covering them.
func squares(tb testing.TB) *geo.Index {
	tb.Helper()
	sq := func(x, y float64) orb.MultiPolygon {
		const d = 0.01
		return orb.MultiPolygon{{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}}
	}
	const x0, y0 = 116.0, 35.0
	return mustIndex(tb, []gridmap.Grid{
		{Code: "P", Level: gridmap.LevelVillage, Boundary: orb.MultiPolygon{{{{x0, y0}, {x0 + 0.02, y0}, {x0 + 0.02, y0 + 0.02}, {x0, y0 + 0.02}, {x0, y0}}}}},
		{Code: "A", Parent: "P", Level: gridmap.LevelMicro, Boundary: sq(x0, y0+0.01)},
		{Code: "B", Parent: "P", Level: gridmap.LevelMicro, Boundary: sq(x0+0.01, y0+0.01)},
		{Code: "C", Parent: "P", Level: gridmap.LevelMicro, Boundary: sq(x0, y0)},
		{Code: "D", Parent: "P", Level: gridmap.LevelMicro, Boundary: sq(x0+0.01, y0)},
	})
}

func codes(vs []geo.Visit) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Grid.Code)
	}
	return out
}

func TestVisitedGrids(t *testing.T) {
	ix := squares(t)
	for _, c := range []struct {
		name  string
		track orb.LineString
		want  []string
	}{
		{"inside one", orb.LineString{{116.002, 35.002}, {116.004, 35.003}}, []string{"C"}},
		{"one point", orb.LineString{{116.015, 35.015}}, []string{"B"}},
		{"crosses C to D", orb.LineString{{116.005, 35.005}, {116.015, 35.005}}, []string{"C", "D"}},
		// No vertex inside A or D: the segment passes through them.
		{"diagonal through three", orb.LineString{{115.995, 35.018}, {116.025, 35.004}}, []string{"A", "B", "D"}},
		{"passes over, no vertex inside", orb.LineString{{115.99, 35.005}, {116.03, 35.005}}, []string{"C", "D"}},
		{"touches the corner of all four", orb.LineString{{116.0, 35.03}, {116.01, 35.02}, {116.01, 35.01}}, []string{"A", "B", "C", "D"}},
		{"outside", orb.LineString{{115.9, 35.005}, {115.95, 35.005}}, []string{}},
		{"along the shared edge of A and B", orb.LineString{{116.01, 35.012}, {116.01, 35.018}}, []string{"A", "B"}},
	} {
		got := codes(ix.VisitedGrids(c.track, nil))
		if !slicesEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	// keep: the village level only.
	got := codes(ix.VisitedGrids(orb.LineString{{116.005, 35.005}, {116.015, 35.005}}, func(g *gridmap.Grid) bool { return g.Level == gridmap.LevelVillage }))
	if !slicesEqual(got, []string{"P"}) {
		t.Errorf("keep village: got %v", got)
	}
}

func TestVisitedGridsMetres(t *testing.T) {
	ix := squares(t)
	// 0.01° east along latitude 35.005, half in C and half in D.
	track := orb.LineString{{116.005, 35.005}, {116.015, 35.005}}
	vs := ix.VisitedGrids(track, nil)
	total := geo.TrackMetres(track)
	// 0.01° of longitude at 35° N is about 912 m.
	if math.Abs(total-912.5) > 2 {
		t.Fatalf("length %.1f m, want about 912.5", total)
	}
	for _, v := range vs {
		if math.Abs(v.Metres-total/2) > geoPiece {
			t.Errorf("%s: %.1f m, want about %.1f", v.Grid.Code, v.Metres, total/2)
		}
	}
	// A hop outside every grid adds nothing.
	vs = ix.VisitedGrids(orb.LineString{{115.9, 35.005}, {115.95, 35.005}}, nil)
	if len(vs) != 0 {
		t.Errorf("outside: %v", codes(vs))
	}
}

const geoPiece = 25 // pieceMetres

// TestVisitedGridsBrute checks random tracks over the street against a
// brute force over every micro-grid: an endpoint inside (orb/planar) or
// a segment crossing an edge, tested on every edge.
func TestVisitedGridsBrute(t *testing.T) {
	grids := streetGrids(t)
	ix := mustIndex(t, grids)
	b := gridBounds(grids)
	rng := rand.New(rand.NewPCG(15, 1))
	for range 300 {
		track := randomTrack(rng, b, 2+rng.IntN(30))
		want := []string{}
		for i := range grids {
			g := &grids[i]
			if g.Level == gridmap.LevelMicro && bruteIntersects(g.Boundary, track) {
				want = append(want, g.Code)
			}
		}
		got := codes(ix.VisitedGrids(track, nil))
		if !slicesEqual(got, want) {
			t.Fatalf("track %v: got %v, want %v", track, got, want)
		}
	}
}

// randomTrack is a walk of n points from a random start in b, steps of
// up to about 300 m.
func randomTrack(rng *rand.Rand, b orb.Bound, n int) orb.LineString {
	p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
	out := orb.LineString{p}
	for range n - 1 {
		p = orb.Point{p[0] + (rng.Float64()-0.5)*0.006, p[1] + (rng.Float64()-0.5)*0.005}
		out = append(out, p)
	}
	return out
}

func bruteIntersects(mp orb.MultiPolygon, ls orb.LineString) bool {
	for _, p := range ls {
		if planar.MultiPolygonContains(mp, p) {
			return true
		}
	}
	for i := 0; i+1 < len(ls); i++ {
		for _, poly := range mp {
			for _, r := range poly {
				for j := 0; j+1 < len(r); j++ {
					if geo.SegmentsMeet(ls[i], ls[i+1], r[j], r[j+1]) {
						return true
					}
				}
			}
		}
	}
	return false
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
