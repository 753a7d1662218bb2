package heat

import (
	"cmp"
	"slices"
	"time"

	"github.com/gridmap/gridmap"
)

// Newest returns the n incidents matching f reported last, newest first
// (incidents reported in the same second: higher id first), as the wall
// map's ticker shows them when it opens. Times are whole seconds, in UTC;
// Lon and Lat are left zero (the ticker names the grid, not the place).
func (a *Aggregate) Newest(f Filter, n int) []Row {
	if n <= 0 {
		return nil
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	c := a.compile(f)
	if c.empty {
		return nil
	}
	// best holds row indexes, newest first, at most n. Blocks are scanned
	// from the last: rows are in id order, close to time order, so once
	// best is full most earlier blocks end before its oldest and are
	// skipped whole.
	best := make([]int, 0, n+1)
	newer := func(i, j int) int { // < 0 when row i is newer than row j
		if x := cmp.Compare(a.t[j], a.t[i]); x != 0 {
			return x
		}
		return cmp.Compare(a.ids[j], a.ids[i])
	}
	for b := len(a.bmin) - 1; b >= 0; b-- {
		if a.bmax[b] < c.lo || a.bmin[b] > c.hi {
			continue
		}
		if len(best) == n && a.bmax[b] < a.t[best[n-1]] {
			continue
		}
		for i := min((b+1)*blockRows, len(a.ids)) - 1; i >= b*blockRows; i-- {
			if ti := a.t[i]; ti < c.lo || ti > c.hi || !c.catOK[a.cat[i]] || !c.stOK[a.st[i]] ||
				c.due && c.overdue(a.st[i], a.due[i]) != c.dueWant ||
				c.gridOK != nil && !c.gridOK[a.grid[i]+1] {
				continue
			}
			if len(best) == n && newer(i, best[n-1]) > 0 {
				continue
			}
			k, _ := slices.BinarySearchFunc(best, i, newer)
			best = slices.Insert(best, k, i)
			if len(best) > n {
				best = best[:n]
			}
		}
	}
	out := make([]Row, len(best))
	for k, i := range best {
		r := Row{ID: a.ids[i], ReportedAt: time.Unix(int64(a.t[i]), 0).UTC(), Status: gridmap.Statuses[a.st[i]]}
		if int(a.cat[i]) < len(a.cats) {
			r.Category = a.cats[a.cat[i]]
		}
		if d := a.due[i]; d != 0 {
			r.Deadline = time.Unix(int64(d), 0).UTC()
		}
		if g := a.grid[i]; g >= 0 {
			r.GridCode = a.codes[g]
		}
		out[k] = r
	}
	return out
}
