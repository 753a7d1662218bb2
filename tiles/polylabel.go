package tiles

import (
	"cmp"
	"container/heap"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/simplify"
)

// The pole of inaccessibility, after mapbox/polylabel (ISC licence): a
// best-first search over square cells, each bounded by the distance from its
// centre to the outline plus its half diagonal. Written here rather than
// imported: it is short, and the package keeps to orb alone.

// labelPrecision is the precision of the search relative to the size of the
// polygon: a label within 1/500 of the grid's width of the best spot.
const labelPrecision = 1.0 / 500

// labelMaxCells bounds the work of one search; the best cell so far is
// returned when it runs out.
const labelMaxCells = 20000

// label returns the point of mp (any planar units) farthest from its
// outline, and that distance. mp must be non-empty. It works on the parts by
// falling area and skips those too small to beat the best so far.
func label(mp orb.MultiPolygon) (orb.Point, float64) {
	type part struct {
		p    orb.Polygon
		area float64
	}
	parts := make([]part, 0, len(mp))
	for _, p := range mp {
		parts = append(parts, part{p, math.Abs(signedArea(p[0]))})
	}
	slices.SortFunc(parts, func(a, b part) int { return cmp.Compare(b.area, a.area) })

	best, bestD := parts[0].p[0][0], -1.0
	for _, pt := range parts {
		if math.Sqrt(pt.area/math.Pi) <= bestD { // no inscribed circle can be bigger
			break
		}
		if c, d := polylabel(pt.p); d > bestD {
			best, bestD = c, d
		}
	}
	return best, math.Max(bestD, 0)
}

// polylabel returns the pole of inaccessibility of p and its distance to the
// outline. The search runs on p simplified to half the precision, which
// changes distances by no more; the answer is checked against p itself and
// the search rerun on p if it fell outside.
func polylabel(p orb.Polygon) (orb.Point, float64) {
	b := p[0].Bound()
	size := math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])
	precision := size * labelPrecision
	if size == 0 {
		return b.Min, 0
	}
	coarse := simplify.DouglasPeucker(precision / 2).Polygon(p.Clone())
	if len(coarse) > 0 && len(coarse[0]) >= 4 {
		if c, d := polylabelSearch(coarse, precision); d > 0 && planar.PolygonContains(p, c) {
			return c, d
		}
	}
	return polylabelSearch(p, precision)
}

// plCell is a square search cell: centre, half side, distance from the
// centre to the outline (negative outside) and the best any point of the
// cell can do.
type plCell struct {
	c        orb.Point
	h, d, up float64
}

func newCell(c orb.Point, h float64, p orb.Polygon) plCell {
	d := outlineDistance(c, p)
	return plCell{c: c, h: h, d: d, up: d + h*math.Sqrt2}
}

// plQueue is a max-heap of cells by their upper bound.
type plQueue []plCell

func (q plQueue) Len() int           { return len(q) }
func (q plQueue) Less(i, j int) bool { return q[i].up > q[j].up }
func (q plQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *plQueue) Push(x any)        { *q = append(*q, x.(plCell)) }
func (q *plQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

func polylabelSearch(p orb.Polygon, precision float64) (orb.Point, float64) {
	b := p[0].Bound()
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	side := math.Min(w, h)
	if side == 0 {
		return b.Min, 0
	}
	q := &plQueue{}
	for x := b.Min[0]; x < b.Max[0]; x += side {
		for y := b.Min[1]; y < b.Max[1]; y += side {
			*q = append(*q, newCell(orb.Point{x + side/2, y + side/2}, side/2, p))
		}
	}
	heap.Init(q)

	c, _ := planar.CentroidArea(p)
	best := newCell(c, 0, p)
	if bc := newCell(b.Center(), 0, p); bc.d > best.d {
		best = bc
	}
	for n := 0; q.Len() > 0 && n < labelMaxCells; n++ {
		cell := heap.Pop(q).(plCell)
		if cell.d > best.d {
			best = cell
		}
		if cell.up-best.d <= precision {
			continue
		}
		hh := cell.h / 2
		for _, o := range [4][2]float64{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
			heap.Push(q, newCell(orb.Point{cell.c[0] + o[0]*hh, cell.c[1] + o[1]*hh}, hh, p))
		}
	}
	return best.c, best.d
}

// outlineDistance returns the distance from pt to the nearest ring of p,
// positive inside p and negative outside.
func outlineDistance(pt orb.Point, p orb.Polygon) float64 {
	inside := false
	d2 := math.Inf(1)
	for _, r := range p {
		for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
			a, b := r[i], r[j]
			if (a[1] > pt[1]) != (b[1] > pt[1]) &&
				pt[0] < (b[0]-a[0])*(pt[1]-a[1])/(b[1]-a[1])+a[0] {
				inside = !inside
			}
			if d := planar.DistanceFromSegmentSquared(a, b, pt); d < d2 { // math.Min is slower here, on the hot path
				d2 = d
			}
		}
	}
	if inside {
		return math.Sqrt(d2)
	}
	return -math.Sqrt(d2)
}
