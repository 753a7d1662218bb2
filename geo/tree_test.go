package geo_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

func TestTreeQueries(t *testing.T) {
	grids := streetGrids(t)
	// Reversed, so an answer in code order is not the input order by luck.
	slices.Reverse(grids)
	ix, err := geo.NewIndex(grids)
	if err != nil {
		t.Fatal(err)
	}
	codes := func(gs []*gridmap.Grid) []string {
		var cs []string
		for _, g := range gs {
			cs = append(cs, g.Code)
		}
		return cs
	}

	t.Run("OfLevel", func(t *testing.T) {
		for _, c := range []struct {
			level gridmap.Level
			n     int
		}{{gridmap.LevelStreet, 1}, {gridmap.LevelVillage, 36}, {gridmap.LevelMicro, 242}, {"county", 0}} {
			cs := codes(ix.OfLevel(c.level))
			if len(cs) != c.n || !slices.IsSorted(cs) {
				t.Errorf("%s: %d grids (sorted %v), want %d", c.level, len(cs), slices.IsSorted(cs), c.n)
			}
		}
	})

	t.Run("AncestorAt", func(t *testing.T) {
		for _, c := range []struct {
			name, code string
			level      gridmap.Level
			want       string // "" for none
		}{
			{"micro to village", "37081200100101", gridmap.LevelVillage, "370812001001"},
			{"micro to street", "37081200100101", gridmap.LevelStreet, "370812001"},
			{"micro to itself", "37081200100101", gridmap.LevelMicro, "37081200100101"},
			{"village to micro: none below", "370812001001", gridmap.LevelMicro, ""},
			{"unknown code", "nope", gridmap.LevelStreet, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				g, ok := ix.AncestorAt(c.code, c.level)
				if ok != (c.want != "") || ok && g.Code != c.want {
					t.Errorf("AncestorAt(%s, %s) = %v, %v; want %q", c.code, c.level, g, ok, c.want)
				}
			})
		}
	})

	t.Run("Descendants", func(t *testing.T) {
		for _, c := range []struct {
			name, code string
			n          int // -1: unknown code
		}{
			{"street: everything", "370812001", 279},
			{"village: itself and its 8 micro-grids", "370812001001", 9},
			{"micro: itself", "37081200100101", 1},
			{"unknown", "nope", -1},
		} {
			t.Run(c.name, func(t *testing.T) {
				cs, ok := ix.Descendants(c.code)
				if !ok {
					if c.n >= 0 {
						t.Fatalf("Descendants(%s): not found", c.code)
					}
					return
				}
				if len(cs) != c.n || !slices.Contains(cs, c.code) {
					t.Errorf("Descendants(%s): %d codes %v, want %d with itself", c.code, len(cs), cs, c.n)
				}
				for _, d := range cs {
					if !strings.HasPrefix(d, c.code) { // the street's codes nest
						t.Errorf("Descendants(%s) has %s", c.code, d)
					}
				}
			})
		}
	})
}
