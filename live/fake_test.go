package live

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// square is a small real polygon: the box [x0,x1]×[y0,y1] in degrees.
func square(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// street is a street grid with no parent over the given box.
func street(id int64, code, name string, version int64, b orb.Bound) gridmap.Grid {
	return gridmap.Grid{ID: id, Code: code, Name: name, Level: gridmap.LevelStreet, Version: version,
		Boundary: square(b.Min[0], b.Min[1], b.Max[0], b.Max[1])}
}

// fakeFeed is a change feed the test drives: notify calls the subscribers
// of a channel on the test's goroutine, as the listener calls them on its own.
type fakeFeed struct {
	mu   sync.Mutex
	subs map[string][]func(string)
}

func (f *fakeFeed) Subscribe(channel string, fn func(payload string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[string][]func(string){}
	}
	f.subs[channel] = append(f.subs[channel], fn)
}

func (f *fakeFeed) notify(channel, payload string) {
	f.mu.Lock()
	subs := slices.Clone(f.subs[channel])
	f.mu.Unlock()
	for _, fn := range subs {
		fn(payload)
	}
}

// pastMap is one map of a fake history: the grids valid from a time on.
type pastMap struct {
	from  time.Time
	grids []gridmap.Grid
}

// fakeGrids is an in-memory gridmap.GridSource.
type fakeGrids struct {
	mu      sync.Mutex
	grids   []gridmap.Grid
	version int64
	history []pastMap // by from, oldest first
	// hold, when not nil, makes the next CurrentGrids or GridsAt wait for
	// a value before it reads: the test sees a build in progress.
	holdCurrent, holdPast chan struct{}

	currentCalls, pastCalls atomic.Int32
}

func (s *fakeGrids) set(version int64, grids ...gridmap.Grid) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grids, s.version = grids, version
}

func (s *fakeGrids) CurrentGrids(ctx context.Context) ([]gridmap.Grid, int64, error) {
	s.currentCalls.Add(1)
	s.mu.Lock()
	hold := s.holdCurrent
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.grids), s.version, nil
}

// at returns the position of the map valid at t in history, -1 for none.
func (s *fakeGrids) at(t time.Time) int {
	i := -1
	for k, p := range s.history {
		if !p.from.After(t) {
			i = k
		}
	}
	return i
}

func (s *fakeGrids) MapKeyAt(ctx context.Context, t time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "k" + strconv.Itoa(s.at(t)), nil
}

func (s *fakeGrids) GridsAt(ctx context.Context, t time.Time) ([]gridmap.Grid, string, error) {
	s.pastCalls.Add(1)
	s.mu.Lock()
	hold := s.holdPast
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.at(t)
	if i < 0 {
		return nil, "k-1", nil
	}
	return slices.Clone(s.history[i].grids), "k" + strconv.Itoa(i), nil
}

// fakeIncidents is an in-memory gridmap.IncidentSource: every write is
// appended to a log, and a snapshot is a position in it.
type fakeIncidents struct {
	mu  sync.Mutex
	log []gridmap.Incident
}

func (s *fakeIncidents) write(in gridmap.Incident) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, in)
}

func (s *fakeIncidents) IncidentChanges(ctx context.Context, since string, fn func(gridmap.Incident) error) (string, error) {
	s.mu.Lock()
	from := 0
	if since != "" {
		from, _ = strconv.Atoi(since)
	}
	latest := map[int64]gridmap.Incident{}
	for _, in := range s.log[from:] {
		latest[in.ID] = in
	}
	next := strconv.Itoa(len(s.log))
	s.mu.Unlock()
	ids := make([]int64, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(latest[id]); err != nil {
			return since, err
		}
	}
	return next, nil
}

func (s *fakeIncidents) CountIncidents(ctx context.Context, exact bool) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.log)), nil
}
