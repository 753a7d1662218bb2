package report

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// view maps EPSG:4326 degrees into a w×h box (units of the caller: mm
// for PDF, px for SVG), equirectangular with the longitude scaled by the
// cosine of the middle latitude, so a street-sized map keeps its shape.
// y grows up (PDF); SVG flips it.
type view struct {
	b         orb.Bound
	k, ox, oy float64 // scale and offsets
	cos       float64
	w, h      float64
}

func newView(b orb.Bound, w, h float64) view {
	if b.IsEmpty() || b.Max[0]-b.Min[0] <= 0 || b.Max[1]-b.Min[1] <= 0 {
		b = b.Pad(0.001)
	}
	cos := math.Cos((b.Min[1] + b.Max[1]) / 2 * math.Pi / 180)
	dx, dy := (b.Max[0]-b.Min[0])*cos, b.Max[1]-b.Min[1]
	k := min(w/dx, h/dy)
	return view{b: b, k: k, cos: cos, w: w, h: h, ox: (w - dx*k) / 2, oy: (h - dy*k) / 2}
}

func (v view) xy(lon, lat float64) (float64, float64) {
	return v.ox + (lon-v.b.Min[0])*v.cos*v.k, v.oy + (lat-v.b.Min[1])*v.k
}

// mapGrids are the grids a map draws: the micro grids thin, the villages
// bold, within bound.
type mapGrids struct {
	micro, villages []*gridmap.Grid
	bound           orb.Bound
}

// gridsFor returns the grids of the whole index (village == "") or of one
// village and its micro grids.
func gridsFor(ix *geo.Index, village string) mapGrids {
	var m mapGrids
	if ix == nil {
		return m
	}
	first := true
	addBound := func(g *gridmap.Grid) {
		b := g.Boundary.Bound()
		if first {
			m.bound, first = b, false
		} else {
			m.bound = m.bound.Union(b)
		}
	}
	for _, g := range ix.OfLevel(gridmap.LevelVillage) {
		if village == "" || g.Code == village {
			m.villages = append(m.villages, g)
			addBound(g)
		}
	}
	for _, g := range ix.OfLevel(gridmap.LevelMicro) {
		if village == "" {
			m.micro = append(m.micro, g)
			continue
		}
		if v, ok := ix.AncestorAt(g.Code, gridmap.LevelVillage); ok && v.Code == village {
			m.micro = append(m.micro, g)
		}
	}
	return m
}

// sourceColour is the colour of a case's dot by its source (RGB).
func sourceColour(s string) [3]uint8 {
	switch gridmap.Source(s) {
	case gridmap.SourceHotline:
		return [3]uint8{0xd6, 0x27, 0x28}
	case gridmap.SourceVisit:
		return [3]uint8{0xff, 0x7f, 0x0e}
	case gridmap.SourceGridWorker:
		return [3]uint8{0x1f, 0x77, 0xb4}
	}
	return [3]uint8{0x55, 0x55, 0x55}
}
