package httpapi

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// gridFeatures produces the page of grids o asks for. The current map
// comes from the in-memory index (so numberMatched is exact and cheap);
// a past map (datetime) or a server whose index is still loading reads
// the database.
func (s *Server) gridFeatures(r *http.Request, c ogcColl, o ogcQuery, fw *fcWriter, emit func(*geojson.Feature) error) (itemsPage, error) {
	if ix := s.indexOrNil(); ix != nil && o.asOf == nil {
		gs, page := pageOf(matchingGrids(ix, c.Level, o.parent, o.bbox), o)
		if fw != nil {
			fw.matched = page.matched
		}
		for _, g := range gs {
			if err := emit(gridFeature(*g)); err != nil {
				return page, err
			}
		}
		return page, nil
	}

	// The database: count first, then stream the page.
	f := gridmap.GridFilter{Level: c.Level, Parent: o.parent, BBox: o.bbox, AsOf: o.asOf}
	page := itemsPage{}
	if err := s.grids.ListGrids(r.Context(), f, func(gridmap.Grid) error { page.matched++; return nil }); err != nil {
		return page, err
	}
	if fw != nil {
		fw.matched = page.matched
	}
	f.After, f.Limit = o.cursor, o.offset+o.limit+1
	i, n := 0, 0
	err := s.grids.ListGrids(r.Context(), f, func(g gridmap.Grid) error {
		i++
		switch {
		case i <= o.offset:
			return nil
		case n == o.limit:
			page.more = true
			return nil
		}
		n++
		page.last = g.Code
		return emit(gridFeature(g))
	})
	return page, err
}

// matchingGrids returns the grids of ix at level, under parent (when
// given) and intersecting bbox (when given), ordered by code. With a bbox
// the candidates come from the index's R-tree (geo.Index.Intersecting),
// not a scan of every grid.
func matchingGrids(ix *geo.Index, level gridmap.Level, parent string, bbox *orb.Bound) []*gridmap.Grid {
	keep := func(g *gridmap.Grid) bool { return g.Level == level && (parent == "" || g.Parent == parent) }
	if bbox != nil {
		gs := ix.Intersecting(*bbox, keep)
		slices.SortFunc(gs, func(a, b *gridmap.Grid) int { return cmp.Compare(a.Code, b.Code) })
		return gs
	}
	// OfLevel is in code order already.
	return slices.DeleteFunc(ix.OfLevel(level), func(g *gridmap.Grid) bool { return !keep(g) })
}
