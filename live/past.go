package live

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/tiles"
)

// Past is the map as it was at a past time (as_of): the grids valid then,
// indexed for lookups, and their tile set, built on first use. Lookups and
// tiles with as_of both read it, through Map.At. Safe for concurrent use.
type Past struct {
	// Key names the map (gridmap.GridSource.MapKeyAt): every time between
	// two changes has the same one, and shares one Past.
	Key string
	// Index holds the grids valid then, each with the people who
	// served it then (the roster is versioned).
	Index *geo.Index

	m     *Map
	grids []gridmap.Grid
	// epoch is the tile set's cache epoch: a hash of the grid versions,
	// so two maps that hold the same versions share tiles.
	epoch int64

	mu   sync.Mutex
	slot *tileSlot // nil until the tiles are first asked for
}

// At returns the map as it was at t (to the microsecond, PostgreSQL's
// precision), loading it when it is not kept. The last few maps are kept
// by key (Options.PastMaps), least recently used out first; concurrent
// calls for one map load it once.
//
// Keying by map rather than by time means a version committed late with
// an earlier valid_from gives a new key at once, so a kept map is never
// stale.
//
// Errors: EUNAVAILABLE when the source does not answer, or when ctx ends
// while the map is loading (the load goes on for the next caller).
func (l *Map) At(ctx context.Context, t time.Time) (*Past, error) {
	t = time.UnixMicro(t.UnixMicro())
	key, err := l.src.MapKeyAt(ctx, t)
	if err != nil {
		return nil, err
	}
	p, err := l.past.Get(ctx, key, func(ctx context.Context) (*Past, error) { return l.loadPast(ctx, t) })
	if err != nil && ctx.Err() != nil {
		return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the map of as_of is still being loaded; try again shortly"}
	}
	return p, err
}

// loadPast loads the grids valid at t and indexes them. When the map
// changed between the key and the load (a version committed meanwhile
// with an earlier valid_from) the Past may hold the newer map; the next
// call computes the new key and loads again. It runs detached from the
// caller (it serves every waiter), so it has its own time limit.
func (l *Map) loadPast(ctx context.Context, t time.Time) (*Past, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	grids, key, err := l.src.GridsAt(ctx, t)
	if err != nil {
		return nil, err
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		return nil, err
	}
	return &Past{Key: key, Index: ix, m: l, grids: grids, epoch: versionsHash(grids)}, nil
}

// versionsHash hashes the sorted versions of grids into a positive epoch.
func versionsHash(grids []gridmap.Grid) int64 {
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
	return int64(f.Sum64() >> 1)
}

// TileSet returns the tile set of p's grids, building it on first use
// (a failed build is tried again by the next call).
//
// Errors: EUNAVAILABLE when ctx ends while it is being built (the build
// goes on); the build's error.
func (p *Past) TileSet(ctx context.Context) (*tiles.Set, error) {
	p.mu.Lock()
	s := p.slot
	build := s == nil
	if s != nil {
		select {
		case <-s.done:
			build = s.err != nil
		default:
		}
	}
	if build {
		s = &tileSlot{done: make(chan struct{})}
		p.slot = s
		go func() {
			s.set, s.err = tiles.NewSet(p.grids, p.epoch, p.m.tileCfg)
			close(s.done)
		}()
	}
	p.mu.Unlock()
	select {
	case <-s.done:
		return s.set, s.err
	case <-ctx.Done():
		return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grid tiles of as_of are still being built; try again shortly"}
	}
}

// Tile returns tile z/x/y of p's grids cut with opts, from the cache that
// every past map's tiles share.
//
// Errors: as TileSet; EINVALID for a tile out of range; tiles.ErrEmpty for
// a tile with no feature.
func (p *Past) Tile(ctx context.Context, z, x, y uint32, opts tiles.Options) (tiles.Entry, error) {
	set, err := p.TileSet(ctx)
	if err != nil {
		return tiles.Entry{}, err
	}
	return p.m.pastTiles.Tile(set, z, x, y, opts)
}
