package heat

import (
	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// GridCount is one grid's count, for a choropleth.
type GridCount struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ByLevel rolls counts by assigned grid (GridCounts.ByCode) up to the
// grids of level in ix: every grid of that level is listed, in code order,
// zeros included, with the incidents assigned to it or to any grid below
// it. Incidents whose grid is not at or below a grid of level in ix (a
// code retired since, or a grid above the level) are counted in elsewhere.
// The tree queries are geo's (Index.OfLevel, Index.AncestorAt).
func ByLevel(ix *geo.Index, level gridmap.Level, byCode map[string]int) (counts []GridCount, elsewhere int) {
	pos := map[string]int{}
	for i, g := range ix.OfLevel(level) {
		counts = append(counts, GridCount{Code: g.Code, Name: g.Name})
		pos[g.Code] = i
	}
	for code, n := range byCode {
		if g, ok := ix.AncestorAt(code, level); ok {
			counts[pos[g.Code]].Count += n
		} else {
			elsewhere += n
		}
	}
	return counts, elsewhere
}
