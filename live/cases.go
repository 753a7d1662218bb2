package live

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/indicators"
)

// BuildIndicators: the first load of the indicators' cases.
const BuildIndicators = "indicators"

// CaseSource reads the change feed of incidents as the indicators need
// them (each case's steps summarised). Implemented by *postgis.Store.
type CaseSource interface {
	// CaseChanges calls fn, in id order, for every case written after the
	// snapshot since (every case when since is ""), and returns the
	// snapshot to pass next time.
	CaseChanges(ctx context.Context, since string, fn func(indicators.Case) error) (next string, err error)
}

// Cases keeps the indicators' set of cases (indicators.Set) of this
// instance current: it loads every case, then reads the changes whenever
// any instance writes incidents (gridmap.IncidentsChannel) and every
// PollEvery, as Incidents does for the aggregate.
type Cases struct {
	src     CaseSource
	log     *slog.Logger
	onBuild func(kind string, took time.Duration, version int64)
	set     atomic.Pointer[indicators.Set] // nil until loaded
	kick    chan struct{}
	snap    string
	win     window
	from    time.Time     // the window start of the last read: cases before it are not held
	loaded  chan struct{} // closed after the first load
}

// NewCases returns the indicators' cases over src. Call Listen with the
// change feed, then Run.
func NewCases(src CaseSource, opts Options) *Cases {
	opts = opts.withDefaults()
	return &Cases{src: src, log: opts.Logger, onBuild: opts.OnBuild, kick: make(chan struct{}, 1), loaded: make(chan struct{}),
		win: window{months: opts.CaseMonths, now: opts.Now}}
}

// Loaded is closed once the first load has finished.
func (c *Cases) Loaded() <-chan struct{} { return c.loaded }

// WindowStart returns the time the set holds cases from (the memory
// window, Options.CaseMonths), zero when it holds every one.
func (c *Cases) WindowStart() time.Time { return c.win.start() }

// Set returns the cases, or nil while the first load runs.
func (c *Cases) Set() *indicators.Set { return c.set.Load() }

// Listen has feed announce incident writes to c. Call it before feed runs.
func (c *Cases) Listen(feed gridmap.ChangeFeed) {
	feed.Subscribe(gridmap.IncidentsChannel, func(string) {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	})
}

// Run loads the cases and follows the changes until ctx ends.
func (c *Cases) Run(ctx context.Context) {
	tick := time.NewTicker(PollEvery)
	defer tick.Stop()
	for {
		if err := c.read(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("reading the cases for the indicators failed; retrying", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-tick.C:
		}
	}
}

func (c *Cases) read(ctx context.Context) error {
	set := c.set.Load()
	first := set == nil
	start := time.Now()
	// As Incidents: cases before the window are left out, and dropped
	// when the window moves on.
	from := c.win.start()
	if first {
		set = indicators.NewSet()
	} else if from.After(c.from) {
		n := set.DropBefore(from)
		c.log.Info("indicator cases: months before the window dropped", "before", from.Format(time.DateOnly), "dropped", n, "cases", set.Len())
	}
	c.from = from
	batch := make([]indicators.Case, 0, 256)
	changes := c.src.CaseChanges
	if ws, ok := c.src.(CaseWindowSource); ok && !from.IsZero() {
		changes = func(ctx context.Context, since string, fn func(indicators.Case) error) (string, error) {
			return ws.CaseChangesFrom(ctx, since, from, fn)
		}
	}
	next, err := changes(ctx, c.snap, func(k indicators.Case) error {
		if k.ReportedAt.Before(from) {
			return nil
		}
		batch = append(batch, k)
		if len(batch) == applyBatch {
			set.Apply(batch)
			batch = batch[:0]
		}
		return nil
	})
	if err != nil {
		return err
	}
	set.Apply(batch)
	c.snap = next
	if first {
		c.set.Store(set)
		close(c.loaded)
		took := time.Since(start)
		c.onBuild(BuildIndicators, took, 0)
		c.log.Info("indicator cases loaded", "cases", set.Len(), "took", took.String())
	}
	return nil
}
