package live

import (
	"context"
	"sync"
	"time"

	"github.com/gridmap/gridmap"
)

// refTTL is how long the reference tables read through RefTables are
// served from memory before they are read again.
const refTTL = 10 * time.Second

// RefStore is what RefTables wraps: the grid and incident services of the
// store (postgis.Store).
type RefStore interface {
	gridmap.GridService
	gridmap.IncidentService
}

// RefTables is the store with its two small reference tables, the grid
// levels and the incident categories, kept in memory: every statistics,
// tile-level and category check reads them, and with them in memory those
// answers (which come from memory otherwise) keep working while PostgreSQL
// is down or restarting (issue 7). They are read again after refTTL; when
// the database cannot be reached the last good copy is served.
type RefTables struct {
	RefStore
	levels ttlValue[[]gridmap.Level]
	cats   ttlValue[[]gridmap.CategoryInfo]
}

// NewRefTables returns st with its levels and categories kept in memory.
func NewRefTables(st RefStore) *RefTables {
	return &RefTables{RefStore: st,
		levels: ttlValue[[]gridmap.Level]{ttl: refTTL, now: time.Now},
		cats:   ttlValue[[]gridmap.CategoryInfo]{ttl: refTTL, now: time.Now}}
}

// Levels implements gridmap.GridService.
func (r *RefTables) Levels(ctx context.Context) ([]gridmap.Level, error) {
	return r.levels.get(ctx, r.RefStore.Levels)
}

// Categories implements gridmap.IncidentService.
func (r *RefTables) Categories(ctx context.Context) ([]gridmap.CategoryInfo, error) {
	return r.cats.get(ctx, r.RefStore.Categories)
}

// ttlValue is a value read through load and served from memory for ttl;
// while load finds the database unreachable the last good copy is served.
type ttlValue[T any] struct {
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	v    T
	at   time.Time // when v was read
	have bool
}

func (c *ttlValue[T]) get(ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	c.mu.Lock()
	v, at, have := c.v, c.at, c.have
	c.mu.Unlock()
	if have && c.now().Sub(at) < c.ttl {
		return v, nil
	}
	fresh, err := load(ctx)
	switch {
	case err == nil:
		c.mu.Lock()
		c.v, c.at, c.have = fresh, c.now(), true
		c.mu.Unlock()
		return fresh, nil
	case have && gridmap.ErrorCode(err) == gridmap.EUNAVAILABLE:
		return v, nil
	}
	var zero T
	return zero, err
}
