package tiles

import (
	"errors"
	"strconv"
	"testing"

	"github.com/paulmach/orb/planar"
)

// TestCounties cuts every tile over China from zoom 0 to 6 (about a
// hundred) from the 2,735 county polygons, checks each tile (decodeTile),
// that ids are the adcodes, that every county of at least MinArea at a zoom
// is in some tile, and that no tile reaches 100 KB. It logs the sizes.
func TestCounties(t *testing.T) {
	s := counties(t)
	const limit = 100 << 10
	for z := uint32(0); z <= 6; z++ {
		seen := map[uint64]bool{}
		n, total, biggest := 0, 0, 0
		var sizes []int
		for _, tl := range tilesOver(s.Bound(), z) {
			data, err := s.Tile(tl[0], tl[1], tl[2], Options{})
			if errors.Is(err, ErrEmpty) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			if len(data) >= limit {
				t.Errorf("tile %d/%d/%d: %d B, want under 100 KB", tl[0], tl[1], tl[2], len(data))
			}
			n, total, biggest = n+1, total+len(data), max(biggest, len(data))
			sizes = append(sizes, len(data))
			d := decodeTile(t, data, s.Config())
			for id, f := range d.ids[GridsLayer] {
				seen[id] = true
				if code := f.Properties["code"]; code != strconv.FormatUint(id, 10) {
					t.Fatalf("county %v has id %d", code, id)
				}
			}
		}
		scale := scaleAt(s.Config().Extent, z)
		missing := 0
		for i := range s.features {
			f := &s.features[i]
			if planar.Area(f.world)*scale*scale >= s.Config().MinArea && !seen[f.id] {
				missing++
				t.Errorf("zoom %d: county %s of %.0f units² is in no tile", z, f.code, planar.Area(f.world)*scale*scale)
			}
		}
		t.Logf("counties zoom %d: %3d tiles, %6d B mean, %6d B biggest, %4d counties drawn", z, n, total/n, biggest, len(seen))
		if z == 4 {
			t.Logf("counties zoom 4 tile sizes: %v", sizes)
		}
	}
}

// TestCountiesMemory reports how many points the county Set keeps, per
// precomputed zoom, and bounds the total: past zoom 10, zooms stop being
// precomputed once simplification keeps nine tenths of a county.
func TestCountiesMemory(t *testing.T) {
	s := counties(t)
	total, kept := 0, 0
	perZoom := make([]int, s.cfg.MaxZoom+1)
	for i := range s.features {
		f := &s.features[i]
		for _, p := range f.world {
			for _, r := range p {
				total += len(r)
			}
		}
		for z, mp := range f.lods {
			for _, p := range mp {
				for _, r := range p {
					perZoom[z] += len(r)
					kept += len(r)
				}
			}
		}
	}
	t.Logf("counties: %d points; %d precomputed, by zoom %v", total, kept, perZoom)
	if kept > 4*total {
		t.Errorf("%d points precomputed for %d: want at most 4×", kept, total)
	}
}

// TestCountiesDeep checks the county tiles of zooms 8 to 14 that the
// benchmarks cut (spreadTiles), where outlines are cut into chunks and
// clipped by the part a tile reaches.
func TestCountiesDeep(t *testing.T) {
	s := counties(t)
	for _, z := range []uint32{8, 10, 12, 14} {
		for _, tl := range spreadTiles(t, s, z, 64) {
			data, err := s.Tile(tl[0], tl[1], tl[2], Options{})
			if err != nil {
				t.Fatalf("tile %v: %v", tl, err)
			}
			decodeTile(t, data, s.Config())
		}
	}
}
