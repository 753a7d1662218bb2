// Package httpapi serves gridmap over HTTP: one route table (routes.go) that
// declares every endpoint once (method, path, policy, hot path, handler,
// OpenAPI operationId) and from which the gorilla/mux router, the hot-path
// tables and the authorisation check are built; handlers that return
// errors through one adapter, application/problem+json errors. It depends
// on the root service interfaces, not on postgis.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/heat"
	"github.com/gridmap/gridmap/indicators"
	"github.com/gridmap/gridmap/report"
)

// Config holds the HTTP layer's settings.
type Config struct {
	// MaxBodyBytes bounds every request body (default 64 MiB).
	MaxBodyBytes int64
	// MaxAttachmentBytes bounds an uploaded attachment (default
	// DefaultMaxAttachmentBytes, 10 MiB; attachments.go).
	MaxAttachmentBytes int64
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
	// ReportFont is the TrueType Chinese font file of the PDF reports
	// (reports.go); "" tries report.FontCandidates.
	ReportFont string
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
	// Window returns where the memory window starts (zero, or nil: every
	// month is in memory), and Rollups reads the monthly counts of the
	// months before it (window.go).
	Window  func() time.Time
	Rollups RollupReader
	// Events is the live incident feed served as Server-Sent Events.
	Events gridmap.IncidentEvents
	// Cases stores the steps of the case loop (steps.go); nil (or nil
	// Incidents) leaves out the department, step and duplicate routes.
	Cases CaseStore
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
	// Attachments stores case attachments (attachments.go); nil leaves
	// out the attachment routes.
	Attachments gridmap.AttachmentService
	// Roster edits who serves which grid (roster.go); nil leaves out the
	// roster routes.
	Roster gridmap.RosterService
	// Worklogs stores grid workers' work logs and patrol tracks
	// (worklogs.go); nil leaves out the work log and patrol routes.
	Worklogs gridmap.WorklogService
	// Tokens are the API tokens (auth.go); nil: no token is valid.
	Tokens TokenStore
	// Indicators returns the in-memory cases of the indicators (nil while
	// they load), and Ranking reads the work days and keeps the ranking
	// rules (indicators.go); either nil leaves out the indicator and
	// ranking routes.
	Indicators func() *indicators.Set
	Ranking    RankingStore
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
	// The mounted routes of the route table (routes.go, mount), and the
	// lookups of them: by method and template (policy), by router route
	// (authorizeRoute), the hot ones without variables by method and path
	// and those with variables as patterns (dispatch).
	routes       []*route
	rules        map[routeKey]*route
	byMux        map[*mux.Route]*route
	exact        map[routeKey]*route
	patterns     []hotPattern
	tokenInQuery map[string]bool // paths whose token may come in the query
	// Incidents (incidents.go).
	incidents gridmap.IncidentService
	heat      func() *heat.Aggregate
	window    func() time.Time // window.go
	rollups   RollupReader
	events    gridmap.IncidentEvents
	cases     CaseStore             // steps.go; Open311 reads steps and departments
	fonts     *report.Fonts         // reports.go: loaded on the first PDF
	plans     *planAPI              // plans.go
	roster    gridmap.RosterService // roster.go
	// attachments: Deps.Attachments; decodeSlots bounds the uploads
	// decoded at once (attachments.go).
	attachments gridmap.AttachmentService
	decodeSlots chan struct{}
	worklogs    gridmap.WorklogService // worklogs.go
	// indicators.go
	indicators func() *indicators.Set
	ranking    RankingStore
	tokenList  TokenStore // worker names, for the roles that see people
	gridLevels levelCache // stats.go: each level's grids and their JSON

	trustState // auth.go: tokens, policy, limits, metrics (issue 7)
}

// New builds the server and mounts the routes of the route table
// (routes.go) whose dependencies d has.
func New(cfg Config, d Deps) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 64 << 20
	}
	if cfg.MaxAttachmentBytes <= 0 {
		cfg.MaxAttachmentBytes = DefaultMaxAttachmentBytes
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
	s := &Server{cfg: cfg, grids: d.Grids, log: d.Logger, ready: d.Ready, index: d.Index, waitIndex: d.WaitIndex, router: mux.NewRouter()}
	r := s.router
	r.NotFoundHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return gridmap.Errorf(gridmap.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path)
	})
	r.MethodNotAllowedHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &gridmap.Error{Code: gridmap.EINVALID, Message: "method " + r.Method + " is not allowed on " + r.URL.Path}
	})
	s.initTrust(d) // tokens, open classes, limits, metrics (auth.go)
	if d.Incidents != nil {
		s.incidents, s.heat, s.events, s.cases = d.Incidents, d.Heat, d.Events, d.Cases
		s.window, s.rollups = d.Window, d.Rollups
	}
	s.roster = d.Roster
	s.attachments, s.decodeSlots = d.Attachments, make(chan struct{}, decodeSlots)
	s.worklogs = d.Worklogs
	s.indicators, s.ranking, s.tokenList = d.Indicators, d.Ranking, d.Tokens
	s.fonts = report.NewFonts(cfg.ReportFont)
	if d.Plans != nil {
		s.plans = &planAPI{svc: d.Plans, past: d.Past}
	}
	s.mount(d, newTileAPI(s, d)) // every route, from the route table (routes.go)
	r.Use(s.authorizeRoute)
	return s
}

// Router exposes the router so other route sets can be mounted; a route
// mounted on it has no entry in the route table and is admin only.
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
