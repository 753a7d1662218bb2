package httpapi

import (
	_ "embed"
	"net/http"
	"net/url"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
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
//
// The files: ogc.go the routes and handlers; ogc_collections.go what the
// collections are and their documents; ogc_params.go the query parameters;
// ogc_paging.go links and pages; ogc_write.go the JSON and streamed
// FeatureCollection writers; ogc_grids.go and ogc_counts.go the features of
// the two kinds of collection; ogc_html.go the HTML pages.

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
