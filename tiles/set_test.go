package tiles

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/planar"

	"github.com/gridmap/gridmap"
)

// square returns a grid whose boundary is a square of side d degrees at
// (lon, lat), ring counter-clockwise as GeoJSON has it.
func square(id int64, code string, lon, lat, d float64) gridmap.Grid {
	return gridmap.Grid{
		ID: id, Code: code, Name: "grid " + code, Level: gridmap.LevelMicro,
		Boundary: orb.MultiPolygon{{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}},
	}
}

// flat is a Config that draws every level at every zoom.
func flat() Config { return Config{LevelMinZoom: map[gridmap.Level]uint32{}} }

func TestNewSetErrors(t *testing.T) {
	ok := square(1, "a", 116.8, 35.5, 0.01)
	tests := []struct {
		name  string
		grids []gridmap.Grid
		cfg   Config
		want  string // in the message
	}{
		{"negative id", []gridmap.Grid{square(-1, "a", 116.8, 35.5, 0.01)}, Config{}, "negative"},
		{"repeated id", []gridmap.Grid{ok, square(1, "b", 116.9, 35.5, 0.01)}, Config{}, "share id 1"},
		{"repeated code", []gridmap.Grid{ok, square(2, "a", 116.9, 35.5, 0.01)}, Config{}, `share code "a"`},
		{"no boundary", []gridmap.Grid{{ID: 3, Code: "c"}}, Config{}, "empty"},
		{"zero area", []gridmap.Grid{square(3, "c", 116.8, 35.5, 0)}, Config{}, "zero area"},
		{"not degrees", []gridmap.Grid{square(3, "c", 13e6, 4e6, 1000)}, Config{}, "not EPSG:4326"},
		{"NaN", []gridmap.Grid{square(3, "c", math.NaN(), 35, 0.01)}, Config{}, "not EPSG:4326"},
		{"max zoom too deep", []gridmap.Grid{ok}, Config{MaxZoom: 25}, "MaxZoom 25"},
		{"min above max", []gridmap.Grid{ok}, Config{MinZoom: 12, MaxZoom: 10}, "MinZoom 12"},
		{"buffer above extent", []gridmap.Grid{ok}, Config{Extent: 256, Buffer: 512}, "Buffer 512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSet(tt.grids, 1, tt.cfg)
			if gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(gridmap.ErrorMessage(err), tt.want) {
				t.Errorf("NewSet: %v; want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestTileRange(t *testing.T) {
	s := newSet(t, []gridmap.Grid{square(1, "a", 116.8, 35.5, 0.01)}, Config{MinZoom: 2, MaxZoom: 16})
	tests := []struct {
		name    string
		z, x, y uint32
		want    string // in the message; "" for a valid tile
	}{
		{"zoom too deep", 17, 0, 0, "zoom must be from 2 to 16"},
		{"zoom too shallow", 1, 0, 0, "zoom must be from 2 to 16"},
		{"x too big", 3, 8, 0, "x and y must be from 0 to 7 at zoom 3"},
		{"y too big", 3, 0, 8, "x and y must be from 0 to 7 at zoom 3"},
		{"huge", 16, math.MaxUint32, 0, "from 0 to 65535"},
		{"valid, empty", 3, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Tile(tt.z, tt.x, tt.y, Options{})
			if tt.want == "" {
				if gridmap.ErrorCode(err) == gridmap.EINVALID {
					t.Errorf("Tile: %v", err)
				}
				return
			}
			if gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(gridmap.ErrorMessage(err), tt.want) {
				t.Errorf("Tile: %v; want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestEmptyTile(t *testing.T) {
	s := newSet(t, []gridmap.Grid{square(1, "a", 116.8, 35.5, 0.01)}, Config{})
	data, err := s.Tile(10, 0, 0, Options{})
	if !errors.Is(err, ErrEmpty) || data != nil {
		t.Fatalf("Tile = %d bytes, %v; want nil, ErrEmpty", len(data), err)
	}
	if gridmap.ErrorCode(err) != gridmap.ENOTFOUND {
		t.Errorf("code %q, want %q", gridmap.ErrorCode(err), gridmap.ENOTFOUND)
	}
	// A level hidden at this zoom makes an empty tile too.
	z, x, y := tileAt(orb.Point{116.805, 35.505}, 10)
	if _, err := s.Tile(z, x, y, Options{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("micro grid at zoom 10: %v, want ErrEmpty", err)
	}
	if _, err := s.Tile(z, x, y, Options{Levels: []gridmap.Level{gridmap.LevelMicro}}); err != nil {
		t.Errorf("micro grid asked for: %v", err)
	}
}

// tileAt returns the tile of zoom z holding p (degrees).
func tileAt(p orb.Point, z uint32) (uint32, uint32, uint32) {
	w := toWorld(p)
	n := float64(uint64(1) << z)
	return z, uint32(w[0] * n), uint32(w[1] * n)
}

// cut returns the decoded tile, or nil layers for an empty one.
func cut(tb testing.TB, s *Set, z, x, y uint32, opts Options) decoded {
	tb.Helper()
	data, err := s.Tile(z, x, y, opts)
	if errors.Is(err, ErrEmpty) {
		return decoded{}
	}
	if err != nil {
		tb.Fatalf("Tile(%d/%d/%d): %v", z, x, y, err)
	}
	return decodeTile(tb, data, s.Config())
}

// TestStreetTiles cuts every tile over the synthetic street from zoom 0 to
// 16 and checks each (decodeTile), the properties and ids against the
// grids, the levels drawn at each zoom, and that no grid goes missing.
func TestStreetTiles(t *testing.T) {
	grids := streetGrids(t)
	s := newSet(t, grids, Config{})
	byID := map[uint64]gridmap.Grid{}
	for _, g := range grids {
		byID[uint64(g.ID)] = g
	}
	levelsAt := func(z uint32) []gridmap.Level {
		switch {
		case z >= 13:
			return []gridmap.Level{gridmap.LevelMicro, gridmap.LevelStreet, gridmap.LevelVillage}
		case z >= 11:
			return []gridmap.Level{gridmap.LevelStreet, gridmap.LevelVillage}
		}
		return []gridmap.Level{gridmap.LevelStreet}
	}
	for z := uint32(0); z <= 16; z++ {
		seen := map[uint64]bool{}
		labels := 0
		for _, tl := range tilesOver(s.Bound(), z) {
			d := cut(t, s, tl[0], tl[1], tl[2], Options{})
			for layer, fs := range d.ids {
				for id, f := range fs {
					g, ok := byID[id]
					if !ok {
						t.Fatalf("%v %s: unknown id %d", tl, layer, id)
					}
					if f.Properties["code"] != g.Code || f.Properties["name"] != g.Name || f.Properties["level"] != string(g.Level) {
						t.Fatalf("%v %s id %d: properties %v, want grid %s", tl, layer, id, f.Properties, g.Code)
					}
					if p, _ := f.Properties["parent"].(string); layer == GridsLayer && p != g.Parent {
						t.Fatalf("%v grid %d: parent %q, want %q", tl, id, p, g.Parent)
					}
					if layer == GridsLayer {
						seen[id] = true
					} else {
						labels++
					}
				}
			}
		}
		var levels []gridmap.Level
		scale := scaleAt(s.Config().Extent, z)
		for _, g := range grids {
			// Only grids of at least MinArea are promised; the street is
			// under a pixel below zoom 4.
			f := &s.features[s.byCode[g.Code]]
			big := math.Abs(planar.Area(f.world))*scale*scale >= s.Config().MinArea
			if slices.Contains(levelsAt(z), g.Level) && big && !seen[uint64(g.ID)] {
				t.Errorf("zoom %d: grid %s (%s) is in no tile", z, g.Code, g.Level)
			}
			if seen[uint64(g.ID)] && !slices.Contains(levels, g.Level) {
				levels = append(levels, g.Level)
			}
		}
		slices.Sort(levels)
		if z >= 4 && !slices.Equal(levels, levelsAt(z)) {
			t.Errorf("zoom %d: levels %v, want %v", z, levels, levelsAt(z))
		}
		t.Logf("zoom %2d: %3d grids, %3d labels", z, len(seen), labels)
	}
}

// TestStreetTileSizes reports the size of the street's tiles at zooms 10 to
// 12, where it fills one to a few dozen tiles.
func TestStreetTileSizes(t *testing.T) {
	s := newSet(t, streetGrids(t), Config{})
	for z := uint32(10); z <= 14; z++ {
		n, total, biggest := 0, 0, 0
		for _, tl := range tilesOver(s.Bound(), z) {
			data, err := s.Tile(tl[0], tl[1], tl[2], Options{})
			if errors.Is(err, ErrEmpty) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			n, total, biggest = n+1, total+len(data), max(biggest, len(data))
		}
		t.Logf("street zoom %d: %d tiles, %d B mean, %d B biggest", z, n, total/n, biggest)
		if biggest > 100<<10 {
			t.Errorf("zoom %d: a tile of %d B, want under 100 KB", z, biggest)
		}
	}
}

func TestLevelsByZoom(t *testing.T) {
	s := newSet(t, streetGrids(t), Config{})
	c := orb.Point{streetLon, streetLat}
	tests := []struct {
		name string
		z    uint32
		opts Options
		want []string // levels in the grids layer, sorted
	}{
		{"street alone below 11", 10, Options{}, []string{"street"}},
		{"villages from 11", 11, Options{}, []string{"street", "village"}},
		{"micro-grids from 13", 13, Options{}, []string{"micro", "street", "village"}},
		{"asked-for level below its zoom", 9, Options{Levels: []gridmap.Level{gridmap.LevelMicro}}, []string{"micro"}},
		{"asked-for levels only", 14, Options{Levels: []gridmap.Level{gridmap.LevelVillage, gridmap.LevelStreet}}, []string{"street", "village"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, x, y := tileAt(c, tt.z)
			d := cut(t, s, z, x, y, tt.opts)
			var got []string
			for _, f := range d.layers[GridsLayer].Features {
				if l := f.Properties["level"].(string); !slices.Contains(got, l) {
					got = append(got, l)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("levels %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEdge checks that a grid across a tile edge is in both tiles, clipped
// within the buffer, and that the two halves inside their tiles add up to
// the whole.
func TestEdge(t *testing.T) {
	const z = 12
	n := float64(uint64(1) << z)
	// A square straddling the edge between tiles x and x+1.
	edgeLon := fromWorld(orb.Point{math.Round(toWorld(orb.Point{116.8, 0})[0]*n) / n, 0})[0]
	g := square(42, "edge", edgeLon-0.01, 35.55, 0.02)
	s := newSet(t, []gridmap.Grid{g}, flat())
	_, x, y := tileAt(orb.Point{edgeLon + 0.001, 35.56}, z)

	cfg := s.Config()
	e := float64(cfg.Extent)
	inside := orb.Bound{Max: orb.Point{e, e}}
	total := 0.0
	for _, tx := range []uint32{x - 1, x} {
		d := cut(t, s, z, tx, y, Options{})
		f := d.ids[GridsLayer][42]
		if f == nil {
			t.Fatalf("tile %d/%d/%d: grid missing", z, tx, y)
		}
		b := f.Geometry.Bound()
		if b.Min[0] > 0 && b.Max[0] < e {
			t.Errorf("tile %d/%d/%d: grid %v not clipped at the edge", z, tx, y, b)
		}
		if b.Min[0] < -float64(cfg.Buffer) || b.Max[0] > e+float64(cfg.Buffer) {
			t.Errorf("tile %d/%d/%d: grid %v reaches past the buffer", z, tx, y, b)
		}
		total += planar.Area(clip.Geometry(inside, f.Geometry))
	}
	w := toWorld(orb.Point{edgeLon - 0.01, 35.55})
	w2 := toWorld(orb.Point{edgeLon + 0.01, 35.57})
	want := (w2[0] - w[0]) * (w[1] - w2[1]) * n * n * e * e
	if math.Abs(total-want)/want > 0.002 {
		t.Errorf("halves add up to %.0f units², want %.0f", total, want)
	}
}

// TestSmallGrids checks the never-drop rule: a grid above MinArea is kept
// however simplification treats it; one far below may vanish.
func TestSmallGrids(t *testing.T) {
	const z = 8
	scale := scaleAt(4096, z)
	w := toWorld(orb.Point{116.8, 35.55})
	// deg returns a ring given in tile units of zoom z around w.
	deg := func(pts ...orb.Point) orb.Ring {
		r := make(orb.Ring, len(pts))
		for i, p := range pts {
			r[i] = fromWorld(orb.Point{w[0] + p[0]/scale, w[1] + p[1]/scale})
		}
		return r
	}
	// A sliver 300 units long and 3 wide, wiggling along its length: every
	// point is within the tolerance of the diagonal, so Douglas–Peucker at 6
	// collapses it; 900 units² must survive.
	var sliver []orb.Point
	for i := 0; i <= 30; i++ {
		sliver = append(sliver, orb.Point{float64(10 * i), float64(i % 2)})
	}
	for i := 30; i >= 0; i-- {
		sliver = append(sliver, orb.Point{float64(10 * i), 3 + float64(i%2)})
	}
	sliver = append(sliver, sliver[0])
	tests := []struct {
		name string
		ring orb.Ring
		kept bool
	}{
		{"sliver above a pixel", deg(sliver...), true},
		{"square of 20 units", deg(orb.Point{0, 0}, orb.Point{20, 0}, orb.Point{20, 20}, orb.Point{0, 20}, orb.Point{0, 0}), true},
		{"square of 2 units vanishes", deg(orb.Point{0, 0}, orb.Point{2, 0}, orb.Point{2, 2}, orb.Point{0, 2}, orb.Point{0, 0}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gridmap.Grid{ID: 5, Code: "small", Level: "micro", Boundary: orb.MultiPolygon{{tt.ring}}}
			s := newSet(t, []gridmap.Grid{g}, flat())
			kept := false
			for _, tl := range tilesOver(g.Boundary.Bound(), z) {
				d := cut(t, s, tl[0], tl[1], tl[2], Options{})
				kept = kept || d.ids[GridsLayer][5] != nil
			}
			if kept != tt.kept {
				t.Errorf("kept = %v, want %v", kept, tt.kept)
			}
		})
	}
}

// TestOrientation feeds rings wound either way, with a hole, and checks
// what comes out is wound as MVT wants (decodeTile) and keeps the hole.
func TestOrientation(t *testing.T) {
	outer := orb.Ring{{116.80, 35.50}, {116.90, 35.50}, {116.90, 35.60}, {116.80, 35.60}, {116.80, 35.50}}
	hole := orb.Ring{{116.83, 35.53}, {116.83, 35.57}, {116.87, 35.57}, {116.87, 35.53}, {116.83, 35.53}}
	rev := func(r orb.Ring) orb.Ring { r = slices.Clone(r); slices.Reverse(r); return r }
	tests := []struct {
		name        string
		outer, hole orb.Ring
	}{
		{"GeoJSON winding", outer, hole},
		{"reversed winding", rev(outer), rev(hole)},
		{"both the same way", outer, rev(hole)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gridmap.Grid{ID: 9, Code: "o", Level: "micro", Boundary: orb.MultiPolygon{{tt.outer, tt.hole}}}
			s := newSet(t, []gridmap.Grid{g}, flat())
			for _, z := range []uint32{8, 10} { // the hole whole in one tile
				z, x, y := tileAt(orb.Point{116.85, 35.55}, z)
				d := cut(t, s, z, x, y, Options{})
				p, ok := d.ids[GridsLayer][9].Geometry.(orb.Polygon)
				if !ok || len(p) != 2 {
					t.Errorf("zoom %d: %v, want a polygon with a hole", z, d.ids[GridsLayer][9].Geometry)
				}
			}
		})
	}
}

// TestTileDeterministic checks equal input gives equal bytes, whatever the
// order of the grids: ETags and cache carry-over rely on it.
func TestTileDeterministic(t *testing.T) {
	grids := streetGrids(t)
	a := newSet(t, grids, Config{})
	shuffled := slices.Clone(grids)
	slices.Reverse(shuffled)
	b := newSet(t, shuffled, Config{})
	for _, z := range []uint32{10, 13, 15} {
		z, x, y := tileAt(orb.Point{streetLon, streetLat}, z)
		da, err := a.Tile(z, x, y, Options{})
		if err != nil {
			t.Fatal(err)
		}
		db, _ := b.Tile(z, x, y, Options{})
		if string(da) != string(db) {
			t.Errorf("zoom %d: tiles differ with the order of the grids", z)
		}
	}
}

// TestFeatureIDs checks ids above 32 bits survive in both layers.
func TestFeatureIDs(t *testing.T) {
	s := newSet(t, []gridmap.Grid{square(1<<40, "big", 116.8, 35.5, 0.01)}, flat())
	z, x, y := tileAt(orb.Point{116.805, 35.505}, 12)
	d := cut(t, s, z, x, y, Options{})
	if d.ids[GridsLayer][1<<40] == nil || d.ids[LabelsLayer][1<<40] == nil {
		t.Errorf("ids %v, want %d in both layers", fmt.Sprint(d.ids), uint64(1<<40))
	}
}

// TestTileConcurrent cuts the same tiles from many goroutines at once (run
// with -race): a Set is safe for concurrent use and cuts the same bytes.
func TestTileConcurrent(t *testing.T) {
	s := newSet(t, streetGrids(t), Config{})
	tiles := tilesOver(s.Bound(), 13)
	want := make([]string, len(tiles))
	for i, tl := range tiles {
		data, _ := s.Tile(tl[0], tl[1], tl[2], Options{})
		want[i] = string(data)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range tiles {
				tl := tiles[(i+g*len(tiles)/4)%len(tiles)]
				data, _ := s.Tile(tl[0], tl[1], tl[2], Options{})
				if string(data) != want[(i+g*len(tiles)/4)%len(tiles)] {
					t.Errorf("tile %v differs when cut concurrently", tl)
				}
			}
		})
	}
	wg.Wait()
}

// TestNextReusesUnchanged: a Set built by Next after one grid is redrawn,
// one renamed, one removed and one added cuts every tile of the street
// from zoom 10 to 15 byte for byte as a Set built afresh, keeps the
// prepared boundaries of the grids whose version is the same, and
// prepares the others again.
func TestNextReusesUnchanged(t *testing.T) {
	grids := streetGrids(t)
	for i := range grids {
		grids[i].Version = int64(i + 1)
	}
	before := newSet(t, grids, Config{})
	after := slices.Clone(grids)
	micro := slices.IndexFunc(after, func(g gridmap.Grid) bool { return g.Level == gridmap.LevelMicro })
	redrawn, renamed := micro, micro+1
	// Redrawn: every point moved 5 m east.
	g := &after[redrawn]
	g.Boundary = orb.Clone(g.Boundary).(orb.MultiPolygon)
	for _, p := range g.Boundary {
		for _, r := range p {
			for k := range r {
				r[k][0] += 0.00005
			}
		}
	}
	g.Version = 10_000
	after[renamed].Name, after[renamed].Version = "改名的网格", 10_001
	removed := after[micro+2].Code
	after = slices.Delete(after, micro+2, micro+3)
	added := after[micro+3]
	added.ID, added.Code, added.Version, added.Name = 99_999, "NEW-1", 10_002, "新网格"
	after = append(after, added)

	next, err := before.Next(after, 8)
	if err != nil {
		t.Fatal(err)
	}
	fresh := newSet(t, after, Config{})
	if next.Len() != fresh.Len() || next.Bound() != fresh.Bound() || !slices.Equal(next.Levels(), fresh.Levels()) {
		t.Fatalf("Next: %d grids in %v, levels %v; afresh %d in %v, %v", next.Len(), next.Bound(), next.Levels(), fresh.Len(), fresh.Bound(), fresh.Levels())
	}
	n := 0
	for z := uint32(10); z <= 15; z++ {
		for _, tt := range tilesOver(fresh.Bound(), z) {
			want, werr := fresh.Tile(tt[0], tt[1], tt[2], Options{})
			got, gerr := next.Tile(tt[0], tt[1], tt[2], Options{})
			if !bytes.Equal(got, want) || (werr == nil) != (gerr == nil) {
				t.Fatalf("tile %v: %d bytes (%v) from Next, %d (%v) afresh", tt, len(got), gerr, len(want), werr)
			}
			n++
		}
	}
	// Shared where the version is the same, prepared again where not.
	shared := func(code string) bool {
		i, j := next.byCode[code], before.byCode[code]
		return len(next.features[i].lods) > 0 && &next.features[i].lods[len(next.features[i].lods)-1] == &before.features[j].lods[len(before.features[j].lods)-1]
	}
	if !shared(grids[0].Code) || !shared(after[micro+5].Code) {
		t.Error("an unchanged grid was prepared again")
	}
	if shared(grids[redrawn].Code) || shared(grids[renamed].Code) {
		t.Error("a changed grid kept its old preparation")
	}
	if _, ok := next.byCode[removed]; ok {
		t.Errorf("removed grid %s still in the Set", removed)
	}
	t.Logf("%d tiles equal", n)
}
