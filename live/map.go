package live

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/internal/lru"
	"github.com/gridmap/gridmap/tiles"
)

// Map keeps the current geo.Index and the vector tiles of the same
// grids: built at start, rebuilt whenever the change feed reports a grid
// change on any instance, and swapped in atomically so lookups never wait
// and never see half an index.
//
// A rebuild builds the index first and swaps it in at once (a few
// milliseconds for a street, some hundred for China's counties); the tile
// Set of the same version (3 s for the counties) is built after, in the
// same snapshot, so lookups are answered from the new grids at once while
// tile requests wait for the tiles of that version: a tile of an older
// version is never served for the current one.
//
// Tiles are cached by a cache epoch, not by data version: when the grids
// change, the tiles that the changed grids touch (their old and new
// bounds, at every zoom) are dropped from the cache and the rest carry
// over to the new version, so only touched tiles are recut. Members
// changes (the roster) bump the data version but touch no tile: the index
// is rebuilt with the new people and the tile set is kept.
//
// It also keeps the maps of past times (At, past.go). Safe for concurrent use.
type Map struct {
	src     gridmap.GridSource
	log     *slog.Logger
	onBuild func(kind string, took time.Duration, version int64)
	cur     atomic.Pointer[snapshot]
	kick    chan struct{} // capacity 1: many notices coalesce into one rebuild
	loaded  chan struct{} // closed after the first successful index build
	// notified is the highest data version the change feed announced:
	// tile requests for a version up to it wait for the rebuild.
	notified atomic.Int64
	// maxWait bounds how long a tile request waits for a tile set being
	// built (3 s for China's counties) or for an announced version.
	maxWait time.Duration

	tileCfg   tiles.Config
	tileCache *tiles.Cache
	// tileMu orders tile cutting (read side) against a tile set swap and
	// its cache invalidation (write side): a tile cut from the old set can
	// then never be stored after the invalidation that should drop it.
	tileMu sync.RWMutex
	// published is the newest tile set built, with the index of the same
	// grids (a rebuild diffs against it to find the tiles to drop) and its
	// data version. Stored under tileMu's write lock.
	published atomic.Pointer[publishedSet]

	// past keeps the maps of past times by map key (past.go); their
	// tiles share pastTiles.
	past      *lru.Cache[string, *Past]
	pastTiles *tiles.Cache
}

type publishedSet struct {
	set *tiles.Set
	ix  *geo.Index
	ver int64
}

// snapshot pairs an index with the data version it was built from and the
// tile set of the same grids, so readers never see one without the others.
type snapshot struct {
	ix    *geo.Index
	ver   int64
	tiles *tileSlot
	// replaced is closed when a newer snapshot is swapped in.
	replaced chan struct{}
}

// tileSlot is the tile set of a snapshot, built after the snapshot is
// swapped in. done is closed once set or err is.
type tileSlot struct {
	done chan struct{}
	set  *tiles.Set
	err  error
}

// NewMap returns a Map over src with the default tile settings and a tile
// cache of tiles.DefaultCacheBytes. Call Listen with the change feed, then
// Run.
func NewMap(src gridmap.GridSource, opts Options) *Map {
	opts = opts.withDefaults()
	return &Map{
		src: src, log: opts.Logger, onBuild: opts.OnBuild,
		kick: make(chan struct{}, 1), loaded: make(chan struct{}), maxWait: 10 * time.Second,
		tileCfg: tiles.DefaultConfig(), tileCache: tiles.NewCache(0),
		past: lru.New[string, *Past](opts.PastMaps, nil), pastTiles: tiles.NewCache(opts.PastTileBytes),
	}
}

// Loaded is closed once the first index is built.
func (l *Map) Loaded() <-chan struct{} { return l.loaded }

// Index returns the current index and its data version; nil before the
// first build.
func (l *Map) Index() (*geo.Index, int64) {
	if s := l.cur.Load(); s != nil {
		return s.ix, s.ver
	}
	return nil, 0
}

// WaitVersion waits until the current index is at data version v or
// newer, woken by each snapshot swap (no polling). False when ctx ends first.
func (l *Map) WaitVersion(ctx context.Context, v int64) bool {
	for {
		s := l.cur.Load()
		if s == nil {
			select {
			case <-l.loaded:
				continue
			case <-ctx.Done():
				return false
			}
		}
		if s.ver >= v {
			return true
		}
		select {
		case <-s.replaced:
		case <-ctx.Done():
			return false
		}
	}
}

// TileSet returns the tile set of the current grids and its data version,
// waiting (within ctx, and 10 s at most) while it is being built. When minVersion is above
// the current version but not above what the change feed announced, it
// first waits for the rebuild that brings it; a version nobody announced is
// not waited for. Either way the caller may see a version below minVersion
// (ctx ended first, or the version is unknown): it should not cache the
// answer for long.
//
// Errors: EUNAVAILABLE when no tile set is ready before ctx ends, or when
// the current grids could not be tiled (the log says why; Run retries).
func (l *Map) TileSet(ctx context.Context, minVersion int64) (*tiles.Set, int64, error) {
	// The fast path takes no lock and starts no timer.
	if s := l.cur.Load(); s != nil && s.ver >= minVersion {
		select {
		case <-s.tiles.done:
			return s.tileSet()
		default:
		}
	}
	ctx, cancel := context.WithTimeout(ctx, l.maxWait)
	defer cancel()
	for {
		s := l.cur.Load()
		if s == nil {
			select {
			case <-l.loaded:
				continue
			case <-ctx.Done():
				return nil, 0, tilesNotReady()
			}
		}
		if s.ver >= minVersion || minVersion > l.notified.Load() {
			select {
			case <-s.tiles.done:
				return s.tileSet()
			case <-s.replaced:
				continue
			case <-ctx.Done():
				return nil, 0, tilesNotReady()
			}
		}
		select { // wait for the announced version
		case <-s.replaced:
		case <-ctx.Done():
			if p := l.published.Load(); p != nil {
				return p.set, p.ver, nil // behind; see above
			}
			return nil, 0, tilesNotReady()
		}
	}
}

// tileSet returns the built tile set of s; s.tiles.done is closed.
func (s *snapshot) tileSet() (*tiles.Set, int64, error) {
	if s.tiles.err != nil {
		// Logged by the rebuild, which retries.
		return nil, s.ver, gridmap.Errorf(gridmap.EUNAVAILABLE, "the grid tiles of data version %d could not be built; retrying", s.ver)
	}
	return s.tiles.set, s.ver, nil
}

func tilesNotReady() error {
	return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grid tiles are being built; try again shortly"}
}

// Tile returns tile z/x/y of the current grids, cut with opts, from the
// cache, and the data version it shows (see TileSet for minVersion).
//
// Errors: as TileSet; EINVALID for a tile out of range; tiles.ErrEmpty for
// a tile with no feature.
func (l *Map) Tile(ctx context.Context, minVersion int64, z, x, y uint32, opts tiles.Options) (tiles.Entry, int64, error) {
	if _, _, err := l.TileSet(ctx, minVersion); err != nil {
		return tiles.Entry{}, 0, err
	}
	// Cut from the newest published set, under the read lock: the cache
	// then only ever receives tiles of the set its invalidations were
	// computed against. It is at least as new as what TileSet returned.
	l.tileMu.RLock()
	defer l.tileMu.RUnlock()
	p := l.published.Load()
	e, err := l.tileCache.Tile(p.set, z, x, y, opts)
	return e, p.ver, err
}

// TileCacheStats returns the tile cache's counters.
func (l *Map) TileCacheStats() tiles.CacheStats { return l.tileCache.Stats() }

// Listen has feed announce grid changes (gridmap.GridsChannel) to l.
// Call it before feed runs.
func (l *Map) Listen(feed gridmap.ChangeFeed) {
	feed.Subscribe(gridmap.GridsChannel, l.gridsChanged)
}

// gridsChanged is the feed's callback for gridmap.GridsChannel: the
// payload is the new data version, "" after every (re)subscription (which
// also covers the initial build).
func (l *Map) gridsChanged(payload string) {
	version, _ := strconv.ParseInt(payload, 10, 64)
	if version > l.notified.Load() {
		l.notified.Store(version) // only the feed's goroutine writes
	}
	if _, cur := l.Index(); version != 0 && version == cur {
		return
	}
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Run builds the current map, then rebuilds it on every change notice,
// until ctx ends.
func (l *Map) Run(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		case <-retry.C:
		}
		if err := l.rebuild(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("index rebuild failed; retrying", "error", err.Error())
			retry.Reset(2 * time.Second)
		}
	}
}

func (l *Map) rebuild(ctx context.Context) error {
	start := time.Now()
	grids, version, err := l.src.CurrentGrids(ctx)
	if err != nil {
		return err
	}
	old := l.cur.Load()
	if old != nil && version == old.ver {
		select {
		case <-old.tiles.done:
			if old.tiles.err == nil {
				return nil
			}
			// The tiles of this version failed: build them again, in a
			// fresh slot for new requests to wait on.
			s := &snapshot{ix: old.ix, ver: old.ver, tiles: &tileSlot{done: make(chan struct{})}}
			l.swap(s)
			return l.buildTiles(s, grids)
		default:
			return nil // being built
		}
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		return err
	}
	s := &snapshot{ix: ix, ver: version, tiles: &tileSlot{done: make(chan struct{})}}
	l.swap(s)
	if old == nil {
		close(l.loaded)
	}
	vertices, bytes := ix.Stats()
	took := time.Since(start)
	l.onBuild(BuildIndex, took, version)
	l.log.Info("grid index built", "grids", ix.Len(), "vertices", vertices, "bytes", bytes,
		"data_version", version, "took", took.String())
	return l.buildTiles(s, grids)
}

// swap installs s and wakes everyone waiting for a newer snapshot. Only
// the rebuild goroutine calls it.
func (l *Map) swap(s *snapshot) {
	s.replaced = make(chan struct{})
	if old := l.cur.Swap(s); old != nil {
		close(old.replaced)
	}
}

// buildTiles builds the tile set of s from grids (the grids of s.ix),
// publishes it in s.tiles, and drops from the cache exactly the tiles that
// the grids changed since the last published set touch. On failure
// s.tiles carries the error; Run retries the rebuild.
func (l *Map) buildTiles(s *snapshot, grids []gridmap.Grid) error {
	start := time.Now()
	// Sets share a cache epoch (the first set's version) so that unchanged
	// tiles carry over; the data version travels in URLs and answers.
	epoch, prev := s.ver, l.published.Load()
	var changed []orb.Bound
	if prev != nil {
		epoch = prev.set.Version()
		changed = changedBounds(prev.ix, s.ix)
	}
	var set *tiles.Set
	if prev != nil && len(changed) == 0 && prev.ix.Len() == s.ix.Len() {
		// The same grid versions: only people changed (the roster), which
		// no tile carries, so the set built from them is the same.
		set = prev.set
	} else {
		var err error
		if prev != nil {
			// Only the grids of new versions are prepared again.
			set, err = prev.set.Next(grids, epoch)
		} else {
			set, err = tiles.NewSet(grids, epoch, l.tileCfg)
		}
		if err != nil {
			s.tiles.err = err
			close(s.tiles.done)
			return err
		}
	}
	l.tileMu.Lock()
	l.published.Store(&publishedSet{set: set, ix: s.ix, ver: s.ver})
	s.tiles.set = set
	close(s.tiles.done)
	dropped := 0
	if len(changed) > 0 {
		dropped = l.tileCache.Invalidate(changed...)
	}
	l.tileMu.Unlock()
	took := time.Since(start)
	l.onBuild(BuildTiles, took, s.ver)
	l.log.Info("grid tiles built", "grids", set.Len(), "data_version", s.ver,
		"changed_bounds", len(changed), "tiles_dropped", dropped, "took", took.String())
	return nil
}

// changedBounds returns the old and the new bound (EPSG:4326 degrees) of
// every grid that differs between two indexes: added, removed, or of
// another version. Tiles read nothing else of a grid.
func changedBounds(old, cur *geo.Index) []orb.Bound {
	var out []orb.Bound
	for i := range cur.Len() {
		g := cur.At(i)
		o, ok := old.Grid(g.Code)
		switch {
		case !ok:
			out = append(out, g.Boundary.Bound(), g.Boundary.Bound())
		case o.Version != g.Version || o.ID != g.ID:
			out = append(out, o.Boundary.Bound(), g.Boundary.Bound())
		}
	}
	for i := range old.Len() {
		o := old.At(i)
		if _, ok := cur.Grid(o.Code); !ok {
			out = append(out, o.Boundary.Bound(), o.Boundary.Bound())
		}
	}
	return out
}
