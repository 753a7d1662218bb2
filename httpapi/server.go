// Package httpapi serves gridmap over HTTP: gorilla/mux routes, handlers that
// return errors through one adapter, application/problem+json errors. It
// depends on the root service interfaces, not on postgis.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/heat"
)

// Config holds the HTTP layer's settings.
type Config struct {
	// MaxBodyBytes bounds every request body (default 64 MiB).
	MaxBodyBytes int64
	// NearBoundaryMetres: a lookup names the nearest other grid when it is
	// closer than this (default 30 m).
	NearBoundaryMetres float64
	// MaxBatchPoints bounds a lookup batch (default 1,000,000).
	MaxBatchPoints int
	// BaseMapStyleURL, when set, is a MapLibre style URL that the wall map
	// draws under its own layers (a site's own base-map tiles); empty for
	// none, as with no internet.
	BaseMapStyleURL string
	// Trust: tokens, open classes, limits, CORS (issue 7; auth.go).
	Trust TrustConfig
	// Topology: the tolerances plans are validated and published with
	// when a request names none (zero fields: gridmap.DefaultTolerances).
	Topology gridmap.Tolerances
}

// Deps are the services the handlers use.
type Deps struct {
	Grids  gridmap.GridService
	Logger *slog.Logger
	// Index returns the current grid index and its data version (nil
	// before the first build). Lookups read only this, never the database.
	Index func() (*geo.Index, int64)
	// WaitIndex waits until Index is at data version v or newer (false
	// when ctx ends first); nil: never waits.
	WaitIndex func(ctx context.Context, v int64) bool
	// Ready reports named readiness checks (name → problem, "" when fine).
	Ready func(ctx context.Context) map[string]string
	// Incidents stores and reads incidents; nil leaves out the incident,
	// statistics, heat tile and event routes.
	Incidents gridmap.IncidentService
	// Heat returns the in-memory incident aggregate (nil while it loads).
	Heat func() *heat.Aggregate
	// Events is the live incident feed served as Server-Sent Events.
	Events gridmap.IncidentEvents
	// Tiles serves the vector tiles of the current grids (tiles.go); nil
	// answers /tiles/grids with 503.
	Tiles GridTiles
	// Pages is the web-page bundle; nil for the one built into the binary
	// (static.Dist).
	Pages fs.FS
	// Plans drafts, validates and publishes boundary plans (plans.go); nil
	// leaves out the plan, history, grid edit, topology and as-of lookup routes.
	Plans gridmap.PlanService
	// Past gives the maps of past times for tiles and lookups with as_of
	// (tiles_history.go); nil answers them with 503.
	Past PastMaps
	// Tokens are the API tokens (auth.go); nil: no token is valid.
	Tokens TokenStore
	// Stats are read by /metrics (metrics.go); nil fields are left out.
	Stats StatsSources
}

// Server is the HTTP handler of gridmap. It holds no state of its own beyond
// its dependencies, so any number of instances can serve one database.
type Server struct {
	cfg   Config
	grids gridmap.GridService
	log   *slog.Logger
	ready func(ctx context.Context) map[string]string
	index func() (*geo.Index, int64)
	// waitIndex: Deps.WaitIndex.
	waitIndex func(ctx context.Context, v int64) bool
	// lookupCache holds the answer fragments for the current index.
	lookupCache atomic.Pointer[lookupFrags]
	router      *mux.Router
	exact       map[routeKey]http.Handler // see hot
	patterns    []hotPattern              // see hotVars
	// Incidents (incidents.go).
	incidents gridmap.IncidentService
	heat      func() *heat.Aggregate
	events    gridmap.IncidentEvents
	plans     *planAPI // plans.go

	trustState // auth.go: tokens, policy, limits, metrics (issue 7)
}

// New builds the routes.
func New(cfg Config, d Deps) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 64 << 20
	}
	if cfg.NearBoundaryMetres == 0 {
		cfg.NearBoundaryMetres = defaultNearBoundaryMetres
	}
	if cfg.MaxBatchPoints == 0 {
		cfg.MaxBatchPoints = defaultMaxBatchPoints
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, grids: d.Grids, log: d.Logger, ready: d.Ready, index: d.Index, waitIndex: d.WaitIndex, router: mux.NewRouter(),
		exact: map[routeKey]http.Handler{}}
	r := s.router
	r.NotFoundHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return gridmap.Errorf(gridmap.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path)
	})
	r.MethodNotAllowedHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &gridmap.Error{Code: gridmap.EINVALID, Message: "method " + r.Method + " is not allowed on " + r.URL.Path}
	})
	r.Handle("/healthz", s.handle(s.healthz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", s.handle(s.readyz)).Methods(http.MethodGet, http.MethodHead)
	api := r.PathPrefix("/api/v1").Subrouter()
	s.trustRoutes(r, api, d) // auth middleware, /metrics, /api/v1/whoami (auth.go)
	api.Handle("/grids", s.handle(s.listGrids)).Methods(http.MethodGet)
	api.Handle("/grids/{code}", s.handle(s.getGrid)).Methods(http.MethodGet)
	s.hot(api, "/api/v1", "/lookup", http.MethodGet, s.handle(s.lookup))
	s.hot(api, "/api/v1", "/lookup", http.MethodPost, s.handle(s.lookupBatch))
	s.planRoutes(api, d)
	s.incidentRoutes(r, api, d)
	s.standardRoutes(r) // OGC API – Features under /ogc, /api/v1/openapi.json (ogc.go)
	s.tileRoutes(r, d)
	return s
}

// routeKey names a route without path variables.
type routeKey struct{ method, path string }

// hot registers a variable-free route that integrators call thousands of
// times a second: on the router (so it is listed and documented like any
// other) and in an exact-match table that ServeHTTP consults first, which
// skips gorilla/mux's regexp matching and its two request copies.
func (s *Server) hot(r *mux.Router, prefix, path, method string, h http.Handler) {
	r.Handle(path, h).Methods(method)
	s.exact[routeKey{method, prefix + path}] = h
}

// hotPattern is a route prefix{a}/{b}/…suffix served past the router (hotVars).
type hotPattern struct {
	template, prefix, suffix string
	names                    []string
	methods                  []string
	h                        http.Handler
}

// hotVars registers a route with path variables, each a whole path
// segment (gorilla/mux's default), that map clients fetch by the thousand
// (tiles): on the router as any route, and as a pattern that dispatch
// matches by prefix and suffix before trying the router's regexps.
func (s *Server) hotVars(r *mux.Router, template string, h http.Handler, methods ...string) {
	r.Handle(template, h).Methods(methods...)
	open, close := strings.IndexByte(template, '{'), strings.LastIndexByte(template, '}')
	p := hotPattern{template: template, prefix: template[:open], suffix: template[close+1:], methods: methods, h: h}
	for _, seg := range strings.Split(template[open:close+1], "/") {
		p.names = append(p.names, strings.Trim(seg, "{}"))
	}
	s.patterns = append(s.patterns, p)
}

// match returns the path variables when path fits the pattern.
func (p *hotPattern) match(method, path string) (map[string]string, bool) {
	if !strings.HasPrefix(path, p.prefix) || !strings.HasSuffix(path, p.suffix) || len(path) <= len(p.prefix)+len(p.suffix) ||
		!slices.Contains(p.methods, method) {
		return nil, false
	}
	rest := path[len(p.prefix) : len(path)-len(p.suffix)]
	vars := make(map[string]string, len(p.names))
	for i, name := range p.names {
		seg := rest
		if i < len(p.names)-1 {
			j := strings.IndexByte(rest, '/')
			if j < 0 {
				return nil, false
			}
			seg, rest = rest[:j], rest[j+1:]
		} else if strings.IndexByte(rest, '/') >= 0 {
			return nil, false
		}
		if seg == "" {
			return nil, false
		}
		vars[name] = seg
	}
	return vars, true
}

// Router exposes the router so other route sets can be mounted.
func (s *Server) Router() *mux.Router { return s.router }

// ServeHTTP adds a request id, bounds the body and logs the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || len(rid) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		rid = hex.EncodeToString(b[:])
	}
	w.Header().Set("X-Request-Id", rid)
	r = r.WithContext(context.WithValue(r.Context(), ridKey{}, rid))
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	info := s.dispatch(sw, r) // security headers, CORS, token, rate limit, then the route (auth.go)
	// Successful quick requests log at debug: at tens of thousands of
	// lookups a second an info line each would cost more than the lookup.
	level, took := slog.LevelDebug, time.Since(start)
	if sw.status >= 400 || took > time.Second {
		level = slog.LevelInfo
	}
	s.log.LogAttrs(r.Context(), level, "request",
		slog.String("request_id", rid), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", sw.status), slog.Duration("duration", took),
		slog.Int64("token_id", info.principal.TokenID)) // the id only: a token's name may be a person's
	s.metrics.observe(r.Method, info.route, sw.status, took)
}

type ridKey struct{}

func requestID(ctx context.Context) string {
	s, _ := ctx.Value(ridKey{}).(string)
	return s
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: a returned error becomes problem+json.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// essentialChecks are the readiness checks without which the instance
// cannot serve its in-memory answers.
var essentialChecks = map[string]bool{"index": true, "incidents": true}

// readyz answers whether the instance should get traffic. Only the checks
// in essentialChecks (the index and the statistics, loaded at start) make
// it 503: with the database down the instance still answers lookups,
// tiles and statistics from memory, and taking every instance of a shared
// database out of rotation would stop those too; it answers 200 with
// status "degraded" naming what is down (writes answer 503 meanwhile).
// The body lists every check either way.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	checks := map[string]string{}
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks = s.ready(ctx)
	}
	status, code := "ready", http.StatusOK
	out := map[string]string{}
	for name, problem := range checks {
		out[name] = "ok"
		if problem == "" {
			continue
		}
		out[name] = problem
		if status == "ready" {
			status = "degraded"
		}
		if essentialChecks[name] {
			status, code = "unavailable", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, map[string]any{"status": status, "checks": out})
	return nil
}
