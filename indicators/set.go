package indicators

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/gridmap/gridmap"
)

// Flags of a rec.
const (
	fRegistered uint16 = 1 << iota
	fRejected
	fOpen
	fClosed
	fOnTime
	fReplied
	fRevisited
	fReopened
	fSupervised
	fDuplicate
	fDeadline
	nflags = iota
)

// rec is one case as a Set holds it: 48 bytes, times in Unix seconds.
type rec struct {
	id                       int64
	t, resolved, closed, due uint32
	grid, dept, by           int32 // dictionary indexes, -1 for none
	src                      uint8
	flags                    uint16
	answers, satisfied       uint8
	_                        [1]byte
}

// Set holds the cases the indicators are computed over, in id order.
//
// It is safe for concurrent use: computations run at once under a read
// lock; Apply takes the write lock for the time it takes to add or update
// a batch.
type Set struct {
	mu    sync.RWMutex
	recs  []rec
	grids dict[string]
	depts dict[string]
	byTok dict[int64]
}

type dict[K comparable] struct {
	keys []K
	ix   map[K]int32
}

func (d *dict[K]) index(k K) int32 {
	if d.ix == nil {
		d.ix = map[K]int32{}
	}
	i, ok := d.ix[k]
	if !ok {
		i = int32(len(d.keys))
		d.keys = append(d.keys, k)
		d.ix[k] = i
	}
	return i
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{} }

// Len returns the number of cases held.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.recs)
}

// Grow makes room for n more cases, so a bulk load allocates once.
func (s *Set) Grow(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = slices.Grow(s.recs, n)
}

// sources are the gridmap sources by their index in a rec.
var sources = gridmap.Sources

func sourceIndex(src gridmap.Source) uint8 {
	for i, x := range sources {
		if x == src {
			return uint8(i)
		}
	}
	return uint8(len(sources) - 1) // other
}

func secs(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	return uint32(max(1, min(t.Unix(), math.MaxUint32)))
}

func (s *Set) rec(c *Case) rec {
	r := rec{id: c.ID, t: secs(c.ReportedAt), resolved: secs(c.ResolvedAt), closed: secs(c.ClosedAt),
		grid: -1, dept: -1, by: -1, src: sourceIndex(c.Source),
		answers: uint8(min(c.Answers, 255)), satisfied: uint8(min(c.Satisfied, 255))}
	if c.GridCode != "" {
		r.grid = s.grids.index(c.GridCode)
	}
	if c.Department != "" {
		r.dept = s.depts.index(c.Department)
	}
	if c.RaisedBy != 0 {
		r.by = s.byTok.index(c.RaisedBy)
	}
	if c.Deadline != nil {
		r.due = secs(*c.Deadline)
		r.flags |= fDeadline
	}
	for _, f := range []struct {
		on bool
		f  uint16
	}{{c.Registered, fRegistered}, {c.Rejected, fRejected}, {c.Open, fOpen}, {c.Closed, fClosed},
		{c.OnTime(), fOnTime}, {c.Replied, fReplied}, {c.Revisited, fRevisited}, {c.Reopened, fReopened},
		{c.Supervised, fSupervised}, {c.Duplicate, fDuplicate}} {
		if f.on {
			r.flags |= f.f
		}
	}
	return r
}

// Apply adds the cases not held yet and replaces those held (same ID).
func (s *Set) Apply(cases []Case) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range cases {
		r := s.rec(&cases[k])
		n := len(s.recs)
		if n == 0 || r.id > s.recs[n-1].id {
			s.recs = append(s.recs, r)
			continue
		}
		i, found := slices.BinarySearchFunc(s.recs, r.id, func(x rec, id int64) int {
			switch {
			case x.id < id:
				return -1
			case x.id > id:
				return 1
			}
			return 0
		})
		if found {
			s.recs[i] = r
		} else {
			s.recs = slices.Insert(s.recs, i, r)
		}
	}
}

// DropBefore removes the cases reported before t (scanning: ids are only
// roughly time order) into a new slice of the kept length, so their
// memory is freed, and returns how many it removed.
func (s *Set) DropBefore(t time.Time) int {
	cut := secs(t)
	if !t.IsZero() && t.Nanosecond() > 0 && cut < math.MaxUint32 {
		cut++ // whole seconds at or after t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := 0
	for i := range s.recs {
		if s.recs[i].t >= cut {
			keep++
		}
	}
	dropped := len(s.recs) - keep
	if dropped == 0 {
		return 0
	}
	recs := make([]rec, 0, keep)
	for _, r := range s.recs {
		if r.t >= cut {
			recs = append(recs, r)
		}
	}
	s.recs = recs
	return dropped
}
