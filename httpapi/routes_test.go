package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/indicators"
)

// fullServer is a server with every route of the table mounted. Its
// services are stand-ins that are never called: these tests read routes.
func fullServer(tb testing.TB) *Server {
	tb.Helper()
	type incidents struct{ gridmap.IncidentService }
	type cases struct{ CaseStore }
	type plans struct{ gridmap.PlanService }
	type attachments struct{ gridmap.AttachmentService }
	type roster struct{ gridmap.RosterService }
	type worklogs struct{ gridmap.WorklogService }
	type ranking struct{ RankingStore }
	return New(Config{}, Deps{Incidents: incidents{}, Cases: cases{}, Plans: plans{}, Attachments: attachments{}, Roster: roster{}, Worklogs: worklogs{},
		Indicators: func() *indicators.Set { return nil }, Ranking: ranking{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// TestRouteTable: every rule names a known class, reads are GET, the
// always-open class holds no data route, operation ids are unique and
// given exactly to the routes an OpenAPI document describes, and the hot
// routes are exactly those in dispatch's tables.
func TestRouteTable(t *testing.T) {
	s := fullServer(t)
	known := map[Class]bool{ClassPublic: true, ClassBoundaries: true, ClassTiles: true, ClassAggregates: true, ClassLookups: true,
		ClassIncidents: true, ClassPlans: true, ClassMetrics: true, ClassReport: true, ClassPlan: true, ClassCase: true, ClassDispatch: true, ClassAdmin: true}
	ops := map[string]string{}
	hot := 0
	for _, r := range s.routes {
		name := r.method + " " + r.tmpl
		if !r.byCollection && !known[r.class] {
			t.Errorf("%s: unknown class %q", name, r.class)
		}
		if r.method != "GET" && r.method != "POST" && r.method != "PUT" && r.method != "PATCH" && r.method != "DELETE" {
			t.Errorf("%s: method", name)
		}
		if r.head && r.method != "GET" {
			t.Errorf("%s: HEAD follows GET only", name)
		}
		if (r.class == ClassReport || r.class == ClassPlan || r.class == ClassCase || r.class == ClassDispatch) && r.method == "GET" {
			t.Errorf("%s: a write class on a GET", name)
		}
		if isOpenable(r.class) && r.method != "GET" && r.tmpl != "/api/v1/lookup" && r.tmpl != "/api/v1/plans/{id}/validate" {
			t.Errorf("%s: an openable (read) class on a write", name)
		}
		if r.class == ClassPublic && r.method != "GET" {
			t.Errorf("%s: an always-open write", name)
		}
		if documented := docOf(r.tmpl) != ""; documented != (r.op != "") {
			t.Errorf("%s: operationId %q; want one exactly for the routes under /api/v1 and /ogc", name, r.op)
		}
		if r.op != "" {
			if other, ok := ops[r.op]; ok {
				t.Errorf("%s: operationId %q is also %s's", name, r.op, other)
			}
			ops[r.op] = name
		}
		if r.hot {
			hot++
			found := s.exact[routeKey{r.method, r.path}] == r
			for i := range s.patterns {
				found = found || s.patterns[i].rt == r
			}
			if !found {
				t.Errorf("%s: hot, but not in the exact table or the patterns", name)
			}
		}
	}
	for k, r := range s.exact {
		if !r.hot || r.path != k.path {
			t.Errorf("exact table: %s %s → %s %s (hot %v)", k.method, k.path, r.method, r.path, r.hot)
		}
	}
	for _, p := range s.patterns {
		if !p.rt.hot {
			t.Errorf("pattern %s is not hot", p.rt.path)
		}
	}
	if hot < 4 {
		t.Errorf("%d hot routes; want the lookups and the two tile routes", hot)
	}
	if c, ok := s.PolicyFor("HEAD", "/api/v1/incidents/{id:[0-9]+}"); !ok || c != ClassIncidents {
		t.Errorf("HEAD with a pattern: %v %v", c, ok)
	}
	if c, ok := s.PolicyFor("GET", "/nowhere"); ok || c != ClassAdmin {
		t.Errorf("an unlisted route: %v %v", c, ok)
	}
}

// TestRoutesMounted: the router serves exactly the mounted routes of the
// table (each method, HEAD where the table says), and a route whose
// dependency is missing is left out, with its rule.
func TestRoutesMounted(t *testing.T) {
	full := fullServer(t)
	bare := New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, c := range []struct {
		name string
		s    *Server
	}{{"every dependency", full}, {"no incidents, no plans", bare}} {
		var mounted, routed []string
		for _, r := range c.s.routes {
			mounted = append(mounted, r.method+" "+r.path)
			if r.head {
				mounted = append(mounted, "HEAD "+r.path)
			}
		}
		err := c.s.router.Walk(func(mr *mux.Route, _ *mux.Router, _ []*mux.Route) error {
			if mr.GetHandler() == nil {
				return nil // the /api/v1 subrouter
			}
			tmpl, err := mr.GetPathTemplate()
			if err != nil {
				return err
			}
			methods, err := mr.GetMethods()
			if err != nil {
				t.Errorf("%s: %s names no methods", c.name, tmpl)
			}
			if c.s.byMux[mr] == nil {
				t.Errorf("%s: %s is not from the route table", c.name, tmpl)
			}
			for _, m := range methods {
				routed = append(routed, m+" "+tmpl)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(mounted)
		sort.Strings(routed)
		if !slices.Equal(mounted, routed) {
			t.Errorf("%s: the router serves\n\t%s\nthe table mounts\n\t%s", c.name, strings.Join(routed, "\n\t"), strings.Join(mounted, "\n\t"))
		}
	}
	if len(full.routes) < 45 {
		t.Errorf("only %d routes mounted with every dependency", len(full.routes))
	}
	for _, r := range full.routes {
		_, inBare := bare.ruleOf(r.method, r.tmpl)
		if want := r.needs == always; inBare != want {
			t.Errorf("%s %s without incidents and plans: mounted %v, want %v", r.method, r.tmpl, inBare, want)
		}
	}
	// The event stream's token may come in the query even where the
	// route is left out (it was always so: authenticate runs first).
	if !bare.tokenInQuery["/api/v1/events"] || len(full.tokenInQuery) != 1 {
		t.Errorf("token in the query: %v", full.tokenInQuery)
	}
}

// docOf names the OpenAPI document that describes a route template.
func docOf(tmpl string) string {
	switch {
	case tmpl == "/api/v1" || strings.HasPrefix(tmpl, "/api/v1/") || strings.HasPrefix(tmpl, "/open311/"):
		return "openapi.json"
	case tmpl == "/ogc" || strings.HasPrefix(tmpl, "/ogc/"):
		return "ogc_openapi.json"
	}
	return ""
}

// TestRoutesDocumented: the route table and the two OpenAPI documents
// (openapi.json for /api/v1, ogc_openapi.json for /ogc, served as embedded)
// list the same operations both ways: method, path, operationId, and the
// query parameters the route accepts (the server refuses any other), so a
// document cannot promise a parameter that is refused or hide one that is
// taken. A token in the query (access_token, the event stream's stand-in
// for the Authorization header) is the one undocumented exception. It was
// TestQueryParamsDocumented of tests/badbytes_test.go.
func TestRoutesDocumented(t *testing.T) {
	s := fullServer(t)
	documented := map[string]bool{}
	for file, raw := range map[string][]byte{"openapi.json": openAPIDocument, "ogc_openapi.json": ogcOpenAPI} {
		doc, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("%s is not a valid OpenAPI document: %v", file, err)
		}
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				name := method + " " + path
				documented[name] = true
				r, ok := s.ruleOf(method, path)
				if !ok {
					t.Errorf("%s: %s describes it, the route table (routes.go) has no such route", name, file)
					continue
				}
				if docOf(r.tmpl) != file {
					t.Errorf("%s: described in %s, not in %s", name, file, docOf(r.tmpl))
				}
				if op.OperationID != r.op {
					t.Errorf("%s: operationId %q in %s, %q in the route table", name, op.OperationID, file, r.op)
				}
				var params []string
				for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
					if p.Value != nil && p.Value.In == "query" {
						params = append(params, p.Value.Name)
					}
				}
				accepted := slices.Clone(r.query)
				if r.tokenInQuery {
					accepted = slices.DeleteFunc(accepted, func(p string) bool { return p == "access_token" })
				}
				slices.Sort(params)
				slices.Sort(accepted)
				if !slices.Equal(params, accepted) {
					t.Errorf("%s: %s documents the query parameters %v, the route table accepts %v", name, file, params, accepted)
				}
			}
		}
	}
	for _, r := range s.routes {
		if r.op != "" && !documented[r.method+" "+r.tmpl] {
			t.Errorf("%s %s (operationId %s) is not described in %s", r.method, r.tmpl, r.op, docOf(r.tmpl))
		}
	}
	if len(documented) < 35 {
		t.Errorf("only %d operations documented: is the walk broken?", len(documented))
	}
}

// TestRoutesWrongMethod pins the router's answers to a method a route does
// not serve, as they were before the route table: 404 on the /api/v1
// subrouter but for its last route, 405 (as EINVALID, 400) on the root
// router. See mount.
func TestRoutesWrongMethod(t *testing.T) {
	full := fullServer(t)
	bare := New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, c := range []struct {
		s            *Server
		method, path string
		want         int
	}{
		{full, "POST", "/api/v1/grids", 404},
		{full, "HEAD", "/api/v1/whoami", 404},
		{full, "DELETE", "/api/v1/lookup", 404},
		{full, "PUT", "/api/v1/plans/1/validate", 404},
		{full, "POST", "/api/v1/events/recent", 400}, // the subrouter's last route
		{bare, "PUT", "/api/v1/lookup", 400},         // the last without incidents and plans
		{bare, "POST", "/api/v1/grids", 404},
		{full, "POST", "/api/v1/openapi.json", 400}, // on the root router
		{full, "POST", "/ogc", 400},
		{full, "POST", "/tiles/grids/1/2/3.mvt", 400},
		{full, "HEAD", "/tiles/heat/1/2/3.mvt", 400},
		{full, "POST", "/", 400},
		{full, "GET", "/api/v1/plans/x", 404}, // a variable's pattern
	} {
		var m mux.RouteMatch
		if !c.s.router.Match(httptest.NewRequest(c.method, c.path, nil), &m) || m.Handler == nil {
			t.Errorf("%s %s: no answer", c.method, c.path)
			continue
		}
		w := httptest.NewRecorder()
		m.Handler.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.want {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, w.Code, w.Body, c.want)
		}
	}
}
