package tiles

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// TileJSON describes a Set's tiles in TileJSON 3.0.0, for MapLibre, QGIS
// and GDAL. Marshal it with encoding/json.
type TileJSON struct {
	TileJSON    string   `json:"tilejson"` // "3.0.0"
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Scheme      string   `json:"scheme"` // "xyz"
	Tiles       []string `json:"tiles"`
	MinZoom     uint32   `json:"minzoom"`
	MaxZoom     uint32   `json:"maxzoom"`
	// Bounds is west, south, east, north in EPSG:4326 degrees.
	Bounds [4]float64 `json:"bounds"`
	// Center is longitude, latitude (degrees) and a zoom at which the
	// data fill about one tile.
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer of the tiles.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	Fields      map[string]string `json:"fields"` // property → what it holds
	MinZoom     uint32            `json:"minzoom"`
	MaxZoom     uint32            `json:"maxzoom"`
}

// TileJSON returns the TileJSON of s. Its tile URL is
// {baseURL}/tiles/grids/{z}/{x}/{y}.mvt?v={version}: carrying the data
// version makes the URL change with the data, so tiles can be cached for
// long and are never stale.
func (s *Set) TileJSON(baseURL string) TileJSON {
	levels := make([]string, len(s.levels))
	minZoom := s.cfg.MaxZoom
	for i, l := range s.levels {
		levels[i] = string(l)
		minZoom = min(minZoom, s.cfg.levelMinZoom(l))
	}
	if len(levels) == 0 {
		minZoom = s.cfg.MinZoom
	}
	levelDoc := "String. Tier of the grid tree (street, village, micro, or one a city added)"
	if len(levels) > 0 {
		levelDoc += "; in these tiles: " + strings.Join(levels, ", ")
	}
	fields := func(parent bool) map[string]string {
		f := map[string]string{
			"code":  "String. Grid code, unique and hierarchical (parent code + sequence).",
			"name":  "String. Grid name.",
			"level": levelDoc + ".",
		}
		if parent {
			f["parent"] = "String. Code of the parent grid; absent for a root grid."
		}
		return f
	}

	tj := TileJSON{
		TileJSON:    "3.0.0",
		Name:        "grids",
		Description: fmt.Sprintf("Grid boundaries and labels, data version %d. Feature ids are the grids' stable numeric ids, for feature-state.", s.version),
		Scheme:      "xyz",
		Tiles:       []string{strings.TrimRight(baseURL, "/") + "/tiles/grids/{z}/{x}/{y}.mvt?v=" + strconv.FormatInt(s.version, 10)},
		MinZoom:     s.cfg.MinZoom,
		MaxZoom:     s.cfg.MaxZoom,
		Bounds:      [4]float64{-180, -maxLat, 180, maxLat},
		VectorLayers: []VectorLayer{
			{ID: GridsLayer, Description: "Grid polygons, clipped to each tile with a buffer; id = grid id.", Fields: fields(true), MinZoom: minZoom, MaxZoom: s.cfg.MaxZoom},
			{ID: LabelsLayer, Description: "One point per grid at its pole of inaccessibility, where its inscribed circle is big enough for a label; id = grid id.", Fields: fields(false), MinZoom: minZoom, MaxZoom: s.cfg.MaxZoom},
		},
	}
	if len(s.features) > 0 {
		b := s.bound
		tj.Bounds = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		w := worldBound(b)
		size := math.Max(w.Max[0]-w.Min[0], w.Max[1]-w.Min[1])
		z := uint32(s.cfg.MaxZoom)
		if size > 0 {
			z = uint32(max(0, math.Floor(-math.Log2(size))))
		}
		z = max(s.cfg.MinZoom, min(s.cfg.MaxZoom, z))
		c := fromWorld(w.Center())
		tj.Center = [3]float64{c[0], c[1], float64(z)}
	}
	return tj
}
