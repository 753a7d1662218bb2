package tiles

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

func TestCacheHit(t *testing.T) {
	s := newSet(t, streetGrids(t), Config{})
	c := NewCache(0)
	z, x, y := tileAt(orb.Point{streetLon, streetLat}, 13)

	first, err := c.Tile(s, z, x, y, Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Tile(s, z, x, y, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(first.Data) != string(again.Data) || first.ETag != again.ETag || &first.Data[0] != &again.Data[0] {
		t.Error("a hit did not return the cached bytes and ETag")
	}
	if !strings.HasPrefix(first.ETag, `"`) || !strings.HasSuffix(first.ETag, `"`) || len(first.ETag) != 24 {
		t.Errorf("ETag %s: want a quoted 22-character tag", first.ETag)
	}
	direct, _ := s.Tile(z, x, y, Options{})
	if ETag(direct) != first.ETag {
		t.Error("ETag of the same bytes differs")
	}
	if st := c.Stats(); st.Hits != 1 || st.Misses != 1 || st.Entries != 1 {
		t.Errorf("stats %+v, want 1 hit, 1 miss, 1 entry", st)
	}

	// Options are part of the key.
	if _, err := c.Tile(s, z, x, y, Options{Levels: []gridmap.Level{gridmap.LevelStreet}}); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Misses != 2 {
		t.Errorf("other options hit: %+v", st)
	}

	// A new data version misses, even with the same grids.
	s2, err := NewSet(streetGrids(t), s.Version()+1, Config{})
	if err != nil {
		t.Fatal(err)
	}
	next, err := c.Tile(s2, z, x, y, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Misses != 3 || st.Entries != 3 {
		t.Errorf("new version: stats %+v, want a third miss and entry", st)
	}
	if next.ETag != first.ETag {
		t.Error("same bytes under a new version should keep the ETag")
	}
}

func TestCacheEmptyAndInvalid(t *testing.T) {
	s := newSet(t, streetGrids(t), Config{})
	c := NewCache(0)
	for range 2 {
		e, err := c.Tile(s, 10, 0, 0, Options{})
		if !errors.Is(err, ErrEmpty) || e.Data != nil {
			t.Fatalf("empty tile: %v, %v", e, err)
		}
	}
	if st := c.Stats(); st.Hits != 1 || st.Entries != 1 {
		t.Errorf("empty tile not cached: %+v", st)
	}
	if _, err := c.Tile(s, 30, 0, 0, Options{}); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("zoom 30: %v, want EINVALID", err)
	}
	if st := c.Stats(); st.Entries != 1 {
		t.Errorf("an error was cached: %+v", st)
	}
}

func TestCacheBound(t *testing.T) {
	s := newSet(t, streetGrids(t), Config{})
	const budget = 24 << 10
	c := NewCache(budget)
	for _, tl := range tilesOver(s.Bound(), 15) {
		if _, err := c.Tile(s, tl[0], tl[1], tl[2], Options{}); err != nil && !errors.Is(err, ErrEmpty) {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if st.Bytes > budget || st.Evictions == 0 {
		t.Errorf("stats %+v: want at most %d bytes and some evictions", st, budget)
	}
	// The most recent tile is still there.
	last := tilesOver(s.Bound(), 15)
	tl := last[len(last)-1]
	c.Tile(s, tl[0], tl[1], tl[2], Options{})
	if c.Stats().Hits != st.Hits+1 {
		t.Error("the most recent tile was evicted")
	}
}

// TestCacheInvalidate fills the cache with the street's tiles at zooms 10 to
// 16, moves one micro-grid and checks that exactly the tiles reading its
// old or new place are dropped.
func TestCacheInvalidate(t *testing.T) {
	grids := streetGrids(t)
	s := newSet(t, grids, Config{})
	c := NewCache(1 << 30)
	var all []cacheKey
	for z := uint32(10); z <= 16; z++ {
		for _, tl := range tilesOver(s.Bound(), z) {
			c.Tile(s, tl[0], tl[1], tl[2], Options{})
			all = append(all, cacheKey{version: s.Version(), z: tl[0], x: tl[1], y: tl[2]})
		}
	}
	old := grids[100].Boundary.Bound()
	moved := orb.Bound{Min: orb.Point{old.Min[0] + 0.01, old.Min[1]}, Max: orb.Point{old.Max[0] + 0.01, old.Max[1]}}

	var want []cacheKey
	for _, k := range all {
		r := s.reach(k.z, k.x, k.y)
		if r.Intersects(worldBound(old)) || r.Intersects(worldBound(moved)) {
			want = append(want, k)
		}
	}
	before := c.Stats().Entries
	n := c.Invalidate(old, moved)
	if n != len(want) || c.Stats().Entries != before-n {
		t.Fatalf("dropped %d of %d, want %d", n, before, len(want))
	}
	for _, k := range want {
		if _, ok := c.items[k]; ok {
			t.Errorf("tile %d/%d/%d reads the grid but was kept", k.z, k.x, k.y)
		}
	}
	if len(want) == 0 || len(want) == len(all) {
		t.Fatalf("test is vacuous: %d of %d tiles touched", len(want), len(all))
	}

	// Every tile kept must be what the moved data cuts, byte for byte.
	grids[100].Boundary = grids[100].Boundary.Clone()
	for _, p := range grids[100].Boundary {
		for _, r := range p {
			for i := range r {
				r[i][0] += 0.01
			}
		}
	}
	s2 := newSet(t, grids, Config{})
	for k, el := range c.items {
		it := el.Value.(*cacheItem)
		data, err := s2.Tile(k.z, k.x, k.y, Options{})
		if errors.Is(err, ErrEmpty) != it.empty || string(data) != string(it.entry.Data) {
			t.Errorf("tile %d/%d/%d was kept but changed", k.z, k.x, k.y)
		}
	}
	t.Logf("moving one micro-grid dropped %d of %d cached tiles", n, len(all))
}

// TestCacheConcurrent hammers one cache from many goroutines (run with
// -race): everyone gets the same bytes.
func TestCacheConcurrent(t *testing.T) {
	s := newSet(t, streetGrids(t), Config{})
	c := NewCache(0)
	tiles := tilesOver(s.Bound(), 14)
	var wg sync.WaitGroup
	got := make([][]string, 8)
	for g := range got {
		wg.Go(func() {
			for _, tl := range tiles {
				e, err := c.Tile(s, tl[0], tl[1], tl[2], Options{})
				if err != nil && !errors.Is(err, ErrEmpty) {
					t.Error(err)
				}
				got[g] = append(got[g], e.ETag)
			}
		})
	}
	wg.Wait()
	for g := range got[1:] {
		for i := range got[0] {
			if got[g+1][i] != got[0][i] {
				t.Fatalf("goroutine %d saw tile %d as %s, another as %s", g+1, i, got[g+1][i], got[0][i])
			}
		}
	}
	if st := c.Stats(); st.Entries != len(tiles) {
		t.Errorf("%d entries for %d tiles", st.Entries, len(tiles))
	}
}
