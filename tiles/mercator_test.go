package tiles

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func TestMercator(t *testing.T) {
	tests := []struct {
		name  string
		p     orb.Point // degrees
		world orb.Point // unit square, y down
	}{
		{"origin", orb.Point{0, 0}, orb.Point{0.5, 0.5}},
		{"north edge", orb.Point{-180, maxLat}, orb.Point{0, 0}},
		{"south edge", orb.Point{180, -maxLat}, orb.Point{1, 1}},
		{"beyond the south edge is clamped south", orb.Point{0, -89}, orb.Point{0.5, 1}},
		{"Yanzhou", orb.Point{116.8, 35.55}, orb.Point{maptile.Fraction(orb.Point{116.8, 35.55}, 20)[0] / (1 << 20), maptile.Fraction(orb.Point{116.8, 35.55}, 20)[1] / (1 << 20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := toWorld(tt.p)
			if planarDist(w, tt.world) > 1e-9 {
				t.Errorf("toWorld(%v) = %v, want %v", tt.p, w, tt.world)
			}
			back := fromWorld(w)
			if lat := math.Max(-maxLat, math.Min(maxLat, tt.p[1])); planarDist(back, orb.Point{tt.p[0], lat}) > 1e-9 {
				t.Errorf("fromWorld(toWorld(%v)) = %v", tt.p, back)
			}
		})
	}
}

func planarDist(a, b orb.Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }
