package httpapi

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
)

// Class is a class of endpoints that one authorisation rule covers. Every
// route belongs to exactly one, through its rule in the route table
// (routes.go).
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
	// ClassCase: taking steps of the case loop (issue 14): dispatcher,
	// department, reporter, admin. Which step each may take on which case
	// is caseflow's (its table, a department's own cases, a grid-scoped
	// reporter's grids).
	ClassCase Class = "case"
	// ClassDispatch: the command centre's desk work beyond steps, linking
	// duplicates (dispatcher, admin).
	ClassDispatch Class = "dispatch"
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
	gridmap.RoleReporter: {ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics, ClassReport, ClassCase},
	gridmap.RolePlanner:  {ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics, ClassPlan},
	// The command centre reads as a reporter, writes incidents, takes
	// the loop's steps and links duplicates; it does not plan.
	gridmap.RoleDispatcher: {ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics,
		ClassReport, ClassCase, ClassDispatch},
	// A department reads as a viewer (its own cases' personal data too,
	// incidentView) and takes steps on its own cases; it neither posts
	// incidents nor moves their status by PATCH.
	gridmap.RoleDepartment: {ClassBoundaries, ClassTiles, ClassAggregates, ClassLookups, ClassIncidents, ClassPlans, ClassMetrics,
		ClassCase},
}

// rule is the policy of one route, declared with it in the route table
// (routes.go).
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
	// tokenInQuery: the token may come as ?access_token= (EventSource
	// cannot send headers; authenticate). A path without variables.
	tokenInQuery bool
	// query are the query parameters the route accepts; any other is
	// refused with a 400 listing these (checkInput, input.go).
	query []string
}

// adminOnly is the rule of a route the route table does not name (one
// mounted on Router() by other code).
var adminOnly = rule{class: ClassAdmin}

// routeVarPattern matches a path variable with its pattern: {id:[0-9]+}.
var routeVarPattern = regexp.MustCompile(`\{([^{}:]+):[^{}]*(\{[^{}]*\}[^{}]*)*\}`)

// NormalizeTemplate drops variable patterns from a gorilla/mux path
// template, as the route table keys its policy and the metrics write routes.
func NormalizeTemplate(tmpl string) string {
	if !strings.Contains(tmpl, ":") {
		return tmpl
	}
	return routeVarPattern.ReplaceAllString(tmpl, "{$1}")
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
