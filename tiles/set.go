package tiles

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/tidwall/rtree"

	"github.com/gridmap/gridmap"
)

// Layer names in every tile.
const (
	GridsLayer  = "grids"
	LabelsLayer = "labels"
)

// ErrEmpty is returned for a tile that holds no feature. It has code
// ENOTFOUND; a tile handler should test errors.Is(err, ErrEmpty) and answer
// 204 No Content.
var ErrEmpty error = &gridmap.Error{Code: gridmap.ENOTFOUND, Message: "tile holds no feature"}

// Set is the tiling of one version of the grids: each grid projected,
// simplified for every zoom and labelled once, and an R-tree over their
// bounds so that a tile touches only the grids that reach it.
//
// A Set is immutable and safe for concurrent use. Build a new one for new
// data and swap it in.
type Set struct {
	cfg      Config
	version  int64
	features []feature // by Grid.ID, so tiles list features in a stable order
	tree     rtree.RTreeG[int]
	bound    orb.Bound // EPSG:4326 degrees
	byCode   map[string]int
	levels   []gridmap.Level
	gzips    sync.Pool // of *gzip.Writer
}

// feature is one grid ready to be cut. World coordinates are EPSG:3857
// scaled to the unit square, y down (the tile grid of zoom 0).
type feature struct {
	id      uint64
	code    string
	level   gridmap.Level
	minZoom uint32
	props   geojson.Properties // of the grids layer
	lprops  geojson.Properties // of the labels layer
	world   orb.MultiPolygon   // exteriors of positive area, holes negative
	wbound  orb.Bound
	// lods[z] is the boundary for zoom z in whole units of the zoom's
	// global tile grid (x·2^z·Extent), simplified; zooms from len(lods) on
	// snap world instead. Entries below MinZoom are nil.
	lods   []orb.MultiPolygon
	label  orb.Point // EPSG:4326 degrees
	wlabel orb.Point
	radius float64 // of the inscribed circle at wlabel, world units
}

// NewSet builds the tiling of grids (EPSG:4326 boundaries) for one data
// version; zero fields of cfg take DefaultConfig's values. The version keys
// caches and TileJSON URLs: it must change whenever any grid does.
// Building simplifies every grid for every zoom and finds its label, on all
// CPUs: some 80 ms for a street of 276 grids, 3 s on two cores for the
// 2,735 counties of China (966,000 points).
//
// Errors: EINVALID for a bad cfg, a negative or repeated Grid.ID, a repeated
// code, or a boundary that is empty, not in degrees, or of zero area.
func NewSet(grids []gridmap.Grid, version int64, cfg Config) (*Set, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	order := make([]int, len(grids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(grids[a].ID, grids[b].ID) })

	s := &Set{
		cfg:      cfg,
		version:  version,
		features: make([]feature, len(grids)),
		byCode:   make(map[string]int, len(grids)),
		bound:    orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}},
	}
	levels := map[gridmap.Level]bool{}
	for i, gi := range order {
		g := &grids[gi]
		switch {
		case g.ID < 0:
			return nil, gridmap.Errorf(gridmap.EINVALID, "grid %q: id %d is negative; MVT feature ids are unsigned", g.Code, g.ID)
		case i > 0 && grids[order[i-1]].ID == g.ID:
			return nil, gridmap.Errorf(gridmap.EINVALID, "grids %q and %q share id %d", grids[order[i-1]].Code, g.Code, g.ID)
		}
		if j, dup := s.byCode[g.Code]; dup {
			return nil, gridmap.Errorf(gridmap.EINVALID, "grids %d and %d share code %q", s.features[j].id, g.ID, g.Code)
		}
		world, err := project(g)
		if err != nil {
			return nil, err
		}
		s.byCode[g.Code] = i
		s.features[i] = newFeature(g, world, &cfg)
		s.bound = s.bound.Union(g.Boundary.Bound())
		levels[g.Level] = true
	}
	if len(grids) == 0 {
		s.bound = orb.Bound{}
	}
	for l := range levels {
		s.levels = append(s.levels, l)
	}
	slices.Sort(s.levels)

	// Simplification and labels dominate the build; grids are independent.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(s.features); i = int(next.Add(1) - 1) {
				s.features[i].prepare(&cfg)
			}
		})
	}
	wg.Wait()
	for i := range s.features {
		b := s.features[i].wbound
		s.tree.Insert(b.Min, b.Max, i)
	}
	return s, nil
}

// project returns g's boundary in world coordinates, rings closed,
// exteriors of positive area and holes negative (as MVT wants them, y
// down), rings of zero area left out. Errors: EINVALID.
func project(g *gridmap.Grid) (orb.MultiPolygon, error) {
	var world orb.MultiPolygon
	for _, p := range g.Boundary {
		var wp orb.Polygon
		for i, r := range p {
			if len(r) < 3 {
				continue
			}
			wr := make(orb.Ring, 0, len(r)+1)
			for _, pt := range r {
				if !(pt[0] >= -180 && pt[0] <= 180 && pt[1] >= -90 && pt[1] <= 90) { // NaN fails too
					return nil, gridmap.Errorf(gridmap.EINVALID, "grid %q: point %v is not EPSG:4326 degrees", g.Code, pt)
				}
				wr = append(wr, toWorld(pt))
			}
			if wr[0] != wr[len(wr)-1] {
				wr = append(wr, wr[0])
			}
			a := signedArea(wr)
			if a == 0 {
				if i == 0 {
					break
				}
				continue
			}
			if (i == 0) != (a > 0) {
				slices.Reverse(wr)
			}
			wp = append(wp, wr)
		}
		if len(wp) > 0 {
			world = append(world, wp)
		}
	}
	if len(world) == 0 {
		return nil, gridmap.Errorf(gridmap.EINVALID, "grid %q: boundary is empty or of zero area", g.Code)
	}
	return world, nil
}

func newFeature(g *gridmap.Grid, world orb.MultiPolygon, cfg *Config) feature {
	props := geojson.Properties{"code": g.Code, "name": g.Name, "level": string(g.Level)}
	lprops := geojson.Properties{"code": g.Code, "name": g.Name, "level": string(g.Level)}
	if g.Parent != "" {
		props["parent"] = g.Parent
	}
	return feature{
		id:      uint64(g.ID),
		code:    g.Code,
		level:   g.Level,
		minZoom: cfg.levelMinZoom(g.Level),
		props:   props,
		lprops:  lprops,
		world:   world,
		wbound:  world.Bound(),
	}
}

// prepare simplifies f for each zoom until simplification stops paying,
// and finds its label.
func (f *feature) prepare(cfg *Config) {
	total := 0
	for _, p := range f.world {
		for _, r := range p {
			total += len(r)
		}
	}
	f.lods = make([]orb.MultiPolygon, cfg.MinZoom, cfg.MaxZoom+1)
	for z := cfg.MinZoom; z <= cfg.MaxZoom; z++ {
		mp, n := simplifyMulti(f.world, scaleAt(cfg.Extent, z), cfg.Tolerance, cfg.MinArea)
		f.lods = append(f.lods, mp)
		if float64(n) >= fullShare*float64(total) {
			break
		}
	}
	f.wlabel, f.radius = label(f.world)
	f.label = fromWorld(f.wlabel)
}

// scaleAt returns the tile units per world unit at zoom z.
func scaleAt(extent, z uint32) float64 {
	return float64(extent) * float64(uint64(1)<<z)
}

// Version returns the data version the Set was built for.
func (s *Set) Version() int64 { return s.version }

// Config returns the configuration in force, defaults filled in.
func (s *Set) Config() Config { return s.cfg }

// Len returns the number of grids.
func (s *Set) Len() int { return len(s.features) }

// Bound returns the bound of all grids in EPSG:4326 degrees, the zero
// Bound for no grids.
func (s *Set) Bound() orb.Bound { return s.bound }

// Levels returns the levels present, sorted.
func (s *Set) Levels() []gridmap.Level { return slices.Clone(s.levels) }

// Label returns the label point of the grid with code, in EPSG:4326
// degrees: its pole of inaccessibility, the point inside it farthest from
// its outline (computed in EPSG:3857, which keeps shapes).
func (s *Set) Label(code string) (orb.Point, bool) {
	i, ok := s.byCode[code]
	if !ok {
		return orb.Point{}, false
	}
	return s.features[i].label, true
}

// Tile returns tile z/x/y (EPSG:3857 XYZ scheme) as a gzipped MVT 2.1 tile
// with the layers GridsLayer and LabelsLayer, cut by the package rules.
//
// Errors: EINVALID when z is outside [MinZoom, MaxZoom] or x or y outside
// [0, 2^z-1]; ErrEmpty (ENOTFOUND) when no feature falls in the tile.
func (s *Set) Tile(z, x, y uint32, opts Options) ([]byte, error) {
	if err := s.checkTile(z, x, y); err != nil {
		return nil, err
	}
	layers := s.layers(z, x, y, opts)
	if len(layers) == 0 {
		return nil, ErrEmpty
	}
	data, err := s.encode(layers)
	if err != nil {
		return nil, fmt.Errorf("tiles: encode tile %d/%d/%d: %w", z, x, y, err)
	}
	return data, nil
}

// encode marshals layers to MVT and gzips them with a pooled writer: a
// fresh gzip.Writer allocates some 800 KB, more than most tiles cost.
func (s *Set) encode(layers mvt.Layers) ([]byte, error) {
	raw, err := mvt.Marshal(layers)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(raw)/2 + 64)
	zw, _ := s.gzips.Get().(*gzip.Writer)
	if zw == nil {
		zw = gzip.NewWriter(&buf)
	} else {
		zw.Reset(&buf)
	}
	defer s.gzips.Put(zw)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkTile returns EINVALID for a tile outside the served range.
func (s *Set) checkTile(z, x, y uint32) error {
	if z < s.cfg.MinZoom || z > s.cfg.MaxZoom {
		return gridmap.Errorf(gridmap.EINVALID, "tile %d/%d/%d: zoom must be from %d to %d", z, x, y, s.cfg.MinZoom, s.cfg.MaxZoom)
	}
	if n := uint64(1) << z; uint64(x) >= n || uint64(y) >= n {
		return gridmap.Errorf(gridmap.EINVALID, "tile %d/%d/%d: x and y must be from 0 to %d at zoom %d", z, x, y, n-1, z)
	}
	return nil
}

// layers cuts the tile's layers, leaving out empty ones.
func (s *Set) layers(z, x, y uint32, opts Options) mvt.Layers {
	e := float64(s.cfg.Extent)
	scale := scaleAt(s.cfg.Extent, z)
	ox, oy := float64(x)*e, float64(y)*e
	cl := newClipper(s.cfg.Extent, s.cfg.Buffer)

	q := s.reach(z, x, y)
	var hits []int
	s.tree.Search(q.Min, q.Max, func(_, _ [2]float64, i int) bool {
		hits = append(hits, i)
		return true
	})
	slices.Sort(hits)

	show := s.shows(z, opts)
	var grids, labels []*geojson.Feature
	var radii []float64
	for _, i := range hits {
		f := &s.features[i]
		if !show(f) {
			continue
		}
		if g := s.geometry(f, z, scale, ox, oy, cl); g != nil {
			grids = append(grids, &geojson.Feature{ID: f.id, Type: "Feature", Geometry: g, Properties: f.props})
		}
		if s.cfg.LabelMinRadius >= 0 && f.radius*scale < s.cfg.LabelMinRadius {
			continue
		}
		// A label goes in the one tile whose grid cell holds its snapped
		// point, never in a neighbour's buffer: renderers drop symbols
		// outside the tile anyway.
		lx, ly := math.Round(f.wlabel[0]*scale)-ox, math.Round(f.wlabel[1]*scale)-oy
		if lx < 0 || lx >= e || ly < 0 || ly >= e {
			continue
		}
		labels = append(labels, &geojson.Feature{ID: f.id, Type: "Feature", Geometry: orb.Point{lx, ly}, Properties: f.lprops})
		radii = append(radii, f.radius)
	}
	sortLabels(labels, radii)

	var layers mvt.Layers
	for _, l := range []struct {
		name string
		fs   []*geojson.Feature
	}{{GridsLayer, grids}, {LabelsLayer, labels}} {
		if len(l.fs) > 0 {
			layers = append(layers, &mvt.Layer{Name: l.name, Version: 2, Extent: s.cfg.Extent, Features: l.fs})
		}
	}
	return layers
}

// reach returns the unit-square bound of what tile z/x/y reads: the tile
// grown by its buffer and one unit, which covers the half-unit margin of the
// clip box.
func (s *Set) reach(z, x, y uint32) orb.Bound {
	return tileWorldBound(z, x, y, float64(s.cfg.Extent), float64(s.cfg.Buffer)+1)
}

// sortLabels orders labels by falling radius, then id: renderers place
// symbols in feature order and drop those that collide, so big grids win.
func sortLabels(labels []*geojson.Feature, radii []float64) {
	idx := make([]int, len(labels))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(radii[b], radii[a]) })
	sorted := make([]*geojson.Feature, len(labels))
	for i, j := range idx {
		sorted[i] = labels[j]
	}
	copy(labels, sorted)
}

// shows returns whether a feature is drawn at zoom z with opts.
func (s *Set) shows(z uint32, opts Options) func(*feature) bool {
	if len(opts.Levels) == 0 {
		return func(f *feature) bool { return z >= f.minZoom }
	}
	want := make(map[gridmap.Level]bool, len(opts.Levels))
	for _, l := range opts.Levels {
		want[l] = true
	}
	return func(f *feature) bool { return want[f.level] }
}

// geometry returns f's polygons in tile units of tile (z, ox/E, oy/E),
// clipped to the tile and its buffer; nil if nothing is left.
func (s *Set) geometry(f *feature, z uint32, scale, ox, oy float64, cl clipper) orb.Geometry {
	snapped := int(z) < len(f.lods)
	src := f.world
	if snapped {
		src = f.lods[z]
	}
	var out orb.MultiPolygon
	for _, p := range src {
		tp, b := toTile(p, snapped, scale, ox, oy)
		if tp == nil || !b.Intersects(cl.box) {
			continue
		}
		switch {
		case !cl.contains(b):
			out = append(out, cl.polygon(tp)...)
		case snapped:
			out = append(out, tp) // checked when precomputed
		default:
			out = append(out, ensureSimple(tp)...)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// toTile moves p to tile units: a shift for a precomputed (snapped) zoom,
// else projection, snapping and cleaning of the world rings. It returns the
// bound of the exterior; nil if the exterior collapsed in snapping.
func toTile(p orb.Polygon, snapped bool, scale, ox, oy float64) (orb.Polygon, orb.Bound) {
	out := make(orb.Polygon, 0, len(p))
	for i, r := range p {
		t := make(orb.Ring, len(r))
		for k, pt := range r {
			if snapped {
				t[k] = orb.Point{pt[0] - ox, pt[1] - oy}
			} else {
				t[k] = orb.Point{math.Round(pt[0]*scale) - ox, math.Round(pt[1]*scale) - oy}
			}
		}
		if !snapped {
			t = cleanRing(t)
			a := area2(t)
			if i == 0 && a <= 0 {
				return nil, orb.Bound{}
			}
			if i > 0 && a >= 0 {
				continue
			}
		}
		out = append(out, t)
	}
	return out, out[0].Bound()
}
