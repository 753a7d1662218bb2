package httpapi

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
)

// Authentication and authorisation (issue 7).
//
// A request carries at most one API token, "Authorization: Bearer
// gm_<id>_<secret>". Tokens live in the database hashed (gridmap.Token);
// every instance keeps them all in memory (a few hundred bytes each),
// reloaded when the database announces a change, so checking a token costs
// a map lookup and one SHA-256, never a query: lookups keep working while
// PostgreSQL is down. The secret's hash is compared in constant time.
//
// What a request may do is decided in one place: each route's rule in the
// route table (routes.go; classes and grants in auth_policy.go), checked by
// router middleware for gorilla/mux routes and by dispatch for the hot
// routes. A route without an entry is admin only.

// TrustConfig holds the settings of issue 7: who may do what without a
// token, limits, CORS. The zero value is the safe default: the read
// classes of DefaultOpen open, no rate limit, CORS closed.
type TrustConfig struct {
	// Open lists the classes open without a token; nil means DefaultOpen,
	// an empty slice none. Only read classes can be opened (ParseOpen).
	Open []Class
	// RatePerToken is the steady rate of requests a token may send, per
	// second (0: unlimited); RateBurst the burst above it (0: 2 × rate).
	RatePerToken float64
	// RatePerIP is the same for requests without a token, per client
	// address (0: unlimited).
	RatePerIP float64
	RateBurst int
	// RequestTimeout bounds every request except event streams and
	// lookups from memory: its context (and so every query it runs) ends
	// then. 0 for 60 s, negative for none.
	RequestTimeout time.Duration
	// CORSOrigins are the origins (scheme://host[:port]) whose pages may
	// call the API from a browser; "*" for any. Empty: closed.
	CORSOrigins []string
	// TrustedProxies are the reverse proxies in front (ParseProxies): a
	// request from one of them is rate-limited by the client address in
	// its X-Forwarded-For, not by the proxy's, and its absolute URLs
	// follow X-Forwarded-Proto and -Host. Empty: those headers are
	// ignored (anyone can write them).
	TrustedProxies []netip.Prefix
}

// TokenStore reads the API tokens (postgis.Store implements it).
type TokenStore interface {
	// Tokens returns every token, revoked ones included, with hashes.
	Tokens(ctx context.Context) ([]gridmap.Token, error)
}

// Principal is who sends a request: a token's holder, or anonymous (the
// zero value, Role "").
type Principal struct {
	TokenID int64
	Name    string
	Role    gridmap.Role
	// Grid scopes a reporter's personal data (a grid worker's token).
	Grid string
	// Department is a department token's department code.
	Department string
}

// Anonymous reports whether the request had no token.
func (p Principal) Anonymous() bool { return p.Role == "" }

// Actor names the principal for audit records ("token 3 (王演示07)"), ""
// when anonymous. Handlers that record who did something use it rather
// than an actor field of the body.
func (p Principal) Actor() string {
	if p.Anonymous() {
		return ""
	}
	return p.Name
}

// By is the principal as the actor of a write (incidents record it):
// the token's id and name, or "anonymous".
func (p Principal) By() gridmap.Actor {
	if p.Anonymous() {
		return gridmap.Actor{Name: "anonymous"}
	}
	return gridmap.Actor{TokenID: p.TokenID, Name: p.Name}
}

// reqInfo travels with a request in its context: who sent it and the
// route it matched (for metrics).
type reqInfo struct {
	principal Principal
	route     string
}

type infoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	i, _ := ctx.Value(infoKey{}).(*reqInfo)
	return i
}

// PrincipalFrom returns who sent the request of ctx (anonymous when none).
func PrincipalFrom(ctx context.Context) Principal {
	if i := infoFrom(ctx); i != nil {
		return i.principal
	}
	return Principal{}
}

// Metric labels of requests that matched no route.
const (
	routeUnmatched = "unmatched"
	routePreflight = "preflight"
)

// tokenCache holds every token in memory, by id.
type tokenCache struct {
	store  TokenStore
	tokens atomic.Pointer[map[int64]gridmap.Token]
	// A request with an unknown token id reloads unless a reload began
	// after it arrived (which saw every token created before): a token
	// made a moment ago, before the change feed said so, is found.
	// Misses wait for one reload at a time; after a failed one the
	// database is asked again only a second later.
	mu         sync.Mutex
	lastReload time.Time // when the last reload began
	lastErr    error
	kick       chan struct{} // capacity 1: TokensChanged to WatchTokens
}

// reload reads every token from the store and swaps them in.
func (c *tokenCache) reload(ctx context.Context) error {
	if c.store == nil {
		return nil
	}
	ts, err := c.store.Tokens(ctx)
	if err != nil {
		return err
	}
	m := make(map[int64]gridmap.Token, len(ts))
	for _, t := range ts {
		m[t.ID] = t
	}
	c.tokens.Store(&m)
	return nil
}

// get returns the token with the id, reloading on a miss (see tokenCache). err is
// EUNAVAILABLE when the token is unknown and the store cannot be read.
func (c *tokenCache) get(ctx context.Context, id int64) (gridmap.Token, bool, error) {
	if m := c.tokens.Load(); m != nil {
		if t, ok := (*m)[id]; ok {
			return t, true, nil
		}
	}
	asked := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastReload.Before(asked) && (c.lastErr == nil || time.Since(c.lastReload) > time.Second) {
		began := time.Now()
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c.lastErr = c.reload(ctx)
		cancel()
		c.lastReload = began
	}
	if m := c.tokens.Load(); m != nil {
		if t, ok := (*m)[id]; ok {
			return t, true, nil
		}
	}
	if c.lastErr != nil {
		return gridmap.Token{}, false, &gridmap.Error{Code: gridmap.EUNAVAILABLE,
			Message: "the token cannot be checked while the database is unreachable; try again shortly"}
	}
	return gridmap.Token{}, false, nil
}

// ReloadTokens reads the tokens from the store now.
func (s *Server) ReloadTokens(ctx context.Context) error { return s.tokens.reload(ctx) }

// TokensChanged asks WatchTokens to reload the tokens: call it on every
// change to them and after every (re)subscription to the change feed (such
// as postgis.TokensChannel), so changes missed meanwhile are caught up.
// It never blocks; calls made while a reload is pending coalesce.
func (s *Server) TokensChanged() {
	select {
	case s.tokens.kick <- struct{}{}:
	default:
	}
}

// WatchTokens keeps the tokens current until ctx ends: each TokensChanged
// reloads them (failed reloads retry).
func (s *Server) WatchTokens(ctx context.Context) {
	kick := s.tokens.kick
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-retry.C:
		}
		if err := s.ReloadTokens(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reloading API tokens failed; retrying", "error", err.Error())
			retry.Reset(2 * time.Second)
		}
	}
}

func unauthorized(msg string) error {
	return &gridmap.Error{Code: gridmap.EUNAUTHORIZED, Message: msg}
}

// authenticate finds who sent r: anonymous without an Authorization
// header, the token's holder with a valid one. A header that is there but
// wrong is EUNAUTHORIZED, never anonymous: a client with a mistyped token
// should learn so, not get less than it asked for.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	h := r.Header.Get("Authorization")
	what := "bearer token"
	if h == "" && isOpen311(r.URL.Path) {
		// Open311 clients send the token as api_key (open311_post.go).
		key, err := open311APIKey(r)
		if err != nil || key == "" {
			return Principal{}, err
		}
		h, what = "Bearer "+key, "api_key"
	}
	if h == "" {
		// EventSource cannot set headers: the event stream also takes
		// the token as ?access_token= (rule.tokenInQuery; the request log
		// shows no query).
		if r.URL.RawQuery != "" && s.tokenInQuery[r.URL.Path] {
			h = r.URL.Query().Get("access_token")
			if h == "" {
				return Principal{}, nil
			}
			h = "Bearer " + h
		} else {
			return Principal{}, nil
		}
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, unauthorized("the Authorization header must be \"Bearer <token>\" with a token from `gridmap token create`")
	}
	id, secret, ok := gridmap.ParseToken(strings.TrimSpace(tok))
	if !ok {
		return Principal{}, unauthorized("the " + what + " is not a gridmap token (gm_…); create one with `gridmap token create`")
	}
	t, found, err := s.tokens.get(r.Context(), id)
	if err != nil {
		return Principal{}, err
	}
	if !found {
		return Principal{}, unauthorized("the " + what + " is unknown or revoked")
	}
	if subtle.ConstantTimeCompare(gridmap.HashTokenSecret(secret), t.Hash) != 1 || t.RevokedAt != nil {
		return Principal{}, unauthorized("the " + what + " is unknown or revoked")
	}
	return Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Grid: t.Grid, Department: t.Department}, nil
}

// authorize checks the principal against the class of the route's rule.
// Errors: EUNAUTHORIZED (a token is needed), EFORBIDDEN (the token's role
// may not).
func (s *Server) authorize(r *http.Request, p Principal, ru rule) error {
	c := ru.classOf(r)
	switch {
	case c == ClassPublic, p.Role == gridmap.RoleAdmin:
		return nil
	case p.Anonymous():
		if s.open[c] {
			return nil
		}
		return unauthorized("this endpoint needs a token: send Authorization: Bearer <token> (see `gridmap token create`)")
	}
	for _, g := range grants[p.Role] {
		if g == c {
			return nil
		}
	}
	return gridmap.Errorf(gridmap.EFORBIDDEN, "the %s role may not use this endpoint (%s %s: %s)", p.Role, r.Method, r.URL.Path, c)
}

// deny writes an authentication or authorisation error.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, err error) {
	if gridmap.ErrorCode(err) == gridmap.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridmap"`)
	}
	s.metrics.authDenied(gridmap.ErrorCode(err))
	s.writeError(w, r, err)
}

// routeOfMux returns the table's entry of a gorilla/mux route; a route
// mounted on Router() outside the table gets one that is admin only.
func (s *Server) routeOfMux(mr *mux.Route) *route {
	if rt, ok := s.byMux[mr]; ok {
		return rt
	}
	tmpl, err := mr.GetPathTemplate()
	if err != nil {
		tmpl = routeUnmatched
	}
	return &route{tmpl: NormalizeTemplate(tmpl), rule: adminOnly}
}

// authorizeRoute is the router middleware: every gorilla/mux route passes
// the policy here, gets its page headers and its request timeout.
func (s *Server) authorizeRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoFrom(r.Context())
		if info == nil { // the router served without ServeHTTP: anonymous
			info = &reqInfo{}
			r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		}
		mr := mux.CurrentRoute(r)
		if mr == nil {
			s.deny(w, r, gridmap.Errorf(gridmap.EFORBIDDEN, "no route"))
			return
		}
		rt := s.routeOfMux(mr)
		info.route = rt.tmpl
		if rt.page {
			s.pageHeaders(w.Header())
		}
		if err := s.authorize(r, info.principal, rt.rule); err != nil {
			s.deny(w, r, err)
			return
		}
		if err := checkInput(r, mux.Vars(r), &rt.rule, rt.tmpl); err != nil {
			s.writeError(w, r, err)
			return
		}
		if s.timeout > 0 && !rt.stream {
			ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// dispatch serves a request past the security headers, CORS, the token
// check and the rate limit: the route table's hot routes from the
// exact-match table (lookups) or the patterns (tiles), both authorised
// here, any other through the router (authorised by authorizeRoute).
// It returns the request's info for the log and metrics.
func (s *Server) dispatch(w *statusWriter, r *http.Request) *reqInfo {
	info := &reqInfo{route: routeUnmatched}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	s.securityHeaders(w.Header())
	if s.cors(w, r) {
		info.route = routePreflight
		return info
	}
	p, err := s.authenticate(r)
	if err != nil {
		s.deny(w, r, err)
		return info
	}
	info.principal = p
	if err := s.limiter.allow(w, r, p); err != nil {
		s.writeError(w, r, err)
		return info
	}
	if rt, ok := s.exact[routeKey{r.Method, r.URL.Path}]; ok {
		info.route = rt.tmpl
		if err := s.authorize(r, p, rt.rule); err != nil {
			s.deny(w, r, err)
			return info
		}
		if err := checkInput(r, nil, &rt.rule, rt.tmpl); err != nil {
			s.writeError(w, r, err)
			return info
		}
		rt.h.ServeHTTP(w, r)
		return info
	}
	for i := range s.patterns {
		pt := &s.patterns[i]
		vars, ok := pt.match(r.Method, r.URL.Path)
		if !ok {
			continue
		}
		rt := pt.rt
		info.route = rt.tmpl
		if err := s.authorize(r, p, rt.rule); err != nil {
			s.deny(w, r, err)
			return info
		}
		if err := checkInput(r, vars, &rt.rule, rt.tmpl); err != nil {
			s.writeError(w, r, err)
			return info
		}
		rt.h.ServeHTTP(w, mux.SetURLVars(r, vars))
		return info
	}
	s.router.ServeHTTP(w, r)
	return info
}

// whoami answers who the token is and what it may do, for pages deciding
// what to offer: {"authenticated","role","name","token_id","grid","department","open",
// "can":{class: bool}}.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalFrom(r.Context())
	can := map[Class]bool{}
	for _, c := range []Class{ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics, ClassReport, ClassPlan, ClassCase, ClassDispatch, ClassAdmin} {
		can[c] = s.authorize(r, p, rule{class: c}) == nil
	}
	open := []Class{}
	for _, c := range openable {
		if s.open[c] {
			open = append(open, c)
		}
	}
	out := map[string]any{"authenticated": !p.Anonymous(), "role": nil, "open": open, "can": can,
		"personal_data": s.memberView(r) == viewFull}
	if !p.Anonymous() {
		out["role"], out["name"], out["token_id"] = p.Role, p.Name, p.TokenID
		if p.Grid != "" {
			out["grid"] = p.Grid
		}
		if p.Department != "" {
			out["department"] = p.Department
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// initTrust sets up issue 7: tokens, open classes, the request timeout,
// limits, CORS, metrics and the page CSP.
func (s *Server) initTrust(d Deps) {
	cfg := s.cfg.Trust
	s.tokens = &tokenCache{store: d.Tokens, kick: make(chan struct{}, 1)}
	s.open = map[Class]bool{}
	open := cfg.Open
	if open == nil {
		open = DefaultOpen
	}
	for _, c := range open {
		if isOpenable(c) {
			s.open[c] = true
		}
	}
	switch {
	case cfg.RequestTimeout == 0:
		s.timeout = 60 * time.Second
	case cfg.RequestTimeout > 0:
		s.timeout = cfg.RequestTimeout
	}
	s.limiter = newLimiter(cfg)
	s.corsOrigins = cfg.CORSOrigins
	s.metrics = newMetrics(s, d)
	s.csp = pageCSP(s.cfg.BaseMapStyleURL)
}

// trustState is the Server's issue 7 state, embedded in Server.
type trustState struct {
	tokens      *tokenCache
	open        map[Class]bool
	timeout     time.Duration
	limiter     *limiter
	corsOrigins []string
	metrics     *metrics
	csp         string
}
