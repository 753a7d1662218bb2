// Package app wires the service from its parts: the PostGIS store, the live
// grid index and the HTTP API. cmd/gridmap and the end-to-end tests build
// the same thing through it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/postgis"
)

// App is one running instance of the service.
type App struct {
	Store   *postgis.Store
	Live    *LiveIndex
	Handler http.Handler
	// Incidents keeps the incident aggregate and live events current.
	Incidents *IncidentFeed
	// API is Handler as the HTTP server it is (tokens, metrics).
	API *httpapi.Server
}

// New wires an instance on an open store. Call Run to keep its index live.
func New(st *postgis.Store, log *slog.Logger, cfg httpapi.Config) *App {
	// The builders' log lines carry their build times to /metrics.
	builds := httpapi.NewBuildTimes()
	tapped := slog.New(builds.Tap(log.Handler()))
	live := NewLiveIndex(st, tapped)
	feed := NewIncidentFeed(st, tapped)
	ref := newRefTables(st) // levels and categories in memory (fallback.go)
	plans := postgis.NewPlans(st)
	if cfg.Topology.WidthM > 0 {
		plans.Tolerances.WidthM = cfg.Topology.WidthM
	}
	if cfg.Topology.SliverM2 > 0 {
		plans.Tolerances.SliverM2 = cfg.Topology.SliverM2
	}
	h := httpapi.New(cfg, httpapi.Deps{
		Incidents: ref, Heat: feed.Aggregate, Events: feed,
		Grids:     ref,
		Logger:    log,
		Index:     live.Index,
		WaitIndex: live.WaitVersion,
		Tiles:     live,
		Plans:     plans,
		Tokens:    st,
		Stats:     httpapi.StatsSources{Pool: poolStats(st), Feed: feed.Stats, Builds: builds},
		Ready: func(ctx context.Context) map[string]string {
			checks := map[string]string{"database": "", "index": ""}
			if err := st.Ping(ctx); err != nil {
				checks["database"] = "unreachable"
			}
			if ix, _ := live.Index(); ix == nil {
				checks["index"] = "not loaded yet"
			}
			checks["incidents"], checks["change_feed"] = "", ""
			if feed.Aggregate() == nil {
				checks["incidents"] = "statistics still loading"
			} else if t := feed.Stats().LastRead; time.Since(t) > 3*pollEvery {
				checks["change_feed"] = fmt.Sprintf("statistics and events behind: the change feed last read the database %s ago", time.Since(t).Round(time.Second))
			}
			return checks
		},
	})
	return &App{Store: st, Live: live, Handler: h, Incidents: feed, API: h}
}

// poolStats reads the pool's counters for /metrics.
func poolStats(st *postgis.Store) func() httpapi.PoolStats {
	return func() httpapi.PoolStats {
		ps := st.Pool().Stat()
		return httpapi.PoolStats{
			Acquired: ps.AcquiredConns(), Idle: ps.IdleConns(), Total: ps.TotalConns(), Max: ps.MaxConns(),
			Constructing: ps.ConstructingConns(), Acquires: ps.AcquireCount(), EmptyAcquires: ps.EmptyAcquireCount(),
			CanceledAcquires: ps.CanceledAcquireCount(), NewConnections: ps.NewConnsCount(), AcquireWait: ps.AcquireDuration(),
		}
	}
}

// Run keeps the index, the incident statistics and the tokens live until
// ctx ends, all fed by one listening connection.
func (a *App) Run(ctx context.Context) {
	ln := a.Store.NewListener()
	ln.Subscribe(postgis.GridsChannel, a.Live.gridsChanged)
	ln.Subscribe(postgis.IncidentsChannel, a.Incidents.incidentsChanged)
	ln.Subscribe(postgis.TokensChannel, func(string) { a.API.TokensChanged() })
	go ln.Run(ctx)
	go a.Incidents.run(ctx)
	go a.API.WatchTokens(ctx)
	a.Live.run(ctx)
}
