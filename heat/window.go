package heat

import (
	"math"
	"time"
)

// DropBefore removes every incident reported before t and returns how many
// it removed. Rows are in id order, which is only roughly time order (an
// import of old tickets gets new ids), so it scans every row rather than
// cutting a prefix. The columns are copied into new slices of the kept
// length, so the memory of the dropped rows is freed (Bytes falls), and
// the zone map is rebuilt and the block counts by grid dropped. It holds the write lock while it copies: about
// a millisecond per hundred thousand rows, once a month.
func (a *Aggregate) DropBefore(t time.Time) int {
	cut := uint32(max(0, min(ceilSeconds(t), math.MaxUint32)))
	a.mu.Lock()
	defer a.mu.Unlock()
	keep := 0
	for _, ti := range a.t {
		if ti >= cut {
			keep++
		}
	}
	dropped := len(a.t) - keep
	if dropped == 0 {
		return 0
	}
	ids := make([]int64, 0, keep)
	ts := make([]uint32, 0, keep)
	due := make([]uint32, 0, keep)
	grid := make([]int32, 0, keep)
	cat := make([]uint8, 0, keep)
	st := make([]uint8, 0, keep)
	wx := make([]uint32, 0, keep)
	wy := make([]uint32, 0, keep)
	for i, ti := range a.t {
		if ti < cut {
			continue
		}
		ids = append(ids, a.ids[i])
		ts = append(ts, ti)
		due = append(due, a.due[i])
		grid = append(grid, a.grid[i])
		cat = append(cat, a.cat[i])
		st = append(st, a.st[i])
		wx = append(wx, a.wx[i])
		wy = append(wy, a.wy[i])
	}
	a.ids, a.t, a.due, a.grid, a.cat, a.st, a.wx, a.wy = ids, ts, due, grid, cat, st, wx, wy
	a.bmin, a.bmax = nil, nil
	a.zoneRebuild(0)
	// The block counts by grid (gridcounts.go) would be counted again
	// anyway (their blocks' ids changed); freed now, made again on use.
	a.cmu.Lock()
	a.bcounts = nil
	a.cmu.Unlock()
	return dropped
}
