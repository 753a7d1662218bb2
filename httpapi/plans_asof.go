package httpapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/gridmap/gridmap/geo"
)

// asOfLookup is the answer of a lookup with as_of: the lookup answer from
// the map as it was, with as_of echoed. Fields in name order, as the
// answer was first written (from a map).
type asOfLookup struct {
	AsOf         string         `json:"as_of"`
	Chain        []gridRef      `json:"chain"`
	Grid         gridRef        `json:"grid"`
	Members      []publicMember `json:"members"`
	NearBoundary *nearGrid      `json:"near_boundary"`
	WGS84        *[2]float64    `json:"wgs84,omitempty"`
}

// nearGrid is the nearest other grid, closer than the near-boundary
// threshold.
type nearGrid struct {
	Code      string  `json:"code"`
	DistanceM float64 `json:"distance_m"`
}

// lookupAsOf answers GET /api/v1/lookup?lon=&lat=&as_of=[&crs=]: the
// lookup answer (grid, chain, members, near_boundary) from the map as it
// was at as_of (live.Map.At), with "as_of" echoed. Members are the people
// who served each grid then (the roster is versioned).
func (s *Server) lookupAsOf(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	asOf, err := paramAsOf(q)
	if err != nil {
		return err
	}
	crs, err := paramCRS(q.Get("crs"))
	if err != nil {
		return err
	}
	p, err := parseLonLat(q)
	if err != nil {
		return err
	}
	past, err := pastMap(r.Context(), s.plans.past, *asOf)
	if err != nil {
		return err
	}
	ix := past.Index
	wgs, _ := geo.ToWGS84(crs, p)
	hit, ok := ix.Lookup(wgs[0], wgs[1])
	if !ok {
		return s.outside(ix, p, wgs, crs)
	}
	chain := hit.Chain()
	out := asOfLookup{AsOf: asOf.Format(time.RFC3339Nano), Chain: make([]gridRef, len(chain)), Members: []publicMember{}}
	for k, c := range chain {
		out.Chain[k] = gridRef{c.Code, c.Name, c.Level}
		for _, m := range c.Members {
			out.Members = append(out.Members, publicMember{m.GridCode, m.Role, m.Name})
		}
	}
	out.Grid = out.Chain[0]
	if code, m, ok := ix.Nearest(wgs[0], wgs[1], s.cfg.NearBoundaryMetres, hit.Grid().Code); ok {
		out.NearBoundary = &nearGrid{Code: code, DistanceM: math.Round(m*10) / 10}
	}
	if crs != geo.WGS84 {
		out.WGS84 = &[2]float64{wgs[0], wgs[1]}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encoding lookup: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err = w.Write(append(b, '\n'))
	return err
}
