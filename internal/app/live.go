package app

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/postgis"
)

// LiveIndex keeps the current geo.Index: built at start, rebuilt whenever
// the change feed reports a grid change on any instance, and swapped in
// atomically so lookups never wait and never see half an index.
type LiveIndex struct {
	store  *postgis.Store
	log    *slog.Logger
	cur    atomic.Pointer[snapshot]
	kick   chan struct{} // capacity 1: many notices coalesce into one rebuild
	loaded chan struct{} // closed after the first successful build
}

// snapshot pairs an index with the data version it was built from, so
// readers never see one without the other.
type snapshot struct {
	ix  *geo.Index
	ver int64
}

func NewLiveIndex(st *postgis.Store, log *slog.Logger) *LiveIndex {
	return &LiveIndex{store: st, log: log, kick: make(chan struct{}, 1), loaded: make(chan struct{})}
}

// Loaded is closed once the first index is built.
func (l *LiveIndex) Loaded() <-chan struct{} { return l.loaded }

// Index returns the current index and its data version; nil before the
// first build.
func (l *LiveIndex) Index() (*geo.Index, int64) {
	if s := l.cur.Load(); s != nil {
		return s.ix, s.ver
	}
	return nil, 0
}

// run rebuilds on every kick until ctx ends. The change feed kicks it once
// on (re)subscription, which also covers the initial build.
func (l *LiveIndex) run(ctx context.Context) {
	go l.store.ListenGrids(ctx, func(version int64) {
		if _, cur := l.Index(); version != 0 && version == cur {
			return
		}
		select {
		case l.kick <- struct{}{}:
		default:
		}
	})
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		case <-retry.C:
		}
		if err := l.rebuild(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("index rebuild failed; retrying", "error", err.Error())
			retry.Reset(2 * time.Second)
		}
	}
}

func (l *LiveIndex) rebuild(ctx context.Context) error {
	start := time.Now()
	grids, version, err := l.store.CurrentGrids(ctx)
	if err != nil {
		return err
	}
	if ix, cur := l.Index(); ix != nil && version == cur {
		return nil
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		return err
	}
	first := l.cur.Swap(&snapshot{ix: ix, ver: version}) == nil
	if first {
		close(l.loaded)
	}
	vertices, bytes := ix.Stats()
	l.log.Info("grid index built", "grids", ix.Len(), "vertices", vertices, "bytes", bytes,
		"data_version", version, "took", time.Since(start).String())
	return nil
}
