package geo

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"unsafe"

	"github.com/gridmap/gridmap"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Each tier's raster has about cellsPerPart cells per polygon part or
// cellsPerEdge per edge, whichever is more, within [minCells, maxCells]
// (4 bytes a cell: at most 16 MiB a tier).
const (
	cellsPerPart = 1024
	cellsPerEdge = 2
	minCells     = 1 << 12
	maxCells     = 1 << 22
)

// Index answers "which grid is this point in" for a fixed set of grids.
//
// An Index is immutable once built and safe for concurrent use by any
// number of goroutines; to change the grids build a new Index and swap the
// pointer (e.g. with atomic.Pointer). It keeps the Grid values it was given,
// sharing their Boundary and Attributes: callers must not modify those after
// NewIndex.
//
// All coordinates are EPSG:4326 longitude, latitude in degrees. Boundaries
// are closed: a point on an edge or vertex of a grid (holes included) is
// in that grid. Where several grids contain a point — on a shared edge or
// vertex, or where neighbours overlap — the answer is the first by this
// order:
//
//  1. a leaf (a grid with no children) before a grid with children;
//  2. a deeper grid (more ancestors) before a shallower one;
//  3. the smaller code (byte-wise string order).
//
// So a point is answered by the deepest grid that contains it, and a point
// on the border of two sibling grids goes to the smaller code. The answer
// never depends on the order of the input. "On the edge" is decided by one
// float64 predicate per edge that both grids sharing the edge evaluate
// identically, so in a gap-free tiling a point is never in neither
// neighbour.
//
// Lookups run in two phases. A raster over each tier of grids (leaves, then
// each depth above) answers most points outright, from cells lying wholly
// inside one grid or outside all; a cell that edges cross holds the short
// list of polygons that may contain its points, and each is tested exactly
// on a prepared polygon whose edges are bucketed by latitude, reading O(k)
// edges near the point. The lists take the place of an R-tree search:
// sending crossed cells to an R-tree instead measured about twice as slow,
// and the R-tree without the raster 2 to 13 times (BenchmarkLookup). An
// R-tree over polygon bounds serves Nearest and Intersecting.
type Index struct {
	grids  []gridmap.Grid
	byCode map[string]int32
	chains [][]*gridmap.Grid // leaf..root, shared
	rank   []int32           // grid -> position in the order above
	leaf   []bool
	parts  []part
	tiers  []raster // leaves, then grids with children by depth, deepest first
	tree   rtree.RTreeG[int32]
	bound  orb.Bound
	verts  int
	batch  sync.Pool // *batchScratch
	// sortBatches: the index outgrows the caches, so large batches
	// pay for sorting.
	sortBatches bool
}

// Hit is the result of a successful Lookup: the grid found, which is the
// deepest grid containing the point. The zero Hit, returned with false, has
// no grid: its methods panic.
type Hit struct {
	ix *Index
	g  int32
}

// Grid returns the grid found. The Grid is shared; do not modify it.
func (h Hit) Grid() *gridmap.Grid { return &h.ix.grids[h.g] }

// Index returns the position of the grid in the slice given to NewIndex.
func (h Hit) Index() int { return int(h.g) }

// Chain returns the grid found and its ancestors, from it up to the root.
// The slice is shared; do not modify it.
func (h Hit) Chain() []*gridmap.Grid { return h.ix.chains[h.g] }

// NewIndex builds an Index of grids. Grids form a tree through Parent codes
// (a grid with an empty Parent is a root), or are flat. A grid may have an
// empty Boundary: it takes part in the tree (Grid, Chain) but contains no
// point.
//
// Errors: EINVALID for an empty or duplicate code, a Parent that is not a
// code in grids, a cycle of parents, or a coordinate that is not finite or
// is outside [-180, 180] × [-90, 90] degrees.
func NewIndex(grids []gridmap.Grid) (_ *Index, err error) {
	defer gridmap.Wrap(&err, "geo.NewIndex")
	ix := &Index{
		grids:  slices.Clone(grids),
		byCode: make(map[string]int32, len(grids)),
	}
	n := len(grids)
	for i := range ix.grids {
		g := &ix.grids[i]
		if g.Code == "" {
			return nil, gridmap.Errorf(gridmap.EINVALID, "grid %d has an empty code", i)
		}
		if _, dup := ix.byCode[g.Code]; dup {
			return nil, gridmap.Errorf(gridmap.EINVALID, "grid code %q appears twice", g.Code)
		}
		ix.byCode[g.Code] = int32(i)
	}

	// The tree: parents, depths, leaves, ancestor chains.
	parent := make([]int32, n)
	ix.leaf = make([]bool, n)
	for i := range ix.grids {
		ix.leaf[i] = true
		parent[i] = -1
		if pc := ix.grids[i].Parent; pc != "" {
			p, ok := ix.byCode[pc]
			if !ok {
				return nil, gridmap.Errorf(gridmap.EINVALID, "grid %q: parent %q is not among the grids", ix.grids[i].Code, pc)
			}
			parent[i] = p
		}
	}
	for i := range parent {
		if parent[i] >= 0 {
			ix.leaf[parent[i]] = false
		}
	}
	ix.chains = make([][]*gridmap.Grid, n)
	for i := range ix.grids {
		var c []*gridmap.Grid
		for g := int32(i); g >= 0; g = parent[g] {
			if len(c) > n {
				return nil, gridmap.Errorf(gridmap.EINVALID, "grid %q: its parents form a cycle", ix.grids[i].Code)
			}
			c = append(c, &ix.grids[g])
		}
		ix.chains[i] = slices.Clip(c)
	}

	// The order that settles ties, and the tiers it implies.
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if ix.leaf[a] != ix.leaf[b] {
			if ix.leaf[a] {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(len(ix.chains[b]), len(ix.chains[a])); c != 0 {
			return c
		}
		return cmp.Compare(ix.grids[a].Code, ix.grids[b].Code)
	})
	ix.rank = make([]int32, n)
	for r, g := range order {
		ix.rank[g] = int32(r)
	}

	// Prepared polygon parts, checked, in the R-tree.
	ix.bound = orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for i := range ix.grids {
		g := &ix.grids[i]
		for _, poly := range g.Boundary {
			if len(poly) == 0 || len(poly[0]) == 0 {
				continue
			}
			for _, ring := range poly {
				for _, p := range ring {
					if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
						return nil, gridmap.Errorf(gridmap.EINVALID, "grid %q: coordinate %v is not a longitude, latitude in degrees", g.Code, p)
					}
				}
				ix.verts += len(ring)
			}
			pt := preparePart(int32(i), poly)
			ix.tree.Insert(pt.bound.Min, pt.bound.Max, int32(len(ix.parts)))
			ix.bound = ix.bound.Union(pt.bound)
			ix.parts = append(ix.parts, pt)
		}
	}

	// One raster per tier: leaves, then each depth of grids with children.
	var depths []int // of grids with children, deepest first
	for _, g := range order {
		if !ix.leaf[g] {
			if d := len(ix.chains[g]); len(depths) == 0 || depths[len(depths)-1] != d {
				depths = append(depths, d)
			}
		}
	}
	ids := make([][]int32, 1+len(depths))
	for pi := range ix.parts {
		g := ix.parts[pi].grid
		t := 0
		if !ix.leaf[g] {
			t = 1 + slices.Index(depths, len(ix.chains[g]))
		}
		ids[t] = append(ids[t], int32(pi))
	}
	for _, tid := range ids {
		if len(tid) == 0 {
			continue
		}
		edges := 0
		for _, pi := range tid {
			edges += len(ix.parts[pi].pts)
		}
		cells := min(maxCells, max(minCells, cellsPerPart*len(tid), cellsPerEdge*edges))
		ix.tiers = append(ix.tiers, buildRaster(ix.parts, tid, ix.rank, cells))
	}
	ix.batch.New = func() any { return new(batchScratch) }
	_, size := ix.Stats()
	ix.sortBatches = size > sortBytes
	return ix, nil
}

// Lookup returns the deepest grid containing the point (lon, lat), in
// EPSG:4326 degrees, by the order documented on Index. It reports false
// when no grid contains the point, or a coordinate is NaN.
func (ix *Index) Lookup(lon, lat float64) (Hit, bool) {
	g := ix.lookup(lon, lat)
	if g < 0 {
		return Hit{}, false
	}
	return Hit{ix: ix, g: g}, true
}

func (ix *Index) lookup(x, y float64) int32 { return ix.lookupFrom(0, x, y) }

// lookupFrom looks in tiers from t on.
func (ix *Index) lookupFrom(t int, x, y float64) int32 {
	for ; t < len(ix.tiers); t++ {
		if g := ix.tiers[t].lookup(ix.parts, x, y); g >= 0 {
			return g
		}
	}
	return -1
}

// At returns the grid at position i of the slice given to NewIndex, as
// reported by LookupBatch and Hit.Index. The Grid is shared; do not
// modify it.
func (ix *Index) At(i int) *gridmap.Grid { return &ix.grids[i] }

// Grid returns the grid with the code, and whether there is one. The Grid
// is shared; do not modify it.
func (ix *Index) Grid(code string) (*gridmap.Grid, bool) {
	i, ok := ix.byCode[code]
	if !ok {
		return nil, false
	}
	return &ix.grids[i], true
}

// Chain returns the grid with the code and its ancestors, from it up to the
// root, or nil for an unknown code. The slice is shared; do not modify it.
func (ix *Index) Chain(code string) []*gridmap.Grid {
	i, ok := ix.byCode[code]
	if !ok {
		return nil
	}
	return ix.chains[i]
}

// Len returns the number of grids in the index.
func (ix *Index) Len() int { return len(ix.grids) }

// Stats returns the number of boundary vertices indexed and an estimate of
// the bytes the index holds beyond the grids' own boundaries (prepared
// polygons, rasters, R-tree, tree and code tables).
func (ix *Index) Stats() (vertices int, bytes int64) {
	var b int64
	for i := range ix.parts {
		p := &ix.parts[i]
		b += int64(int(unsafe.Sizeof(part{})) + 4*len(p.off) + 32*len(p.segs) + 4*len(p.rings))
		if p.rings != nil { // copied, not aliased
			b += int64(16 * len(p.pts))
		}
	}
	for i := range ix.tiers {
		b += int64(ix.tiers[i].bytes())
	}
	// R-tree: leaves of up to 64 entries of 32-byte rects and 4-byte items,
	// about 70% full, plus branches.
	b += int64(float64(len(ix.parts)) * 36 / 0.7 * 1.05)
	for i := range ix.grids {
		b += int64(len(ix.grids[i].Code))*2 + 48 + int64(8*len(ix.chains[i])) + 24 + 5
	}
	b += int64(unsafe.Sizeof(gridmap.Grid{})) * int64(len(ix.grids))
	return ix.verts, b
}
