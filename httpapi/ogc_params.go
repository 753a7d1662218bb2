package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// The query parameters of /ogc: format, limit, offset, cursor, bbox,
// datetime and parent.

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
// refused (OGC /req/core/query-param-unknown). The route table declares
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
