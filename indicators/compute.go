package indicators

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gridmap/gridmap"
)

// By is what the indicators are grouped by.
type By string

// The groupings.
const (
	ByGrid       By = "grid"       // the micro-grid a case was assigned to
	ByVillage    By = "village"    // its village or community grid
	ByStreet     By = "street"     // its street grid
	ByDepartment By = "department" // the department the case is with
	ByWorker     By = "worker"     // the grid worker who raised it (and their work logs)
)

// Bys lists the groupings.
var Bys = []By{ByGrid, ByVillage, ByStreet, ByDepartment, ByWorker}

// Valid reports whether b is a grouping.
func (b By) Valid() bool { return slices.Contains(Bys, b) }

// WorkDay is one grid worker's day of work, from the work logs: whether a
// log was filed, the metres patrolled (tracks not flagged as untrusted)
// and the micro-grids the tracks passed through.
type WorkDay struct {
	Worker int64 // the worker's API token
	// Day is the China Standard Time day, at its midnight.
	Day    time.Time
	Logged bool
	Metres float64
	Grids  []string
}

// Query says what Compute counts.
type Query struct {
	By By
	// From and To bound the time reported: From ≤ reported_at < To.
	From, To time.Time
	// Now is the time open cases are overdue at.
	Now time.Time
	// GroupOfGrid maps a grid code to its group's key for ByGrid,
	// ByVillage and ByStreet ("" or nil: the case is left out, counted as
	// unassigned).
	GroupOfGrid func(code string) string
	// Work are the workers' days in the window, for ByWorker.
	Work []WorkDay
}

// Row is the indicators of one group. Rates are fractions in [0, 1], nil
// when their denominator is 0; times to close are hours, nil when no case
// closed.
type Row struct {
	Key          string                 `json:"key"`
	Received     int                    `json:"received"`
	BySource     map[gridmap.Source]int `json:"received_by_source"`
	Registered   int                    `json:"registered"`
	Rejected     int                    `json:"rejected"`
	Closed       int                    `json:"closed"`
	ClosedOnTime int                    `json:"closed_on_time"`
	Replied      int                    `json:"replied"`
	Revisited    int                    `json:"revisited"`
	// Answers are the revisits' answers, Satisfied those satisfied or
	// basically satisfied.
	Answers     int `json:"revisit_answers"`
	Satisfied   int `json:"satisfied_answers"`
	OpenOverdue int `json:"open_overdue"`
	Supervised  int `json:"supervised"`
	Duplicates  int `json:"duplicates"`
	Reopened    int `json:"reopened"`

	ClosureRate      *float64 `json:"closure_rate"`
	OnTimeRate       *float64 `json:"on_time_closure_rate"`
	ReplyRate        *float64 `json:"reply_rate"`
	RevisitRate      *float64 `json:"revisit_rate"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`
	// Time from report to the last close, 50th and 90th percentile (the
	// smallest value with at least that fraction of closed cases at or
	// below it, as SQL's percentile_disc), in seconds and hours.
	MedianCloseSeconds *int64   `json:"-"`
	P90CloseSeconds    *int64   `json:"-"`
	MedianCloseHours   *float64 `json:"median_close_hours"`
	P90CloseHours      *float64 `json:"p90_close_hours"`

	// Work is a grid worker's own work (ByWorker only).
	Work *Work `json:"work,omitempty"`
}

// Work is what a grid worker did in the window.
type Work struct {
	LogsFiled    int     `json:"logs_filed"`
	PatrolDays   int     `json:"patrol_days"`
	DistanceKM   float64 `json:"distance_km"`
	GridsCovered int     `json:"grids_covered"`
	// CasesRaised are the cases the worker reported (= Received);
	// CasesVerified those registered (立案), that is found real.
	CasesRaised   int `json:"cases_raised"`
	CasesVerified int `json:"cases_verified"`
}

// Result is the indicators of every group, ordered by key.
type Result struct {
	By   By    `json:"by"`
	Rows []Row `json:"rows"`
	// Total is the indicators of all the cases counted, whatever their group.
	Total Row `json:"total"`
	// Unassigned counts the cases reported in the window and left out:
	// outside every grid, with no department, or not raised by a worker.
	Unassigned int `json:"unassigned"`
}

// acc accumulates one group's counts: per flag of a rec (nflags, by bit),
// per source, answers, satisfied and open overdue.
type acc struct {
	flags              [nflags]int
	received, overdue  int
	answers, satisfied int
	bySource           [4]int
}

func (a *acc) add(r *rec, now uint32) {
	a.received++
	a.bySource[r.src]++
	a.answers += int(r.answers)
	a.satisfied += int(r.satisfied)
	// One count per bit set: fewer branches than a test per flag.
	for f := r.flags; f != 0; f &= f - 1 {
		a.flags[bits.TrailingZeros16(f)]++
	}
	if r.flags&(fOpen|fDeadline) == fOpen|fDeadline && r.due < now {
		a.overdue++
	}
}

func (a *acc) n(f uint16) int { return a.flags[bits.TrailingZeros16(f)] }

func (a *acc) merge(b *acc) {
	for i := range a.flags {
		a.flags[i] += b.flags[i]
	}
	a.received += b.received
	a.overdue += b.overdue
	a.answers += b.answers
	a.satisfied += b.satisfied
	for i := range a.bySource {
		a.bySource[i] += b.bySource[i]
	}
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

func (a *acc) row(key string, close []uint32) Row {
	r := Row{Key: key, Received: a.received, Registered: a.n(fRegistered), Rejected: a.n(fRejected), Closed: a.n(fClosed),
		ClosedOnTime: a.n(fOnTime), Replied: a.n(fReplied), Revisited: a.n(fRevisited), Answers: a.answers,
		Satisfied: a.satisfied, OpenOverdue: a.overdue, Supervised: a.n(fSupervised), Duplicates: a.n(fDuplicate),
		Reopened: a.n(fReopened), BySource: map[gridmap.Source]int{}}
	for i, n := range a.bySource {
		r.BySource[sources[i]] = n
	}
	r.ClosureRate = ratio(r.Closed, r.Registered)
	r.OnTimeRate = ratio(r.ClosedOnTime, r.Closed)
	r.ReplyRate = ratio(r.Replied, r.Registered)
	r.RevisitRate = ratio(r.Revisited, r.Replied)
	r.SatisfactionRate = ratio(a.satisfied, a.answers)
	if len(close) > 0 {
		p50, p90 := int64(percentile(close, 0.5)), int64(percentile(close, 0.9))
		h50, h90 := float64(p50)/3600, float64(p90)/3600
		r.MedianCloseSeconds, r.P90CloseSeconds, r.MedianCloseHours, r.P90CloseHours = &p50, &p90, &h50, &h90
	}
	return r
}

// Compute returns the indicators of the cases reported in [q.From, q.To),
// grouped by q.By.
func (s *Set) Compute(q Query) Result {
	s.mu.RLock()
	defer s.mu.RUnlock()
	res := Result{By: q.By}
	// The group of every dictionary entry, once per call.
	var keys []string
	keyIx := map[string]int32{}
	group := func(k string) int32 {
		if k == "" {
			return -1
		}
		i, ok := keyIx[k]
		if !ok {
			i = int32(len(keys))
			keys = append(keys, k)
			keyIx[k] = i
		}
		return i
	}
	var of []int32 // dictionary index → group, -1 for none
	switch q.By {
	case ByDepartment:
		of = make([]int32, len(s.depts.keys))
		for i, d := range s.depts.keys {
			of[i] = group(d)
		}
	case ByWorker:
		of = make([]int32, len(s.byTok.keys))
		for i, t := range s.byTok.keys {
			of[i] = group(strconv.FormatInt(t, 10))
		}
	default:
		of = make([]int32, len(s.grids.keys))
		for i, g := range s.grids.keys {
			k := ""
			if q.GroupOfGrid != nil {
				k = q.GroupOfGrid(g)
			}
			of[i] = group(k)
		}
	}
	from, to, now := secs(q.From), uint32(math.MaxUint32), secs(q.Now)
	if !q.To.IsZero() {
		to = secs(q.To)
	}
	accs := make([]acc, len(keys))
	// gix holds each counted closed case's group, so the times to close
	// can be laid out by group (a counting sort) without a slice per group.
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	gix, dur := sc.gix[:0], sc.dur[:0]
	defer func() { sc.gix, sc.dur = gix[:0], dur[:0] }()
	for i := range s.recs {
		r := &s.recs[i]
		if r.t < from || r.t >= to {
			continue
		}
		var c int32
		switch q.By {
		case ByDepartment:
			c = r.dept
		case ByWorker:
			c = r.by
		default:
			c = r.grid
		}
		g := int32(-1)
		if c >= 0 {
			g = of[c]
		}
		if g < 0 {
			res.Unassigned++
			continue
		}
		accs[g].add(r, now)
		if r.flags&fClosed != 0 {
			gix = append(gix, g)
			d := uint32(0)
			if r.closed > r.t {
				d = r.closed - r.t
			}
			dur = append(dur, d)
		}
	}
	start := make([]int, len(keys)+1)
	for _, g := range gix {
		start[g+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	byGroup := slices.Grow(sc.byGroup[:0], len(dur))[:len(dur)]
	defer func() { sc.byGroup = byGroup[:0] }()
	next := slices.Clone(start[:len(keys)])
	for k, g := range gix {
		byGroup[next[g]] = dur[k]
		next[g]++
	}
	var total acc
	for g, k := range keys {
		total.merge(&accs[g])
		if accs[g].received == 0 && q.By != ByWorker {
			continue
		}
		res.Rows = append(res.Rows, accs[g].row(k, byGroup[start[g]:start[g+1]]))
	}
	res.Total = total.row("", dur)
	if q.By == ByWorker {
		res.Rows = addWork(res.Rows, q.Work)
	}
	slices.SortFunc(res.Rows, func(a, b Row) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return res
}

// scratch holds a computation's buffers of times to close, reused: a
// million cases would otherwise allocate megabytes a call.
type scratch struct {
	gix          []int32
	dur, byGroup []uint32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// addWork adds the workers' days to their rows, and rows for workers who
// worked and raised no case.
func addWork(rows []Row, days []WorkDay) []Row {
	at := map[string]int{}
	for i := range rows {
		rows[i].Work = &Work{CasesRaised: rows[i].Received, CasesVerified: rows[i].Registered}
		at[rows[i].Key] = i
	}
	grids := map[string]map[string]bool{}
	for _, d := range days {
		k := strconv.FormatInt(d.Worker, 10)
		i, ok := at[k]
		if !ok {
			i = len(rows)
			at[k] = i
			var empty acc
			r := empty.row(k, nil)
			r.Work = &Work{}
			rows = append(rows, r)
		}
		w := rows[i].Work
		if d.Logged {
			w.LogsFiled++
		}
		if d.Metres > 0 {
			w.PatrolDays++
			w.DistanceKM += d.Metres / 1000
		}
		if grids[k] == nil {
			grids[k] = map[string]bool{}
		}
		for _, g := range d.Grids {
			grids[k][g] = true
		}
	}
	for k, set := range grids {
		rows[at[k]].Work.GridsCovered = len(set)
	}
	return rows
}

// percentile returns the value at fraction p of xs as SQL's
// percentile_disc does: the ceil(p·n)-th smallest. It reorders xs.
func percentile(xs []uint32, p float64) uint32 {
	k := int(math.Ceil(p*float64(len(xs)))) - 1
	k = max(0, min(k, len(xs)-1))
	return nth(xs, k)
}

// nth returns the k-th smallest of xs (0-based), partly reordering xs
// (quickselect, median of three): linear on average, where sorting every
// group's times would dominate a computation over a million cases.
func nth(xs []uint32, k int) uint32 {
	lo, hi := 0, len(xs)-1
	for hi-lo > 16 {
		m := lo + (hi-lo)/2
		if xs[m] < xs[lo] {
			xs[m], xs[lo] = xs[lo], xs[m]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[m] {
			xs[hi], xs[m] = xs[m], xs[hi]
		}
		pivot := xs[m]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	slices.Sort(xs[lo : hi+1])
	return xs[k]
}
