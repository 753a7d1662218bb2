// Package app wires the service from its parts: the PostGIS store, the live
// grid index and the HTTP API. cmd/gridmap and the end-to-end tests build
// the same thing through it.
package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/postgis"
)

// App is one running instance of the service.
type App struct {
	Store   *postgis.Store
	Live    *LiveIndex
	Handler http.Handler
}

// New wires an instance on an open store. Call Run to keep its index live.
func New(st *postgis.Store, log *slog.Logger, cfg httpapi.Config) *App {
	live := NewLiveIndex(st, log)
	h := httpapi.New(cfg, httpapi.Deps{
		Grids:  st,
		Logger: log,
		Index:  live.Index,
		Ready: func(ctx context.Context) map[string]string {
			checks := map[string]string{"database": "", "index": ""}
			if err := st.Ping(ctx); err != nil {
				checks["database"] = "unreachable"
			}
			if ix, _ := live.Index(); ix == nil {
				checks["index"] = "not loaded yet"
			}
			return checks
		},
	})
	return &App{Store: st, Live: live, Handler: h}
}

// Run keeps the index live until ctx ends.
func (a *App) Run(ctx context.Context) { a.Live.run(ctx) }
