package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/postgis"
)

// Issue 7: tokens, roles, the policy table, limits, CORS, headers, metrics.

// asAdmin lets requests without an Authorization header act with an admin
// token, so the end-to-end tests written before authentication (instance)
// keep exercising every route; the tests of this file use authInstance,
// where no request is helped. Lookups stay anonymous, as integrators and
// the wall map send them (open by default): their answers then show no
// member contacts, which the lookup tests check.
func asAdmin(tb testing.TB, st *postgis.Store, h http.Handler) http.Handler {
	tb.Helper()
	tok, _, err := st.CreateToken(context.Background(), "end-to-end tests", gridmap.RoleAdmin, "")
	if err != nil {
		tb.Fatalf("creating the test admin token: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && r.URL.Path != "/api/v1/lookup" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		h.ServeHTTP(w, r)
	})
}

// syncBuffer is a log sink for a concurrently logging server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// authInstance starts a server on the database at url as `gridmap serve`
// wires it (no request acts as anyone it is not), logging JSON at debug
// level into the returned buffer.
func authInstance(tb testing.TB, url string, cfg httpapi.Config) (*httptest.Server, *app.App, *syncBuffer) {
	tb.Helper()
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	logs := &syncBuffer{}
	a := app.New(st, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go a.Run(ctx)
	srv := httptest.NewServer(a.Handler)
	tb.Cleanup(func() { srv.Close(); cancel(); st.Close() })
	for _, ch := range []<-chan struct{}{a.Live.Loaded(), a.Incidents.Loaded(), a.Cases.Loaded()} {
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			tb.Fatal("index, incident statistics or indicator cases not loaded within 30 s")
		}
	}
	return srv, a, logs
}

// mint creates a token with the role (and grid scope).
func mint(tb testing.TB, a *app.App, role gridmap.Role, name, grid string) string {
	tb.Helper()
	tok, _, err := a.Store.CreateToken(context.Background(), name, role, grid)
	if err != nil {
		tb.Fatalf("creating a %s token: %v", role, err)
	}
	return tok
}

// do sends a request with an optional bearer token and body, and returns
// the answer with its body read.
func do(tb testing.TB, method, url, token, ctype, body string) (*http.Response, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestAuthPolicyCoversEveryRoute walks the router of a fully wired server
// and fails naming every route (method and template) that the route table
// of httpapi/routes.go does not name: such a route is admin only.
func TestAuthPolicyCoversEveryRoute(t *testing.T) {
	_, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	var missing, seen []string
	for _, rt := range walkRoutes(t, a.API.Router(), "ANY") {
		seen = append(seen, rt.method+" "+rt.tmpl)
		check := rt.method
		if check == "ANY" {
			check = http.MethodGet
		}
		if _, ok := a.API.PolicyFor(check, rt.tmpl); !ok {
			missing = append(missing, rt.method+" "+httpapi.NormalizeTemplate(rt.tmpl))
		}
	}
	if len(seen) < 30 {
		t.Fatalf("only %d routes found: is the router walk broken? %v", len(seen), seen)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%d routes have no entry in the route table of httpapi/routes.go, so only admins may use them; "+
			"declare each there with its class (public, boundaries, tiles, aggregates, lookups, incidents, plans, metrics, report, plan, admin):\n\t%s",
			len(missing), strings.Join(missing, "\n\t"))
	}
}

// TestAuthRoles sends a request of every endpoint class as each role and
// checks the answer: allowed (the endpoint's own status), 401 without a
// token where one is needed, 403 for a role that may not.
func TestAuthRoles(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	lon, lat := ftoa(pt[0]), ftoa(pt[1])
	admin := mint(t, a, gridmap.RoleAdmin, "admin", "")
	tokens := map[string]string{
		"anonymous": "",
		"viewer":    mint(t, a, gridmap.RoleViewer, "viewer", ""),
		"reporter":  mint(t, a, gridmap.RoleReporter, "reporter", ""),
		"planner":   mint(t, a, gridmap.RolePlanner, "planner", ""),
		"admin":     admin,
	}
	roles := []string{"anonymous", "viewer", "reporter", "planner", "admin"}

	// An incident and a plan to work on.
	resp, body := do(t, "POST", srv.URL+"/api/v1/incidents", admin, "application/json", mustJSON(t, incident("AUTH-0", pt, "dispute")))
	if resp.StatusCode != 201 {
		t.Fatalf("posting an incident as admin: %d %s", resp.StatusCode, body)
	}
	var inc struct{ ID int64 }
	_ = json.Unmarshal(body, &inc)
	incPath := "/api/v1/incidents/" + strconv.FormatInt(inc.ID, 10)
	resp, body = do(t, "POST", srv.URL+"/api/v1/plans", admin, "application/json", `{"title":"auth test"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("creating a plan as admin: %d %s", resp.StatusCode, body)
	}
	var plan struct{ ID int64 }
	_ = json.Unmarshal(body, &plan)
	planPath := "/api/v1/plans/" + strconv.FormatInt(plan.ID, 10)

	// allowed lists the roles that may use a class (DefaultOpen makes
	// boundaries, tiles, aggregates and lookups open to anonymous).
	everyone := []string{"anonymous", "viewer", "reporter", "planner", "admin"}
	tokenHolders := []string{"viewer", "reporter", "planner", "admin"}
	cases := []struct {
		class        string
		method, path string
		ctype        string
		body         func(role string) string
		ok           int // the status when allowed
		allowed      []string
	}{
		{"public", "GET", "/healthz", "", nil, 200, everyone},
		{"public", "GET", "/api/v1/categories", "", nil, 200, everyone},
		{"public", "GET", "/api/v1/openapi.json", "", nil, 200, everyone},
		{"public", "GET", "/ogc/collections", "", nil, 200, everyone},
		{"boundaries", "GET", "/api/v1/grids?level=village&limit=2", "", nil, 200, everyone},
		{"boundaries", "GET", "/api/v1/grids/37081200100101", "", nil, 200, everyone},
		{"boundaries", "GET", "/ogc/collections/grids-micro/items?limit=2", "", nil, 200, everyone},
		{"tiles", "GET", "/tiles/grids.json", "", nil, 200, everyone},
		{"aggregates", "GET", "/api/v1/stats/grids?level=village", "", nil, 200, everyone},
		{"aggregates", "GET", "/ogc/collections/incident-counts-village/items?limit=2", "", nil, 200, everyone},
		{"lookups", "GET", "/api/v1/lookup?lon=" + lon + "&lat=" + lat, "", nil, 200, everyone},
		{"lookups", "POST", "/api/v1/lookup", "application/json", func(string) string { return `{"points":[[` + lon + `,` + lat + `]]}` }, 200, everyone},
		{"incidents", "GET", "/api/v1/incidents?limit=2", "", nil, 200, tokenHolders},
		{"incidents", "GET", incPath, "", nil, 200, tokenHolders},
		{"plans", "GET", "/api/v1/plans", "", nil, 200, tokenHolders},
		{"plans", "GET", planPath, "", nil, 200, tokenHolders},
		{"plans", "GET", "/api/v1/topology?level=micro", "", nil, 200, tokenHolders},
		{"metrics", "GET", "/metrics", "", nil, 200, tokenHolders},
		{"report", "POST", "/api/v1/incidents", "application/json", func(role string) string {
			return mustJSON(t, incident("AUTH-"+role, pt, "hazard"))
		}, 201, []string{"reporter", "admin"}},
		{"report", "PATCH", incPath, "application/json", func(string) string { return `{"department":"综治中心"}` }, 200, []string{"reporter", "admin"}},
		{"plan", "POST", "/api/v1/plans", "application/json", func(role string) string { return `{"title":"by ` + role + `"}` }, 201, []string{"planner", "admin"}},
		{"plan", "POST", planPath + "/changes", "application/json", func(string) string {
			return `{"kind":"replace","code":"37081200100101","name":"改名演示"}`
		}, 200, []string{"planner", "admin"}},
		{"plan", "DELETE", "/api/v1/plans/999999/changes/1", "", nil, 404, []string{"planner", "admin"}},
		{"plan", "POST", "/api/v1/plans/999999/publish", "application/json", func(string) string { return `{}` }, 404, []string{"planner", "admin"}},
		{"plan", "PATCH", "/api/v1/grids/37081200100102", "application/json", func(string) string { return `{"name":"x"}` }, 400, []string{"planner", "admin"}},
	}
	for _, c := range cases {
		for _, role := range roles {
			t.Run(c.class+"/"+c.method+" "+strings.SplitN(c.path, "?", 2)[0]+"/"+role, func(t *testing.T) {
				body := ""
				if c.body != nil {
					body = c.body(role)
				}
				resp, got := do(t, c.method, srv.URL+c.path, tokens[role], c.ctype, body)
				want := c.ok
				if !slices.Contains(c.allowed, role) {
					want = http.StatusForbidden
					if role == "anonymous" {
						want = http.StatusUnauthorized
					}
				}
				if resp.StatusCode != want {
					t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, want, got)
				}
				if want == 401 || want == 403 {
					if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
						t.Errorf("content type %q, want application/problem+json", ct)
					}
					if want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("401 without WWW-Authenticate: Bearer")
					}
				}
			})
		}
	}

	// A route nobody gave a rule is admin only.
	a.API.Router().Handle("/unlisted", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})).Methods("GET")
	for role, want := range map[string]int{"anonymous": 401, "viewer": 403, "reporter": 403, "planner": 403, "admin": 200} {
		if resp, _ := do(t, "GET", srv.URL+"/unlisted", tokens[role], "", ""); resp.StatusCode != want {
			t.Errorf("GET /unlisted as %s: %d, want %d (a route without a rule is admin only)", role, resp.StatusCode, want)
		}
	}

	// whoami says who and what.
	var who struct {
		Authenticated bool
		Role          string
		Can           map[string]bool
		Open          []string
	}
	_, b := do(t, "GET", srv.URL+"/api/v1/whoami", tokens["planner"], "", "")
	if err := json.Unmarshal(b, &who); err != nil || !who.Authenticated || who.Role != "planner" || !who.Can["plan"] || who.Can["report"] {
		t.Errorf("whoami as planner: %s", b)
	}
	_, b = do(t, "GET", srv.URL+"/api/v1/whoami", "", "", "")
	if err := json.Unmarshal(b, &who); err != nil || who.Authenticated || who.Can["incidents"] || !who.Can["lookups"] || len(who.Open) != 4 {
		t.Errorf("whoami anonymous: %s", b)
	}
}

// TestAuthTokens checks bad, unknown, revoked and fresh tokens, and that
// the database holds no token in plain text.
func TestAuthTokens(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	viewer := mint(t, a, gridmap.RoleViewer, "viewer", "")
	id, secret, ok := gridmap.ParseToken(viewer)
	if !ok {
		t.Fatalf("token %q does not parse", viewer)
	}
	list := srv.URL + "/api/v1/incidents?limit=1"
	for name, header := range map[string]string{
		"not bearer":    "Basic " + viewer,
		"not a token":   "Bearer hello",
		"unknown id":    "Bearer " + gridmap.FormatToken(id+1000, secret),
		"wrong secret":  "Bearer " + gridmap.FormatToken(id, strings.Repeat("A", 43)),
		"empty bearer":  "Bearer ",
		"token twice":   "Bearer " + viewer + viewer,
		"trailing junk": "Bearer " + viewer + "x",
	} {
		req, _ := http.NewRequest("GET", list, nil)
		req.Header.Set("Authorization", header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p problem
		_ = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		wantProblem(t, resp, p, 401)
		if strings.Contains(p.Detail, secret) {
			t.Errorf("%s: the answer echoes the secret", name)
		}
		// A bad token is refused even where no token is needed.
		req, _ = http.NewRequest("GET", srv.URL+"/api/v1/grids?limit=1", nil)
		req.Header.Set("Authorization", header)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
			t.Errorf("%s on an open route: %v %v, want 401", name, resp.StatusCode, err)
		}
	}
	if resp, _ := do(t, "GET", list, viewer, "", ""); resp.StatusCode != 200 {
		t.Fatalf("a fresh viewer token: %d", resp.StatusCode)
	}

	// Only hashes are stored.
	var rows []string
	r, err := a.Store.Pool().Query(context.Background(), `SELECT row_to_json(t)::text FROM api_token t`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, s)
	}
	if all := strings.Join(rows, "\n"); strings.Contains(all, secret) || strings.Contains(all, viewer) || len(rows) == 0 {
		t.Errorf("api_token holds the token or its secret in plain text:\n%s", all)
	}

	// Revoked: every instance refuses it once the change feed tells it.
	if _, err := a.Store.RevokeToken(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := do(t, "GET", list, viewer, "", "")
		if resp.StatusCode == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a revoked token still answers %d after 10 s", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAuthOpenClasses: GRIDMAP_OPEN=none closes everything but the public
// class; opening incidents lets anonymous read listings but no personal data.
func TestAuthOpenClasses(t *testing.T) {
	url := demoDB(t)
	closed, a, _ := authInstance(t, url, httpapi.Config{Trust: httpapi.TrustConfig{Open: []httpapi.Class{}}})
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	q := "?lon=" + ftoa(pt[0]) + "&lat=" + ftoa(pt[1])
	for _, p := range []string{"/api/v1/lookup" + q, "/api/v1/grids?limit=1", "/tiles/grids.json", "/api/v1/stats/grids?level=micro", "/ogc/collections/grids-micro/items"} {
		if resp, _ := do(t, "GET", closed.URL+p, "", "", ""); resp.StatusCode != 401 {
			t.Errorf("GRIDMAP_OPEN=none: GET %s without a token answers %d, want 401", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/healthz", "/api/v1/categories", "/api/v1/whoami"} {
		if resp, _ := do(t, "GET", closed.URL+p, "", "", ""); resp.StatusCode != 200 {
			t.Errorf("GRIDMAP_OPEN=none: GET %s answers %d, want 200 (always open)", p, resp.StatusCode)
		}
	}
	viewer := mint(t, a, gridmap.RoleViewer, "viewer", "")
	if resp, _ := do(t, "GET", closed.URL+"/api/v1/lookup"+q, viewer, "", ""); resp.StatusCode != 200 {
		t.Errorf("GRIDMAP_OPEN=none: a viewer's lookup answers %d", resp.StatusCode)
	}

	open, b, _ := authInstance(t, url, httpapi.Config{Trust: httpapi.TrustConfig{Open: []httpapi.Class{httpapi.ClassIncidents}}})
	admin := mint(t, b, gridmap.RoleAdmin, "admin", "")
	resp, body := do(t, "POST", open.URL+"/api/v1/incidents", admin, "application/json", mustJSON(t, incident("OPEN-1", pt, "dispute")))
	if resp.StatusCode != 201 {
		t.Fatalf("post: %d %s", resp.StatusCode, body)
	}
	var inc struct{ ID int64 }
	_ = json.Unmarshal(body, &inc)
	resp, body = do(t, "GET", open.URL+"/api/v1/incidents/"+strconv.FormatInt(inc.ID, 10), "", "", "")
	if resp.StatusCode != 200 || bytes.Contains(body, []byte("李演示")) || bytes.Contains(body, []byte("9999")) || bytes.Contains(body, []byte("楼道")) {
		t.Errorf("open incidents, anonymous: %d %s, want 200 without personal data", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", open.URL+"/api/v1/lookup"+q, "", "", ""); resp.StatusCode != 401 {
		t.Errorf("GRIDMAP_OPEN=incidents: an anonymous lookup answers %d, want 401", resp.StatusCode)
	}
	if _, err := httpapi.ParseOpen("boundaries,report"); err == nil {
		t.Error("ParseOpen accepted a write class")
	}
}

// TestLimitRate: past its rate a token, or a client address without one,
// gets 429 problem+json with Retry-After; other tokens are not affected.
func TestLimitRate(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{Trust: httpapi.TrustConfig{RatePerToken: 2, RatePerIP: 1, RateBurst: 5}})
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	u := srv.URL + "/api/v1/lookup?lon=" + ftoa(pt[0]) + "&lat=" + ftoa(pt[1])
	burst := func(token string) (ok, limited int) {
		for range 12 {
			resp, b := do(t, "GET", u, token, "", "")
			switch resp.StatusCode {
			case 200:
				ok++
			case 429:
				limited++
				var p problem
				_ = json.Unmarshal(b, &p)
				wantProblem(t, resp, p, 429)
				if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
					t.Errorf("429 with Retry-After %q", resp.Header.Get("Retry-After"))
				}
			default:
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
		return ok, limited
	}
	if ok, limited := burst(""); ok < 5 || ok > 7 || limited == 0 {
		t.Errorf("anonymous: %d answered, %d limited; want the burst of 5 (and a little refill), then 429", ok, limited)
	}
	viewerA := mint(t, a, gridmap.RoleViewer, "a", "")
	viewerB := mint(t, a, gridmap.RoleViewer, "b", "")
	if ok, limited := burst(viewerA); ok < 5 || ok > 8 || limited == 0 {
		t.Errorf("token a: %d answered, %d limited", ok, limited)
	}
	if ok, _ := burst(viewerB); ok < 5 {
		t.Errorf("token b answered only %d: another token's limit leaked", ok)
	}
	for range 20 {
		if resp, _ := do(t, "GET", srv.URL+"/healthz", "", "", ""); resp.StatusCode != 200 {
			t.Fatalf("/healthz is rate limited: %d", resp.StatusCode)
		}
	}
}

// TestLimitRateBehindProxy: behind a trusted reverse proxy each client
// (X-Forwarded-For) has its own bucket; the header from anyone else is
// ignored, so it cannot be used to dodge the limit.
func TestLimitRateBehindProxy(t *testing.T) {
	limited := func(cfg httpapi.TrustConfig, xff func(i int) string) int {
		cfg.RatePerIP, cfg.RateBurst = 1, 3
		srv, _, _ := authInstance(t, demoDB(t), httpapi.Config{Trust: cfg})
		n := 0
		for i := range 12 {
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/categories", nil)
			req.Header.Set("X-Forwarded-For", xff(i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 429 {
				n++
			}
		}
		return n
	}
	proxies, _ := httpapi.ParseProxies("127.0.0.1")
	perClient := func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }
	if n := limited(httpapi.TrustConfig{TrustedProxies: proxies}, perClient); n != 0 {
		t.Errorf("12 clients behind a trusted proxy, one request each: %d limited, want 0", n)
	}
	if n := limited(httpapi.TrustConfig{TrustedProxies: proxies}, func(int) string { return "203.0.113.1" }); n == 0 {
		t.Error("one client behind a trusted proxy sending 12 requests was never limited")
	}
	if n := limited(httpapi.TrustConfig{}, perClient); n == 0 {
		t.Error("X-Forwarded-For from an untrusted peer dodged the limit")
	}
}

// TestSecurityHeaders: pages get the page CSP (self, blob: workers), API
// answers a CSP that allows nothing, everything nosniff.
func TestSecurityHeaders(t *testing.T) {
	srv, _, _ := authInstance(t, demoDB(t), httpapi.Config{BaseMapStyleURL: "https://tiles.example.cn/styles/base.json"})
	resp, _ := do(t, "GET", srv.URL+"/", "", "", "")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self';", "worker-src 'self' blob:", "object-src 'none'",
		"connect-src 'self' https://tiles.example.cn", "frame-ancestors 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("page CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("page CSP allows unsafe sources: %q", csp)
	}
	for _, p := range []string{"/", "/api/v1/grids?limit=1", "/api/v1/nope"} {
		resp, _ := do(t, "GET", srv.URL+p, "", "", "")
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: missing nosniff or Referrer-Policy", p)
		}
	}
	resp, _ = do(t, "GET", srv.URL+"/api/v1/grids?limit=1", "", "", "")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("API CSP %q, want default-src 'none'", csp)
	}
}

// TestCORS: closed by default; configured origins get the headers and
// their preflights answered, others nothing.
func TestCORS(t *testing.T) {
	url := demoDB(t)
	preflight := func(base, origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", base+"/api/v1/incidents", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	simple := func(base, origin string) *http.Response {
		req, _ := http.NewRequest("GET", base+"/api/v1/grids?limit=1", nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	closed, _, _ := authInstance(t, url, httpapi.Config{})
	if r := preflight(closed.URL, "https://evil.example"); r.StatusCode < 400 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("closed CORS: preflight %d with ACAO %q", r.StatusCode, r.Header.Get("Access-Control-Allow-Origin"))
	}
	if r := simple(closed.URL, "https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("closed CORS: ACAO %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
	open, _, _ := authInstance(t, url, httpapi.Config{Trust: httpapi.TrustConfig{CORSOrigins: []string{"https://map.example.gov.cn"}}})
	r := preflight(open.URL, "https://map.example.gov.cn")
	if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://map.example.gov.cn" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("allowed origin: preflight %d %v", r.StatusCode, r.Header)
	}
	if r := simple(open.URL, "https://map.example.gov.cn"); r.Header.Get("Access-Control-Allow-Origin") != "https://map.example.gov.cn" ||
		!strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("allowed origin: %v", r.Header)
	}
	if r := preflight(open.URL, "https://evil.example"); r.StatusCode < 400 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin: preflight %d with ACAO %q", r.StatusCode, r.Header.Get("Access-Control-Allow-Origin"))
	}
}

// TestMetrics: /metrics needs a token, and names requests by route
// template and status, lookups, ingest, the index, tiles, the pool and the
// change feed.
func TestMetrics(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	reporter := mint(t, a, gridmap.RoleReporter, "metrics", "")
	do(t, "GET", srv.URL+"/api/v1/lookup?lon="+ftoa(pt[0])+"&lat="+ftoa(pt[1]), "", "", "")
	do(t, "POST", srv.URL+"/api/v1/lookup", "", "text/csv", fmt.Sprintf("%s,%s\n%s,%s\n", ftoa(pt[0]), ftoa(pt[1]), ftoa(pt[0]), ftoa(pt[1])))
	resp, body := do(t, "POST", srv.URL+"/api/v1/incidents", reporter, "application/json", mustJSON(t, incident("METRICS-1", pt, "dispute")))
	if resp.StatusCode != 201 {
		t.Fatalf("post: %d %s", resp.StatusCode, body)
	}
	var inc struct{ ID int64 }
	_ = json.Unmarshal(body, &inc)
	do(t, "GET", srv.URL+"/api/v1/incidents/"+strconv.FormatInt(inc.ID, 10), reporter, "", "")
	var tj struct{ Tiles []string }
	get(t, srv.URL+"/tiles/grids.json", &tj)
	tile := strings.NewReplacer("{z}", "14", "{x}", "13509", "{y}", "6457").Replace(tj.Tiles[0])
	do(t, "GET", tile, "", "", "")
	do(t, "GET", tile, "", "", "")
	do(t, "GET", srv.URL+"/api/v1/incidents", "", "", "") // 401

	if resp, _ := do(t, "GET", srv.URL+"/metrics", "", "", ""); resp.StatusCode != 401 {
		t.Errorf("anonymous /metrics: %d, want 401", resp.StatusCode)
	}
	resp, body = do(t, "GET", srv.URL+"/metrics", reporter, "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	text := string(body)
	for _, want := range []string{
		`gridmap_http_requests_total{method="GET",route="/api/v1/lookup",status="200"} 1`,
		`gridmap_http_requests_total{method="GET",route="/api/v1/incidents/{id}",status="200"} 1`,
		`gridmap_http_requests_total{method="GET",route="/api/v1/incidents",status="401"} 1`,
		`gridmap_http_request_duration_seconds_bucket{method="POST",route="/api/v1/incidents",status="201",le=`,
		`gridmap_auth_denied_total{code="unauthorized"}`,
		`gridmap_lookup_points_total{kind="batch"} 2`,
		`gridmap_lookup_points_total{kind="single"} 1`,
		`gridmap_ingest_incidents_total{result="created"} 1`,
		fmt.Sprintf("gridmap_index_grids %d\n", postgis.DefaultDemo.Grids()),
		`gridmap_index_bytes `,
		`gridmap_index_build_seconds_count `,
		`gridmap_tile_set_build_seconds_count `,
		`gridmap_tile_cache_hits_total `,
		`gridmap_tile_cache_misses_total `,
		`gridmap_db_pool_max_conns `,
		`gridmap_db_pool_acquires_total `,
		`gridmap_incident_feed_lag_seconds `,
		`gridmap_incident_feed_last_read_age_seconds `,
		`gridmap_incident_aggregate_incidents `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "gridmap_index_build_seconds_count 0") {
		t.Error("the index build was not observed")
	}
}
