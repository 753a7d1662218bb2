package httpapi

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/lru"
	"github.com/gridmap/gridmap/tiles"
)

// historySets builds the tile sets of past maps (as_of) on demand from the
// database and keeps the last few (maxHistorySets), least recently used out
// first. Concurrent requests for one as_of build it once. Their tiles share
// one bounded cache, keyed by a hash of the grid versions the map holds, so
// two as_of times that show the same map share tiles.
type historySets struct {
	grids gridmap.GridService
	cache *tiles.Cache
	sets  *lru.Cache[int64, *historySet] // by as_of in Unix microseconds (PostgreSQL's precision)
}

// historySet is one past map's tile set.
type historySet struct {
	set     *tiles.Set
	builtAt time.Time
}

func newHistorySets(g gridmap.GridService) *historySets {
	// A set built less than settled after its as_of may miss versions
	// committed late, so it is rebuilt after a minute.
	stale := func(key int64, hs *historySet) bool {
		return hs.builtAt.Sub(time.UnixMicro(key)) < settled && time.Since(hs.builtAt) > time.Minute
	}
	return &historySets{grids: g, cache: tiles.NewCache(historyCacheBytes), sets: lru.New(maxHistorySets, stale)}
}

// set returns the tile set of the grids valid at asOf (to the microsecond),
// building it when it is not kept.
// Errors: EUNAVAILABLE when the database does not answer; ctx's error.
func (h *historySets) set(ctx context.Context, asOf time.Time) (*historySet, error) {
	key := asOf.UnixMicro()
	hs, err := h.sets.Get(ctx, key, func(ctx context.Context) (*historySet, error) {
		return buildHistorySet(ctx, h.grids, time.UnixMicro(key))
	})
	if err != nil && ctx.Err() != nil {
		return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grid tiles of as_of are still being built; try again shortly"}
	}
	return hs, err
}

func buildHistorySet(ctx context.Context, g gridmap.GridService, asOf time.Time) (*historySet, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var grids []gridmap.Grid
	err := g.ListGrids(ctx, gridmap.GridFilter{AsOf: &asOf}, func(gr gridmap.Grid) error {
		grids = append(grids, gr)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The cache key: the versions the map holds, hashed.
	vs := make([]int64, len(grids))
	for i := range grids {
		vs[i] = grids[i].Version
	}
	slices.Sort(vs)
	f := fnv.New64a()
	var b [8]byte
	for _, v := range vs {
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		f.Write(b[:])
	}
	set, err := tiles.NewSet(grids, int64(f.Sum64()>>1), tiles.DefaultConfig())
	if err != nil {
		return nil, err
	}
	return &historySet{set: set, builtAt: time.Now()}, nil
}
