package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/internal/lru"
)

// maxPastIndexes is how many indexes of past maps lookups with as_of keep
// (least recently used out first); a street's index is a few hundred kB.
const maxPastIndexes = 4

// pastIndexes builds the geo.Index of the map as it was at a time, on
// demand, and keeps the last few by map key (gridmap.PlanService.MapKeyAt),
// so every as_of between two changes shares one index. Concurrent requests
// for one map build it once. Safe for concurrent use.
type pastIndexes struct {
	entries *lru.Cache[string, *geo.Index]
}

func newPastIndexes() *pastIndexes {
	return &pastIndexes{entries: lru.New[string, *geo.Index](maxPastIndexes, nil)}
}

// index returns the index of the map valid at t.
func (c *pastIndexes) index(ctx context.Context, svc gridmap.PlanService, t time.Time) (*geo.Index, error) {
	key, err := svc.MapKeyAt(ctx, t)
	if err != nil {
		return nil, err
	}
	return c.entries.Get(ctx, key, func(ctx context.Context) (*geo.Index, error) { return buildPast(ctx, svc, t) })
}

// buildPast loads the grids valid at t and indexes them. When the map
// changed between the key and the load (a version committed meanwhile
// with an earlier valid_from) the index may hold the newer map; the next
// request computes the new key and builds again.
// It runs detached from the request (it serves every waiter), so it has
// its own time limit.
func buildPast(ctx context.Context, svc gridmap.PlanService, t time.Time) (*geo.Index, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	grids, _, err := svc.GridsAt(ctx, t)
	if err != nil {
		return nil, err
	}
	return geo.NewIndex(grids)
}

// lookupAsOf answers GET /api/v1/lookup?lon=&lat=&as_of=[&crs=]: the
// lookup answer (grid, chain, members, near_boundary) from the map as it
// was at as_of, with "as_of" echoed. Members are the people now
// responsible for each code: members are not versioned.
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
	ix, err := s.plans.past.index(r.Context(), s.plans.svc, *asOf)
	if err != nil {
		return err
	}
	wgs, _ := geo.ToWGS84(crs, p)
	hit, ok := ix.Lookup(wgs[0], wgs[1])
	if !ok {
		return s.outside(ix, p, wgs, crs)
	}
	chain := hit.Chain()
	refs := make([]gridRef, len(chain))
	members := []publicMember{}
	for k, c := range chain {
		refs[k] = gridRef{c.Code, c.Name, c.Level}
		for _, m := range c.Members {
			members = append(members, publicMember{m.GridCode, m.Role, m.Name})
		}
	}
	out := map[string]any{"grid": refs[0], "chain": refs, "members": members, "near_boundary": nil,
		"as_of": asOf.Format(time.RFC3339Nano)}
	if code, m, ok := ix.Nearest(wgs[0], wgs[1], s.cfg.NearBoundaryMetres, hit.Grid().Code); ok {
		out["near_boundary"] = map[string]any{"code": code, "distance_m": math.Round(m*10) / 10}
	}
	if crs != geo.WGS84 {
		out["wgs84"] = [2]float64{wgs[0], wgs[1]}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encoding lookup: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err = w.Write(append(b, '\n'))
	return err
}
