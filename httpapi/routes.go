package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"
)

// The route table: every endpoint is declared once, in routeTable, with its
// method, path template, policy (class, accepted query parameters, page,
// stream), whether it is hot, its handler and its OpenAPI operationId. New
// mounts it (mount): on the router, in the hot tables that dispatch
// consults before the router, and in the policy lookup that authorizeRoute,
// dispatch and the metrics read. routes_test.go checks the router and both
// OpenAPI documents against it. There is no other registration: a route
// that code mounts on Router() itself has no entry and is admin only.

// route is one endpoint: one method on one path template.
type route struct {
	method string
	// path is the gorilla/mux template; variables may carry patterns
	// ({id:[0-9]+}: any other value is 404).
	path string
	// prefix: path is a prefix, the route serves every path below it.
	prefix bool
	// head: a GET that answers HEAD too (otherwise HEAD is 405).
	head bool
	// hot: served past the router's regexps, from an exact-match table
	// (no variables) or a pattern (whole-segment variables, hotPattern).
	hot bool
	// needs names the dependency without which the route is left out.
	needs need
	// root: a path under /api/v1 mounted on the root router, not on the
	// /api/v1 subrouter (see mount: its wrong methods answer 405).
	root bool
	// op is the operationId in openapi.json (paths under /api/v1) or
	// ogc_openapi.json (/ogc); "" for a route no document describes.
	op string
	rule
	fn handlerFunc

	// Set by mount.
	tmpl string       // path with patterns dropped: the policy key and metrics label
	h    http.Handler // fn through handle
}

// need is a dependency (Deps) that a route cannot be served without.
type need uint8

const (
	always           need = iota
	needsIncidents        // Deps.Incidents
	needsPlans            // Deps.Plans
	needsCases            // Deps.Cases and Deps.Incidents
	needsAttachments      // Deps.Attachments
	needsRoster           // Deps.Roster
	needsWorklogs         // Deps.Worklogs
	needsIndicators       // Deps.Indicators and Deps.Ranking
)

func (n need) met(d Deps) bool {
	switch n {
	case needsIncidents:
		return d.Incidents != nil
	case needsPlans:
		return d.Plans != nil
	case needsCases:
		return d.Cases != nil && d.Incidents != nil
	case needsAttachments:
		return d.Attachments != nil
	case needsRoster:
		return d.Roster != nil
	case needsWorklogs:
		return d.Worklogs != nil
	case needsIndicators:
		return d.Indicators != nil && d.Ranking != nil
	}
	return true
}

// Query parameters that several routes share.
var (
	// heatFilterQuery: the incident filter of statistics and heat tiles (heatFilter).
	heatFilterQuery = []string{"category", "status", "from", "to", "grid", "overdue", "at"}
	// tileQuery: grid tiles and their TileJSON (parseTileParams).
	tileQuery = []string{"v", "levels", "as_of"}
	// toleranceQuery: topology tolerances (paramTolerances).
	toleranceQuery = []string{"width_m", "sliver_m2"}
	// ogcDocParams: an OGC document in JSON or HTML (ogcFormat).
	ogcDocParams = []string{"f"}
	// open311Query: every Open311 resource (open311.go).
	open311Query = []string{"api_key", "jurisdiction_id", "locale"}
)

func withParams(base []string, more ...string) []string {
	return append(slices.Clone(base), more...)
}

// routeTable is THE table of routes, in the order they are registered on
// the router. HEAD follows GET where head is set. When you add a route,
// add it here with its class, and to the OpenAPI document of its prefix.
func (s *Server) routeTable(t *tileAPI) []route {
	const get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	metrics := s.metrics.handler()
	return []route{
		// Health and operations.
		{method: get, path: "/healthz", head: true, rule: rule{class: ClassPublic}, fn: s.healthz},
		{method: get, path: "/readyz", head: true, rule: rule{class: ClassPublic}, fn: s.readyz},
		{method: get, path: "/metrics", head: true, rule: rule{class: ClassMetrics}, fn: serve(metrics)},

		// /api/v1 (openapi.json).
		{method: get, path: "/api/v1/whoami", op: "whoami", rule: rule{class: ClassPublic}, fn: s.whoami},
		{method: get, path: "/api/v1/grids", op: "listGrids", fn: s.listGrids,
			rule: rule{class: ClassBoundaries, query: []string{"level", "parent", "bbox", "as_of", "limit", "cursor", "format"}}},
		{method: get, path: "/api/v1/grids/{code}", op: "getGrid", rule: rule{class: ClassBoundaries, query: []string{"as_of"}}, fn: s.getGrid},
		{method: get, path: "/api/v1/lookup", hot: true, op: "lookup", rule: rule{class: ClassLookups, query: []string{"lon", "lat", "crs", "as_of"}}, fn: s.lookup},
		{method: post, path: "/api/v1/lookup", hot: true, op: "lookupBatch", rule: rule{class: ClassLookups, query: []string{"crs"}}, fn: s.lookupBatch},

		// Plans (plans.go).
		{method: post, path: "/api/v1/plans", needs: needsPlans, op: "createPlan", rule: rule{class: ClassPlan}, fn: s.createPlan},
		{method: get, path: "/api/v1/plans", needs: needsPlans, op: "listPlans", rule: rule{class: ClassPlans, query: []string{"status"}}, fn: s.listPlans},
		{method: get, path: "/api/v1/plans/{id:[0-9]+}", needs: needsPlans, op: "getPlan", rule: rule{class: ClassPlans}, fn: s.getPlan},
		{method: post, path: "/api/v1/plans/{id:[0-9]+}/changes", needs: needsPlans, op: "addPlanChanges", rule: rule{class: ClassPlan}, fn: s.addPlanChanges},
		{method: del, path: "/api/v1/plans/{id:[0-9]+}/changes/{seq:[0-9]+}", needs: needsPlans, op: "removePlanChange", rule: rule{class: ClassPlan}, fn: s.removePlanChange},
		{method: get, path: "/api/v1/plans/{id:[0-9]+}/validate", needs: needsPlans, op: "validatePlan", rule: rule{class: ClassPlans, query: toleranceQuery}, fn: s.validatePlan},
		{method: post, path: "/api/v1/plans/{id:[0-9]+}/validate", needs: needsPlans, op: "validatePlanPost", rule: rule{class: ClassPlan, query: toleranceQuery}, fn: s.validatePlan},
		{method: get, path: "/api/v1/plans/{id:[0-9]+}/impact", needs: needsPlans, op: "planImpact", rule: rule{class: ClassPlans}, fn: s.planImpact},
		{method: post, path: "/api/v1/plans/{id:[0-9]+}/publish", needs: needsPlans, op: "publishPlan", rule: rule{class: ClassPlan}, fn: s.publishPlan},
		{method: post, path: "/api/v1/plans/{id:[0-9]+}/discard", needs: needsPlans, op: "discardPlan", rule: rule{class: ClassPlan}, fn: s.discardPlan},
		{method: get, path: "/api/v1/grids/{code}/history", needs: needsPlans, op: "gridHistory", rule: rule{class: ClassPlans}, fn: s.gridHistory},
		{method: patch, path: "/api/v1/grids/{code}", needs: needsPlans, op: "editGrid", rule: rule{class: ClassPlan}, fn: s.editGrid},
		{method: get, path: "/api/v1/topology", needs: needsPlans, op: "topology", rule: rule{class: ClassPlans, query: withParams(toleranceQuery, "level")}, fn: s.topology},

		// The roster (roster.go): read as lookups show people, written
		// by the command centre.
		{method: get, path: "/api/v1/roster", needs: needsRoster, op: "listRoster", rule: rule{class: ClassBoundaries, query: []string{"grid", "as_of", "history"}}, fn: s.listRoster},
		{method: post, path: "/api/v1/roster", needs: needsRoster, op: "addMember", rule: rule{class: ClassDispatch}, fn: s.addMember},
		{method: patch, path: "/api/v1/roster/{id:[0-9]+}", needs: needsRoster, op: "changeMember", rule: rule{class: ClassDispatch}, fn: s.changeMember},
		{method: post, path: "/api/v1/roster/{id:[0-9]+}/retire", needs: needsRoster, op: "retireMember", rule: rule{class: ClassDispatch}, fn: s.retireMember},

		// Attachments (attachments.go): personal data, checked per file
		// in the handler beyond the class. Uploads are in the class of
		// steps (case), so a department can attach the after photos of
		// the cases it resolves.
		{method: post, path: "/api/v1/attachments", needs: needsAttachments, op: "postAttachment", rule: rule{class: ClassCase}, fn: s.postAttachment},
		{method: get, path: "/api/v1/attachments/{id:[0-9a-f]{64}}", needs: needsAttachments, op: "getAttachment", rule: rule{class: ClassIncidents}, fn: s.getAttachment},
		{method: get, path: "/api/v1/attachments/{id:[0-9a-f]{64}}/thumbnail", needs: needsAttachments, op: "getAttachmentThumbnail", rule: rule{class: ClassIncidents}, fn: s.getThumbnail},

		// Incidents, statistics, the live event stream (incidents.go).
		{method: get, path: "/api/v1/categories", needs: needsIncidents, op: "listCategories", rule: rule{class: ClassPublic}, fn: s.listCategories},
		{method: post, path: "/api/v1/incidents", needs: needsIncidents, op: "postIncidents", rule: rule{class: ClassReport, query: []string{"crs", "partial"}}, fn: s.postIncidents},
		{method: get, path: "/api/v1/incidents", needs: needsIncidents, op: "listIncidents", fn: s.listIncidents,
			rule: rule{class: ClassIncidents, query: []string{"grid", "unassigned", "category", "status", "from", "to", "overdue", "external_id", "limit", "cursor", "format",
				"source", "department", "supervised"}}},
		{method: get, path: "/api/v1/incidents/{id:[0-9]+}", needs: needsIncidents, op: "getIncident", rule: rule{class: ClassIncidents}, fn: s.getIncident},
		{method: patch, path: "/api/v1/incidents/{id:[0-9]+}", needs: needsIncidents, op: "patchIncident", rule: rule{class: ClassReport}, fn: s.patchIncident},
		// The case loop (steps.go): departments, steps, duplicates.
		{method: get, path: "/api/v1/departments", needs: needsCases, op: "listDepartments", rule: rule{class: ClassPublic}, fn: s.listDepartments},
		// Their people (departments.go): personal data by role, written by the admin.
		{method: get, path: "/api/v1/departments/{department}/members", needs: needsCases, op: "listDepartmentMembers", rule: rule{class: ClassIncidents, query: []string{"retired"}}, fn: s.listDepartmentMembers},
		{method: post, path: "/api/v1/departments/{department}/members", needs: needsCases, op: "addDepartmentMember", rule: rule{class: ClassAdmin}, fn: s.addDepartmentMember},
		{method: del, path: "/api/v1/departments/{department}/members/{id:[0-9]+}", needs: needsCases, op: "retireDepartmentMember", rule: rule{class: ClassAdmin}, fn: s.retireDepartmentMember},
		{method: get, path: "/api/v1/incidents/{id:[0-9]+}/steps", needs: needsCases, op: "listSteps", rule: rule{class: ClassIncidents}, fn: s.getSteps},
		{method: post, path: "/api/v1/incidents/{id:[0-9]+}/steps", needs: needsCases, op: "addStep", rule: rule{class: ClassCase}, fn: s.postStep},
		{method: get, path: "/api/v1/incidents/{id:[0-9]+}/duplicates", needs: needsCases, op: "listDuplicates", rule: rule{class: ClassIncidents}, fn: s.getDuplicates},
		{method: post, path: "/api/v1/incidents/{id:[0-9]+}/duplicate-of", needs: needsCases, op: "linkDuplicate", rule: rule{class: ClassDispatch}, fn: s.linkDuplicate},
		{method: del, path: "/api/v1/incidents/{id:[0-9]+}/duplicate-of", needs: needsCases, op: "unlinkDuplicate", rule: rule{class: ClassDispatch}, fn: s.unlinkDuplicate},
		{method: get, path: "/api/v1/stats/grids", needs: needsIncidents, op: "gridStats", rule: rule{class: ClassAggregates, query: withParams(heatFilterQuery, "level")}, fn: s.gridStats},
		{method: get, path: "/api/v1/stats/window", needs: needsIncidents, op: "memoryWindow", rule: rule{class: ClassAggregates}, fn: s.memoryWindow},
		// The daily bulletin and the Wednesday agenda (reports.go).
		{method: get, path: "/api/v1/reports/daily", needs: needsIncidents, op: "dailyReport", rule: rule{class: ClassIncidents, query: []string{"date", "format"}}, fn: s.dailyReport},
		{method: get, path: "/api/v1/reports/wednesday", needs: needsIncidents, op: "wednesdayReport", rule: rule{class: ClassIncidents, query: []string{"date", "format"}}, fn: s.wednesdayReport},
		{method: get, path: "/api/v1/stats/timeseries", needs: needsIncidents, op: "timeseries", rule: rule{class: ClassAggregates, query: withParams(heatFilterQuery, "bucket")}, fn: s.timeseries},
		// Work logs and patrol coverage (worklogs.go): writes in the
		// class of reports, refused in the handler to all but reporters
		// and admins; reads personal data, checked per log.
		{method: post, path: "/api/v1/worklogs", needs: needsWorklogs, op: "postWorklog", rule: rule{class: ClassReport}, fn: s.postWorklog},
		{method: get, path: "/api/v1/worklogs", needs: needsWorklogs, op: "listWorklogs", rule: rule{class: ClassIncidents, query: []string{"worker", "grid", "from", "to", "limit"}}, fn: s.listWorklogs},
		{method: get, path: "/api/v1/worklogs/{id:[0-9]+}", needs: needsWorklogs, op: "getWorklog", rule: rule{class: ClassIncidents}, fn: s.getWorklog},
		{method: post, path: "/api/v1/worklogs/{id:[0-9]+}/tracks", needs: needsWorklogs, op: "addWorklogTracks", rule: rule{class: ClassReport}, fn: s.postWorklogTracks},
		// Patrol tracks as a tile layer (no names): z/x/y checked in the handler, as heat tiles.
		{method: get, path: "/tiles/patrol/{z}/{x}/{y}.mvt", needs: needsWorklogs, rule: rule{class: ClassTiles, query: []string{"from", "to"}}, fn: s.patrolTile},
		{method: get, path: "/api/v1/stats/patrol", needs: needsWorklogs, op: "patrolStats", rule: rule{class: ClassAggregates, query: []string{"level", "from", "to"}}, fn: s.patrolStats},
		// Indicators and the red/black list (indicators.go): no personal
		// data; worker names only to admin and dispatcher.
		{method: get, path: "/api/v1/stats/indicators", needs: needsIndicators, op: "indicators", rule: rule{class: ClassAggregates, query: []string{"by", "from", "to", "format"}}, fn: s.getIndicators},
		{method: get, path: "/api/v1/ranking", needs: needsIndicators, op: "ranking", rule: rule{class: ClassAggregates, query: []string{"month", "of", "format"}}, fn: s.getRanking},
		{method: get, path: "/api/v1/ranking/rules", needs: needsIndicators, op: "getRankingRules", rule: rule{class: ClassAggregates, query: []string{"history"}}, fn: s.getRankingRules},
		{method: put, path: "/api/v1/ranking/rules", needs: needsIndicators, op: "putRankingRules", rule: rule{class: ClassAdmin}, fn: s.putRankingRules},
		// access_token: EventSource cannot send headers (authenticate).
		{method: get, path: "/api/v1/events", needs: needsIncidents, op: "streamEvents", fn: s.streamEvents,
			rule: rule{class: ClassAggregates, stream: true, tokenInQuery: true, query: []string{"category", "grid", "last_event_id", "access_token"}}},
		{method: get, path: "/api/v1/events/recent", needs: needsIncidents, op: "recentEvents", rule: rule{class: ClassAggregates, query: withParams(heatFilterQuery, "limit")}, fn: s.recentEvents},
		// As grid tiles: any z/x/y reaches the handler, which answers a bad
		// one 400 (a route pattern of digits would answer 404). r: the wall
		// map's revision of its heat source (refetched on a filter change),
		// which the server ignores.
		{method: get, path: "/tiles/heat/{z}/{x}/{y}.mvt", hot: true, needs: needsIncidents, rule: rule{class: ClassTiles, query: withParams(heatFilterQuery, "r")}, fn: s.heatTile},

		// Open311 GeoReport v2 (open311*.go; openapi.json): JSON or XML by
		// the extension; the token may also come as api_key.
		{method: get, path: "/open311/v2/discovery.{format:json|xml}", op: "open311Discovery", rule: rule{class: ClassPublic, query: open311Query}, fn: s.open311Discovery},
		{method: get, path: "/open311/v2/services.{format:json|xml}", needs: needsIncidents, op: "open311Services",
			rule: rule{class: ClassPublic, query: open311Query}, fn: s.open311Services},
		{method: get, path: "/open311/v2/services/{code}.{format:json|xml}", needs: needsIncidents, op: "open311ServiceDefinition",
			rule: rule{class: ClassPublic, query: open311Query}, fn: s.open311ServiceDefinition},
		{method: post, path: "/open311/v2/requests.{format:json|xml}", needs: needsIncidents, op: "open311PostRequest",
			rule: rule{class: ClassReport, query: open311Query}, fn: s.open311Post},
		{method: get, path: "/open311/v2/requests.{format:json|xml}", needs: needsIncidents, op: "open311Requests", fn: s.open311Requests,
			rule: rule{class: ClassIncidents, query: withParams(open311Query, "service_request_id", "service_code", "start_date", "end_date", "status")}},
		{method: get, path: "/open311/v2/requests/{service_request_id:[0-9]+}.{format:json|xml}", needs: needsIncidents, op: "open311Request",
			rule: rule{class: ClassIncidents, query: open311Query}, fn: s.open311Request},

		// OGC API – Features (ogc.go, ogc_openapi.json) and the OpenAPI
		// document of /api/v1.
		{method: get, path: "/ogc", head: true, op: "getLandingPage", rule: rule{class: ClassPublic, query: ogcDocParams}, fn: s.ogcLanding},
		{method: get, path: "/ogc/", head: true, op: "getLandingPageSlash", rule: rule{class: ClassPublic, query: ogcDocParams}, fn: s.ogcLanding},
		{method: get, path: "/ogc/conformance", head: true, op: "getConformance", rule: rule{class: ClassPublic, query: ogcDocParams}, fn: s.ogcConformanceDoc},
		{method: get, path: "/ogc/api", head: true, op: "getAPI", rule: rule{class: ClassPublic}, fn: s.ogcAPIDoc},
		{method: get, path: "/ogc/collections", head: true, op: "getCollections", rule: rule{class: ClassPublic, query: ogcDocParams}, fn: s.ogcCollections},
		{method: get, path: "/ogc/collections/{collectionId}", head: true, op: "describeCollection", rule: rule{byCollection: true, query: ogcDocParams}, fn: s.ogcCollection},
		// The widest parameter lists of the collections: parseOGCQuery
		// narrows them to the collection's.
		{method: get, path: "/ogc/collections/{collectionId}/items", head: true, op: "getFeatures", rule: rule{byCollection: true, query: countItemParams}, fn: s.ogcItems},
		{method: get, path: "/ogc/collections/{collectionId}/items/{featureId}", head: true, op: "getFeature", rule: rule{byCollection: true, query: countFeatureParams}, fn: s.ogcFeature},
		{method: get, path: "/api/v1/openapi.json", head: true, root: true, op: "getOpenAPI", rule: rule{class: ClassPublic}, fn: s.openAPIDoc},

		// Grid tiles, styles and web pages (tiles.go, styles.go, static.go).
		{method: get, path: "/tiles/grids/{z}/{x}/{y}.mvt", head: true, hot: true, rule: rule{class: ClassTiles, query: tileQuery}, fn: t.gridTile},
		{method: get, path: "/tiles/grids.json", head: true, rule: rule{class: ClassTiles, query: tileQuery}, fn: t.tileJSON},
		{method: get, path: "/styles/{name}.json", head: true, rule: rule{class: ClassPublic}, fn: t.style},
		{method: get, path: "/", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.wallMap},
		{method: get, path: "/editor", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.editor},
		{method: get, path: "/desk", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.desk},
		{method: get, path: "/roster", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.roster},
		{method: get, path: "/ranking", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.rankingPage},
		{method: get, path: "/field", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.field},
		{method: get, path: "/field-sw.js", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.fieldWorker},
		{method: get, path: "/field.webmanifest", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.fieldManifest},
		{method: get, path: "/reports", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.reportsPage},
		{method: get, path: "/{page}.html", head: true, rule: rule{class: ClassPublic, page: true}, fn: t.page},
		{method: get, path: "/assets/", prefix: true, head: true, rule: rule{class: ClassPublic, page: true}, fn: t.asset},
	}
}

// serve adapts a plain handler to the table.
func serve(h http.Handler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	}
}

// routeKey names a route by method and template (patterns dropped), or a
// hot route without variables by method and path.
type routeKey struct{ method, path string }

// mount serves the table's routes whose dependencies d has: on the router
// (so they are listed and matched like any other), in the policy lookup,
// and the hot ones in the exact-match table or as patterns. A route
// declared twice panics: New is run by every test.
//
// Paths under /api/v1 go on a subrouter, in table order, as they always
// have, because gorilla/mux answers differently there: a wrong method on
// a subrouter route is 404 unless the route is the subrouter's last (each
// later route's prefix match forgets the method mismatch), where on the
// root router it is 405. TestRoutesWrongMethod pins those answers; making
// them all 405 is a change of behaviour, for its own commit.
func (s *Server) mount(d Deps, t *tileAPI) {
	api := s.router.PathPrefix("/api/v1").Subrouter()
	s.rules = map[routeKey]*route{}
	s.byMux = map[*mux.Route]*route{}
	s.exact = map[routeKey]*route{}
	s.tokenInQuery = map[string]bool{}
	for _, entry := range s.routeTable(t) {
		rt := &entry
		if rt.tokenInQuery {
			// authenticate reads it before any route matches.
			if strings.Contains(rt.path, "{") || rt.prefix {
				panic("httpapi: " + rt.path + ": a token in the query needs a path without variables")
			}
			s.tokenInQuery[rt.path] = true
		}
		if !rt.needs.met(d) {
			continue
		}
		rt.tmpl, rt.h = NormalizeTemplate(rt.path), s.handle(rt.fn)
		k := routeKey{rt.method, rt.tmpl}
		if s.rules[k] != nil {
			panic(fmt.Sprintf("httpapi: route %s %s declared twice", rt.method, rt.tmpl))
		}
		s.rules[k] = rt
		methods := []string{rt.method}
		if rt.head {
			methods = append(methods, http.MethodHead)
		}
		on, path := s.router, rt.path
		if p, ok := strings.CutPrefix(rt.path, "/api/v1/"); ok && !rt.root {
			on, path = api, "/"+p
		}
		var mr *mux.Route
		if rt.prefix {
			mr = on.PathPrefix(path).Handler(rt.h).Methods(methods...)
		} else {
			mr = on.Handle(path, rt.h).Methods(methods...)
		}
		s.byMux[mr] = rt
		s.routes = append(s.routes, rt)
		switch {
		case !rt.hot:
		case rt.prefix:
			panic("httpapi: " + rt.path + ": a prefix route cannot be hot")
		case strings.Contains(rt.path, "{"):
			s.patterns = append(s.patterns, newHotPattern(rt, methods))
		default:
			for _, m := range methods {
				s.exact[routeKey{m, rt.path}] = rt
			}
		}
	}
}

// ruleOf returns the table's route for method and template (patterns
// dropped), HEAD as GET; false when there is none.
func (s *Server) ruleOf(method, tmpl string) (*route, bool) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	rt, ok := s.rules[routeKey{method, tmpl}]
	return rt, ok
}

// PolicyFor returns the class of the route with method and path template
// (patterns dropped or not), and whether the route table names it; a route
// it does not name is ClassAdmin. tests/auth_test.go walks the router with it.
func (s *Server) PolicyFor(method, template string) (Class, bool) {
	rt, ok := s.ruleOf(method, NormalizeTemplate(template))
	switch {
	case !ok:
		return adminOnly.class, false
	case rt.byCollection:
		return ClassBoundaries + "|" + ClassAggregates, true
	}
	return rt.class, true
}

// QueryParams returns the query parameters the route with method and path
// template accepts, as the server checks them; any is true for a page,
// which takes any parameter. tests/badbytes_test.go walks the router with it.
func (s *Server) QueryParams(method, template string) (params []string, any bool) {
	rt, ok := s.ruleOf(method, NormalizeTemplate(template))
	if !ok {
		return nil, false
	}
	return slices.Clone(rt.query), rt.page
}

// hotPattern is a hot route with path variables, prefix{a}/{b}/…suffix,
// that map clients fetch by the thousand (tiles): dispatch matches it by
// prefix and suffix before trying the router's regexps. Each variable is a
// whole path segment (gorilla/mux's default) without a pattern.
type hotPattern struct {
	prefix, suffix string
	names          []string
	methods        []string
	rt             *route
}

func newHotPattern(rt *route, methods []string) hotPattern {
	tmpl := rt.path
	open, close := strings.IndexByte(tmpl, '{'), strings.LastIndexByte(tmpl, '}')
	p := hotPattern{prefix: tmpl[:open], suffix: tmpl[close+1:], methods: methods, rt: rt}
	for _, seg := range strings.Split(tmpl[open:close+1], "/") {
		if strings.ContainsAny(seg, ":") || !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
			panic("httpapi: " + tmpl + ": a hot route's variables are whole segments without patterns")
		}
		p.names = append(p.names, strings.Trim(seg, "{}"))
	}
	return p
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
