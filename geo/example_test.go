package geo_test

import (
	"fmt"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

func box(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// A street with two micro-grids side by side; a grid worker's phone (AMap
// SDK) reports a GCJ-02 position.
func Example() {
	grids := []gridmap.Grid{
		{Code: "370812001", Level: gridmap.LevelStreet, Boundary: box(116.80, 35.55, 116.82, 35.56)},
		{Code: "37081200101", Level: gridmap.LevelMicro, Parent: "370812001", Boundary: box(116.80, 35.55, 116.81, 35.56)},
		{Code: "37081200102", Level: gridmap.LevelMicro, Parent: "370812001", Boundary: box(116.81, 35.55, 116.82, 35.56)},
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		fmt.Println(err)
		return
	}

	p, err := geo.ToWGS84(geo.GCJ02, orb.Point{116.815340, 35.554780})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("WGS84: %.5f, %.5f\n", p[0], p[1])

	h, ok := ix.Lookup(p[0], p[1])
	if !ok {
		fmt.Println("in no grid")
		return
	}
	for _, g := range h.Chain() {
		fmt.Println(g.Level, g.Code)
	}
	if code, m, ok := ix.Nearest(p[0], p[1], 30, h.Grid().Code); ok {
		fmt.Printf("near_boundary: %s is %.0f m away\n", code, m)
	}
	// Output:
	// WGS84: 116.80980, 35.55500
	// micro 37081200101
	// street 370812001
	// near_boundary: 37081200102 is 18 m away
}
