package live

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/heat"
	"github.com/gridmap/gridmap/indicators"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }
func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, gridmap.ChinaTime)
}

func TestWindowStart(t *testing.T) {
	for _, tc := range []struct {
		now    time.Time
		months int
		want   time.Time
	}{
		{cst(2026, 5, 15, 9), 0, time.Time{}},
		{cst(2026, 5, 15, 9), 1, cst(2026, 5, 1, 0)},
		{cst(2026, 5, 15, 9), 2, cst(2026, 4, 1, 0)},
		{cst(2026, 2, 1, 0), 3, cst(2025, 12, 1, 0)},
		// 23:30 UTC on 31 May is 1 June in China.
		{time.Date(2026, 5, 31, 23, 30, 0, 0, time.UTC), 1, cst(2026, 6, 1, 0)},
	} {
		if got := WindowStart(tc.now, tc.months); !got.Equal(tc.want) {
			t.Errorf("WindowStart(%s, %d) = %s, want %s", tc.now, tc.months, got, tc.want)
		}
	}
}

// TestIncidentsWindow: with two months in memory the aggregate loads only
// those, ignores new rows and updates of older cases (no event either),
// and drops a month when the clock crosses into the next; the indicators'
// cases do the same.
func TestIncidentsWindow(t *testing.T) {
	clock := &fakeClock{}
	clock.set(cst(2026, 5, 15, 9))
	at := func(id int64, t time.Time) gridmap.Incident {
		return gridmap.Incident{ID: id, Category: gridmap.CategoryDispute, Status: gridmap.StatusReported, GridCode: "A",
			Location: orb.Point{116.05, 35.05}, ReportedAt: t, UpdatedAt: t}
	}
	src, cases := &fakeIncidents{}, &fakeCases{}
	write := func(in gridmap.Incident) {
		src.write(in)
		cases.write(indicators.Case{ID: in.ID, ReportedAt: in.ReportedAt, Open: true})
	}
	// Ids out of time order: 4 is an old ticket imported late.
	write(at(1, cst(2026, 2, 10, 9)))
	write(at(2, cst(2026, 3, 31, 23)))
	write(at(3, cst(2026, 4, 1, 0)))
	write(at(4, cst(2026, 3, 2, 9)))
	write(at(5, cst(2026, 4, 20, 9)))
	write(at(6, cst(2026, 5, 3, 9)))
	opts := Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CaseMonths: 2, Now: clock.now}
	f := NewIncidents(src, opts)
	c := NewCases(cases, opts)
	feed := &fakeFeed{}
	f.Listen(feed)
	c.Listen(feed)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	go c.Run(ctx)
	<-f.Loaded()
	<-c.Loaded()
	if got := f.WindowStart(); !got.Equal(cst(2026, 4, 1, 0)) {
		t.Fatalf("window from %s", got)
	}
	if n := f.Aggregate().Len(); n != 3 {
		t.Fatalf("aggregate holds %d, want the 3 of April and May", n)
	}
	if n := c.Set().Len(); n != 3 {
		t.Fatalf("cases hold %d, want 3", n)
	}

	_, live, _, stop := f.Subscribe("")
	defer stop()
	old := at(1, cst(2026, 2, 10, 9))
	old.Status = gridmap.StatusClosed
	write(old)                        // an update of an old case
	write(at(7, cst(2026, 3, 15, 9))) // an old ticket imported now
	write(at(8, cst(2026, 5, 16, 9))) // a new case
	feed.notify(gridmap.IncidentsChannel, "")
	if ev := <-live; ev.ID != 8 || ev.Type != "incident" {
		t.Fatalf("event %+v, want only incident 8's", ev)
	}
	if n := f.Aggregate().Len(); n != 4 {
		t.Fatalf("aggregate holds %d after the feed, want 4", n)
	}
	waitLen := func(want int) {
		t.Helper()
		for range 400 {
			if c.Set().Len() == want {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("cases hold %d, want %d", c.Set().Len(), want)
	}
	waitLen(4)

	// June: April leaves the window.
	clock.set(cst(2026, 6, 1, 0).Add(time.Second))
	write(at(9, cst(2026, 6, 1, 0).Add(time.Second)))
	feed.notify(gridmap.IncidentsChannel, "")
	if ev := <-live; ev.ID != 9 {
		t.Fatalf("event %+v, want incident 9's", ev)
	}
	if n := f.Aggregate().Len(); n != 3 {
		t.Fatalf("aggregate holds %d in June, want May's 2 and June's 1", n)
	}
	if got := f.Aggregate().CountByGrid(heat.Filter{}).Total; got != 3 {
		t.Errorf("counts %d in June, want 3", got)
	}
	waitLen(3)
}
