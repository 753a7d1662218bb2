package heat_test

import (
	"slices"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/heat"
)

func TestByLevel(t *testing.T) {
	// s ─┬─ v2 ─┬─ m22, m21
	//    └─ v1 ─┴─ m11
	// Listed out of code order, so the answer's order is ByLevel's.
	ix, err := geo.NewIndex([]gridmap.Grid{
		{Code: "s", Name: "街道", Level: gridmap.LevelStreet},
		{Code: "v2", Name: "村二", Level: gridmap.LevelVillage, Parent: "s"},
		{Code: "v1", Name: "村一", Level: gridmap.LevelVillage, Parent: "s"},
		{Code: "m22", Level: gridmap.LevelMicro, Parent: "v2"},
		{Code: "m21", Level: gridmap.LevelMicro, Parent: "v2"},
		{Code: "m11", Level: gridmap.LevelMicro, Parent: "v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]int{"m21": 1, "m22": 2, "v2": 4, "m11": 8, "s": 16, "retired": 32}
	for _, c := range []struct {
		name      string
		level     gridmap.Level
		want      []heat.GridCount
		elsewhere int
	}{
		{"villages: own and below, zeros kept", gridmap.LevelVillage,
			[]heat.GridCount{{Code: "v1", Name: "村一", Count: 8}, {Code: "v2", Name: "村二", Count: 7}}, 48},
		{"micro-grids", gridmap.LevelMicro,
			[]heat.GridCount{{Code: "m11", Count: 8}, {Code: "m21", Count: 1}, {Code: "m22", Count: 2}}, 52},
		{"the street: everything assigned in the tree", gridmap.LevelStreet,
			[]heat.GridCount{{Code: "s", Name: "街道", Count: 31}}, 32},
		{"no grid of the level", "county", nil, 63},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, elsewhere := heat.ByLevel(ix, c.level, byCode)
			if !slices.Equal(got, c.want) || elsewhere != c.elsewhere {
				t.Errorf("got %v, elsewhere %d; want %v, %d", got, elsewhere, c.want, c.elsewhere)
			}
		})
	}
	// Zeros are listed.
	if got, _ := heat.ByLevel(ix, gridmap.LevelMicro, nil); len(got) != 3 {
		t.Errorf("no incidents: %v", got)
	}
}
