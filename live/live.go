// Package live owns one instance's live state: the current map (the grid
// index and the tile set of one data version, swapped in atomically), the
// maps of past times for as_of (one LRU, one loading path, one answer
// type, Past), the in-memory incident aggregate with its event broker, and
// the reference tables kept in memory. All of it is kept current by one
// change feed (gridmap.ChangeFeed) and read from small root interfaces
// (gridmap.GridSource, gridmap.IncidentSource), which postgis implements;
// live imports neither postgis nor httpapi, and its tests run on fakes.
package live

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/indicators"
)

// What Options.OnBuild reports.
const (
	// BuildIndex: the grids of a data version loaded and indexed.
	BuildIndex = "index"
	// BuildTiles: the tile set of the current grids built.
	BuildTiles = "tiles"
	// BuildAggregate: the first load of the incident aggregate.
	BuildAggregate = "aggregate"
)

// Options are the settings of Map and Incidents. Zero values are defaults.
type Options struct {
	// Logger receives the build and failure lines (default slog.Default()).
	Logger *slog.Logger
	// OnBuild, when set, is called after each build of kind BuildIndex,
	// BuildTiles or BuildAggregate with how long it took and the data
	// version built (0 for the aggregate). /metrics reads it.
	OnBuild func(kind string, took time.Duration, version int64)
	// PastMaps is how many maps of past times (as_of) are kept, least
	// recently used out first (default 4; a street's is a few hundred kB).
	PastMaps int
	// PastTileBytes bounds the cache of past maps' tiles (default 32 MiB).
	PastTileBytes int64
	// CaseMonths, when > 0, bounds the cases held in memory (Incidents'
	// aggregate, Cases' set) to those reported in the current month (China
	// time) and the CaseMonths-1 before it (WindowStart); 0 holds every
	// case. Older months are answered from rollups (see httpapi).
	CaseMonths int
	// Now is the clock the window follows (default time.Now); tests move
	// it across a month.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.OnBuild == nil {
		o.OnBuild = func(string, time.Duration, int64) {}
	}
	if o.PastMaps <= 0 {
		o.PastMaps = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PastTileBytes <= 0 {
		o.PastTileBytes = 32 << 20
	}
	return o
}

// WindowStart returns the first instant of the window of months cases are
// held in memory for at now: 00:00 China time on the first day of the
// month months-1 before now's. Zero (every month) when months is 0 or less.
func WindowStart(now time.Time, months int) time.Time {
	if months <= 0 {
		return time.Time{}
	}
	c := now.In(gridmap.ChinaTime)
	return time.Date(c.Year(), c.Month()-time.Month(months-1), 1, 0, 0, 0, 0, gridmap.ChinaTime)
}

// IncidentWindowSource is a gridmap.IncidentSource that can leave out, in
// the database, the incidents reported before a time: with a window, the
// loads and changes are read through it (monthly partitions are then
// pruned). Implemented by *postgis.Store.
type IncidentWindowSource interface {
	IncidentChangesFrom(ctx context.Context, since string, from time.Time, fn func(gridmap.Incident) error) (next string, err error)
}

// CaseWindowSource is the same for a CaseSource.
type CaseWindowSource interface {
	CaseChangesFrom(ctx context.Context, since string, from time.Time, fn func(indicators.Case) error) (next string, err error)
}

// window is the memory window of Incidents and Cases: the start they
// hold cases from, following the clock.
type window struct {
	months int
	now    func() time.Time
}

// start returns the window's start now (zero without a window).
func (w window) start() time.Time { return WindowStart(w.now(), w.months) }
