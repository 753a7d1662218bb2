package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/heat"
)

// Tuning of the incident feed.
const (
	// PollEvery reads the change feed even without a notice, in case one
	// was lost while the listening connection was down.
	PollEvery = 5 * time.Second
	// applyBatch rows go into the aggregate under one write lock.
	applyBatch = 16384
	// ringSize events are kept for subscribers that reconnect.
	ringSize = 4096
	// subBuffer events may wait for a slow subscriber before it is dropped.
	subBuffer = 1024
)

// Incidents keeps the in-memory incident aggregate (heat.Aggregate) of
// this instance current from the source's change reads, and fans the
// changes out to live subscribers as events (the broker). It first loads
// every incident, then reads the changes whenever any instance writes
// incidents (a notice on gridmap.IncidentsChannel) and every PollEvery, so
// every instance sees every change, whichever instance made it.
type Incidents struct {
	src     gridmap.IncidentSource
	log     *slog.Logger
	onBuild func(kind string, took time.Duration, version int64)
	agg     atomic.Pointer[heat.Aggregate] // nil until loaded
	kick    chan struct{}
	loaded  chan struct{}
	snap    string // snapshot of the last read
	win     window
	from    time.Time // the window start of the last read: rows before it are not held
	// lastRead (unix ns) is when a read last succeeded; lag (ns) how old
	// the newest change it applied was (0 when it found none): /metrics
	// and /readyz show them.
	lastRead, lag atomic.Int64

	mu       sync.Mutex
	instance string // prefix of event ids, so ids from another instance are told apart
	seq      uint64
	ring     []gridmap.IncidentEvent // the last ringSize events, oldest first
	subs     map[chan gridmap.IncidentEvent]struct{}
}

// NewIncidents returns the aggregate and broker over src. Call Listen
// with the change feed, then Run.
func NewIncidents(src gridmap.IncidentSource, opts Options) *Incidents {
	opts = opts.withDefaults()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Incidents{
		src: src, log: opts.Logger, onBuild: opts.OnBuild,
		win:      window{months: opts.CaseMonths, now: opts.Now},
		kick:     make(chan struct{}, 1),
		loaded:   make(chan struct{}),
		instance: hex.EncodeToString(b[:]),
		subs:     map[chan gridmap.IncidentEvent]struct{}{},
	}
}

// FeedStats describe the incident change feed: when it last read the
// database successfully, and how old the newest change it applied then
// was (from the row's write to its arrival in memory).
type FeedStats struct {
	LastRead time.Time
	Lag      time.Duration
}

// Stats returns when the feed last read the database and how old the
// newest change it applied then was.
func (f *Incidents) Stats() FeedStats {
	var st FeedStats
	if n := f.lastRead.Load(); n > 0 {
		st.LastRead = time.Unix(0, n)
	}
	st.Lag = time.Duration(f.lag.Load())
	return st
}

// WindowStart returns the time the aggregate holds incidents from (the
// memory window, Options.CaseMonths), zero when it holds every one.
func (f *Incidents) WindowStart() time.Time { return f.win.start() }

// Aggregate returns the aggregate, or nil while the first load runs.
func (f *Incidents) Aggregate() *heat.Aggregate { return f.agg.Load() }

// Loaded is closed once the first load is done.
func (f *Incidents) Loaded() <-chan struct{} { return f.loaded }

// Listen has feed announce incident writes (gridmap.IncidentsChannel)
// to f. Call it before feed runs.
func (f *Incidents) Listen(feed gridmap.ChangeFeed) {
	feed.Subscribe(gridmap.IncidentsChannel, f.incidentsChanged)
}

// incidentsChanged is the feed's callback for gridmap.IncidentsChannel,
// also called after every (re)subscription so the changes are read for
// anything missed.
func (f *Incidents) incidentsChanged(string) {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run loads the aggregate and follows the changes until ctx ends, then
// closes every subscription.
func (f *Incidents) Run(ctx context.Context) {
	tick := time.NewTicker(PollEvery)
	defer tick.Stop()
	defer f.closeSubs()
	for {
		if err := f.read(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("reading the incident feed failed; retrying", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		case <-tick.C:
		}
	}
}

// read applies the changes since the last read (everything the first time).
func (f *Incidents) read(ctx context.Context) error {
	agg := f.agg.Load()
	first := agg == nil
	start := time.Now()
	// Incidents reported before the window are neither added nor updated;
	// when the window moves on (a new month) the months left are dropped.
	from := f.win.start()
	if first {
		agg = heat.New()
		// Sized for every incident: only without a window.
		if n, err := f.src.CountIncidents(ctx, false); err == nil && n > 0 && from.IsZero() {
			agg.Grow(int(n) + int(n)/16)
		}
	} else if from.After(f.from) {
		n := agg.DropBefore(from)
		f.log.Info("incident aggregate: months before the window dropped", "before", from.Format(time.DateOnly), "dropped", n, "incidents", agg.Len(), "bytes", agg.Bytes())
	}
	f.from = from
	batch := make([]heat.Row, 0, 256)
	// steps holds the case steps the rows of batch were written with
	// (gridmap.StepMark.Fresh), for their "step" events.
	var steps map[int64]gridmap.StepMark
	apply := func() {
		if len(batch) == 0 {
			return
		}
		changes := agg.Apply(batch)
		if !first {
			f.publish(changes, steps)
		}
		batch = batch[:0]
		clear(steps)
	}
	var newest time.Time
	changes := f.src.IncidentChanges
	if ws, ok := f.src.(IncidentWindowSource); ok && !from.IsZero() {
		changes = func(ctx context.Context, since string, fn func(gridmap.Incident) error) (string, error) {
			return ws.IncidentChangesFrom(ctx, since, from, fn)
		}
	}
	next, err := changes(ctx, f.snap, func(in gridmap.Incident) error {
		if in.UpdatedAt.After(newest) {
			newest = in.UpdatedAt
		}
		if in.ReportedAt.Before(from) {
			return nil
		}
		batch = append(batch, heat.FromIncident(&in))
		if in.LastStep.Fresh && !first {
			if steps == nil {
				steps = map[int64]gridmap.StepMark{}
			}
			m := in.LastStep
			m.Fresh = false
			steps[in.ID] = m
		}
		if len(batch) == applyBatch {
			apply()
		}
		return nil
	})
	if err != nil {
		// What was applied stays applied; the next read from the old
		// snapshot applies it again, which updates rows to the same values.
		return err
	}
	apply()
	f.snap = next
	now := time.Now()
	f.lastRead.Store(now.UnixNano())
	if lag := now.Sub(newest); !first && !newest.IsZero() && lag > 0 {
		f.lag.Store(int64(lag))
	} else {
		f.lag.Store(0)
	}
	if first {
		f.agg.Store(agg)
		close(f.loaded)
		took := time.Since(start)
		f.onBuild(BuildAggregate, took, 0)
		f.log.Info("incident aggregate loaded", "incidents", agg.Len(), "bytes", agg.Bytes(), "took", took.String())
	}
	return nil
}

// publish turns the changes of one read into events for the subscribers:
// "incident" for a new row, "status" for a change of status, and "step"
// for a row written with a step of the case loop (steps, by id). Several
// writes to one row between two reads show as one, the last: its status
// and its newest step.
func (f *Incidents) publish(changes []heat.Change, steps map[int64]gridmap.StepMark) {
	now := time.Now().Truncate(time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range changes {
		ev := gridmap.IncidentEvent{
			ID: c.Row.ID, Category: c.Row.Category, Status: c.Row.Status,
			GridCode: c.Row.GridCode, ReportedAt: c.Row.ReportedAt, At: now,
		}
		switch {
		case c.New:
			ev.Type = "incident"
			f.send(ev)
		case c.Previous != c.Row.Status:
			ev.Type = "status"
			ev.Previous = c.Previous
			f.send(ev)
		}
		if m, ok := steps[c.Row.ID]; ok {
			ev.Type, ev.Step = "step", &m
			if !c.New {
				ev.Previous = c.Previous
			}
			f.send(ev)
		}
	}
}

// send numbers ev, keeps it in the ring and hands it to every subscriber.
// f.mu is held.
func (f *Incidents) send(ev gridmap.IncidentEvent) {
	f.seq++
	ev.EventID = f.instance + "-" + strconv.FormatUint(f.seq, 10)
	if len(f.ring) == ringSize {
		copy(f.ring, f.ring[1:])
		f.ring = f.ring[:ringSize-1]
	}
	f.ring = append(f.ring, ev)
	for ch := range f.subs {
		select {
		case ch <- ev:
		default:
			// Too slow: drop it; it reconnects and replays from the ring.
			delete(f.subs, ch)
			close(ch)
		}
	}
}

// Subscribe implements gridmap.IncidentEvents.
func (f *Incidents) Subscribe(lastEventID string) (replay []gridmap.IncidentEvent, live <-chan gridmap.IncidentEvent, resync bool, cancel func()) {
	ch := make(chan gridmap.IncidentEvent, subBuffer)
	f.mu.Lock()
	defer f.mu.Unlock()
	if lastEventID != "" {
		resync = true
		inst, n, ok := strings.Cut(lastEventID, "-")
		seq, err := strconv.ParseUint(n, 10, 64)
		if ok && err == nil && inst == f.instance && seq <= f.seq {
			first := f.seq - uint64(len(f.ring)) // seq of the event before the ring's oldest
			if seq >= first {
				resync = false
				replay = append(replay, f.ring[seq-first:]...)
			}
		}
	}
	f.subs[ch] = struct{}{}
	return replay, ch, resync, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[ch]; ok {
			delete(f.subs, ch)
			close(ch)
		}
	}
}

func (f *Incidents) closeSubs() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		delete(f.subs, ch)
		close(ch)
	}
}
