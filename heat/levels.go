package heat

import (
	"cmp"
	"slices"

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
func ByLevel(ix *geo.Index, level gridmap.Level, byCode map[string]int) (counts []GridCount, elsewhere int) {
	pos := map[string]int{}
	for i := range ix.Len() {
		g := ix.At(i)
		if g.Level == level {
			counts = append(counts, GridCount{Code: g.Code, Name: g.Name})
		}
	}
	slices.SortFunc(counts, func(a, b GridCount) int { return cmp.Compare(a.Code, b.Code) })
	for i, c := range counts {
		pos[c.Code] = i
	}
	for code, n := range byCode {
		placed := false
		for _, g := range ix.Chain(code) {
			if g.Level == level {
				counts[pos[g.Code]].Count += n
				placed = true
				break
			}
		}
		if !placed {
			elsewhere += n
		}
	}
	return counts, elsewhere
}

// Descendants returns code and the codes of every grid below it in ix, or
// ok false when ix has no grid with the code.
func Descendants(ix *geo.Index, code string) (codes []string, ok bool) {
	if _, ok := ix.Grid(code); !ok {
		return nil, false
	}
	for i := range ix.Len() {
		g := ix.At(i)
		for _, anc := range ix.Chain(g.Code) {
			if anc.Code == code {
				codes = append(codes, g.Code)
				break
			}
		}
	}
	return codes, true
}
