package geo_test

import (
	"math"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestNearest(t *testing.T) {
	// Micro-grids a [116.80, 116.81] × [35.55, 35.56] and b east of it,
	// [116.82, 116.83] × same, c the same size north of b; v a village
	// covering a (a different level).
	box := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	grids := []gridmap.Grid{
		{Code: "v", Level: gridmap.LevelVillage, Boundary: box(116.79, 35.54, 116.815, 35.565)},
		{Code: "a", Level: gridmap.LevelMicro, Parent: "v", Boundary: box(116.80, 35.55, 116.81, 35.56)},
		{Code: "b", Level: gridmap.LevelMicro, Boundary: box(116.82, 35.55, 116.83, 35.56)},
		{Code: "c", Level: gridmap.LevelMicro, Boundary: box(116.82, 35.56, 116.83, 35.57)},
	}
	ix := mustIndex(t, grids)

	// Hand computation, WGS84 (a = 6378137 m, 1/f = 298.257223563): at
	// latitude φ one degree of longitude is π/180 · a·cos φ / √(1−e²sin²φ)
	// and of latitude π/180 · a(1−e²)/(1−e²sin²φ)^1.5, taken at the
	// query's latitude.
	const (
		lonM    = 90667.5022641705 // metres per degree of longitude at 35.555°
		latM    = 110950.7731005664
		lonM497 = 90673.46977450246 // at 35.5497°
		latM497 = 110950.67537424761
		lonM56  = 90661.87182459416 // at 35.56°
	)
	tests := []struct {
		name      string
		p         orb.Point
		max       float64
		exclude   string
		wantCode  string
		wantMetre float64 // hand computed; ignored when wantCode is "" or it is -1
	}{
		{"east of a, 0.0005° from b", orb.Point{116.8195, 35.555}, 100, "a", "b", 0.0005 * lonM},
		{"same point, b beyond 30 m", orb.Point{116.8195, 35.555}, 30, "a", "", 0},
		{"in a near its east edge: b 0.0105° away", orb.Point{116.8095, 35.555}, 2000, "a", "b", 0.0105 * lonM},
		{"north-west of b's corner: the corner", orb.Point{116.8195, 35.5497}, 100, "a", "b", math.Hypot(0.0005*lonM497, 0.0003*latM497)},
		{"between b and c: tie goes to the smaller code", orb.Point{116.8195, 35.56}, 100, "a", "b", 0.0005 * lonM56},
		{"inside b, excluding a: distance 0", orb.Point{116.825, 35.555}, 100, "a", "b", 0},
		{"excluding b, from inside b: c", orb.Point{116.825, 35.5595}, 100, "b", "c", 0.0005 * latM},
		{"any leaf, outside everything", orb.Point{116.8195, 35.555}, 100, "", "b", 0.0005 * lonM},
		{"village level: no other village", orb.Point{116.8195, 35.555}, 1e6, "v", "", 0},
		{"unknown exclude", orb.Point{116.8195, 35.555}, 1e6, "zz", "", 0},
		{"no limit, far away", orb.Point{100, 20}, math.Inf(1), "", "a", -1},
		{"no limit, no other village", orb.Point{100, 20}, math.Inf(1), "v", "", 0},
		{"NaN", orb.Point{math.NaN(), 35.555}, 1e6, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m, ok := ix.Nearest(tt.p[0], tt.p[1], tt.max, tt.exclude)
			if tt.wantCode == "" {
				if ok {
					t.Fatalf("Nearest = %q, %.3f m; want none", code, m)
				}
				return
			}
			if !ok || code != tt.wantCode {
				t.Fatalf("Nearest = %q, %.3f m, %v; want %q", code, m, ok, tt.wantCode)
			}
			if d := math.Abs(m - tt.wantMetre); tt.wantMetre >= 0 && d > 1e-6*tt.wantMetre {
				t.Errorf("Nearest distance = %.4f m, want %.4f m", m, tt.wantMetre)
			}
		})
	}
}

// TestNearestFar checks the stated error at tens of kilometres against
// geodesic distances on the WGS84 ellipsoid from Vincenty's inverse
// formula (computed separately; the nearest boundary point is known).
func TestNearestFar(t *testing.T) {
	grids := []gridmap.Grid{{Code: "g", Boundary: orb.MultiPolygon{{{{116.8, 35.55}, {116.81, 35.55}, {116.81, 35.56}, {116.8, 35.56}, {116.8, 35.55}}}}}}
	ix := mustIndex(t, grids)
	tests := []struct {
		name     string
		p        orb.Point
		vincenty float64 // metres to the nearest boundary point
	}{
		{"40 km east", orb.Point{117.25, 35.555}, 39893.668},     // to (116.81, 35.555)
		{"45 km north", orb.Point{116.805, 35.965}, 44936.615},   // to (116.805, 35.56)
		{"42 km north-east", orb.Point{117.1, 35.85}, 41522.267}, // to the corner (116.81, 35.56)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, m, ok := ix.Nearest(tt.p[0], tt.p[1], 60_000, "")
			if !ok {
				t.Fatal("Nearest found nothing within 60 km")
			}
			if rel := math.Abs(m-tt.vincenty) / tt.vincenty; rel > 0.0025 {
				t.Errorf("Nearest = %.1f m, geodesic %.1f m: relative error %.5f > 0.25%%", m, tt.vincenty, rel)
			}
		})
	}
}

// TestNearestBrute compares Nearest with a brute force over every eligible
// grid in the same local metric, on random points in and around the
// synthetic street (30 m, excluding the micro-grid found) and around the
// counties (50 km, any county).
func TestNearestBrute(t *testing.T) {
	type query struct {
		p       orb.Point
		exclude string
		max     float64
	}
	street := streetGrids(t)
	sets := []struct {
		name    string
		grids   []gridmap.Grid
		queries func(ix *geo.Index) []query
	}{
		{"street 30 m", street, func(ix *geo.Index) []query {
			var qs []query
			for _, p := range randomPoints(gridBounds(street).Pad(0.001), 3000, 51) {
				q := query{p, "", 30}
				if h, ok := ix.Lookup(p[0], p[1]); ok && h.Grid().Level == gridmap.LevelMicro {
					q.exclude = h.Grid().Code
				}
				qs = append(qs, q)
			}
			return qs
		}},
	}
	// Without the shared data this case skips, or fails under make test.
	sets = append(sets, struct {
		name    string
		grids   []gridmap.Grid
		queries func(ix *geo.Index) []query
	}{"counties 50 km", nil, func(ix *geo.Index) []query {
		var qs []query
		b := ix.At(0).Boundary.Bound()
		for i := range ix.Len() {
			b = b.Union(ix.At(i).Boundary.Bound())
		}
		for _, p := range randomPoints(b, 100, 52) {
			qs = append(qs, query{p, "", 50_000})
		}
		return qs
	}})
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			if s.grids == nil {
				if testing.Short() {
					t.Skip("-short: no counties")
				}
				s.grids = loadCounties(t)
			}
			ix := mustIndex(t, s.grids)
			found := 0
			for _, q := range s.queries(ix) {
				code, m, ok := ix.Nearest(q.p[0], q.p[1], q.max, q.exclude)
				wantCode, wantM, wantOK := bruteNearest(ix, s.grids, q.p, q.max, q.exclude)
				if ok != wantOK || code != wantCode || math.Abs(m-wantM) > 1e-6*max(1, wantM) {
					t.Fatalf("Nearest(%v, %g, %q) = %q, %.6f, %v; brute force %q, %.6f, %v",
						q.p, q.max, q.exclude, code, m, ok, wantCode, wantM, wantOK)
				}
				if ok {
					found++
				}
			}
			t.Logf("%d queries found a grid", found)
		})
	}
}

// bruteNearest checks every grid: same level as exclude (leaves when
// exclude is ""), distance 0 inside, else to the nearest edge in the plane
// scaled at the point's latitude.
func bruteNearest(ix *geo.Index, grids []gridmap.Grid, p orb.Point, maxM float64, exclude string) (string, float64, bool) {
	const a, f = 6378137.0, 1 / 298.257223563
	e2 := f * (2 - f)
	phi := p[1] * math.Pi / 180
	w := 1 - e2*math.Sin(phi)*math.Sin(phi)
	kx := a / math.Sqrt(w) * math.Cos(phi) * math.Pi / 180
	ky := a * (1 - e2) / (w * math.Sqrt(w)) * math.Pi / 180
	var level gridmap.Level
	if exclude != "" {
		g, _ := ix.Grid(exclude)
		level = g.Level
	}
	parents := map[string]bool{}
	for _, g := range grids {
		parents[g.Parent] = true
	}
	bestCode, best := "", math.Inf(1)
	for _, g := range grids {
		if exclude != "" && (g.Code == exclude || g.Level != level) {
			continue
		}
		if exclude == "" && parents[g.Code] {
			continue
		}
		if len(g.Boundary) == 0 {
			continue
		}
		b := g.Boundary.Bound()
		bx := math.Max(0, math.Max(b.Min[0]-p[0], p[0]-b.Max[0])) * kx
		by := math.Max(0, math.Max(b.Min[1]-p[1], p[1]-b.Max[1])) * ky
		if math.Hypot(bx, by) > min(best, maxM) {
			continue // cannot be nearer
		}
		d := math.Inf(1)
		if planar.MultiPolygonContains(g.Boundary, p) {
			d = 0
		} else {
			for _, poly := range g.Boundary {
				for _, r := range poly {
					for i := 0; i+1 < len(r); i++ {
						ax, ay := (r[i][0]-p[0])*kx, (r[i][1]-p[1])*ky
						bx, by := (r[i+1][0]-p[0])*kx, (r[i+1][1]-p[1])*ky
						dx, dy := bx-ax, by-ay
						l, t := dx*dx+dy*dy, -(ax*dx + ay*dy)
						switch {
						case t <= 0 || l == 0:
							d = min(d, math.Hypot(ax, ay))
						case t >= l:
							d = min(d, math.Hypot(bx, by))
						default:
							d = min(d, math.Hypot(ax+t/l*dx, ay+t/l*dy))
						}
					}
				}
			}
		}
		if d < best || (d == best && g.Code < bestCode) {
			bestCode, best = g.Code, d
		}
	}
	if best > maxM {
		return "", 0, false
	}
	return bestCode, best, true
}
