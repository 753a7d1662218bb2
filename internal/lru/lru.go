// Package lru owns the one cache of built values the service keeps by key
// (past tile sets, past grid indexes): the last few used, least recently
// used out first, each built once however many ask for it at a time.
package lru

import (
	"context"
	"sync"
)

// Cache keeps the values of the last max keys used. Safe for concurrent use.
type Cache[K comparable, V any] struct {
	max   int
	stale func(K, V) bool

	mu      sync.Mutex
	entries map[K]*entry[V]
	tick    uint64 // use counter, for LRU
}

type entry[V any] struct {
	done chan struct{} // closed when v and err are set
	v    V
	err  error
	used uint64
}

// New returns a cache that keeps max values. stale, when not nil, says a
// kept value must be built again.
func New[K comparable, V any](max int, stale func(K, V) bool) *Cache[K, V] {
	return &Cache[K, V]{max: max, stale: stale, entries: map[K]*entry[V]{}}
}

// Get returns the value kept for key, or builds it with build. Concurrent
// Gets of one key share one build. The build serves every waiter, so it
// runs without ctx's cancellation (it sets its own time limit); when ctx
// ends first Get returns ctx's error and the build goes on. Failed builds
// are not kept: the next Get builds again.
func (c *Cache[K, V]) Get(ctx context.Context, key K, build func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && c.stale != nil && isDone(e.done) && c.stale(key, e.v) {
		ok = false
	}
	if !ok {
		e = &entry[V]{done: make(chan struct{})}
		c.entries[key] = e
		c.evict()
		go c.fill(context.WithoutCancel(ctx), key, e, build)
	}
	c.tick++
	e.used = c.tick
	c.mu.Unlock()

	select {
	case <-e.done:
		return e.v, e.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// Len returns how many values are kept or being built.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *Cache[K, V]) fill(ctx context.Context, key K, e *entry[V], build func(context.Context) (V, error)) {
	defer close(e.done)
	e.v, e.err = build(ctx)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
}

// evict drops the least recently used built values beyond max; entries
// still building stay (dropping them would build them twice). c.mu held.
func (c *Cache[K, V]) evict() {
	for len(c.entries) > c.max {
		var oldest K
		found := false
		var least uint64
		for k, e := range c.entries {
			if isDone(e.done) && (!found || e.used < least) {
				oldest, least, found = k, e.used, true
			}
		}
		if !found {
			return // all building
		}
		delete(c.entries, oldest)
	}
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
