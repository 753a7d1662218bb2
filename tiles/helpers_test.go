package tiles

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/shareddata"
)

// Synthetic street: 22×11 micro-grids of about 500 m × 500 m (60.5 km²)
// centred near Yanzhou, grouped into 33 villages of 2×4 or 2×3 cells under
// one street. Cells share the polylines of a jittered lattice, so neighbours
// meet exactly, as a real partition does. Deterministic (fixed seed).
const (
	streetCols, streetRows = 22, 11
	streetLon, streetLat   = 116.8, 35.55
	cellKm                 = 0.5
	edgePoints             = 6 // inner points per lattice edge
	streetID               = 1
	streetCode             = "370812001"
)

// villageRows are the heights, in cells, of the village bands; villages are
// two cells wide.
var villageRows = []int{4, 4, 3}

// streetGrids returns the synthetic street: 1 street, 33 villages, 242
// micro-grids, with rings counter-clockwise in EPSG:4326 as GeoJSON has them.
func streetGrids(tb testing.TB) []gridmap.Grid {
	tb.Helper()
	rng := rand.New(rand.NewPCG(20240601, 7))
	dlat := cellKm / 111.32
	dlon := cellKm / (111.32 * 0.81378) // cos(35.55°)
	lon0 := streetLon - dlon*streetCols/2
	lat0 := streetLat - dlat*streetRows/2

	node := make([][]orb.Point, streetCols+1)
	for i := range node {
		node[i] = make([]orb.Point, streetRows+1)
		for j := range node[i] {
			node[i][j] = orb.Point{
				lon0 + (float64(i)+0.4*(rng.Float64()-0.5))*dlon,
				lat0 + (float64(j)+0.4*(rng.Float64()-0.5))*dlat,
			}
		}
	}
	// edge returns the polyline from a to b with wiggling inner points.
	edge := func(a, b orb.Point) []orb.Point {
		ls := []orb.Point{a}
		nx, ny := -(b[1] - a[1]), b[0]-a[0] // normal, as long as the edge
		for k := 1; k <= edgePoints; k++ {
			t := float64(k) / (edgePoints + 1)
			w := 0.08 * (rng.Float64() - 0.5)
			ls = append(ls, orb.Point{a[0] + t*(b[0]-a[0]) + w*nx, a[1] + t*(b[1]-a[1]) + w*ny})
		}
		return append(ls, b)
	}
	horiz := make([][][]orb.Point, streetCols) // horiz[i][j]: node(i,j) → node(i+1,j)
	for i := range horiz {
		horiz[i] = make([][]orb.Point, streetRows+1)
		for j := range horiz[i] {
			horiz[i][j] = edge(node[i][j], node[i+1][j])
		}
	}
	vert := make([][][]orb.Point, streetCols+1) // vert[i][j]: node(i,j) → node(i,j+1)
	for i := range vert {
		vert[i] = make([][]orb.Point, streetRows)
		for j := range vert[i] {
			vert[i][j] = edge(node[i][j], node[i][j+1])
		}
	}
	// block returns the ring around cells [i0,i1)×[j0,j1), counter-clockwise.
	block := func(i0, i1, j0, j1 int) orb.Ring {
		var r orb.Ring
		add := func(ls []orb.Point, reverse bool) {
			for k := range ls[:len(ls)-1] {
				if reverse {
					r = append(r, ls[len(ls)-1-k])
				} else {
					r = append(r, ls[k])
				}
			}
		}
		for i := i0; i < i1; i++ {
			add(horiz[i][j0], false)
		}
		for j := j0; j < j1; j++ {
			add(vert[i1][j], false)
		}
		for i := i1 - 1; i >= i0; i-- {
			add(horiz[i][j1], true)
		}
		for j := j1 - 1; j >= j0; j-- {
			add(vert[i0][j], true)
		}
		return append(r, r[0])
	}

	grids := []gridmap.Grid{{
		ID: streetID, Code: streetCode, Name: "兖州示例街道（模拟）", Level: gridmap.LevelStreet,
		Boundary: orb.MultiPolygon{{block(0, streetCols, 0, streetRows)}}, Version: 1,
	}}
	v, m := 0, 0
	for j0, band := 0, 0; band < len(villageRows); j0, band = j0+villageRows[band], band+1 {
		j1 := j0 + villageRows[band]
		for i0 := 0; i0 < streetCols; i0 += 2 {
			v++
			vcode := fmt.Sprintf("%s%03d", streetCode, v)
			grids = append(grids, gridmap.Grid{
				ID: int64(100 + v), Code: vcode, Name: fmt.Sprintf("第%d社区（模拟）", v),
				Level: gridmap.LevelVillage, Parent: streetCode,
				Boundary: orb.MultiPolygon{{block(i0, i0+2, j0, j1)}}, Version: 1,
			})
			k := 0
			for j := j0; j < j1; j++ {
				for i := i0; i < i0+2; i++ {
					k++
					m++
					grids = append(grids, gridmap.Grid{
						ID: int64(10000 + m), Code: fmt.Sprintf("%s%02d", vcode, k), Name: fmt.Sprintf("第%d网格", m),
						Level: gridmap.LevelMicro, Parent: vcode,
						Boundary: orb.MultiPolygon{{block(i, i+1, j, j+1)}}, Version: 1,
					})
				}
			}
		}
	}
	return grids
}

// The counties and their Set are shared by the tests and benchmarks of one
// run: reading and building them takes seconds.
var (
	countiesOnce = shareddata.CountyGrids
	countySet    = sync.OnceValues(func() (*Set, error) {
		grids, err := countiesOnce()
		if err != nil {
			return nil, err
		}
		return NewSet(grids, 1, Config{})
	})
)

// counties returns the county Set, skipping when the data file is absent.
func counties(tb testing.TB) *Set {
	tb.Helper()
	shareddata.Path(tb, shareddata.Counties) // skips, or fails under make test, when absent
	s, err := countySet()
	if err != nil {
		tb.Fatalf("counties: %v", err)
	}
	return s
}

// newSet builds a Set or fails.
func newSet(tb testing.TB, grids []gridmap.Grid, cfg Config) *Set {
	tb.Helper()
	s, err := NewSet(grids, 7, cfg)
	if err != nil {
		tb.Fatalf("NewSet: %v", err)
	}
	return s
}

// decoded is a tile decoded and checked by decodeTile.
type decoded struct {
	layers map[string]*mvt.Layer
	ids    map[string]map[uint64]*geojson.Feature // layer → feature id → feature
}

// decodeTile decodes a gzipped tile and checks every rule the package
// promises, failing tb on the first broken one: known layers, version 2,
// the extent, ids present and unique, properties, polygon rings closed with
// at least 4 points, non-zero area, exterior positive and holes negative,
// no two edges meeting (simple), coordinates inside the buffer; labels
// inside the tile.
func decodeTile(tb testing.TB, data []byte, cfg Config) decoded {
	tb.Helper()
	layers, err := mvt.UnmarshalGzipped(data)
	if err != nil {
		tb.Fatalf("decode: %v", err)
	}
	d := decoded{layers: map[string]*mvt.Layer{}, ids: map[string]map[uint64]*geojson.Feature{}}
	lo, hi := -float64(cfg.Buffer), float64(cfg.Extent+cfg.Buffer)
	for _, l := range layers {
		if l.Name != GridsLayer && l.Name != LabelsLayer {
			tb.Fatalf("unknown layer %q", l.Name)
		}
		if l.Version != 2 || l.Extent != cfg.Extent {
			tb.Fatalf("layer %s: version %d extent %d, want 2 and %d", l.Name, l.Version, l.Extent, cfg.Extent)
		}
		if len(l.Features) == 0 {
			tb.Fatalf("layer %s is empty; empty layers must be left out", l.Name)
		}
		d.layers[l.Name] = l
		d.ids[l.Name] = map[uint64]*geojson.Feature{}
		for _, f := range l.Features {
			idf, ok := f.ID.(float64)
			if !ok {
				tb.Fatalf("layer %s: feature %v has no id", l.Name, f.Properties)
			}
			id := uint64(idf)
			if d.ids[l.Name][id] != nil {
				tb.Fatalf("layer %s: id %d twice", l.Name, id)
			}
			d.ids[l.Name][id] = f
			for _, k := range []string{"code", "name", "level"} {
				if _, ok := f.Properties[k].(string); !ok {
					tb.Fatalf("layer %s id %d: property %s missing", l.Name, id, k)
				}
			}
			switch l.Name {
			case GridsLayer:
				for k := range f.Properties {
					if k != "code" && k != "name" && k != "level" && k != "parent" {
						tb.Fatalf("grid %d: unexpected property %q", id, k)
					}
				}
				var mp orb.MultiPolygon
				switch g := f.Geometry.(type) {
				case orb.Polygon:
					mp = orb.MultiPolygon{g}
				case orb.MultiPolygon:
					mp = g
				default:
					tb.Fatalf("grid %d: geometry %T", id, g)
				}
				for pi, p := range mp {
					for ri, r := range p {
						checkRing(tb, r, ri == 0, lo, hi, fmt.Sprintf("grid %d polygon %d ring %d", id, pi, ri))
					}
					if !simple(p) {
						tb.Fatalf("grid %d polygon %d: edges meet (not simple)", id, pi)
					}
				}
			case LabelsLayer:
				p, ok := f.Geometry.(orb.Point)
				if !ok {
					tb.Fatalf("label %d: geometry %T", id, f.Geometry)
				}
				if p[0] < 0 || p[1] < 0 || p[0] >= float64(cfg.Extent) || p[1] >= float64(cfg.Extent) {
					tb.Fatalf("label %d at %v is outside the tile", id, p)
				}
			}
		}
	}
	return d
}

// checkRing fails tb unless r is a valid ring of an MVT polygon.
func checkRing(tb testing.TB, r orb.Ring, exterior bool, lo, hi float64, what string) {
	tb.Helper()
	switch {
	case len(r) < 4:
		tb.Fatalf("%s: %d points", what, len(r))
	case r[0] != r[len(r)-1]:
		tb.Fatalf("%s: not closed", what)
	case exterior && area2(r) <= 0:
		tb.Fatalf("%s: exterior with area %d ≤ 0", what, area2(r))
	case !exterior && area2(r) >= 0:
		tb.Fatalf("%s: hole with area %d ≥ 0", what, area2(r))
	}
	for _, p := range r {
		if p[0] < lo || p[0] > hi || p[1] < lo || p[1] > hi {
			tb.Fatalf("%s: point %v outside the buffer [%v, %v]", what, p, lo, hi)
		}
	}
}

// tilesOver returns the tiles of zoom z that a bound in degrees touches.
func tilesOver(b orb.Bound, z uint32) [][3]uint32 {
	w := worldBound(b)
	n := float64(uint64(1) << z)
	var out [][3]uint32
	for x := uint32(w.Min[0] * n); float64(x) <= w.Max[0]*n && float64(x) < n; x++ {
		for y := uint32(w.Min[1] * n); float64(y) <= w.Max[1]*n && float64(y) < n; y++ {
			out = append(out, [3]uint32{z, x, y})
		}
	}
	return out
}
