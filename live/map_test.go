package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/tiles"
)

// Two streets a degree apart: at zoom 10 (a third of a degree a tile) no
// tile touches both.
var (
	boundA = orb.Bound{Min: orb.Point{116.0, 35.0}, Max: orb.Point{116.1, 35.1}}
	boundB = orb.Bound{Min: orb.Point{117.0, 35.0}, Max: orb.Point{117.1, 35.1}}
)

const tileZoom = 10

func tileOf(b orb.Bound) maptile.Tile { return maptile.At(b.Center(), tileZoom) }

// builds records what OnBuild reports, in order.
type builds chan string

func newBuilds() builds { return make(builds, 64) }

func (b builds) on(kind string, _ time.Duration, version int64) { b <- kind + "@" + itoa(version) }

// want waits for the report s, skipping others (the test's deadline bounds it).
func (b builds) want(t *testing.T, s string) {
	t.Helper()
	for got := range b {
		if got == s {
			return
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// startMap runs a Map over src fed by a fake feed, and waits for its first
// index. The Map stops with the test.
func startMap(t *testing.T, src *fakeGrids, opts Options) (*Map, *fakeFeed) {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m := NewMap(src, opts)
	feed := &fakeFeed{}
	m.Listen(feed)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go m.Run(ctx)
	feed.notify(gridmap.GridsChannel, "") // as the listener does once subscribed
	<-m.Loaded()
	return m, feed
}

func nameAt(t *testing.T, m *Map, p orb.Point) string {
	t.Helper()
	ix, _ := m.Index()
	hit, ok := ix.Lookup(p[0], p[1])
	if !ok {
		t.Fatalf("no grid at %v", p)
	}
	return hit.Grid().Name
}

// TestMapSwapOnNotice: a change notice rebuilds and swaps the snapshot;
// WaitVersion wakes on the swap; build times are reported.
func TestMapSwapOnNotice(t *testing.T) {
	src := &fakeGrids{}
	src.set(1, street(1, "A", "东关", 1, boundA), street(2, "B", "西关", 2, boundB))
	b := newBuilds()
	m, feed := startMap(t, src, Options{OnBuild: b.on})
	if _, v := m.Index(); v != 1 {
		t.Fatalf("version %d, want 1", v)
	}
	if got := nameAt(t, m, boundA.Center()); got != "东关" {
		t.Fatalf("lookup in A: %q", got)
	}

	// Hold the rebuild so the waiter is certainly waiting on a snapshot.
	hold := make(chan struct{})
	src.mu.Lock()
	src.holdCurrent = hold
	src.mu.Unlock()
	woke := make(chan bool, 1)
	go func() { woke <- m.WaitVersion(context.Background(), 3) }()
	src.set(3, street(1, "A", "东关新", 3, boundA), street(2, "B", "西关", 2, boundB))
	feed.notify(gridmap.GridsChannel, "3")
	select {
	case <-woke:
		t.Fatal("WaitVersion returned before the version was built")
	default:
	}
	close(hold)
	if !<-woke {
		t.Fatal("WaitVersion: false, want true after the swap")
	}
	if _, v := m.Index(); v != 3 {
		t.Errorf("version %d after the notice, want 3", v)
	}
	if got := nameAt(t, m, boundA.Center()); got != "东关新" {
		t.Errorf("lookup in A after the swap: %q, want the new name", got)
	}
	if _, _, err := m.TileSet(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{BuildIndex + "@1", BuildTiles + "@1", BuildIndex + "@3", BuildTiles + "@3"} {
		b.want(t, want)
	}

	// A notice of the version held is no rebuild.
	calls := src.currentCalls.Load()
	feed.notify(gridmap.GridsChannel, "3")
	if _, v := m.Index(); v != 3 || src.currentCalls.Load() != calls {
		t.Errorf("a notice of the current version read the grids again")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m.WaitVersion(ctx, 99) {
		t.Error("WaitVersion for a version never built, ctx ended: true")
	}
}

// TestMapTileSetWaitsForAnnounced: a tile request for a version the feed
// announced waits for its tile set; one for a version nobody announced
// gets the current one at once.
func TestMapTileSetWaitsForAnnounced(t *testing.T) {
	src := &fakeGrids{}
	src.set(1, street(1, "A", "东关", 1, boundA))
	m, feed := startMap(t, src, Options{})
	ctx := context.Background()

	if _, v, err := m.TileSet(ctx, 7); err != nil || v != 1 {
		t.Fatalf("TileSet(7) unannounced: version %d, %v; want the current 1", v, err)
	}

	hold := make(chan struct{})
	src.mu.Lock()
	src.holdCurrent = hold
	src.mu.Unlock()
	src.set(2, street(1, "A", "东关", 2, boundA))
	feed.notify(gridmap.GridsChannel, "2")
	type answer struct {
		set *tiles.Set
		ver int64
		err error
	}
	got := make(chan answer, 1)
	go func() {
		set, v, err := m.TileSet(ctx, 2)
		got <- answer{set, v, err}
	}()
	select {
	case a := <-got:
		t.Fatalf("TileSet(2) returned version %d before 2 was built", a.ver)
	default:
	}
	close(hold)
	a := <-got
	if a.err != nil || a.ver != 2 || a.set == nil {
		t.Fatalf("TileSet(2): version %d, %v", a.ver, a.err)
	}
}

// TestMapTilesInvalidatedByChangedBounds: a change drops from the cache
// the tiles the changed grid touches and keeps the others.
func TestMapTilesInvalidatedByChangedBounds(t *testing.T) {
	src := &fakeGrids{}
	src.set(1, street(1, "A", "东关", 1, boundA), street(2, "B", "西关", 2, boundB))
	m, feed := startMap(t, src, Options{})
	ctx := context.Background()
	ta, tb := tileOf(boundA), tileOf(boundB)
	if ta == tb {
		t.Fatal("the test needs A and B in different tiles")
	}
	cut := func(tl maptile.Tile, minVersion int64) {
		t.Helper()
		if _, _, err := m.Tile(ctx, minVersion, uint32(tl.Z), tl.X, tl.Y, tiles.Options{}); err != nil && !errors.Is(err, tiles.ErrEmpty) {
			t.Fatal(err)
		}
	}
	cut(ta, 1)
	cut(tb, 1)
	before := m.TileCacheStats()
	if before.Misses != 2 || before.Entries != 2 {
		t.Fatalf("first cut: %+v, want 2 misses and 2 entries", before)
	}

	// A moves a little (a new version); B is untouched.
	moved := orb.Bound{Min: orb.Point{116.01, 35.0}, Max: orb.Point{116.1, 35.1}}
	src.set(3, street(1, "A", "东关", 3, moved), street(2, "B", "西关", 2, boundB))
	feed.notify(gridmap.GridsChannel, "3")
	if _, v, err := m.TileSet(ctx, 3); err != nil || v != 3 {
		t.Fatalf("TileSet(3): %d, %v", v, err)
	}
	cut(tb, 3) // after the swap's invalidation: Tile waits on the swap's lock
	mid := m.TileCacheStats()
	if mid.Invalidated != 1 {
		t.Errorf("invalidated %d tiles, want 1 (A's)", mid.Invalidated)
	}
	if mid.Hits != before.Hits+1 || mid.Misses != before.Misses {
		t.Errorf("B's tile after A changed: %+v, want a hit (it carried over)", mid)
	}
	cut(ta, 3)
	if after := m.TileCacheStats(); after.Misses != mid.Misses+1 {
		t.Errorf("A's tile after A changed: %+v, want a miss (recut)", after)
	}
}

// history is a fake history of three maps: A alone, A renamed, A and B.
func history(t0 time.Time) []pastMap {
	return []pastMap{
		{from: t0, grids: []gridmap.Grid{street(1, "A", "东关", 1, boundA)}},
		{from: t0.Add(time.Hour), grids: []gridmap.Grid{street(1, "A", "东关二", 2, boundA)}},
		{from: t0.Add(2 * time.Hour), grids: []gridmap.Grid{street(1, "A", "东关二", 2, boundA), street(2, "B", "西关", 3, boundB)}},
	}
}

// TestPastSingleFlight: two calls for one past map load it once, and both
// lookups and tiles read that one Past.
func TestPastSingleFlight(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := &fakeGrids{history: history(t0)}
	src.set(9, street(1, "A", "东关", 9, boundA))
	m, _ := startMap(t, src, Options{})
	ctx := context.Background()

	hold := make(chan struct{})
	src.mu.Lock()
	src.holdPast = hold
	src.mu.Unlock()
	at := t0.Add(90 * time.Minute)
	got := make(chan *Past, 2)
	for range 2 {
		go func() {
			p, err := m.At(ctx, at)
			if err != nil {
				t.Error(err)
			}
			got <- p
		}()
	}
	close(hold)
	p1, p2 := <-got, <-got
	if p1 == nil || p1 != p2 {
		t.Fatalf("two calls for one time: %p and %p, want one Past", p1, p2)
	}
	if n := src.pastCalls.Load(); n != 1 {
		t.Errorf("loaded %d times, want once", n)
	}
	// Another time between the same two changes shares the map.
	if p3, err := m.At(ctx, t0.Add(61*time.Minute)); err != nil || p3 != p1 || src.pastCalls.Load() != 1 {
		t.Errorf("another time of the same map: %p, %v, %d loads; want the same Past, no load", p3, err, src.pastCalls.Load())
	}

	hit, ok := p1.Index.Lookup(boundA.Center()[0], boundA.Center()[1])
	if !ok || hit.Grid().Name != "东关二" {
		t.Errorf("past lookup in A: %v, want 东关二", ok)
	}
	ta := tileOf(boundA)
	e, err := p1.Tile(ctx, uint32(ta.Z), ta.X, ta.Y, tiles.Options{})
	if err != nil || len(e.Data) == 0 {
		t.Errorf("past tile of A: %d bytes, %v", len(e.Data), err)
	}
	tb := tileOf(boundB)
	if _, err := p1.Tile(ctx, uint32(tb.Z), tb.X, tb.Y, tiles.Options{}); !errors.Is(err, tiles.ErrEmpty) {
		t.Errorf("past tile of B before B existed: %v, want tiles.ErrEmpty", err)
	}
}

// TestPastEvicts: past maps beyond Options.PastMaps are dropped, least
// recently used first, and loaded again when asked for.
func TestPastEvicts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := &fakeGrids{history: history(t0)}
	src.set(9, street(1, "A", "东关", 9, boundA))
	m, _ := startMap(t, src, Options{PastMaps: 2})
	ctx := context.Background()
	ask := func(at time.Time, wantLoads int32) {
		t.Helper()
		if _, err := m.At(ctx, at); err != nil {
			t.Fatal(err)
		}
		if n := src.pastCalls.Load(); n != wantLoads {
			t.Fatalf("at %s: %d loads, want %d", at.Format(time.TimeOnly), n, wantLoads)
		}
	}
	first, second, third := t0, t0.Add(time.Hour), t0.Add(2*time.Hour)
	ask(first, 1)
	ask(second, 2)
	ask(first, 2)  // kept; now the most recent
	ask(third, 3)  // evicts second, the least recently used
	ask(first, 3)  // still kept
	ask(second, 4) // loaded again
}

// TestMapMembersOnlyKeepsTiles: a change of people alone (the roster: the
// data version moves, no grid version does) swaps in an index with the new
// members and keeps the tile set as it was, not rebuilt.
func TestMapMembersOnlyKeepsTiles(t *testing.T) {
	src := &fakeGrids{}
	a, b := street(1, "A", "东关", 1, boundA), street(2, "B", "西关", 2, boundB)
	src.set(1, a, b)
	m, feed := startMap(t, src, Options{})
	ctx := context.Background()
	set1, _, err := m.TileSet(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.Members = []gridmap.Member{{GridCode: "A", Role: "worker", Name: "王测试"}}
	src.set(2, a, b)
	feed.notify(gridmap.GridsChannel, "2")
	set2, v, err := m.TileSet(ctx, 2)
	if err != nil || v != 2 {
		t.Fatalf("TileSet(2): %d, %v", v, err)
	}
	if set2 != set1 {
		t.Error("a change of people alone rebuilt the tile set")
	}
	ix, _ := m.Index()
	if g, ok := ix.Grid("A"); !ok || len(g.Members) != 1 || g.Members[0].Name != "王测试" {
		t.Errorf("the index after the change of people: %+v", g)
	}

	// A grid change after it builds a new set.
	a.Version = 3
	src.set(3, a, b)
	feed.notify(gridmap.GridsChannel, "3")
	if set3, _, err := m.TileSet(ctx, 3); err != nil || set3 == set2 {
		t.Errorf("a grid change kept the tile set (%v)", err)
	}
}
