package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// A county outline runs to tens of thousands of points, and a tile at a
// deep zoom reaches a sliver of it. Each ring (of the world boundary and of
// each precomputed zoom) is therefore cut into chunks of chunkLen edges
// with their own bounds, so that a tile moves to tile units and clips only
// the chunks that reach it, and replaces each run of the others by a chord
// (see xform.reduce).

// chunkLen is the number of edges of a chunk: short enough that a tile
// copies little it does not need, long enough that the bounds cost little
// (one bound per chunkLen points, some 6% of a ring's memory).
const chunkLen = 32

// groupLen is the number of chunks in a group, which has a bound too, so
// that a tile reaching a few chunks of a long ring skips the others by the
// group.
const groupLen = 16

// ringIndex holds what a tile reads of a ring before its points.
type ringIndex struct {
	bound orb.Bound
	// chunks[k] bounds points k·chunkLen to (k+1)·chunkLen (both included,
	// the last chunk to the closing point); nil for a ring of one chunk.
	// groups[g] bounds chunks g·groupLen to (g+1)·groupLen−1; nil for a
	// ring of one group.
	chunks, groups []orb.Bound
	// World rings only: signed area (world units²), L1 perimeter (world
	// units) and points, which settle the sign of the ring's area once
	// snapped without snapping it (see snappedSign).
	area, perim float64
	n           int
	// unchecked marks the exterior of a precomputed polygon that was
	// snapped alone and is not simple (see prepare).
	unchecked bool
}

// indexPolygon returns the index of the rings of p; world adds the area
// terms.
func indexPolygon(p orb.Polygon, world bool) []ringIndex {
	idx := make([]ringIndex, len(p))
	for i, r := range p {
		ri := &idx[i]
		ri.bound = r.Bound()
		ri.n = len(r)
		if len(r) > chunkLen+1 {
			ri.chunks = make([]orb.Bound, 0, (len(r)-2)/chunkLen+1)
			for lo := 0; lo < len(r)-1; lo += chunkLen {
				hi := min(lo+chunkLen, len(r)-1)
				ri.chunks = append(ri.chunks, orb.MultiPoint(r[lo:hi+1]).Bound())
			}
		}
		if len(ri.chunks) > groupLen {
			for lo := 0; lo < len(ri.chunks); lo += groupLen {
				b := ri.chunks[lo]
				for _, c := range ri.chunks[lo+1 : min(lo+groupLen, len(ri.chunks))] {
					b = union(b, c)
				}
				ri.groups = append(ri.groups, b)
			}
		}
		if world {
			ri.area = signedArea(r)
			for k := 0; k+1 < len(r); k++ {
				ri.perim += math.Abs(r[k+1][0]-r[k][0]) + math.Abs(r[k+1][1]-r[k][1])
			}
		}
	}
	return idx
}

// indexMulti indexes each polygon of mp.
func indexMulti(mp orb.MultiPolygon, world bool) [][]ringIndex {
	out := make([][]ringIndex, len(mp))
	for i, p := range mp {
		out[i] = indexPolygon(p, world)
	}
	return out
}

// xform moves points of a feature to the tile units of one tile: a shift
// for a precomputed zoom, whose points are already whole units of the
// zoom's global grid, else projection and snapping of world points.
type xform struct {
	snapped       bool
	scale, ox, oy float64
}

func (t xform) at(p orb.Point) orb.Point {
	if t.snapped {
		return orb.Point{p[0] - t.ox, p[1] - t.oy}
	}
	return orb.Point{math.Round(p[0]*t.scale) - t.ox, math.Round(p[1]*t.scale) - t.oy}
}

// bound returns the bound, in tile units, of the moved points of a ring
// of bound b: rounding is monotonic, so the bound of the moved points is the
// moved bound. (Cleaning the ring can only shrink it.)
func (t xform) bound(b orb.Bound) orb.Bound {
	return orb.Bound{Min: t.at(b.Min), Max: t.at(b.Max)}
}

// ring appends the moved points of r to dst.
func (t xform) ring(dst orb.Ring, r orb.Ring) orb.Ring {
	n := len(dst)
	dst = slices.Grow(dst, len(r))[:n+len(r)]
	out := dst[n:]
	if t.snapped {
		for i, p := range r {
			out[i] = orb.Point{p[0] - t.ox, p[1] - t.oy}
		}
		return dst
	}
	for i, p := range r {
		out[i] = orb.Point{math.Round(p[0]*t.scale) - t.ox, math.Round(p[1]*t.scale) - t.oy}
	}
	return dst
}

// reduce appends to dst ring r moved to tile units, keeping whole only
// the chunks whose bound meets q (in r's coordinates; q must hold the clip
// box, for world rings with the half unit snapping moves a point to
// spare). Each run of other
// chunks whose joint bound misses q becomes the chord from its first point
// to its last: the chord stays in that bound, so it never enters the clip
// box, and with its run it encloses no point of the box. Clipping, which
// reads only what lies in the box, and the test whether a ring surrounds
// the box (a crossing count from its centre) come out as for r.
func (t xform) reduce(dst orb.Ring, r orb.Ring, ri *ringIndex, q orb.Bound) orb.Ring {
	if ri.chunks == nil {
		return t.ring(dst, r)
	}
	var rd reducer
	if ri.groups == nil {
		dst = rd.chunks(dst, t, r, ri.chunks, 0, q)
	}
	for g, b := range ri.groups {
		c := g * groupLen
		if b.Intersects(q) {
			dst = rd.chunks(dst, t, r, ri.chunks[c:min(c+groupLen, len(ri.chunks))], c, q)
		} else {
			dst = rd.skip(dst, t, r[c*chunkLen], b, q)
		}
	}
	return append(dst, t.at(r[len(r)-1]))
}

// reducer is the state of xform.reduce: the bound of the run of skipped
// points so far.
type reducer struct {
	run   orb.Bound
	inRun bool
}

// chunks appends chunks, the first of them chunk c of r: whole where they
// meet q, else skipped.
func (rd *reducer) chunks(dst orb.Ring, t xform, r orb.Ring, chunks []orb.Bound, c int, q orb.Bound) orb.Ring {
	for k, b := range chunks {
		lo := (c + k) * chunkLen
		if b.Intersects(q) {
			rd.inRun = false
			dst = t.ring(dst, r[lo:min(lo+chunkLen, len(r)-1)])
		} else {
			dst = rd.skip(dst, t, r[lo], b, q)
		}
	}
	return dst
}

// skip skips points from first, bounded by b: they join the current run if
// the run's bound grown by b still misses q; else first starts a new run.
func (rd *reducer) skip(dst orb.Ring, t xform, first orb.Point, b, q orb.Bound) orb.Ring {
	if rd.inRun {
		if u := union(rd.run, b); !u.Intersects(q) {
			rd.run = u
			return dst
		}
	}
	rd.run, rd.inRun = b, true
	return append(dst, t.at(first))
}

// union is orb.Bound.Union without its checks for empty bounds.
func union(a, b orb.Bound) orb.Bound {
	return orb.Bound{
		Min: orb.Point{min(a.Min[0], b.Min[0]), min(a.Min[1], b.Min[1])},
		Max: orb.Point{max(a.Max[0], b.Max[0]), max(a.Max[1], b.Max[1])},
	}
}

// snappedSign returns the sign of the area of world ring r snapped at
// scale: from the index when the snapping error cannot reach it (moving
// each point by at most half a unit changes the area by at most half the L1
// perimeter plus a quarter unit² per point), else by snapping r.
func snappedSign(r orb.Ring, ri *ringIndex, scale float64) int {
	a := ri.area * scale * scale
	// The last term covers rounding in ri.area.
	w, h := ri.bound.Max[0]-ri.bound.Min[0], ri.bound.Max[1]-ri.bound.Min[1]
	if e := ri.perim*scale/2 + float64(ri.n)/4 + 1 + float64(ri.n)*1e-12*w*h*scale*scale; math.Abs(a) > e {
		if a > 0 {
			return 1
		}
		return -1
	}
	if len(r) < 4 {
		return 0
	}
	var s int64
	ox, oy := int64(math.Round(r[0][0]*scale)), int64(math.Round(r[0][1]*scale))
	x0, y0 := int64(math.Round(r[1][0]*scale))-ox, int64(math.Round(r[1][1]*scale))-oy
	for _, p := range r[2 : len(r)-1] {
		x1, y1 := int64(math.Round(p[0]*scale))-ox, int64(math.Round(p[1]*scale))-oy
		s += x0*y1 - x1*y0
		x0, y0 = x1, y1
	}
	switch {
	case s > 0:
		return 1
	case s < 0:
		return -1
	}
	return 0
}
