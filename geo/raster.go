package geo

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// A raster cell value is one of:
//
//	0                 no polygon of the tier meets the cell
//	1 .. mixed-1      the cell lies wholly inside grid value-1 and no edge
//	                  of the tier touches it: the answer needs no polygon test
//	mixed | i         edges cross the cell; candidate list i names the parts
//	                  that may contain a point of it, best rank first
const mixed = 1 << 31

// touchEps (degrees, about 0.1 mm) widens every edge when marking the cells
// it touches. It is far larger than the rounding of the cell arithmetic, so
// a cell left unmarked is certainly free of edges.
const touchEps = 1e-9

// minCell is the smallest raster cell side in degrees (about 1 cm).
const minCell = 1e-7

// raster is a uniform grid of cells over the bounds of one tier's parts.
// It answers most lookups alone and hands the rest to a short candidate
// list for exact tests.
type raster struct {
	minX, minY, maxX, maxY float64
	sx, sy                 float64 // cells per degree
	nx, ny                 int
	cells                  []uint32
	listOff                []int32 // list i is lists[listOff[i]:listOff[i+1]]
	lists                  []int32 // part indices
}

// col and row map a coordinate to its cell column and row, clamped. Both are
// monotonic, which the build relies on.
func (r *raster) col(x float64) int {
	i := int((x - r.minX) * r.sx)
	return max(0, min(i, r.nx-1))
}

func (r *raster) row(y float64) int {
	j := int((y - r.minY) * r.sy)
	return max(0, min(j, r.ny-1))
}

// lookup returns the grid of the best-ranked part containing (x, y), or -1.
func (r *raster) lookup(parts []part, x, y float64) int32 {
	v := r.value(x, y)
	if v < mixed {
		return int32(v) - 1
	}
	return r.resolve(parts, v, x, y)
}

// value returns the cell value at (x, y); 0 outside the raster or for NaN.
func (r *raster) value(x, y float64) uint32 {
	if !(x >= r.minX && x <= r.maxX && y >= r.minY && y <= r.maxY) {
		return 0
	}
	i := int((x - r.minX) * r.sx)
	if i >= r.nx {
		i = r.nx - 1
	}
	j := int((y - r.minY) * r.sy)
	if j >= r.ny {
		j = r.ny - 1
	}
	return r.cells[j*r.nx+i]
}

// resolve tests the candidates of a crossed cell of value v in rank order.
func (r *raster) resolve(parts []part, v uint32, x, y float64) int32 {
	l := v &^ mixed
	for _, pi := range r.lists[r.listOff[l]:r.listOff[l+1]] {
		p := &parts[pi]
		if x >= p.bound.Min[0] && x <= p.bound.Max[0] && y >= p.bound.Min[1] && y <= p.bound.Max[1] && p.contains(x, y) {
			return p.grid
		}
	}
	return -1
}

// buildRaster rasterises the parts named by ids. rank orders grids (lower
// wins); targetCells is the approximate number of cells wanted.
func buildRaster(parts []part, ids []int32, rank []int32, targetCells int) raster {
	var r raster
	if len(ids) == 0 {
		return r
	}
	b := parts[ids[0]].bound
	for _, pi := range ids[1:] {
		b = b.Union(parts[pi].bound)
	}
	r.minX, r.minY, r.maxX, r.maxY = b.Min[0], b.Min[1], b.Max[0], b.Max[1]
	w, h := max(r.maxX-r.minX, minCell), max(r.maxY-r.minY, minCell)
	r.nx = int(math.Round(math.Sqrt(float64(targetCells) * w / h)))
	r.nx = max(1, min(r.nx, int(w/minCell)))
	r.ny = max(1, min(targetCells/r.nx, int(h/minCell)))
	r.sx, r.sy = float64(r.nx)/w, float64(r.ny)/h

	// Pass 1: every cell an edge touches gets the edge's part on its list.
	// Lists are linked through pairs while building; parts come one at a
	// time, so a repeat of the same part is always at the list head.
	ncell := r.nx * r.ny
	head := make([]int32, ncell)
	for k := range head {
		head[k] = -1
	}
	var pairPart, pairNext []int32
	add := func(k int, pi int32) {
		if h := head[k]; h >= 0 && pairPart[h] == pi {
			return
		}
		pairPart = append(pairPart, pi)
		pairNext = append(pairNext, head[k])
		head[k] = int32(len(pairPart) - 1)
	}
	for _, pi := range ids {
		p := &parts[pi]
		p.eachEdge(func(e int32) {
			r.touch(p.pts[e], p.pts[e+1], func(k int) { add(k, pi) })
		})
	}

	// Pass 2: scan each part row by row along the row's centre line. A
	// cell between two crossings is inside the part: if no edge touches it
	// the whole cell is, and it records the best rank; otherwise the part
	// joins its candidate list.
	cover := make([]int32, ncell) // rank+1 of the best part covering a clean cell
	var xs []float64
	for _, pi := range ids {
		p := &parts[pi]
		rk := rank[p.grid] + 1
		for j := r.row(p.bound.Min[1]); j <= r.row(p.bound.Max[1]); j++ {
			yc := r.minY + (float64(j)+0.5)/r.sy
			xs = p.crossings(yc, xs[:0])
			slices.Sort(xs)
			for c := 0; c+1 < len(xs); c += 2 {
				for i := r.col(xs[c]); i <= r.col(xs[c+1]); i++ {
					k := j*r.nx + i
					if head[k] < 0 {
						if cover[k] == 0 || rk < cover[k] {
							cover[k] = rk
						}
						continue
					}
					found := false
					for q := head[k]; q >= 0; q = pairNext[q] {
						if pairPart[q] == pi {
							found = true
							break
						}
					}
					if !found {
						add(k, pi)
					}
				}
			}
		}
	}

	// Finish: clean cells name their grid; touched cells share candidate
	// lists, deduplicated, since neighbouring cells along one border
	// mostly hold the same parts.
	byRank := make([]int32, len(rank))
	for g, rk := range rank {
		byRank[rk] = int32(g)
	}
	r.cells = make([]uint32, ncell)
	r.listOff = []int32{0}
	seen := make(map[string]uint32)
	var list []int32
	var key []byte
	for k := range r.cells {
		if head[k] < 0 {
			if cover[k] > 0 {
				r.cells[k] = uint32(byRank[cover[k]-1]) + 1
			}
			continue
		}
		list = list[:0]
		for q := head[k]; q >= 0; q = pairNext[q] {
			list = append(list, pairPart[q])
		}
		slices.SortFunc(list, func(a, b int32) int {
			if c := int(rank[parts[a].grid]) - int(rank[parts[b].grid]); c != 0 {
				return c
			}
			return int(a) - int(b)
		})
		key = key[:0]
		for _, pi := range list {
			key = binary.LittleEndian.AppendUint32(key, uint32(pi))
		}
		id, ok := seen[string(key)]
		if !ok {
			id = uint32(len(r.listOff) - 1)
			seen[string(key)] = id
			r.lists = append(r.lists, list...)
			r.listOff = append(r.listOff, int32(len(r.lists)))
		}
		r.cells[k] = mixed | id
	}
	return r
}

// touch calls fn for every cell that segment ab passes through or comes
// within touchEps of. Row by row it clips the segment to the row's
// latitudes (widened by touchEps) and visits the columns of that piece.
func (r *raster) touch(a, b orb.Point, fn func(k int)) {
	ylo, yhi := min(a[1], b[1]), max(a[1], b[1])
	exlo, exhi := min(a[0], b[0]), max(a[0], b[0])
	for j := r.row(ylo - touchEps); j <= r.row(yhi+touchEps); j++ {
		xlo, xhi := exlo, exhi
		if a[1] != b[1] {
			clo := max(ylo, r.minY+float64(j)/r.sy-touchEps)
			chi := min(yhi, r.minY+float64(j+1)/r.sy+touchEps)
			k := (b[0] - a[0]) / (b[1] - a[1])
			x1, x2 := a[0]+(clo-a[1])*k, a[0]+(chi-a[1])*k
			xlo, xhi = max(exlo, min(x1, x2)), min(exhi, max(x1, x2))
		}
		for i := r.col(xlo - touchEps); i <= r.col(xhi+touchEps); i++ {
			fn(j*r.nx + i)
		}
	}
}

// bytes estimates the memory the raster holds.
func (r *raster) bytes() int {
	return 4*len(r.cells) + 4*len(r.listOff) + 4*len(r.lists)
}
