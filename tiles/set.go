package tiles

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
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
	trees    []levelTree
	bound    orb.Bound // EPSG:4326 degrees
	byCode   map[string]int
	levels   []gridmap.Level
}

// levelTree is an R-tree over the bounds of the grids of one level: a tile
// searches only the levels it draws, so a street tile at zoom 4 does not
// walk the hundreds of micro-grids it leaves out.
type levelTree struct {
	level   gridmap.Level
	minZoom uint32
	tree    rtree.RTreeG[int]
}

// feature is one grid ready to be cut. World coordinates are EPSG:3857
// scaled to the unit square, y down (the tile grid of zoom 0).
type feature struct {
	id     uint64
	gver   int64 // the Grid.Version it was built from (0: none given)
	code   string
	level  gridmap.Level
	tags   *tags            // of the grids layer
	ltags  *tags            // of the labels layer
	world  orb.MultiPolygon // exteriors of positive area, holes negative
	widx   [][]ringIndex    // of world, by polygon and ring
	wbound orb.Bound
	// lods[z] is the boundary for zoom z in whole units of the zoom's
	// global tile grid (x·2^z·Extent), simplified or, past the zoom where
	// that stops paying, snapped alone; zooms from len(lods) on snap world
	// instead. Entries below MinZoom are nil. lidx indexes them.
	lods   []orb.MultiPolygon
	lidx   [][][]ringIndex
	label  orb.Point // EPSG:4326 degrees
	wlabel orb.Point
	radius float64 // of the inscribed circle at wlabel, world units
}

// NewSet builds the tiling of grids (EPSG:4326 boundaries) for one data
// version; zero fields of cfg take DefaultConfig's values. The version keys
// caches and TileJSON URLs: it must change whenever any grid does.
// Building simplifies every grid for every zoom and finds its label, on all
// CPUs: some 25 ms for a street of 276 grids, 1.4 s on two cores for the
// 2,735 counties of China (966,000 points, 87 MB held).
//
// Errors: EINVALID for a bad cfg, a negative or repeated Grid.ID, a repeated
// code, or a boundary that is empty, not in degrees, or of zero area.
func NewSet(grids []gridmap.Grid, version int64, cfg Config) (*Set, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return buildSet(grids, version, cfg, nil)
}

// Next builds the Set of grids for data version, with s's Config, taking
// over from s the prepared features of the grids whose Version (non-zero)
// and ID are those s was built from: a map where one grid changed among
// 100,000 simplifies one grid, not all. The result is the Set NewSet
// would build.
func (s *Set) Next(grids []gridmap.Grid, version int64) (*Set, error) {
	return buildSet(grids, version, s.cfg, s)
}

// buildSet is NewSet with cfg's defaults applied, reusing prev's features
// where they are of the same grid version (prev may be nil).
func buildSet(grids []gridmap.Grid, version int64, cfg Config, prev *Set) (*Set, error) {
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
	reused := make([]bool, len(grids))
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
		s.byCode[g.Code] = i
		s.bound = s.bound.Union(g.Boundary.Bound())
		levels[g.Level] = true
		if prev != nil && g.Version != 0 {
			if j, ok := prev.byCode[g.Code]; ok && prev.features[j].gver == g.Version && prev.features[j].id == uint64(g.ID) {
				// Immutable once prepared: both Sets may hold it.
				s.features[i], reused[i] = prev.features[j], true
				continue
			}
		}
		world, err := project(g)
		if err != nil {
			return nil, err
		}
		s.features[i] = newFeature(g, world)
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
				if !reused[i] {
					s.features[i].prepare(&cfg)
				}
			}
		})
	}
	wg.Wait()
	s.trees = make([]levelTree, len(s.levels))
	for i, l := range s.levels {
		s.trees[i] = levelTree{level: l, minZoom: cfg.levelMinZoom(l)}
	}
	for i := range s.features {
		f := &s.features[i]
		k, _ := slices.BinarySearch(s.levels, f.level)
		s.trees[k].tree.Insert(f.wbound.Min, f.wbound.Max, i)
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

func newFeature(g *gridmap.Grid, world orb.MultiPolygon) feature {
	props := map[string]string{"code": g.Code, "name": g.Name, "level": string(g.Level)}
	ltags := newTags(props)
	if g.Parent != "" {
		props["parent"] = g.Parent
	}
	return feature{
		id:     uint64(g.ID),
		gver:   g.Version,
		code:   g.Code,
		level:  g.Level,
		tags:   newTags(props),
		ltags:  ltags,
		world:  world,
		widx:   indexMulti(world, true),
		wbound: world.Bound(),
	}
}

// prepare simplifies f for each zoom until simplification stops paying,
// snaps it for the zooms from there through precomputeAll, and finds its
// label.
func (f *feature) prepare(cfg *Config) {
	total := 0
	for _, p := range f.world {
		for _, r := range p {
			total += len(r)
		}
	}
	f.lods = make([]orb.MultiPolygon, cfg.MinZoom, cfg.MaxZoom+1)
	f.lidx = make([][][]ringIndex, cfg.MinZoom, cfg.MaxZoom+1)
	z := cfg.MinZoom
	for ; z <= cfg.MaxZoom; z++ {
		mp, n := simplifyMulti(f.world, scaleAt(cfg.Extent, z), cfg.Tolerance, cfg.MinArea)
		f.lods = append(f.lods, mp)
		f.lidx = append(f.lidx, indexMulti(mp, false))
		if float64(n) >= fullShare*float64(total) {
			break
		}
	}
	for z++; z <= min(precomputeAll, cfg.MaxZoom); z++ {
		mp := snapOnly(f.world, scaleAt(cfg.Extent, z))
		idx := indexMulti(mp, false)
		for i, p := range mp {
			idx[i][0].unchecked = !simple(p) // tiles repair what they cut of it
		}
		f.lods = append(f.lods, mp)
		f.lidx = append(f.lidx, idx)
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
	sc := scratches.Get().(*scratch)
	defer sc.release()
	layers := s.layers(z, x, y, opts, sc)
	if len(layers) == 0 {
		return nil, ErrEmpty
	}
	data, err := encode(s.cfg.Extent, layers)
	if err != nil {
		return nil, fmt.Errorf("tiles: encode tile %d/%d/%d: %w", z, x, y, err)
	}
	return data, nil
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

// layers cuts the tile's layers, leaving out empty ones. Their memory is
// sc's: they must be encoded before sc is released.
func (s *Set) layers(z, x, y uint32, opts Options, sc *scratch) []layer {
	e := float64(s.cfg.Extent)
	scale := scaleAt(s.cfg.Extent, z)
	ox, oy := float64(x)*e, float64(y)*e
	q := s.reach(z, x, y)
	c := cutter{z: z, xf: xform{scale: scale, ox: ox, oy: oy}, cl: newClipper(s.cfg.Extent, s.cfg.Buffer), q: q, sc: sc}

	hits := sc.hits[:0]
	show := s.shows(z, opts)
	for i := range s.trees {
		if t := &s.trees[i]; show(t.level, t.minZoom) {
			t.tree.Search(q.Min, q.Max, func(_, _ [2]float64, i int) bool {
				hits = append(hits, i)
				return true
			})
		}
	}
	slices.Sort(hits)
	sc.hits = hits

	grids, labels := sc.grids[:0], sc.labels[:0]
	radii := sc.radii[:0]
	for _, i := range hits {
		f := &s.features[i]
		if g := c.geometry(f); g != nil {
			grids = append(grids, tileFeature{id: f.id, geom: g, tags: f.tags})
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
		labels = append(labels, tileFeature{id: f.id, geom: orb.Point{lx, ly}, tags: f.ltags})
		radii = append(radii, f.radius)
	}
	sortLabels(labels, radii)
	sc.grids, sc.labels, sc.radii = grids, labels, radii

	layers := sc.layers[:0]
	if len(grids) > 0 {
		layers = append(layers, layer{name: GridsLayer, feats: grids})
	}
	if len(labels) > 0 {
		layers = append(layers, layer{name: LabelsLayer, feats: labels})
	}
	sc.layers = layers
	return layers
}

// scratch is the memory of cutting one tile, pooled: the rings moved to
// tile units are cut from one arena of points, and the slices of the
// layers are reused. Nothing in it outlives Set.Tile.
type scratch struct {
	pts           []orb.Point
	hits          []int
	radii         []float64
	grids, labels []tileFeature
	layers        []layer
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// ring returns the points appended to the arena since start as a ring of
// its own capacity, so that appending to it cannot reach the next.
func (sc *scratch) ring(start int) orb.Ring {
	return sc.pts[start:len(sc.pts):len(sc.pts)]
}

// release returns sc to the pool, unless a huge tile grew it.
func (sc *scratch) release() {
	if cap(sc.pts) > 1<<20 {
		return
	}
	clear(sc.grids) // drop references to geometry
	clear(sc.labels)
	sc.pts, sc.grids, sc.labels = sc.pts[:0], sc.grids[:0], sc.labels[:0]
	scratches.Put(sc)
}

// reach returns the unit-square bound of what tile z/x/y reads: the tile
// grown by its buffer and one unit, which covers the half-unit margin of the
// clip box.
func (s *Set) reach(z, x, y uint32) orb.Bound {
	return tileWorldBound(z, x, y, float64(s.cfg.Extent), float64(s.cfg.Buffer)+1)
}

// sortLabels orders labels by falling radius, then id: renderers place
// symbols in feature order and drop those that collide, so big grids win.
func sortLabels(labels []tileFeature, radii []float64) {
	idx := make([]int, len(radii))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(radii[b], radii[a]) })
	sorted := make([]tileFeature, len(idx))
	for i, j := range idx {
		sorted[i] = labels[j]
	}
	copy(labels, sorted)
}

// shows returns whether the grids of a level, first drawn at minZoom, are
// drawn at zoom z with opts.
func (s *Set) shows(z uint32, opts Options) func(level gridmap.Level, minZoom uint32) bool {
	if len(opts.Levels) == 0 {
		return func(_ gridmap.Level, minZoom uint32) bool { return z >= minZoom }
	}
	return func(l gridmap.Level, _ uint32) bool { return slices.Contains(opts.Levels, l) }
}

// cutter cuts the features of one tile.
type cutter struct {
	z  uint32
	xf xform // for world points
	cl clipper
	q  orb.Bound // what the tile reads, world units (Set.reach)
	sc *scratch
}

// geometry returns f's polygons in tile units, clipped to the tile and its
// buffer; nil if nothing is left.
func (c *cutter) geometry(f *feature) orb.Geometry {
	src, idx, xf, q := f.world, f.widx, c.xf, c.q
	if int(c.z) < len(f.lods) {
		src, idx = f.lods[c.z], f.lidx[c.z]
		xf.snapped = true
		q = orb.Bound{ // the clip box in the zoom's global units
			Min: orb.Point{c.cl.box.Min[0] + xf.ox, c.cl.box.Min[1] + xf.oy},
			Max: orb.Point{c.cl.box.Max[0] + xf.ox, c.cl.box.Max[1] + xf.oy},
		}
	}
	var out orb.MultiPolygon
	for pi, p := range src {
		b := xf.bound(idx[pi][0].bound)
		valid := xf.snapped && !idx[pi][0].unchecked // simple, checked when precomputed
		switch {
		case !b.Intersects(c.cl.box):
		case !c.cl.contains(b):
			if tp := c.reduced(p, idx[pi], xf, q); tp != nil {
				out = append(out, c.cl.cut(tp, valid)...)
			}
		case valid:
			out = append(out, c.shifted(p, xf))
		case xf.snapped:
			out = append(out, ensureSimple(c.shifted(p, xf))...)
		default:
			if tp := c.snapped(p, xf); tp != nil {
				out = append(out, ensureSimple(tp)...)
			}
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

// shifted returns precomputed polygon p moved to tile units.
func (c *cutter) shifted(p orb.Polygon, xf xform) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		start := len(c.sc.pts)
		c.sc.pts = xf.ring(c.sc.pts, r)
		out[i] = c.sc.ring(start)
	}
	return out
}

// snapped returns world polygon p projected to tile units, snapped and
// cleaned, holes that snap closed or inside out left out; nil if the
// exterior does.
func (c *cutter) snapped(p orb.Polygon, xf xform) orb.Polygon {
	out := make(orb.Polygon, 0, len(p))
	for i, r := range p {
		start := len(c.sc.pts)
		c.sc.pts = xf.ring(c.sc.pts, r)
		t := cleanInPlace(c.sc.ring(start))
		a := area2(t)
		if i == 0 && a <= 0 {
			return nil
		}
		if i > 0 && a >= 0 {
			continue
		}
		out = append(out, t)
	}
	return out
}

// reduced returns polygon p moved to tile units as clipping needs it: only
// the chunks that reach q whole (xform.reduce), holes that miss the clip box
// left out, and for a world polygon the rules of snapped, the orientation
// judged on the whole ring. nil if nothing can reach the box.
func (c *cutter) reduced(p orb.Polygon, idx []ringIndex, xf xform, q orb.Bound) orb.Polygon {
	out := make(orb.Polygon, 0, len(p))
	for i, r := range p {
		ri := &idx[i]
		if i > 0 && !xf.bound(ri.bound).Intersects(c.cl.box) {
			continue
		}
		if !xf.snapped {
			sign := snappedSign(r, ri, xf.scale)
			if i == 0 && sign <= 0 {
				return nil
			}
			if i > 0 && sign >= 0 {
				continue
			}
		}
		start := len(c.sc.pts)
		c.sc.pts = xf.reduce(c.sc.pts, r, ri, q)
		t := c.sc.ring(start)
		if !xf.snapped {
			// A ring cleaned to nothing has no area anywhere in the box.
			if t = cleanInPlace(t); t == nil {
				if i == 0 {
					return nil
				}
				continue
			}
		}
		out = append(out, t)
	}
	return out
}
