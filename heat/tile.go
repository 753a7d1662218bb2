package heat

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
)

// Heat tiles. A tile z/x/y (XYZ scheme on EPSG:3857) is cut into
// 2^CellBits × 2^CellBits square cells; every matching incident in the
// tile falls in one cell, and each non-empty cell becomes one point feature
// at the mean position of its incidents, with property "count". The sum of
// the counts over the tiles covering an area is the number of incidents in
// it at every zoom, so a MapLibre heatmap layer weighted by
// ["get", "count"] shows the same density from the whole city to one
// street; at street zoom a cell holds one or a few incidents and the point
// sits where they are.
//
// Tiles have no buffer: each incident is in exactly one tile. MapLibre
// draws heatmap kernels across tile edges without clipping them, so a
// buffer would count the incidents near an edge twice.

// Extent is the tile extent in tile units (MVT default).
const Extent = 4096

// DefaultCellBits gives 64 × 64 cells of 64 tile units (8 pixels of a
// 512-pixel tile), at most 4,096 features per tile.
const DefaultCellBits = 6

// MaxZoom is the deepest zoom served: 32-bit world coordinates resolve
// about 1 cm, a tile unit at zoom 20.
const MaxZoom = 24

// Cell is one non-empty cell of a heat tile. X and Y are the mean position
// of its incidents in tile units (0..Extent, y down).
type Cell struct {
	X, Y  int32
	Count int
}

type cellAcc struct {
	n      int64
	sx, sy int64
}

// Tile returns the non-empty cells of tile z/x/y for the incidents matching
// f, in row-major cell order. cellBits is log2 of the cells per tile side
// (1 to 12; DefaultCellBits when 0). Errors: EINVALID for a zoom beyond
// MaxZoom or x, y outside the zoom's range.
func (a *Aggregate) Tile(z, x, y uint32, f Filter, cellBits uint) ([]Cell, error) {
	if cellBits == 0 {
		cellBits = DefaultCellBits
	}
	if z > MaxZoom {
		return nil, gridmap.Errorf(gridmap.EINVALID, "zoom %d is beyond the deepest heat zoom %d", z, MaxZoom)
	}
	if cellBits > 12 {
		return nil, gridmap.Errorf(gridmap.EINVALID, "cell bits %d is more than 12", cellBits)
	}
	if uint64(x) >= 1<<z || uint64(y) >= 1<<z {
		return nil, gridmap.Errorf(gridmap.EINVALID, "tile %d/%d/%d does not exist: x and y run from 0 to %d at zoom %d", z, x, y, (uint64(1)<<z)-1, z)
	}
	side := 1 << cellBits
	acc := make([]cellAcc, side*side)
	const frac = 1<<32 - 1
	unitShift := 32 - 12 // fraction of a tile (32 bits) to tile units (Extent = 2^12)
	cellShift := 32 - cellBits

	a.mu.RLock()
	c := a.compile(f)
	wx, wy, t, g, cat, st, due := a.wx, a.wy, a.t, a.grid, a.cat, a.st, a.due
	tx, ty := uint64(x), uint64(y)
	a.blocks(c, func(start, end int) {
		lo, hi, dueOn := c.lo, c.hi, c.due
		for i := start; i < end; i++ {
			fx := uint64(wx[i]) << z
			if fx>>32 != tx {
				continue
			}
			fy := uint64(wy[i]) << z
			if fy>>32 != ty {
				continue
			}
			if ti := t[i]; ti < lo || ti > hi || !c.catOK[cat[i]] || !c.stOK[st[i]] ||
				c.gridOK != nil && !c.gridOK[g[i]+1] ||
				dueOn && c.overdue(st[i], due[i]) != c.dueWant {
				continue
			}
			fx &= frac
			fy &= frac
			k := int(fy>>cellShift)<<cellBits | int(fx>>cellShift)
			acc[k].n++
			acc[k].sx += int64(fx >> unitShift)
			acc[k].sy += int64(fy >> unitShift)
		}
	})
	a.mu.RUnlock()

	var cells []Cell
	for _, ac := range acc {
		if ac.n == 0 {
			continue
		}
		cells = append(cells, Cell{X: int32(ac.sx / ac.n), Y: int32(ac.sy / ac.n), Count: int(ac.n)})
	}
	return cells, nil
}

// EncodeTile encodes cells as a gzipped MVT 2.1 tile with one point layer
// named "heat" (extent Extent), each feature with property "count".
// It returns nil for no cells: an empty tile.
func EncodeTile(cells []Cell) ([]byte, error) {
	if len(cells) == 0 {
		return nil, nil
	}
	feats := make([]*geojson.Feature, len(cells))
	for i, c := range cells {
		f := geojson.NewFeature(orb.Point{float64(c.X), float64(c.Y)})
		f.Properties = geojson.Properties{"count": c.Count}
		feats[i] = f
	}
	layer := &mvt.Layer{Name: "heat", Version: 2, Extent: Extent, Features: feats}
	return mvt.MarshalGzipped(mvt.Layers{layer})
}
