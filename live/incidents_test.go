package live

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

func incident(id int64, status gridmap.Status) gridmap.Incident {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Minute)
	return gridmap.Incident{ID: id, Category: gridmap.CategoryDispute, Status: status, GridCode: "A",
		Location: orb.Point{116.05, 35.05}, ReportedAt: at, UpdatedAt: at}
}

// TestIncidentsFollowChanges: the aggregate loads every incident, then
// takes each change the feed announces; subscribers get the new incident
// and the status change as events, and a reconnect with Last-Event-ID
// replays what it missed.
func TestIncidentsFollowChanges(t *testing.T) {
	src := &fakeIncidents{}
	src.write(incident(1, gridmap.StatusReported))
	src.write(incident(2, gridmap.StatusAccepted))
	b := newBuilds()
	f := NewIncidents(src, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnBuild: b.on})
	feed := &fakeFeed{}
	f.Listen(feed)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	go func() { f.Run(ctx); close(stopped) }()
	<-f.Loaded()
	if n := f.Aggregate().Len(); n != 2 {
		t.Fatalf("loaded %d incidents, want 2", n)
	}
	b.want(t, BuildAggregate+"@0")

	_, live, resync, stop := f.Subscribe("")
	defer stop()
	if resync {
		t.Error("a new subscription asks for a resync")
	}
	src.write(incident(3, gridmap.StatusReported))
	feed.notify(gridmap.IncidentsChannel, "")
	ev1 := <-live
	if ev1.Type != "incident" || ev1.ID != 3 || ev1.EventID == "" {
		t.Fatalf("first event %+v, want incident 3", ev1)
	}
	if n := f.Aggregate().Len(); n != 3 {
		t.Errorf("aggregate holds %d incidents after the new one, want 3", n)
	}

	src.write(incident(1, gridmap.StatusInProgress))
	feed.notify(gridmap.IncidentsChannel, "")
	ev2 := <-live
	if ev2.Type != "status" || ev2.ID != 1 || ev2.Previous != gridmap.StatusReported || ev2.Status != gridmap.StatusInProgress {
		t.Fatalf("second event %+v, want incident 1 reported → in_progress", ev2)
	}
	if st := f.Stats(); st.LastRead.IsZero() {
		t.Error("Stats: no last read")
	}

	replay, _, resync, stop2 := f.Subscribe(ev1.EventID)
	defer stop2()
	if resync || len(replay) != 1 || replay[0].EventID != ev2.EventID {
		t.Errorf("resume after the first event: replay %+v, resync %v; want the second event", replay, resync)
	}
	replay, _, resync, stop3 := f.Subscribe(ev2.EventID)
	defer stop3()
	if resync || len(replay) != 0 {
		t.Errorf("resume after the last event: replay %+v, resync %v; want nothing", replay, resync)
	}
	replay, _, resync, stop4 := f.Subscribe("0000-1")
	defer stop4()
	if !resync || len(replay) != 0 {
		t.Errorf("an id from another instance: replay %+v, resync %v; want a resync", replay, resync)
	}

	cancel()
	<-stopped
	if _, ok := <-live; ok {
		t.Error("a subscription stays open after Run ends")
	}
}
