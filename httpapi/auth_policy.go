package httpapi

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
)

// Class is a class of endpoints that one authorisation rule covers. Every
// route belongs to exactly one, through the policy table below.
type Class string

// The classes. The read classes up to ClassMetrics may be opened to
// requests without a token (TrustConfig.Open); the write classes and
// ClassAdmin never can.
const (
	// ClassPublic is always open: health, pages and their assets, styles,
	// API and OGC metadata, the category labels, whoami. No data in them.
	ClassPublic Class = "public"
	// ClassBoundaries: grids as GeoJSON, CSV and OGC features.
	ClassBoundaries Class = "boundaries"
	// ClassTiles: grid and heat vector tiles, TileJSON.
	ClassTiles Class = "tiles"
	// ClassAggregates: per-grid counts, time series, the live event
	// stream, OGC incident counts. No personal data, no incident location.
	ClassAggregates Class = "aggregates"
	// ClassLookups: which grid a point is in (single and batch).
	ClassLookups Class = "lookups"
	// ClassIncidents: incident listings and single incidents (personal
	// data by role, see personalView).
	ClassIncidents Class = "incidents"
	// ClassPlans: plans, their validation and impact, grid history, topology.
	ClassPlans Class = "plans"
	// ClassMetrics: Prometheus /metrics.
	ClassMetrics Class = "metrics"
	// ClassReport: posting and updating incidents (reporter, admin).
	ClassReport Class = "report"
	// ClassPlan: drafting, validating, publishing plans, editing grids
	// (planner, admin).
	ClassPlan Class = "plan"
	// ClassAdmin: admin only; every route without a rule falls here.
	ClassAdmin Class = "admin"
)

// DefaultOpen are the classes open without a token unless configured:
// reading boundaries, tiles, aggregates and lookups (the wall map).
var DefaultOpen = []Class{ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups}

// openable are the classes that TrustConfig.Open may name.
var openable = []Class{ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics}

// ParseOpen parses a comma-separated list of classes to open without a
// token ("none" or "" for none). Errors: EINVALID naming what may be opened.
func ParseOpen(s string) ([]Class, error) {
	out := []Class{}
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return out, nil
	}
	for _, p := range strings.Split(s, ",") {
		c := Class(strings.TrimSpace(p))
		if !isOpenable(c) {
			return nil, gridmap.Errorf(gridmap.EINVALID, "%q cannot be opened without a token; the classes that can are %s (or none)", c, joinClasses(openable))
		}
		out = append(out, c)
	}
	return out, nil
}

func isOpenable(c Class) bool {
	for _, o := range openable {
		if o == c {
			return true
		}
	}
	return false
}

func joinClasses(cs []Class) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// grants says which classes each role may use (besides ClassPublic).
// Roles are not a ladder: planners do not report, reporters do not plan.
var grants = map[gridmap.Role][]Class{
	gridmap.RoleViewer:   {ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics},
	gridmap.RoleReporter: {ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics, ClassReport},
	gridmap.RolePlanner:  {ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics, ClassPlan},
}

// rule is the policy of one route.
type rule struct {
	class Class
	// byCollection: an OGC route whose class depends on its collection:
	// incident-counts-* are aggregates, anything else boundaries.
	byCollection bool
	// page: an HTML page (or its assets): it gets the page CSP, and
	// takes any query parameter (its script reads them, not the server).
	page bool
	// stream: a long-lived answer (SSE): no request timeout.
	stream bool
	// query are the query parameters the route accepts; any other is
	// refused with a 400 listing these (checkInput, input.go).
	query []string
}

// policy is THE authorisation table: every route, keyed by method and
// gorilla/mux path template with variable patterns dropped ({id:[0-9]+} is
// {id}). HEAD follows GET. A route missing here is admin only, and
// tests/auth_test.go fails naming it: when you add a route, add its rule.
var policy = map[routeKey]rule{
	// Always open: no data.
	{"GET", "/healthz"}:                              {class: ClassPublic},
	{"GET", "/readyz"}:                               {class: ClassPublic},
	{"GET", "/api/v1/openapi.json"}:                  {class: ClassPublic},
	{"GET", "/api/v1/whoami"}:                        {class: ClassPublic},
	{"GET", "/api/v1/categories"}:                    {class: ClassPublic},
	{"GET", "/"}:                                     {class: ClassPublic, page: true},
	{"GET", "/editor"}:                               {class: ClassPublic, page: true},
	{"GET", "/{page}.html"}:                          {class: ClassPublic, page: true},
	{"GET", "/assets/"}:                              {class: ClassPublic, page: true},
	{"GET", "/styles/{name}.json"}:                   {class: ClassPublic},
	{"GET", "/ogc"}:                                  {class: ClassPublic, query: ogcDocParams},
	{"GET", "/ogc/"}:                                 {class: ClassPublic, query: ogcDocParams},
	{"GET", "/ogc/conformance"}:                      {class: ClassPublic, query: ogcDocParams},
	{"GET", "/ogc/api"}:                              {class: ClassPublic},
	{"GET", "/ogc/collections"}:                      {class: ClassPublic, query: ogcDocParams},
	{"GET", "/ogc/collections/{collectionId}"}:       {byCollection: true, query: ogcDocParams},
	{"GET", "/ogc/collections/{collectionId}/items"}: {byCollection: true, query: countItemParams}, // ogc.go narrows by collection
	{"GET", "/ogc/collections/{collectionId}/items/{featureId}"}: {byCollection: true, query: countFeatureParams},

	// Boundaries and tiles.
	{"GET", "/api/v1/grids"}:                {class: ClassBoundaries, query: []string{"level", "parent", "bbox", "as_of", "limit", "cursor", "format"}},
	{"GET", "/api/v1/grids/{code}"}:         {class: ClassBoundaries, query: []string{"as_of"}},
	{"GET", "/tiles/grids/{z}/{x}/{y}.mvt"}: {class: ClassTiles, query: tileQuery},
	{"GET", "/tiles/grids.json"}:            {class: ClassTiles, query: tileQuery},
	// r: the wall map's revision of its heat source (refetched on a
	// filter change), which the server ignores.
	{"GET", "/tiles/heat/{z}/{x}/{y}.mvt"}: {class: ClassTiles, query: withParams(heatFilterQuery, "r")},

	// Aggregates and lookups.
	{"GET", "/api/v1/stats/grids"}:      {class: ClassAggregates, query: withParams(heatFilterQuery, "level")},
	{"GET", "/api/v1/stats/timeseries"}: {class: ClassAggregates, query: withParams(heatFilterQuery, "bucket")},
	// access_token: EventSource cannot send headers (authenticate).
	{"GET", "/api/v1/events"}:        {class: ClassAggregates, stream: true, query: []string{"category", "grid", "last_event_id", "access_token"}},
	{"GET", "/api/v1/events/recent"}: {class: ClassAggregates, query: withParams(heatFilterQuery, "limit")},
	{"GET", "/api/v1/lookup"}:        {class: ClassLookups, query: []string{"lon", "lat", "crs", "as_of"}},
	{"POST", "/api/v1/lookup"}:       {class: ClassLookups, query: []string{"crs"}},

	// Incidents.
	{"GET", "/api/v1/incidents"}: {class: ClassIncidents, query: []string{"grid", "unassigned", "category", "status", "from", "to",
		"overdue", "external_id", "limit", "cursor", "format"}},
	{"GET", "/api/v1/incidents/{id}"}:   {class: ClassIncidents},
	{"POST", "/api/v1/incidents"}:       {class: ClassReport, query: []string{"crs", "partial"}},
	{"PATCH", "/api/v1/incidents/{id}"}: {class: ClassReport},

	// Plans.
	{"GET", "/api/v1/plans"}:                       {class: ClassPlans, query: []string{"status"}},
	{"GET", "/api/v1/plans/{id}"}:                  {class: ClassPlans},
	{"GET", "/api/v1/plans/{id}/validate"}:         {class: ClassPlans, query: toleranceQuery},
	{"GET", "/api/v1/plans/{id}/impact"}:           {class: ClassPlans},
	{"GET", "/api/v1/grids/{code}/history"}:        {class: ClassPlans},
	{"GET", "/api/v1/topology"}:                    {class: ClassPlans, query: withParams(toleranceQuery, "level")},
	{"POST", "/api/v1/plans"}:                      {class: ClassPlan},
	{"POST", "/api/v1/plans/{id}/changes"}:         {class: ClassPlan},
	{"DELETE", "/api/v1/plans/{id}/changes/{seq}"}: {class: ClassPlan},
	{"POST", "/api/v1/plans/{id}/validate"}:        {class: ClassPlan, query: toleranceQuery},
	{"POST", "/api/v1/plans/{id}/publish"}:         {class: ClassPlan},
	{"POST", "/api/v1/plans/{id}/discard"}:         {class: ClassPlan},
	{"PATCH", "/api/v1/grids/{code}"}:              {class: ClassPlan},

	// Operations.
	{"GET", "/metrics"}: {class: ClassMetrics},
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
)

func withParams(base []string, more ...string) []string {
	return append(slices.Clone(base), more...)
}

// adminOnly is the rule of a route the table does not name.
var adminOnly = rule{class: ClassAdmin}

// routeVarPattern matches a path variable with its pattern: {id:[0-9]+}.
var routeVarPattern = regexp.MustCompile(`\{([^{}:]+):[^{}]*(\{[^{}]*\}[^{}]*)*\}`)

// NormalizeTemplate drops variable patterns from a gorilla/mux path
// template, as the policy table and the metrics write routes.
func NormalizeTemplate(tmpl string) string {
	if !strings.Contains(tmpl, ":") {
		return tmpl
	}
	return routeVarPattern.ReplaceAllString(tmpl, "{$1}")
}

// PolicyFor returns the class of the route with method and path template
// (patterns dropped or not), and whether the table names it; a route it
// does not name is ClassAdmin. tests/auth_test.go walks the router with it.
func PolicyFor(method, template string) (Class, bool) {
	r, ok := lookupRule(method, NormalizeTemplate(template))
	if r.byCollection {
		return ClassBoundaries + "|" + ClassAggregates, ok
	}
	return r.class, ok
}

// QueryParams returns the query parameters the route with method and path
// template accepts, as the server checks them; any is true for a page,
// which takes any parameter. tests/badbytes_test.go walks the router with it.
func QueryParams(method, template string) (params []string, any bool) {
	r, _ := lookupRule(method, NormalizeTemplate(template))
	return slices.Clone(r.query), r.page
}

func lookupRule(method, tmpl string) (rule, bool) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	r, ok := policy[routeKey{method, tmpl}]
	if !ok {
		return adminOnly, false
	}
	return r, true
}

// classOf resolves a rule's class for one request.
func (ru rule) classOf(r *http.Request) Class {
	if !ru.byCollection {
		return ru.class
	}
	if strings.HasPrefix(mux.Vars(r)["collectionId"], countsPrefix) {
		return ClassAggregates
	}
	return ClassBoundaries
}
