package tiles

import (
	"maps"
	"slices"
	"strings"

	"github.com/gridmap/gridmap"
)

// maxZoomLimit keeps global tile coordinates (2^(z+log2 Extent)) exact in
// float64 and their products exact in int64.
const maxZoomLimit = 24

// Config sets how a Set cuts tiles. A zero field takes its value from
// DefaultConfig; the comments say how to ask for "none" where that makes
// sense.
type Config struct {
	// MinZoom and MaxZoom bound the zooms served (defaults 0 and 18, at
	// most 24). Tiles outside them are EINVALID.
	MinZoom, MaxZoom uint32

	// Extent is the side of a tile in tile units, the MVT extent
	// (default 4096).
	Extent uint32

	// Buffer is how far polygons reach past each tile edge before they are
	// clipped, in tile units (default 64, 1/64 of a 4096 tile).
	Buffer uint32

	// Tolerance is the Douglas–Peucker tolerance in tile units of the
	// zoom being cut (default 6: 0.375 pixel of a 256-pixel tile, 0.75 CSS
	// pixel of MapLibre's 512-pixel tiles; it keeps every z0–z6 tile of
	// China's 2,735 counties under 100 KB). Negative: no simplification,
	// only snapping to whole tile units.
	Tolerance float64

	// MinArea, in tile units², is the smallest polygon or hole that
	// simplification may never drop (default 256, one pixel of a
	// 256-pixel tile at extent 4096). Negative: never drop any.
	MinArea float64

	// LabelMinRadius is the smallest radius, in tile units, of a grid's
	// inscribed circle for its label to be written at a zoom (default 64,
	// so a label needs about 16 CSS pixels of room on a 512-pixel tile).
	// Negative: every label at every zoom.
	LabelMinRadius float64

	// LevelMinZoom is the first zoom at which each level is drawn; a level
	// not listed is drawn at every zoom. nil takes the default (street 0,
	// village 11, micro 13); an empty map draws every level everywhere.
	LevelMinZoom map[gridmap.Level]uint32
}

// DefaultConfig returns the defaults, suited to a street of about 60 km²
// cut into villages and micro-grids, viewed on a MapLibre wall map.
func DefaultConfig() Config {
	return Config{
		MinZoom:        0,
		MaxZoom:        18,
		Extent:         4096,
		Buffer:         64,
		Tolerance:      6,
		MinArea:        256,
		LabelMinRadius: 64,
		LevelMinZoom: map[gridmap.Level]uint32{
			gridmap.LevelStreet:  0,
			gridmap.LevelVillage: 11,
			gridmap.LevelMicro:   13,
		},
	}
}

// withDefaults fills zero fields and checks ranges. Errors: EINVALID.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.MaxZoom == 0 {
		c.MaxZoom = d.MaxZoom
	}
	if c.Extent == 0 {
		c.Extent = d.Extent
	}
	if c.Buffer == 0 {
		c.Buffer = d.Buffer
	}
	if c.Tolerance == 0 {
		c.Tolerance = d.Tolerance
	}
	if c.MinArea == 0 {
		c.MinArea = d.MinArea
	}
	if c.LabelMinRadius == 0 {
		c.LabelMinRadius = d.LabelMinRadius
	}
	if c.LevelMinZoom == nil {
		c.LevelMinZoom = d.LevelMinZoom
	} else {
		c.LevelMinZoom = maps.Clone(c.LevelMinZoom) // the Set must not see later edits
	}
	switch {
	case c.MaxZoom > maxZoomLimit:
		return c, gridmap.Errorf(gridmap.EINVALID, "tiles: MaxZoom %d is above %d", c.MaxZoom, maxZoomLimit)
	case c.MinZoom > c.MaxZoom:
		return c, gridmap.Errorf(gridmap.EINVALID, "tiles: MinZoom %d is above MaxZoom %d", c.MinZoom, c.MaxZoom)
	case c.Extent > 1<<16:
		return c, gridmap.Errorf(gridmap.EINVALID, "tiles: Extent %d is above %d", c.Extent, 1<<16)
	case c.Buffer > c.Extent:
		return c, gridmap.Errorf(gridmap.EINVALID, "tiles: Buffer %d is above Extent %d", c.Buffer, c.Extent)
	}
	return c, nil
}

// levelMinZoom returns the first zoom at which level is drawn.
func (c *Config) levelMinZoom(level gridmap.Level) uint32 {
	if z, ok := c.LevelMinZoom[level]; ok {
		return z
	}
	return c.MinZoom
}

// Options select what one tile holds. The zero value follows the Config.
type Options struct {
	// Levels, when not empty, draws exactly these levels at every zoom,
	// overriding Config.LevelMinZoom.
	Levels []gridmap.Level
}

// key returns a canonical form of o for cache keys: sorted, deduplicated.
func (o Options) key() string {
	if len(o.Levels) == 0 {
		return ""
	}
	ls := make([]string, len(o.Levels))
	for i, l := range o.Levels {
		ls[i] = string(l)
	}
	slices.Sort(ls)
	return strings.Join(slices.Compact(ls), "\x00") // a level name may hold a comma
}
