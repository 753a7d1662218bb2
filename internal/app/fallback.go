package app

import (
	"context"
	"sync"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/postgis"
)

// refTTL is how long the reference tables read through refTables are
// served from memory before they are read again.
const refTTL = 10 * time.Second

// refTables is the store with its two small reference tables, the grid
// levels and the incident categories, kept in memory: every statistics,
// tile-level and category check reads them, and with them in memory those
// answers (which come from memory otherwise) keep working while PostgreSQL
// is down or restarting (issue 7). They are read again after refTTL; when
// the database cannot be reached the last good copy is served.
type refTables struct {
	*postgis.Store

	mu     sync.Mutex
	levels []gridmap.Level
	cats   []gridmap.CategoryInfo
	lt, ct time.Time // when each was read
}

func newRefTables(st *postgis.Store) *refTables { return &refTables{Store: st} }

// Levels implements gridmap.GridService.
func (r *refTables) Levels(ctx context.Context) ([]gridmap.Level, error) {
	r.mu.Lock()
	ls, at := r.levels, r.lt
	r.mu.Unlock()
	if ls != nil && time.Since(at) < refTTL {
		return ls, nil
	}
	fresh, err := r.Store.Levels(ctx)
	switch {
	case err == nil:
		r.mu.Lock()
		r.levels, r.lt = fresh, time.Now()
		r.mu.Unlock()
		return fresh, nil
	case ls != nil && gridmap.ErrorCode(err) == gridmap.EUNAVAILABLE:
		return ls, nil
	}
	return nil, err
}

// Categories implements gridmap.IncidentService.
func (r *refTables) Categories(ctx context.Context) ([]gridmap.CategoryInfo, error) {
	r.mu.Lock()
	cs, at := r.cats, r.ct
	r.mu.Unlock()
	if cs != nil && time.Since(at) < refTTL {
		return cs, nil
	}
	fresh, err := r.Store.Categories(ctx)
	switch {
	case err == nil:
		r.mu.Lock()
		r.cats, r.ct = fresh, time.Now()
		r.mu.Unlock()
		return fresh, nil
	case cs != nil && gridmap.ErrorCode(err) == gridmap.EUNAVAILABLE:
		return cs, nil
	}
	return nil, err
}
