package heat

import (
	"time"

	"github.com/gridmap/gridmap"
)

// Bucket is the width of one step of a time series.
type Bucket string

// The buckets. Weeks start on Monday (ISO 8601); months on the 1st.
const (
	Day   Bucket = "day"
	Week  Bucket = "week"
	Month Bucket = "month"
)

// MaxBuckets bounds the length of one series.
const MaxBuckets = 10000

// SeriesPoint is one bucket of a time series: incidents reported in
// [Start, End).
type SeriesPoint struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Count int       `json:"count"`
}

// Buckets returns the buckets that cover [from, to) in loc, from the one
// holding from to the one holding the last second before to. loc should
// have a fixed offset (China Standard Time has had no daylight saving since
// 1991). Errors: EINVALID for an unknown bucket, to not after from, or more
// than MaxBuckets buckets.
func Buckets(b Bucket, from, to time.Time, loc *time.Location) ([]SeriesPoint, error) {
	if !to.After(from) {
		return nil, gridmap.Errorf(gridmap.EINVALID, "to must be after from")
	}
	start := from.In(loc)
	y, m, d := start.Date()
	switch b {
	case Day:
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
	case Week:
		wd := (int(start.Weekday()) + 6) % 7 // Monday 0
		start = time.Date(y, m, d-wd, 0, 0, 0, 0, loc)
	case Month:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
	default:
		return nil, gridmap.Errorf(gridmap.EINVALID, "bucket=%q must be day, week or month", b)
	}
	var pts []SeriesPoint
	for s := start; s.Before(to); {
		var e time.Time
		y, m, d := s.Date()
		switch b {
		case Day:
			e = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		case Week:
			e = time.Date(y, m, d+7, 0, 0, 0, 0, loc)
		case Month:
			e = time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
		}
		pts = append(pts, SeriesPoint{Start: s, End: e})
		if len(pts) > MaxBuckets {
			return nil, gridmap.Errorf(gridmap.EINVALID, "the series would have more than %d buckets: narrow from and to, or use a wider bucket", MaxBuckets)
		}
		s = e
	}
	return pts, nil
}

// Series counts the incidents matching f into the buckets (from Buckets),
// each counting the incidents reported in [Start, End). f.From and f.To are
// ignored: the buckets bound the window.
func (a *Aggregate) Series(f Filter, buckets []SeriesPoint) []SeriesPoint {
	out := make([]SeriesPoint, len(buckets))
	copy(out, buckets)
	if len(out) == 0 {
		return out
	}
	f.From, f.To = out[0].Start, out[len(out)-1].End
	// Bucket boundaries as Unix seconds; a row's bucket is found through a
	// table of whole days, since every bucket is a run of days.
	const day = 86400
	base := out[0].Start.Unix()
	ndays := int((out[len(out)-1].End.Unix()-base+day-1)/day) + 1
	bucketOfDay := make([]int32, ndays)
	for b, p := range out {
		for d := (p.Start.Unix() - base) / day; d < (p.End.Unix()-base+day-1)/day && int(d) < ndays; d++ {
			bucketOfDay[d] = int32(b)
		}
	}
	counts := make([]int, len(out))

	a.mu.RLock()
	defer a.mu.RUnlock()
	c := a.compile(f)
	t, g, cat, st, due := a.t, a.grid, a.cat, a.st, a.due
	a.blocks(c, func(start, end int) {
		lo, hi, dueOn := c.lo, c.hi, c.due
		for i := start; i < end; i++ {
			ti := t[i]
			if ti < lo || ti > hi || !c.catOK[cat[i]] || !c.stOK[st[i]] ||
				c.gridOK != nil && !c.gridOK[g[i]+1] ||
				dueOn && c.overdue(st[i], due[i]) != c.dueWant {
				continue
			}
			counts[bucketOfDay[(int64(ti)-base)/day]]++
		}
	})
	for i := range out {
		out[i].Count = counts[i]
	}
	return out
}
