package httpapi

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gridmap/gridmap"
)

// ogcLink is a link object (RFC 8288 as JSON), as every OGC API response
// carries.
type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
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

// itemsPage is the outcome of producing one page of features.
type itemsPage struct {
	matched int  // -1 when unknown
	more    bool // a next page exists
	last    string
}

// pageOf cuts the page o asks for from gs, which are in code order: from
// o.offset, or after the code o.cursor; at most o.limit grids.
func pageOf(gs []*gridmap.Grid, o ogcQuery) ([]*gridmap.Grid, itemsPage) {
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
	gs = gs[start:end]
	if len(gs) > 0 {
		page.last = gs[len(gs)-1].Code
	}
	return gs, page
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
