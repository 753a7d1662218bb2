// Package app is the composition root: it wires the service from its parts
// (the PostGIS store, the live state of package live, the HTTP API) and
// does no work of its own. cmd/gridmap and the end-to-end tests build the
// same thing through it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/live"
	"github.com/gridmap/gridmap/postgis"
)

// App is one running instance of the service.
type App struct {
	Store *postgis.Store
	// Live is the current map (index and tiles) and the maps of past times.
	Live    *live.Map
	Handler http.Handler
	// Incidents keeps the incident aggregate and live events current.
	Incidents *live.Incidents
	// Cases keeps the indicators' cases current.
	Cases *live.Cases
	// API is Handler as the HTTP server it is (tokens, metrics).
	API *httpapi.Server
	// Window is the memory window it was built with.
	Window Window
}

// Window bounds the cases an instance holds in memory (issue 17).
type Window struct {
	// CaseMonths: hold the cases of the current month (China time) and the
	// CaseMonths-1 before it; 0 holds every case.
	CaseMonths int
	// RollupEvery is how often the rollups of the months before the window
	// are refreshed (default 1h); only with CaseMonths.
	RollupEvery time.Duration
	// Now is the clock the window follows (default time.Now).
	Now func() time.Time
}

// New wires an instance on an open store that holds every case in memory.
// Call Run to keep it live.
func New(st *postgis.Store, log *slog.Logger, cfg httpapi.Config) *App {
	return NewWith(st, log, cfg, Window{})
}

// NewWith is New with a memory window.
func NewWith(st *postgis.Store, log *slog.Logger, cfg httpapi.Config, win Window) *App {
	if win.RollupEvery <= 0 {
		win.RollupEvery = time.Hour
	}
	builds := httpapi.NewBuildTimes() // build times reach /metrics through OnBuild
	opts := live.Options{Logger: log, OnBuild: builds.Observe, CaseMonths: win.CaseMonths, Now: win.Now}
	m := live.NewMap(st, opts)
	feed := live.NewIncidents(st, opts)
	cases := live.NewCases(st, opts) // the indicators' cases
	ref := live.NewRefTables(st)     // levels and categories in memory
	plans := postgis.NewPlans(st)
	if cfg.Topology.WidthM > 0 {
		plans.Tolerances.WidthM = cfg.Topology.WidthM
	}
	if cfg.Topology.SliverM2 > 0 {
		plans.Tolerances.SliverM2 = cfg.Topology.SliverM2
	}
	h := httpapi.New(cfg, httpapi.Deps{
		Incidents: ref, Heat: feed.Aggregate, Events: feed, Cases: st, Roster: st,
		Window: feed.WindowStart, Rollups: st,
		Grids:     ref,
		Logger:    log,
		Index:     m.Index,
		WaitIndex: m.WaitVersion,
		Tiles:     m,
		Past:      m,
		Plans:     plans,
		Tokens:    st,
		Stats:     httpapi.StatsSources{Pool: poolStats(st), Feed: feed.Stats, Builds: builds, Replicas: replicaStats(st)},
		Ready: func(ctx context.Context) map[string]string {
			checks := map[string]string{"database": "", "index": ""}
			if err := st.Ping(ctx); err != nil {
				checks["database"] = "unreachable"
			}
			if ix, _ := m.Index(); ix == nil {
				checks["index"] = "not loaded yet"
			}
			if rs, _ := st.Replicas(); len(rs) > 0 {
				checks["read_replicas"] = replicasCheck(rs)
			}
			checks["incidents"], checks["change_feed"] = "", ""
			if feed.Aggregate() == nil {
				checks["incidents"] = "statistics still loading"
			} else if t := feed.Stats().LastRead; time.Since(t) > 3*live.PollEvery {
				checks["change_feed"] = fmt.Sprintf("statistics and events behind: the change feed last read the database %s ago", time.Since(t).Round(time.Second))
			}
			checks["indicators"] = ""
			if cases.Set() == nil {
				checks["indicators"] = "indicators still loading"
			}
			return checks
		},
		Attachments: st,
		Worklogs:    st,
		Indicators:  cases.Set,
		Ranking:     st,
	})
	return &App{Store: st, Live: m, Handler: h, Incidents: feed, Cases: cases, API: h, Window: win}
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

// replicaStats reads the read replicas for /metrics (nil without any).
func replicaStats(st *postgis.Store) func() ([]httpapi.ReplicaStats, int64) {
	if rs, _ := st.Replicas(); len(rs) == 0 {
		return nil
	}
	return func() ([]httpapi.ReplicaStats, int64) {
		rs, primary := st.Replicas()
		out := make([]httpapi.ReplicaStats, len(rs))
		for i, r := range rs {
			out[i] = httpapi.ReplicaStats{Name: r.Name, Up: r.Up, Lag: r.Lag, Reads: r.Reads}
		}
		return out, primary
	}
}

// replicasCheck says which standbys reads have left for the primary ("" when
// none). Not essential: the primary serves their reads meanwhile.
func replicasCheck(rs []postgis.ReplicaStats) string {
	var down []string
	for _, r := range rs {
		if !r.Up {
			down = append(down, r.Name+": "+r.Problem)
		}
	}
	if len(down) == 0 {
		return ""
	}
	return "reading from the primary instead of " + strings.Join(down, "; ")
}

// Run keeps the map, the incident statistics and the tokens live until
// ctx ends, all fed by one listening connection.
func (a *App) Run(ctx context.Context) {
	ln := a.Store.NewListener()
	a.Live.Listen(ln)
	a.Incidents.Listen(ln)
	a.Cases.Listen(ln)
	ln.Subscribe(postgis.TokensChannel, func(string) { a.API.TokensChanged() })
	go ln.Run(ctx)
	go a.Incidents.Run(ctx)
	go a.Cases.Run(ctx)
	go a.API.WatchTokens(ctx)
	if a.Window.CaseMonths > 0 {
		go a.Store.KeepRollups(ctx, a.Window.RollupEvery, a.Incidents.WindowStart)
	}
	a.Live.Run(ctx)
}
