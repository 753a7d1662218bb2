package httpapi

import (
	"net/http"

	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/heat"
)

// countFeatures produces the page o asks for of an incident-count
// collection: each current grid of c's level with its boundary and the
// incidents counted in it and below it, from the in-memory aggregate
// (never the database, but for the monthly rollups of the months before
// a memory window; no personal data). With only, it produces just
// that grid (none when it is not a current grid of the level).
//
// Properties: incidents (matching the window, category and status), open
// (matching the window and category, in a status before resolved) and one
// count per category (matching the window and status).
//
// Errors: EUNAVAILABLE while the index or the aggregate loads, EINVALID
// for a bad category or status.
func (s *Server) countFeatures(r *http.Request, c ogcColl, o ogcQuery, only ...string) ([]*geojson.Feature, itemsPage, error) {
	var page itemsPage
	ix, err := s.currentIndex()
	if err != nil {
		return nil, page, err
	}
	agg, err := s.currentHeat()
	if err != nil {
		return nil, page, err
	}
	// Whole months before the memory window come from the rollups.
	win := heat.Filter{From: o.from, To: o.to}
	plan, err := s.planWindowNamed(&win, "", true, "the start of datetime", "the end of datetime")
	if err != nil {
		return nil, page, err
	}
	o.from = win.From
	selCats, err := s.paramCategories(r)
	if err != nil {
		return nil, page, err
	}
	statuses, err := paramStatuses(r.URL.Query())
	if err != nil {
		return nil, page, err
	}
	cats, err := s.incidents.Categories(r.Context())
	if err != nil {
		return nil, page, err
	}

	var gs []*gridmap.Grid
	if len(only) > 0 {
		if g, ok := ix.Grid(only[0]); ok && g.Level == c.Level {
			gs = []*gridmap.Grid{g}
		}
	} else {
		gs = matchingGrids(ix, c.Level, o.parent, o.bbox)
	}
	gs, page = pageOf(gs, o)
	if len(gs) == 0 {
		return nil, page, nil
	}

	var rollErr error
	count := func(f heat.Filter) map[string]int {
		f.From, f.To = o.from, o.to
		gc := agg.CountByGrid(f)
		if plan.rollups && rollErr == nil {
			rolls, err := s.readRollups(r.Context(), plan, f)
			rollErr = err
			addRollups(&gc, rolls, f)
		}
		counts, _ := heat.ByLevel(ix, c.Level, gc.ByCode)
		m := make(map[string]int, len(counts))
		for _, gc := range counts {
			m[gc.Code] = gc.Count
		}
		return m
	}
	var open []gridmap.Status
	for _, st := range gridmap.Statuses {
		if st.Open() {
			open = append(open, st)
		}
	}
	total := count(heat.Filter{Categories: selCats, Statuses: statuses})
	opened := count(heat.Filter{Categories: selCats, Statuses: open})
	byCat := make([]map[string]int, len(cats))
	for i, cat := range cats {
		byCat[i] = count(heat.Filter{Categories: []gridmap.Category{cat.Name}, Statuses: statuses})
	}

	if rollErr != nil {
		return nil, page, rollErr
	}
	fs := make([]*geojson.Feature, len(gs))
	for i, g := range gs {
		f := geojson.NewFeature(g.Boundary)
		f.ID = g.Code
		f.Properties = geojson.Properties{
			"code":      g.Code,
			"name":      g.Name,
			"level":     string(g.Level),
			"parent":    nilIfEmpty(g.Parent),
			"grid_id":   g.ID,
			"incidents": total[g.Code],
			"open":      opened[g.Code],
		}
		for k, cat := range cats {
			if _, taken := f.Properties[string(cat.Name)]; !taken {
				f.Properties[string(cat.Name)] = byCat[k][g.Code]
			}
		}
		fs[i] = f
	}
	return fs, page, nil
}
