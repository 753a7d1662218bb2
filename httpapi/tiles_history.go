package httpapi

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/gridmap/gridmap"
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

	mu   sync.Mutex
	sets map[int64]*historySet // by as_of in Unix microseconds (PostgreSQL's precision)
	tick uint64                // use counter, for LRU
}

// historySet is one past map's tile set, or its build in flight.
type historySet struct {
	done    chan struct{}
	set     *tiles.Set
	err     error
	builtAt time.Time
	used    uint64
}

func newHistorySets(g gridmap.GridService) *historySets {
	return &historySets{grids: g, cache: tiles.NewCache(historyCacheBytes), sets: map[int64]*historySet{}}
}

// set returns the tile set of the grids valid at asOf (to the microsecond),
// building it when it is not kept. A set built less than settled after its
// as_of may miss versions committed late, so it is rebuilt after a minute.
// Errors: EUNAVAILABLE when the database does not answer; ctx's error.
func (h *historySets) set(ctx context.Context, asOf time.Time) (*historySet, error) {
	key := asOf.UnixMicro()
	h.mu.Lock()
	hs, ok := h.sets[key]
	if ok && closedChan(hs.done) && (hs.err != nil ||
		hs.builtAt.Sub(asOf) < settled && time.Since(hs.builtAt) > time.Minute) {
		ok = false // failed, or built before as_of settled: build again
	}
	if !ok {
		hs = &historySet{done: make(chan struct{})}
		h.sets[key] = hs
		h.evict()
		// The build serves every waiter: it must not end with the first
		// request's context.
		go hs.build(context.WithoutCancel(ctx), h.grids, time.UnixMicro(key))
	}
	h.tick++
	hs.used = h.tick
	h.mu.Unlock()

	select {
	case <-hs.done:
		if hs.err != nil {
			return nil, hs.err
		}
		return hs, nil
	case <-ctx.Done():
		return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grid tiles of as_of are still being built; try again shortly"}
	}
}

// evict drops the least recently used sets beyond maxHistorySets; h.mu held.
func (h *historySets) evict() {
	for len(h.sets) > maxHistorySets {
		var oldest int64
		var min uint64 = ^uint64(0)
		for k, s := range h.sets {
			if s.used < min && closedChan(s.done) {
				oldest, min = k, s.used
			}
		}
		if min == ^uint64(0) {
			return // all in flight
		}
		delete(h.sets, oldest)
	}
}

func (hs *historySet) build(ctx context.Context, g gridmap.GridService, asOf time.Time) {
	defer close(hs.done)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var grids []gridmap.Grid
	err := g.ListGrids(ctx, gridmap.GridFilter{AsOf: &asOf}, func(gr gridmap.Grid) error {
		grids = append(grids, gr)
		return nil
	})
	if err != nil {
		hs.err = err
		return
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
	hs.set, hs.err = tiles.NewSet(grids, int64(f.Sum64()>>1), tiles.DefaultConfig())
	hs.builtAt = time.Now()
}

func closedChan(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
