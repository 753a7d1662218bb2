package tiles_test

import (
	"errors"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/tiles"
)

func ExampleSet_Tile() {
	grids := []gridmap.Grid{{
		ID: 1001, Code: "37081200101", Name: "第一网格", Level: gridmap.LevelMicro, Parent: "370812001",
		Boundary: orb.MultiPolygon{{{{116.80, 35.55}, {116.81, 35.55}, {116.81, 35.56}, {116.80, 35.56}, {116.80, 35.55}}}},
	}}
	set, err := tiles.NewSet(grids, 42, tiles.Config{})
	if err != nil {
		panic(err)
	}

	// Micro-grids are drawn from zoom 13 on: below, the tile is empty.
	if _, err := set.Tile(12, 3376, 1614, tiles.Options{}); errors.Is(err, tiles.ErrEmpty) {
		fmt.Println("12/3376/1614: empty, answer 204")
	}

	data, err := set.Tile(14, 13507, 6458, tiles.Options{})
	if err != nil {
		panic(err)
	}
	layers, _ := mvt.UnmarshalGzipped(data)
	for _, l := range layers {
		f := l.Features[0]
		fmt.Println(l.Name, f.ID, f.Properties["code"], f.Geometry.GeoJSONType())
	}
	fmt.Println(set.TileJSON("https://example.cn").Tiles[0])
	// Output:
	// 12/3376/1614: empty, answer 204
	// grids 1001 37081200101 Polygon
	// labels 1001 37081200101 Point
	// https://example.cn/tiles/grids/{z}/{x}/{y}.mvt?v=42
}
