package geo

import (
	"math"
	"math/bits"

	"github.com/paulmach/orb"
)

// batchSortMin is the number of points needing polygon tests from which
// LookupBatch sorts them along a Morton curve first; below it the sort
// costs more than the cache misses it saves. It sorts only for an index
// larger than sortBytes: a smaller one stays in cache anyway.
const (
	batchSortMin = 4096
	sortBytes    = 8 << 20
)

// batchBlock is how many raster cells LookupBatch reads before acting on
// them: independent loads, so their cache misses overlap.
const batchBlock = 32

type pending struct {
	i int32  // position in the batch
	v uint32 // raster cell value, a candidate list
}

type batchScratch struct {
	pend, sorted []pending
	key          []uint16
	count        []int32
}

// LookupBatch looks up every point of pts (EPSG:4326 lon, lat degrees) and
// writes to out[i] the position, in the slice given to NewIndex, of the
// grid Lookup would return for pts[i], or -1 for none. Results are in input
// order and equal to Lookup's.
//
// It reads the raster cells of a block of points before acting on them, so
// their cache misses overlap, and answers the points in clean cells at
// once. In a large batch on a large index, the points that need polygon
// tests are then visited in Morton (Z-order) order, so that points near
// one border share cached polygon data.
//
// LookupBatch panics if len(out) < len(pts).
func (ix *Index) LookupBatch(pts []orb.Point, out []int32) {
	if len(out) < len(pts) {
		panic("geo: LookupBatch: len(out) < len(pts)")
	}
	out = out[:len(pts)]
	if len(ix.tiers) == 0 {
		for i := range out {
			out[i] = -1
		}
		return
	}
	s := ix.batch.Get().(*batchScratch)
	defer ix.batch.Put(s)
	s.pend = s.pend[:0]
	deferCrossed := ix.sortBatches && len(pts) >= batchSortMin

	r := &ix.tiers[0]
	var vals [batchBlock]uint32
	for base := 0; base < len(pts); base += batchBlock {
		blk := pts[base:min(base+batchBlock, len(pts))]
		for k, p := range blk {
			vals[k] = r.value(p[0], p[1])
		}
		for k, p := range blk {
			i := base + k
			v := vals[k]
			switch {
			case v >= mixed && deferCrossed:
				s.pend = append(s.pend, pending{int32(i), v})
				continue
			case v >= mixed:
				out[i] = r.resolve(ix.parts, v, p[0], p[1])
			default:
				out[i] = int32(v) - 1
			}
			if out[i] < 0 && len(ix.tiers) > 1 {
				out[i] = ix.lookupFrom(1, p[0], p[1])
			}
		}
	}
	if len(s.pend) == 0 {
		return
	}
	pend := s.pend
	if len(pend) >= batchSortMin {
		pend = s.sortPending(pts, ix.bound)
	}
	for _, q := range pend {
		p := pts[q.i]
		g := r.resolve(ix.parts, q.v, p[0], p[1])
		if g < 0 && len(ix.tiers) > 1 {
			g = ix.lookupFrom(1, p[0], p[1])
		}
		out[q.i] = g
	}
}

// sortPending orders s.pend by a coarse Morton key of the points, b bits
// per axis for about 16 points a bucket, with one counting-sort pass.
func (s *batchScratch) sortPending(pts []orb.Point, bd orb.Bound) []pending {
	n := len(s.pend)
	b := (bits.Len(uint(n/16)) + 1) / 2
	b = max(2, min(b, 8))
	nb := 1 << (2 * b)
	s.key = grow(s.key, n)
	s.count = grow(s.count, nb+1)
	clear(s.count)
	s.sorted = grow(s.sorted, n)
	qx := float64(int(1)<<b) / math.Max(bd.Max[0]-bd.Min[0], minCell)
	qy := float64(int(1)<<b) / math.Max(bd.Max[1]-bd.Min[1], minCell)
	top := float64(int(1)<<b - 1)
	for k, q := range s.pend {
		p := pts[q.i]
		x := max(0, min((p[0]-bd.Min[0])*qx, top))
		y := max(0, min((p[1]-bd.Min[1])*qy, top))
		key := uint16(spread(uint32(x)) | spread(uint32(y))<<1)
		s.key[k] = key
		s.count[int(key)+1]++
	}
	for k := 1; k <= nb; k++ {
		s.count[k] += s.count[k-1]
	}
	for k, q := range s.pend {
		s.sorted[s.count[s.key[k]]] = q
		s.count[s.key[k]]++
	}
	return s.sorted
}

// spread moves bit i of v (v < 256) to bit 2i.
func spread(v uint32) uint32 {
	v = (v | v<<4) & 0x0f0f
	v = (v | v<<2) & 0x3333
	v = (v | v<<1) & 0x5555
	return v
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
