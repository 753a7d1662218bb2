package geo

import (
	"cmp"
	"slices"

	"github.com/gridmap/gridmap"
)

// Queries over the tree of grids an Index holds (parents by code; see
// NewIndex). Grid and Chain, the lookups by code, are in index.go.

// OfLevel returns the grids of ix at level, ordered by code. The Grids are
// shared; do not modify them.
func (ix *Index) OfLevel(level gridmap.Level) []*gridmap.Grid {
	var gs []*gridmap.Grid
	for i := range ix.grids {
		if ix.grids[i].Level == level {
			gs = append(gs, &ix.grids[i])
		}
	}
	slices.SortFunc(gs, func(a, b *gridmap.Grid) int { return cmp.Compare(a.Code, b.Code) })
	return gs
}

// AncestorAt returns the grid at level that is the grid with the code or
// one of its ancestors, the nearest one should several share the level. It
// reports false for an unknown code or when no grid of the chain is at
// level. The Grid is shared; do not modify it.
func (ix *Index) AncestorAt(code string, level gridmap.Level) (*gridmap.Grid, bool) {
	for _, g := range ix.Chain(code) {
		if g.Level == level {
			return g, true
		}
	}
	return nil, false
}

// Descendants returns code and the codes of every grid below it in ix, in
// the order of the slice given to NewIndex, or ok false when ix has no
// grid with the code.
func (ix *Index) Descendants(code string) (codes []string, ok bool) {
	if _, ok := ix.Grid(code); !ok {
		return nil, false
	}
	for i := range ix.grids {
		for _, anc := range ix.chains[i] {
			if anc.Code == code {
				codes = append(codes, ix.grids[i].Code)
				break
			}
		}
	}
	return codes, true
}
