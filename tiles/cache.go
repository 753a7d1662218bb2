package tiles

import (
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"

	"github.com/paulmach/orb"
)

// DefaultCacheBytes is the budget of a Cache made with a size of 0.
const DefaultCacheBytes = 64 << 20

// entryOverhead approximates the memory of an entry beside its bytes: key,
// list element, map slot, ETag.
const entryOverhead = 256

// Entry is a cached tile: gzipped MVT bytes and their strong ETag.
type Entry struct {
	Data []byte
	// ETag is a strong validator, quoted as the ETag header wants it: the
	// first 128 bits of SHA-256 of Data, so equal bytes give equal tags
	// across versions and instances.
	ETag string
}

// CacheStats counts what a Cache did since it was made.
type CacheStats struct {
	Hits, Misses, Evictions, Invalidated int64
	Entries                              int
	Bytes                                int64 // accounted, including per-entry overhead
}

// Cache keeps tiles of Sets in memory, keyed by (data version, z, x, y,
// options) and bounded in bytes, least recently used out first. Empty tiles
// are kept too, so their ErrEmpty costs nothing the second time.
//
// Freshness: a Set of a new version never hits entries of an older one,
// which age out. Invalidate drops, at every zoom and version, exactly the
// tiles whose buffered extent meets given bounds: use it when data changes
// under an unchanged version (a draft previewed under its draft number) or
// to free memory at once.
//
// A Cache is safe for concurrent use; concurrent misses of one tile
// generate it once. Use one Cache per Config: the key does not hold it.
type Cache struct {
	mu       sync.Mutex
	maxBytes int64
	lru      list.List // of *cacheItem, most recent first
	items    map[cacheKey]*list.Element
	calls    map[cacheKey]*cacheCall
	gen      uint64 // bumped by Invalidate: calls started before must not store
	stats    CacheStats
}

type cacheKey struct {
	version int64
	z, x, y uint32
	opts    string
}

type cacheItem struct {
	key   cacheKey
	entry Entry
	empty bool
	bound orb.Bound // of the tile and its buffer, unit-square world
	size  int64
}

// cacheCall is a generation in flight, waited on by concurrent misses.
type cacheCall struct {
	done  chan struct{}
	entry Entry
	err   error
}

// NewCache returns a Cache holding at most maxBytes of tiles (0:
// DefaultCacheBytes).
func NewCache(maxBytes int64) *Cache {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &Cache{
		maxBytes: maxBytes,
		items:    map[cacheKey]*list.Element{},
		calls:    map[cacheKey]*cacheCall{},
	}
}

// Tile returns tile z/x/y of s with opts from the cache, cutting it with
// s.Tile on a miss.
//
// Errors: as Set.Tile: EINVALID for a tile out of range (not cached),
// ErrEmpty for a tile with no feature (cached, with a zero Entry).
func (c *Cache) Tile(s *Set, z, x, y uint32, opts Options) (Entry, error) {
	if err := s.checkTile(z, x, y); err != nil {
		return Entry{}, err
	}
	k := cacheKey{version: s.version, z: z, x: x, y: y, opts: opts.key()}

	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.lru.MoveToFront(el)
		c.stats.Hits++
		it := el.Value.(*cacheItem)
		c.mu.Unlock()
		if it.empty {
			return Entry{}, ErrEmpty
		}
		return it.entry, nil
	}
	c.stats.Misses++
	if call, ok := c.calls[k]; ok {
		c.mu.Unlock()
		<-call.done
		return call.entry, call.err
	}
	call := &cacheCall{done: make(chan struct{})}
	c.calls[k] = call
	gen := c.gen
	c.mu.Unlock()

	data, err := s.Tile(z, x, y, opts)
	empty := errors.Is(err, ErrEmpty)
	if err == nil {
		call.entry = Entry{Data: data, ETag: ETag(data)}
	}
	call.err = err

	c.mu.Lock()
	delete(c.calls, k)
	if (err == nil || empty) && gen == c.gen {
		c.store(&cacheItem{
			key:   k,
			entry: call.entry,
			empty: empty,
			bound: s.reach(z, x, y),
			size:  int64(len(data)) + int64(len(k.opts)) + entryOverhead,
		})
	}
	c.mu.Unlock()
	close(call.done)
	return call.entry, err
}

// store adds it and evicts from the cold end down to the budget. An entry
// bigger than the whole budget is not kept. c.mu must be held.
func (c *Cache) store(it *cacheItem) {
	if it.size > c.maxBytes {
		return
	}
	c.items[it.key] = c.lru.PushFront(it)
	c.stats.Bytes += it.size
	for c.stats.Bytes > c.maxBytes {
		c.remove(c.lru.Back())
		c.stats.Evictions++
	}
}

// remove drops one element. c.mu must be held.
func (c *Cache) remove(el *list.Element) {
	it := c.lru.Remove(el).(*cacheItem)
	delete(c.items, it.key)
	c.stats.Bytes -= it.size
}

// Invalidate drops every cached tile, of any version and zoom, whose extent
// grown by its buffer and one unit (what a tile reads) meets one of changed: bounds in EPSG:4326 degrees,
// the old and the new bound of each changed grid (the old one covers where
// it was drawn, the new one where it will be). It returns how many tiles it
// dropped. Tiles being cut while it runs are not stored.
func (c *Cache) Invalidate(changed ...orb.Bound) int {
	ws := make([]orb.Bound, 0, len(changed))
	for _, b := range changed {
		if !b.IsEmpty() {
			ws = append(ws, worldBound(b))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	n := 0
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		it := el.Value.(*cacheItem)
		for _, w := range ws {
			if it.bound.Intersects(w) {
				c.remove(el)
				n++
				break
			}
		}
		el = next
	}
	c.stats.Invalidated += int64(n)
	return n
}

// Stats returns the counters so far.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = len(c.items)
	return s
}

// ETag returns the strong ETag that Cache gives tile bytes, quoted for the
// ETag header: the first 128 bits of their SHA-256, base64url.
func ETag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}
