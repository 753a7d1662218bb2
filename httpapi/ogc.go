package httpapi

import (
	"bufio"
	"cmp"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// OGC API – Features – Part 1: Core (OGC 17-069r4) under /ogc, with the
// conformance classes core, GeoJSON, HTML and OpenAPI 3.0. JSON is the
// default; HTML is served for f=html or a browser's Accept header.
//
// Collections:
//
//	grids-{level}           the grids of one level (street, village, micro, …),
//	                        current, or as they were at datetime=INSTANT
//	incident-counts-{level} incidents counted per grid of the level, from the
//	                        in-memory aggregate: no personal data; datetime is
//	                        the reporting window (only with the incident service)
//
// Feature ids are grid codes. Coordinates are CRS84 (longitude, latitude,
// EPSG:4326 axis order as in GeoJSON).

const (
	ogcDefaultLimit = 100
	crs84           = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	geoJSONType     = "application/geo+json"
	jsonType        = "application/json"
	htmlType        = "text/html"
	oasType         = "application/vnd.oai.openapi+json;version=3.0"

	gridsPrefix  = "grids-"
	countsPrefix = "incident-counts-"
)

var ogcConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
}

//go:embed ogc_openapi.json
var ogcOpenAPI []byte

// ogcLink is a link object (RFC 8288 as JSON), as every OGC API response
// carries.
type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// ogcFormat decides between JSON and HTML: f=json|html wins, else HTML
// only when Accept names text/html before any JSON type (a browser).
func ogcFormat(r *http.Request) (html bool, err error) {
	switch f := r.URL.Query().Get("f"); f {
	case "html":
		return true, nil
	case "json", "geojson":
		return false, nil
	case "":
	default:
		return false, gridmap.Errorf(gridmap.EINVALID, "f=%q: the formats are json and html", f)
	}
	accept := r.Header.Get("Accept")
	h := strings.Index(accept, htmlType)
	j := strings.Index(accept, "json")
	return h >= 0 && (j < 0 || h < j), nil
}

// withQuery returns base+path with q's values replaced by set (an empty
// value removes the parameter).
func withQuery(base, path string, q url.Values, set ...string) string {
	nq := url.Values{}
	for k, v := range q {
		nq[k] = slices.Clone(v)
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			nq.Del(set[i])
		} else {
			nq.Set(set[i], set[i+1])
		}
	}
	if len(nq) == 0 {
		return base + path
	}
	return base + path + "?" + nq.Encode()
}

// selfLinks are the self and alternate links of a resource at path.
func (s *Server) selfLinks(r *http.Request, path, jsonMedia string, html bool) []ogcLink {
	base, q := s.baseURL(r), r.URL.Query()
	js := ogcLink{Href: withQuery(base, path, q, "f", "json"), Type: jsonMedia, Title: "this document as JSON"}
	ht := ogcLink{Href: withQuery(base, path, q, "f", "html"), Type: htmlType, Title: "this document as HTML"}
	if html {
		ht.Rel, js.Rel = "self", "alternate"
		return []ogcLink{ht, js}
	}
	js.Rel, ht.Rel = "self", "alternate"
	return []ogcLink{js, ht}
}

func (s *Server) ogcLanding(w http.ResponseWriter, r *http.Request) error {
	html, err := ogcFormat(r)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	doc := map[string]any{
		"title":       "gridmap",
		"description": "Grids of grid-based community governance (网格化社会治理) and incident counts per grid, as OGC API – Features. Coordinates are longitude, latitude in WGS84 (CRS84).",
		"links": append(s.selfLinks(r, "/ogc", jsonType, html),
			ogcLink{Href: base + "/ogc/api", Rel: "service-desc", Type: oasType, Title: "the API definition (OpenAPI 3.0)"},
			ogcLink{Href: base + "/ogc/conformance", Rel: "conformance", Type: jsonType, Title: "the conformance classes this API implements"},
			ogcLink{Href: base + "/ogc/collections", Rel: "data", Type: jsonType, Title: "the feature collections"},
			ogcLink{Href: base + "/api/v1/openapi.json", Rel: "describedby", Type: jsonType, Title: "the gridmap JSON API /api/v1 (OpenAPI 3.0)"},
		),
	}
	if html {
		return renderOGC(w, "landing", doc)
	}
	return ogcJSON(w, r, jsonType, doc)
}

func (s *Server) ogcConformanceDoc(w http.ResponseWriter, r *http.Request) error {
	html, err := ogcFormat(r)
	if err != nil {
		return err
	}
	doc := map[string]any{"conformsTo": ogcConformance, "links": s.selfLinks(r, "/ogc/conformance", jsonType, html)}
	if html {
		return renderOGC(w, "conformance", doc)
	}
	return ogcJSON(w, r, jsonType, doc)
}

// ogcAPIDoc serves the OpenAPI 3.0 definition of /ogc (ogc_openapi.json).
func (s *Server) ogcAPIDoc(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", oasType)
	w.Header().Set("Cache-Control", "no-cache")
	_, err := w.Write(ogcOpenAPI)
	return err
}

func ogcJSON(w http.ResponseWriter, r *http.Request, media string, v any) error {
	w.Header().Set("Content-Type", media)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ogcColl is one collection: the grids of a level, or the incident counts
// per grid of a level.
type ogcColl struct {
	ID     string
	Counts bool
	Level  gridmap.Level
}

// levelLabels are the titles of the built-in levels.
var levelLabels = map[gridmap.Level]string{
	gridmap.LevelStreet:  "街道 streets",
	gridmap.LevelVillage: "村/社区 villages and communities",
	gridmap.LevelMicro:   "微网格 micro-grids",
}

func levelLabel(l gridmap.Level) string {
	if s, ok := levelLabels[l]; ok {
		return s
	}
	return "grids of level " + string(l)
}

// hasCounts reports whether the incident-count collections are served.
func (s *Server) hasCounts() bool { return s.incidents != nil && s.heat != nil }

// ogcColls lists the collections: the grids of each level, then the
// incident counts of each level when incidents are served.
func (s *Server) ogcColls(r *http.Request) ([]ogcColl, error) {
	levels, err := s.grids.Levels(r.Context())
	if err != nil {
		return nil, err
	}
	var cs []ogcColl
	for _, l := range levels {
		cs = append(cs, ogcColl{ID: gridsPrefix + string(l), Level: l})
	}
	if s.hasCounts() {
		for _, l := range levels {
			cs = append(cs, ogcColl{ID: countsPrefix + string(l), Counts: true, Level: l})
		}
	}
	return cs, nil
}

// ogcFind returns the collection named by the route. Errors: ENOTFOUND.
func (s *Server) ogcFind(r *http.Request) (ogcColl, error) {
	id := mux.Vars(r)["collectionId"]
	cs, err := s.ogcColls(r)
	if err != nil {
		return ogcColl{}, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		if c.ID == id {
			return c, nil
		}
		ids[i] = c.ID
	}
	return ogcColl{}, gridmap.Errorf(gridmap.ENOTFOUND, "no collection %q; the collections are %s", id, strings.Join(ids, ", "))
}

type ogcCollectionDoc struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	ItemType    string     `json:"itemType"`
	Extent      *ogcExtent `json:"extent,omitempty"`
	Links       []ogcLink  `json:"links"`
}

type ogcExtent struct {
	Spatial  ogcSpatial   `json:"spatial"`
	Temporal *ogcTemporal `json:"temporal,omitempty"`
}

type ogcSpatial struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

type ogcTemporal struct {
	Interval [][2]*time.Time `json:"interval"`
	TRS      string          `json:"trs"`
}

// levelExtent is the bounding box and earliest valid_from of the current
// grids of one level.
type levelExtent struct {
	bound orb.Bound
	first time.Time
}

// levelExtents computes the extent of every level in the current index, in
// one pass (nil while the index loads).
func (s *Server) levelExtents() map[gridmap.Level]*levelExtent {
	ix := s.indexOrNil()
	if ix == nil {
		return nil
	}
	out := map[gridmap.Level]*levelExtent{}
	for i := range ix.Len() {
		g := ix.At(i)
		if len(g.Boundary) == 0 {
			continue
		}
		e := out[g.Level]
		if e == nil {
			e = &levelExtent{bound: g.Boundary.Bound(), first: g.ValidFrom}
			out[g.Level] = e
		} else {
			e.bound = e.bound.Union(g.Boundary.Bound())
			if g.ValidFrom.Before(e.first) {
				e.first = g.ValidFrom
			}
		}
	}
	return out
}

// collectionDoc describes c, with its extent from exts (see levelExtents;
// left out when nil).
func (s *Server) collectionDoc(r *http.Request, c ogcColl, exts map[gridmap.Level]*levelExtent) ogcCollectionDoc {
	base := s.baseURL(r)
	path := "/ogc/collections/" + url.PathEscape(c.ID)
	d := ogcCollectionDoc{ID: c.ID, ItemType: "feature"}
	if c.Counts {
		d.Title = "事件统计 incident counts: " + levelLabel(c.Level)
		d.Description = "The current " + string(c.Level) + " grids with the number of incidents in each (its own and those of every grid below it); no personal data. " +
			"Properties: incidents (matching datetime, category and status), open (matching datetime and category, not yet resolved), and one count per category (matching datetime and status). " +
			"datetime is the reporting window, e.g. 2026-01-01T00:00:00+08:00/2026-02-01T00:00:00+08:00; category=dispute,hazard and status=open or reported,accepted,… narrow the counts."
	} else {
		d.Title = levelLabel(c.Level)
		d.Description = "The " + string(c.Level) + " grids: code, name, level, parent code, grid_id, version, valid_from, valid_to and attributes. " +
			"Current by default; datetime=INSTANT gives the grids as they were then. parent=CODE keeps the children of one grid."
	}
	if e := exts[c.Level]; e != nil {
		b := e.bound
		d.Extent = &ogcExtent{Spatial: ogcSpatial{BBox: [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}, CRS: crs84}}
		if !c.Counts {
			first := e.first
			d.Extent.Temporal = &ogcTemporal{Interval: [][2]*time.Time{{&first, nil}}, TRS: "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
		}
	}
	d.Links = []ogcLink{
		{Href: base + path, Rel: "self", Type: jsonType, Title: "this collection"},
		{Href: base + path + "?f=html", Rel: "alternate", Type: htmlType, Title: "this collection as HTML"},
		{Href: base + path + "/items", Rel: "items", Type: geoJSONType, Title: "the features as GeoJSON"},
		{Href: base + path + "/items?f=html", Rel: "items", Type: htmlType, Title: "the features as HTML"},
	}
	return d
}

func (s *Server) ogcCollections(w http.ResponseWriter, r *http.Request) error {
	html, err := ogcFormat(r)
	if err != nil {
		return err
	}
	cs, err := s.ogcColls(r)
	if err != nil {
		return err
	}
	docs := make([]ogcCollectionDoc, len(cs))
	exts := s.levelExtents()
	for i, c := range cs {
		docs[i] = s.collectionDoc(r, c, exts)
	}
	doc := map[string]any{"links": s.selfLinks(r, "/ogc/collections", jsonType, html), "collections": docs}
	if html {
		return renderOGC(w, "collections", doc)
	}
	return ogcJSON(w, r, jsonType, doc)
}

func (s *Server) ogcCollection(w http.ResponseWriter, r *http.Request) error {
	html, err := ogcFormat(r)
	if err != nil {
		return err
	}
	c, err := s.ogcFind(r)
	if err != nil {
		return err
	}
	doc := s.collectionDoc(r, c, s.levelExtents())
	if html {
		return renderOGC(w, "collection", doc)
	}
	return ogcJSON(w, r, jsonType, doc)
}

// ogcQuery is the parsed query of an items request.
type ogcQuery struct {
	html   bool
	limit  int
	offset int
	cursor string
	bbox   *orb.Bound
	// asOf is a grids collection's datetime instant; from/to (to
	// exclusive) an incident-count collection's reporting window.
	asOf     *time.Time
	from, to time.Time
	parent   string
}

// The query parameters each kind of collection accepts; any other is
// refused (OGC /req/core/query-param-unknown). The policy table declares
// the widest of them for each route, which checkInput enforces for every
// collection; parseOGCQuery narrows to the collection's.
var (
	gridItemParams  = []string{"f", "limit", "offset", "cursor", "bbox", "datetime", "parent"}
	countItemParams = []string{"f", "limit", "offset", "cursor", "bbox", "datetime", "parent", "category", "status"}
	// One feature: the time (and what to count) only.
	gridFeatureParams  = []string{"f", "datetime"}
	countFeatureParams = []string{"f", "datetime", "category", "status"}
)

// parseOGCQuery parses the query of an items request, or of a one-feature
// request when feature is true.
func parseOGCQuery(r *http.Request, c ogcColl, feature bool) (ogcQuery, error) {
	q := r.URL.Query()
	allowed := gridItemParams
	switch {
	case c.Counts && feature:
		allowed = countFeatureParams
	case c.Counts:
		allowed = countItemParams
	case feature:
		allowed = gridFeatureParams
	}
	for k := range q {
		if !slices.Contains(allowed, k) {
			return ogcQuery{}, unknownParam(k, "collection "+c.ID, allowed) // input.go
		}
	}
	var o ogcQuery
	var err error
	if o.html, err = ogcFormat(r); err != nil {
		return o, err
	}
	// OGC: a limit above the maximum is served as the maximum.
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return o, gridmap.Errorf(gridmap.EINVALID, "limit=%q must be a whole number from 1 (at most %d are returned)", v, maxPage)
		}
		o.limit = min(n, maxPage)
	} else {
		o.limit = ogcDefaultLimit
	}
	if o.offset, err = paramInt(q, "offset", 0, 0, 1<<30); err != nil {
		return o, err
	}
	o.cursor, o.parent = q.Get("cursor"), q.Get("parent")
	if o.cursor != "" && o.offset > 0 {
		return o, gridmap.Errorf(gridmap.EINVALID, "give offset or cursor, not both")
	}
	if o.bbox, err = ogcBBox(q); err != nil {
		return o, err
	}
	if v := q.Get("datetime"); v != "" {
		start, end, instant, err := parseDatetime(v)
		if err != nil {
			return o, err
		}
		if c.Counts {
			if start != nil {
				o.from = *start
			}
			if end != nil {
				o.to = *end
			}
		} else {
			if !instant {
				return o, gridmap.Errorf(gridmap.EINVALID, "datetime=%q: collection %s takes one instant, the time the map is wanted as of (e.g. 2026-01-31T08:00:00+08:00), not an interval", v, c.ID)
			}
			o.asOf = start
		}
	}
	return o, nil
}

// ogcBBox parses bbox=minLon,minLat,maxLon,maxLat (or the six-number form
// with heights, which are ignored) in CRS84 degrees.
func ogcBBox(q url.Values) (*orb.Bound, error) {
	v := q.Get("bbox")
	if parts := strings.Split(v, ","); len(parts) == 6 {
		q = url.Values{"bbox": {strings.Join([]string{parts[0], parts[1], parts[3], parts[4]}, ",")}}
	}
	return paramBBox(q)
}

// parseDatetime parses an OGC datetime: an RFC 3339 instant or date, or an
// interval START/END where either end may be open ("..", or empty). A date
// is midnight China Standard Time; as an interval's end it means the end
// of that day. end is exclusive: an instant end t is returned as t plus one
// second's fraction so that t itself is inside, as OGC intervals are closed.
func parseDatetime(v string) (start, end *time.Time, instant bool, err error) {
	bad := gridmap.Errorf(gridmap.EINVALID, "datetime=%q must be an RFC 3339 instant such as 2026-01-31T08:00:00+08:00 or a date 2026-01-31, "+
		"or an interval START/END with either end open (.. or empty), e.g. 2026-01-01/2026-01-31 or 2026-01-01T00:00:00Z/..", v)
	one := func(s string, isEnd bool) (*time.Time, bool) {
		if s == "" || s == ".." {
			return nil, true
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if isEnd {
				t = t.Add(time.Nanosecond)
			}
			return &t, true
		}
		if t, err := time.ParseInLocation("2006-01-02", s, gridmap.ChinaTime); err == nil {
			if isEnd {
				t = t.AddDate(0, 0, 1)
			}
			return &t, true
		}
		return nil, false
	}
	a, b, isInterval := strings.Cut(v, "/")
	if !isInterval {
		t, ok := one(a, false)
		if !ok || t == nil {
			return nil, nil, false, bad
		}
		e, _ := one(a, true)
		return t, e, true, nil
	}
	s, ok1 := one(a, false)
	e, ok2 := one(b, true)
	if !ok1 || !ok2 || s != nil && e != nil && !e.After(*s) {
		return nil, nil, false, bad
	}
	return s, e, false, nil
}

// itemsPage is the outcome of producing one page of features.
type itemsPage struct {
	matched int  // -1 when unknown
	more    bool // a next page exists
	last    string
}

func (s *Server) ogcItems(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ogcFind(r)
	if err != nil {
		return err
	}
	o, err := parseOGCQuery(r, c, false)
	if err != nil {
		return err
	}
	var html []*geojson.Feature
	var fw *fcWriter
	emit := func(f *geojson.Feature) error {
		if o.html {
			html = append(html, f)
			return nil
		}
		return fw.add(f)
	}
	var page itemsPage
	if c.Counts {
		var fs []*geojson.Feature
		fs, page, err = s.countFeatures(r, c, o)
		if err != nil {
			return err
		}
		if !o.html {
			fw = newFCWriter(w, page.matched)
		}
		for _, f := range fs {
			if err := emit(f); err != nil {
				return err
			}
		}
	} else {
		if !o.html {
			// gridFeatures sets numberMatched before the first feature.
			fw = newFCWriter(w, -1)
		}
		page, err = s.gridFeatures(r, c, o, fw, emit)
		if err != nil {
			if fw != nil && fw.bw != nil {
				s.log.ErrorContext(r.Context(), "OGC items failed mid-stream", "request_id", requestID(r.Context()), "error", err.Error())
				panic(http.ErrAbortHandler)
			}
			return err
		}
	}
	links := s.itemsLinks(r, c, o, page, len(html)+fw.count())
	if o.html {
		return renderOGC(w, "items", map[string]any{
			"collection": s.collectionDoc(r, c, nil), "features": html, "matched": page.matched, "links": links, "offset": o.offset,
		})
	}
	if fw.bw == nil {
		fw.begin()
	}
	return fw.finish(links)
}

// itemsLinks are the links of an items page: self, alternate, collection,
// and next (after the last feature) and prev (offset paging) when there
// are such pages.
func (s *Server) itemsLinks(r *http.Request, c ogcColl, o ogcQuery, page itemsPage, n int) []ogcLink {
	base := s.baseURL(r)
	collPath := "/ogc/collections/" + url.PathEscape(c.ID)
	path := collPath + "/items"
	q := r.URL.Query()
	links := s.selfLinks(r, path, geoJSONType, o.html)
	links = append(links, ogcLink{Href: base + collPath, Rel: "collection", Type: jsonType, Title: "the collection"})
	f := "json"
	media := geoJSONType
	if o.html {
		f, media = "html", htmlType
	}
	lim := strconv.Itoa(o.limit)
	if page.more {
		var href string
		if o.cursor != "" {
			href = withQuery(base, path, q, "f", f, "limit", lim, "cursor", page.last)
		} else {
			href = withQuery(base, path, q, "f", f, "limit", lim, "offset", strconv.Itoa(o.offset+n))
		}
		links = append(links, ogcLink{Href: href, Rel: "next", Type: media, Title: "the next page"})
	}
	if o.offset > 0 {
		prev := max(0, o.offset-o.limit)
		off := strconv.Itoa(prev)
		if prev == 0 {
			off = ""
		}
		links = append(links, ogcLink{Href: withQuery(base, path, q, "f", f, "limit", lim, "offset", off), Rel: "prev", Type: media, Title: "the previous page"})
	}
	return links
}

// gridFeatures produces the page of grids o asks for. The current map
// comes from the in-memory index (so numberMatched is exact and cheap);
// a past map (datetime) or a server whose index is still loading reads
// the database.
func (s *Server) gridFeatures(r *http.Request, c ogcColl, o ogcQuery, fw *fcWriter, emit func(*geojson.Feature) error) (itemsPage, error) {
	if ix := s.indexOrNil(); ix != nil && o.asOf == nil {
		gs := matchingGrids(ix, c.Level, o.parent, o.bbox)
		start := o.offset
		if o.cursor != "" {
			start, _ = slices.BinarySearchFunc(gs, o.cursor, func(g *gridmap.Grid, code string) int { return cmp.Compare(g.Code, code) })
			if start < len(gs) && gs[start].Code == o.cursor {
				start++
			}
		}
		start = min(start, len(gs))
		end := min(start+o.limit, len(gs))
		page := itemsPage{matched: len(gs), more: end < len(gs)}
		if fw != nil {
			fw.matched = page.matched
		}
		for _, g := range gs[start:end] {
			if err := emit(gridFeature(*g)); err != nil {
				return page, err
			}
			page.last = g.Code
		}
		return page, nil
	}

	// The database: count first, then stream the page.
	f := gridmap.GridFilter{Level: c.Level, Parent: o.parent, BBox: o.bbox, AsOf: o.asOf}
	page := itemsPage{}
	if err := s.grids.ListGrids(r.Context(), f, func(gridmap.Grid) error { page.matched++; return nil }); err != nil {
		return page, err
	}
	if fw != nil {
		fw.matched = page.matched
	}
	f.After, f.Limit = o.cursor, o.offset+o.limit+1
	i, n := 0, 0
	err := s.grids.ListGrids(r.Context(), f, func(g gridmap.Grid) error {
		i++
		switch {
		case i <= o.offset:
			return nil
		case n == o.limit:
			page.more = true
			return nil
		}
		n++
		page.last = g.Code
		return emit(gridFeature(g))
	})
	return page, err
}

// matchingGrids returns the grids of ix at level, under parent (when
// given) and intersecting bbox (when given), ordered by code.
func matchingGrids(ix *geo.Index, level gridmap.Level, parent string, bbox *orb.Bound) []*gridmap.Grid {
	var gs []*gridmap.Grid
	for i := range ix.Len() {
		g := ix.At(i)
		if g.Level != level || parent != "" && g.Parent != parent {
			continue
		}
		if bbox != nil && !intersectsBound(g.Boundary, *bbox) {
			continue
		}
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *gridmap.Grid) int { return cmp.Compare(a.Code, b.Code) })
	return gs
}

// ogcFeature answers one feature: a grid by code (as of datetime, when
// given), or one grid's incident counts.
func (s *Server) ogcFeature(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ogcFind(r)
	if err != nil {
		return err
	}
	o, err := parseOGCQuery(r, c, true)
	if err != nil {
		return err
	}
	code := mux.Vars(r)["featureId"]
	var f *geojson.Feature
	if c.Counts {
		o.offset, o.cursor, o.limit, o.bbox, o.parent = 0, "", 1, nil, ""
		fs, _, err := s.countFeatures(r, c, o, code)
		if err != nil {
			return err
		}
		if len(fs) == 0 {
			return gridmap.Errorf(gridmap.ENOTFOUND, "collection %s has no feature %q: no current %s grid has that code", c.ID, code, c.Level)
		}
		f = fs[0]
	} else {
		g, err := s.grids.Grid(r.Context(), code, o.asOf)
		if err != nil {
			return err
		}
		if g.Level != c.Level {
			return gridmap.Errorf(gridmap.ENOTFOUND, "grid %s is a %s grid, not in collection %s; see collection %s%s", code, g.Level, c.ID, gridsPrefix, g.Level)
		}
		f = gridFeature(g)
	}
	base := s.baseURL(r)
	collPath := "/ogc/collections/" + url.PathEscape(c.ID)
	links := append(s.selfLinks(r, collPath+"/items/"+url.PathEscape(code), geoJSONType, o.html),
		ogcLink{Href: base + collPath, Rel: "collection", Type: jsonType, Title: "the collection"})
	if o.html {
		return renderOGC(w, "feature", map[string]any{"collection": s.collectionDoc(r, c, nil), "feature": f, "links": links})
	}
	f.ExtraMembers = geojson.Properties{"links": links}
	return ogcJSON(w, r, geoJSONType, f)
}

// fcWriter streams a GeoJSON FeatureCollection with the OGC members. The
// status and headers go out with the first feature, so an error before it
// is still a proper problem response.
type fcWriter struct {
	w       http.ResponseWriter
	bw      *bufio.Writer
	n       int
	matched int // -1: unknown
}

func newFCWriter(w http.ResponseWriter, matched int) *fcWriter {
	return &fcWriter{w: w, matched: matched}
}

func (fw *fcWriter) count() int {
	if fw == nil {
		return 0
	}
	return fw.n
}

func (fw *fcWriter) begin() {
	h := fw.w.Header()
	h.Set("Content-Type", geoJSONType)
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept")
	fw.bw = bufio.NewWriterSize(fw.w, 64<<10)
	fw.bw.WriteString(`{"type":"FeatureCollection",`)
	if fw.matched >= 0 {
		fw.bw.WriteString(`"numberMatched":` + strconv.Itoa(fw.matched) + `,`)
	}
	fw.bw.WriteString(`"features":[`)
}

func (fw *fcWriter) add(f *geojson.Feature) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if fw.bw == nil {
		fw.begin()
	} else {
		fw.bw.WriteByte(',')
	}
	fw.n++
	_, err = fw.bw.Write(b)
	return err
}

func (fw *fcWriter) finish(links []ogcLink) error {
	lb, err := json.Marshal(links)
	if err != nil {
		return err
	}
	fw.bw.WriteString(`],"numberReturned":` + strconv.Itoa(fw.n))
	fw.bw.WriteString(`,"timeStamp":"` + time.Now().UTC().Format(time.RFC3339) + `","links":`)
	fw.bw.Write(lb)
	fw.bw.WriteString("}\n")
	return fw.bw.Flush()
}

// intersectsBound reports whether mp and b share a point (boundaries
// touching included), as PostGIS ST_Intersects does: a vertex of mp inside
// b, an edge of mp crossing b, or b inside mp. Degrees, EPSG:4326.
func intersectsBound(mp orb.MultiPolygon, b orb.Bound) bool {
	if len(mp) == 0 || !mp.Bound().Intersects(b) {
		return false
	}
	for _, poly := range mp {
		if !poly.Bound().Intersects(b) {
			continue
		}
		for _, ring := range poly {
			for i, p := range ring {
				if b.Contains(p) {
					return true
				}
				if i > 0 && segmentHitsBound(ring[i-1], p, b) {
					return true
				}
			}
		}
		// No vertex inside and no edge crossing: b is wholly inside or
		// wholly outside every ring, so one corner tells.
		if polygonContains(poly, b.Min) {
			return true
		}
	}
	return false
}

// segmentHitsBound clips segment a-b to the box (Liang–Barsky).
func segmentHitsBound(a, b orb.Point, box orb.Bound) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := b[0]-a[0], b[1]-a[1]
	clip := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		t := q / p
		if p < 0 {
			if t > t1 {
				return false
			}
			t0 = max(t0, t)
		} else {
			if t < t0 {
				return false
			}
			t1 = min(t1, t)
		}
		return true
	}
	return clip(-dx, a[0]-box.Min[0]) && clip(dx, box.Max[0]-a[0]) &&
		clip(-dy, a[1]-box.Min[1]) && clip(dy, box.Max[1]-a[1]) && t0 <= t1
}

// polygonContains is the even-odd rule over all rings of poly.
func polygonContains(poly orb.Polygon, p orb.Point) bool {
	in := false
	for _, ring := range poly {
		for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
			a, b := ring[i], ring[j]
			if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
				in = !in
			}
		}
	}
	return in
}
