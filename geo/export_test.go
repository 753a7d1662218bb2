package geo

// Lookup variants for benchmarks and tests only, to measure what each
// phase of Lookup buys.

// LookupRTree is the plain two-phase lookup: R-tree over part bounds, then
// the exact test on every candidate; the best-ranked containing grid wins.
func (ix *Index) LookupRTree(lon, lat float64) int32 {
	best := int32(-1)
	ix.tree.Search([2]float64{lon, lat}, [2]float64{lon, lat}, func(_, _ [2]float64, pi int32) bool {
		p := &ix.parts[pi]
		if (best < 0 || ix.rank[p.grid] < ix.rank[best]) && p.contains(lon, lat) {
			best = p.grid
		}
		return true
	})
	return best
}

// LookupRasterRTree answers clean raster cells from the raster and sends
// the other cells to LookupRTree, the design before candidate lists.
func (ix *Index) LookupRasterRTree(lon, lat float64) int32 {
	for t := range ix.tiers {
		r := &ix.tiers[t]
		if !(lon >= r.minX && lon <= r.maxX && lat >= r.minY && lat <= r.maxY) {
			continue
		}
		if v := r.cells[r.row(lat)*r.nx+r.col(lon)]; v < mixed {
			if v > 0 {
				return int32(v) - 1
			}
			continue
		}
		return ix.LookupRTree(lon, lat)
	}
	return -1
}

// RasterStats returns, per tier, the number of cells and how many are
// empty, wholly inside one grid, and crossed by edges.
func (ix *Index) RasterStats() (cells, empty, full, crossed []int) {
	for _, r := range ix.tiers {
		var e, f, c int
		for _, v := range r.cells {
			switch {
			case v == 0:
				e++
			case v < mixed:
				f++
			default:
				c++
			}
		}
		cells, empty, full, crossed = append(cells, len(r.cells)), append(empty, e), append(full, f), append(crossed, c)
	}
	return
}

// SegmentsMeet exposes segmentsMeet to the brute-force track test.
func SegmentsMeet(p, q, r, s [2]float64) bool {
	return segmentsMeet(p[0], p[1], q[0], q[1], r[0], r[1], s[0], s[1])
}
