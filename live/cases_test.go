package live

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/indicators"
)

// fakeCases is a CaseSource over a log of writes, as fakeIncidents.
type fakeCases struct {
	mu  sync.Mutex
	log []indicators.Case
}

func (s *fakeCases) write(c indicators.Case) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, c)
}

func (s *fakeCases) CaseChanges(ctx context.Context, since string, fn func(indicators.Case) error) (string, error) {
	s.mu.Lock()
	from := 0
	if since != "" {
		from, _ = strconv.Atoi(since)
	}
	changes := append([]indicators.Case(nil), s.log[from:]...)
	next := strconv.Itoa(len(s.log))
	s.mu.Unlock()
	for _, c := range changes {
		if err := fn(c); err != nil {
			return since, err
		}
	}
	return next, nil
}

// TestCasesFollowChanges: the cases load, then a case closed later is
// counted closed once the feed announces the write.
func TestCasesFollowChanges(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, gridmap.ChinaTime)
	src := &fakeCases{}
	src.write(indicators.Case{ID: 1, ReportedAt: at, Department: "police", Registered: true, Open: true})
	src.write(indicators.Case{ID: 2, ReportedAt: at, Department: "police"})
	b := newBuilds()
	c := NewCases(src, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnBuild: b.on})
	feed := &fakeFeed{}
	c.Listen(feed)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	closed := func() int {
		set := c.Set()
		if set == nil {
			return -1
		}
		res := set.Compute(indicators.Query{By: indicators.ByDepartment, From: at, To: at.Add(time.Hour), Now: at})
		if len(res.Rows) != 1 || res.Rows[0].Received != 2 {
			return -2
		}
		return res.Rows[0].Closed
	}
	wait := func(want int) {
		t.Helper()
		for range 400 {
			if closed() == want {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("closed %d, want %d", closed(), want)
	}
	wait(0)
	b.want(t, BuildIndicators+"@0")
	src.write(indicators.Case{ID: 1, ReportedAt: at, Department: "police", Registered: true, Closed: true, ClosedAt: at.Add(time.Minute)})
	feed.notify(gridmap.IncidentsChannel, "")
	wait(1)
}
