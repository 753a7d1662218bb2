package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/mux"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/media/mediatest"
)

// The OpenAPI documents: /api/v1/openapi.json (httpapi/openapi.json)
// describes /api/v1, /ogc/api (httpapi/ogc_openapi.json) describes /ogc.
// These tests keep them true: each validates, describes exactly the routes
// registered under its prefix, documents every error as problem+json, and
// real answers match it.

var apiDocs = []struct {
	prefix, url, file string
	// also is a second prefix the document describes: openapi.json
	// describes Open311 too (whose errors are the spec's, not problems).
	also string
}{
	{"/api/v1", "/api/v1/openapi.json", "httpapi/openapi.json", "/open311"},
	{"/ogc", "/ogc/api", "httpapi/ogc_openapi.json", ""},
}

// loadDoc fetches an OpenAPI document from the server and validates it.
func loadDoc(tb testing.TB, u string) *openapi3.T {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		tb.Fatalf("%s does not load as OpenAPI: %v", u, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatalf("%s is not a valid OpenAPI document: %v", u, err)
	}
	return doc
}

// routeVar matches a gorilla/mux path variable with its pattern: {id:[0-9]+}.
var routeVar = regexp.MustCompile(`\{([^{}:]+):[^{}]*(\{[^{}]*\}[^{}]*)*\}`)

// registeredRoutes walks the router and returns "METHOD /path" of every
// route under prefix, with variable patterns dropped ({id:[0-9]+} → {id})
// as OpenAPI writes them. HEAD and OPTIONS are left out; a route without
// methods is "ANY".
func registeredRoutes(tb testing.TB, r *mux.Router, prefix string) []string {
	tb.Helper()
	var out []string
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if route.GetHandler() == nil {
			return nil // a subrouter's prefix
		}
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		tmpl = routeVar.ReplaceAllString(tmpl, "{$1}")
		if tmpl != prefix && !strings.HasPrefix(tmpl, prefix+"/") {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			methods = []string{"ANY"}
		}
		for _, m := range methods {
			if m != http.MethodHead && m != http.MethodOptions {
				out = append(out, m+" "+tmpl)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// documentedRoutes returns "METHOD /path" of every operation of doc.
func documentedRoutes(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for m := range item.Operations() {
			out = append(out, m+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIDescribesEveryRoute fails, naming each route, when a route is
// registered under /api/v1 (or /ogc) and not described in its OpenAPI
// document, or described and not registered.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	srv, a := instance(t, demoDB(t))
	router := a.Handler.(*httpapi.Server).Router()
	for _, d := range apiDocs {
		doc := loadDoc(t, srv.URL+d.url)
		registered := registeredRoutes(t, router, d.prefix)
		if d.also != "" {
			registered = append(registered, registeredRoutes(t, router, d.also)...)
		}
		if len(registered) < 3 {
			t.Fatalf("only %d routes found under %s: is the router walk broken? %v", len(registered), d.prefix, registered)
		}
		documented := documentedRoutes(doc)
		var missing, stale []string
		for _, r := range registered {
			method, path, _ := strings.Cut(r, " ")
			if !slices.Contains(documented, r) && !(method == "ANY" && doc.Paths.Find(path) != nil) {
				missing = append(missing, r)
			}
		}
		for _, r := range documented {
			if !slices.Contains(registered, r) {
				_, path, _ := strings.Cut(r, " ")
				if !slices.Contains(registered, "ANY "+path) {
					stale = append(stale, r)
				}
			}
		}
		if len(missing) > 0 {
			t.Errorf("%d routes under %s are registered but not described in %s: add each to \"paths\" there "+
				"(parameters, the success answer, and every error as $ref to a problem+json response):\n\t%s",
				len(missing), d.prefix, d.file, strings.Join(missing, "\n\t"))
		}
		if len(stale) > 0 {
			t.Errorf("%d operations in %s have no registered route (renamed or removed?):\n\t%s",
				len(stale), d.file, strings.Join(stale, "\n\t"))
		}
	}
}

// TestOpenAPIErrorsAreProblems checks that every documented error answer
// (4xx, 5xx and default) of both documents is application/problem+json
// with the Problem schema, and nothing else.
func TestOpenAPIErrorsAreProblems(t *testing.T) {
	srv, _ := instance(t, demoDB(t))
	for _, d := range apiDocs {
		doc := loadDoc(t, srv.URL+d.url)
		n := 0
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				if op.Responses.Status(500) == nil {
					t.Errorf("%s %s %s: documents no 500 answer", d.file, method, path)
				}
				for code, ref := range op.Responses.Map() {
					if code != "default" && !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5") {
						continue
					}
					n++
					where := fmt.Sprintf("%s %s %s answer %s", d.file, method, path, code)
					content := ref.Value.Content
					if strings.HasPrefix(path, "/open311/") {
						// The spec's error list, in JSON or XML.
						if j := content["application/json"]; len(content) != 2 || j == nil || content["text/xml"] == nil ||
							j.Schema == nil || !strings.HasSuffix(j.Schema.Ref, "/Open311Errors") {
							t.Errorf("%s: want application/json (#/components/schemas/Open311Errors) and text/xml", where)
						}
						continue
					}
					if len(content) != 1 || content["application/problem+json"] == nil {
						keys := make([]string, 0, len(content))
						for k := range content {
							keys = append(keys, k)
						}
						t.Errorf("%s: media types %v, want only application/problem+json", where, keys)
						continue
					}
					s := content["application/problem+json"].Schema
					if s == nil || !strings.HasSuffix(s.Ref, "/Problem") {
						t.Errorf("%s: schema is not #/components/schemas/Problem", where)
						continue
					}
					for _, field := range []string{"type", "title", "status", "detail"} {
						if !slices.Contains(s.Value.Required, field) {
							t.Errorf("%s: the Problem schema does not require %s", where, field)
						}
					}
				}
			}
		}
		if n < 10 {
			t.Errorf("%s documents only %d error answers", d.file, n)
		}
	}
}

// TestOpenAPIAnswersMatch sends real requests, good and bad, to every
// documented operation that can be called without side effects beyond a
// test database, and validates each request and answer against the
// documents with kin-openapi: the status must be documented, the media
// type listed and the body match its schema (errors: the Problem schema).
func TestOpenAPIAnswersMatch(t *testing.T) {
	srv, a := instance(t, demoDB(t))
	select {
	case <-a.Incidents.Loaded():
	default:
	}
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	lon, lat := ftoa(pt[0]), ftoa(pt[1])

	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/xml", openapi3filter.PlainBodyDecoder)
	for _, mt := range []string{"image/jpeg", "image/png", "image/webp", "application/pdf"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.FileBodyDecoder)
	}
	rts := map[string]routers.Router{}
	for _, d := range apiDocs {
		doc := loadDoc(t, srv.URL+d.url)
		rt, err := gorillamux.NewRouter(doc)
		if err != nil {
			t.Fatal(err)
		}
		rts[d.prefix] = rt
	}

	// An incident to read and change.
	inc := incident("OPENAPI-1", pt, "dispute")
	var created struct{ ID int64 }
	if resp := send(t, "POST", srv.URL+"/api/v1/incidents", inc, &created); resp.StatusCode != 201 {
		t.Fatalf("posting an incident: %d", resp.StatusCode)
	}
	id := strconv.FormatInt(created.ID, 10)
	var one geojson.Feature
	etag := get(t, srv.URL+"/api/v1/grids/37081200100102", &one).Header.Get("ETag")
	// A plan to work on, and one to discard.
	var plan, other struct{ ID int64 }
	send(t, "POST", srv.URL+"/api/v1/plans", map[string]string{"title": "OpenAPI", "actor": "test"}, &plan)
	send(t, "POST", srv.URL+"/api/v1/plans", map[string]string{"title": "to discard"}, &other)
	pl := "/api/v1/plans/" + strconv.FormatInt(plan.ID, 10)
	if plan.ID == 0 || other.ID == 0 {
		t.Fatal("could not create plans")
	}

	// Attachments: a photo uploaded once before the calls, and again.
	photo := string(mediatest.JPEG(64, 48, mediatest.EXIF{Time: "2026:11:25 09:30:00", Lon: 116.8, Lat: 35.5}))
	photo2 := string(mediatest.JPEG(48, 64, mediatest.EXIF{}))
	attResp, err := http.Post(srv.URL+"/api/v1/attachments", "image/jpeg", strings.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	var att struct{ ID string }
	_ = json.NewDecoder(attResp.Body).Decode(&att)
	attResp.Body.Close()
	if attResp.StatusCode != 201 || att.ID == "" {
		t.Fatalf("uploading an attachment: %d", attResp.StatusCode)
	}

	type call struct {
		method, path, ctype, body string
		status                    int
		header                    map[string]string
	}
	j := "application/json"
	form := "application/x-www-form-urlencoded"
	calls := []call{
		{"GET", "/api/v1/openapi.json", "", "", 200, nil},
		{"GET", "/api/v1/whoami", "", "", 200, nil},
		{"GET", "/api/v1/grids?level=street", "", "", 401, map[string]string{"Authorization": "Bearer not-a-token"}},
		{"GET", "/api/v1/grids?level=village&limit=5", "", "", 200, nil},
		{"GET", "/api/v1/grids?level=micro&limit=3&format=csv", "", "", 200, nil},
		{"GET", "/api/v1/grids?bbox=" + url.QueryEscape(fmtBound(pt[0], pt[1], pt[0]+0.001, pt[1]+0.001)), "", "", 200, nil},
		{"GET", "/api/v1/grids?level=nope", "", "", 400, nil},
		{"GET", "/api/v1/grids?format=xml", "", "", 400, nil},
		{"GET", "/api/v1/grids/37081200100101", "", "", 200, nil},
		{"GET", "/api/v1/grids/37081200100101?as_of=2020-01-01T00:00:00Z", "", "", 404, nil},
		{"GET", "/api/v1/grids/nope", "", "", 404, nil},
		{"GET", "/api/v1/lookup?lon=" + lon + "&lat=" + lat, "", "", 200, nil},
		{"GET", "/api/v1/lookup?lon=" + lon + "&lat=" + lat + "&crs=gcj02", "", "", 200, nil},
		{"GET", "/api/v1/lookup?lon=0&lat=0", "", "", 404, nil},
		{"GET", "/api/v1/lookup?lon=" + lon, "", "", 400, nil},
		{"POST", "/api/v1/lookup", j, `{"points":[[` + lon + `,` + lat + `],[0,0]]}`, 200, nil},
		{"POST", "/api/v1/lookup", "text/csv", "lon,lat\n" + lon + "," + lat + "\n", 200, nil},
		{"POST", "/api/v1/lookup", j, `{"points":[[` + lon + `,` + lat + `],[500,0]]}`, 400, nil},
		{"GET", "/api/v1/categories", "", "", 200, nil},
		{"GET", "/api/v1/incidents?limit=2", "", "", 200, nil},
		{"GET", "/api/v1/incidents?status=lost", "", "", 400, nil},
		{"GET", "/api/v1/incidents/" + id, "", "", 200, nil},
		{"GET", "/api/v1/incidents/999999999", "", "", 404, nil},
		{"POST", "/api/v1/incidents", j, mustJSON(t, incident("OPENAPI-2", pt, "hazard")), 201, nil},
		{"POST", "/api/v1/incidents", j, mustJSON(t, incident("OPENAPI-2", pt, "hazard")), 200, nil},
		{"POST", "/api/v1/incidents", j, mustJSON(t, map[string]any{"incidents": []any{incident("OPENAPI-3", pt, "hazard")}}), 201, nil},
		{"POST", "/api/v1/incidents", j, `{"external_id":"x"}`, 400, nil},
		{"PATCH", "/api/v1/incidents/" + id, j, `{"status":"accepted"}`, 200, nil},
		{"PATCH", "/api/v1/incidents/" + id, j, `{"status":"reported"}`, 409, nil},
		{"PATCH", "/api/v1/incidents/" + id, j, `{"colour":"red"}`, 400, nil},
		{"GET", "/api/v1/stats/grids?level=village", "", "", 200, nil},
		{"GET", "/api/v1/stats/grids?level=nope", "", "", 400, nil},
		{"GET", "/api/v1/stats/timeseries?bucket=week", "", "", 200, nil},
		{"GET", "/api/v1/stats/timeseries?bucket=year", "", "", 400, nil},
		{"GET", "/api/v1/events?category=nope", "", "", 400, nil},
		{"GET", "/api/v1/events/recent?limit=5", "", "", 200, nil},
		{"GET", "/api/v1/events/recent?limit=500", "", "", 400, nil},
		{"POST", "/api/v1/attachments", "image/jpeg", photo2, 201, nil},
		{"POST", "/api/v1/attachments", "image/jpeg", photo, 200, nil},
		{"POST", "/api/v1/attachments", "image/jpeg", "not a photo", 415, nil},
		{"POST", "/api/v1/attachments", "image/jpeg", photo[:len(photo)/2], 400, nil},
		{"GET", "/api/v1/attachments/" + att.ID, "", "", 200, nil},
		{"GET", "/api/v1/attachments/" + att.ID + "/thumbnail", "", "", 200, nil},
		{"GET", "/api/v1/attachments/" + strings.Repeat("0", 64), "", "", 404, nil},
		// A department's people (the first person of a fresh database is 1).
		{"POST", "/api/v1/departments/police/members", j, `{"name":"张演示","role":"head","phone":"199-0537-0001"}`, 201, nil},
		{"POST", "/api/v1/departments/police/members", j, `{"name":"张演示","role":"boss"}`, 400, nil},
		{"POST", "/api/v1/departments/nope/members", j, `{"name":"张演示","role":"staff"}`, 404, nil},
		{"GET", "/api/v1/departments/police/members", "", "", 200, nil},
		{"GET", "/api/v1/departments/nope/members", "", "", 404, nil},
		{"DELETE", "/api/v1/departments/police/members/1", "", "", 200, nil},
		{"DELETE", "/api/v1/departments/police/members/1", "", "", 409, nil},
		{"GET", "/api/v1/departments/police/members?retired=true", "", "", 200, nil},

		{"GET", "/api/v1/plans", "", "", 200, nil},
		{"GET", "/api/v1/plans?status=draft", "", "", 200, nil},
		{"GET", pl, "", "", 200, nil},
		{"GET", "/api/v1/plans/999999", "", "", 404, nil},
		{"POST", "/api/v1/plans", j, `{"title":"x","colour":"red"}`, 400, nil},
		{"POST", pl + "/changes", j, `{"kind":"replace","code":"37081200100101","name":"改名演示"}`, 200, nil},
		{"POST", pl + "/changes", j, `{"changes":[{"kind":"move","code":"37081200100103","parent":"370812001002"}]}`, 200, nil},
		{"POST", pl + "/changes", j, `{"kind":"frobnicate"}`, 400, nil},
		{"POST", pl + "/changes", j, `{"kind":"retire","code":"37081200100104"}`, 412, map[string]string{"If-Match": fmt.Sprintf(`"p%d.999"`, plan.ID)}},
		{"DELETE", pl + "/changes/2", "", "", 200, nil},
		{"DELETE", pl + "/changes/99", "", "", 404, nil},
		{"GET", pl + "/validate", "", "", 200, nil},
		{"POST", pl + "/validate?width_m=5", "", "", 200, nil},
		{"GET", pl + "/validate?width_m=-1", "", "", 400, nil},
		{"GET", pl + "/impact", "", "", 200, nil},
		{"POST", pl + "/publish", j, `{"actor":"test"}`, 200, nil},
		{"POST", pl + "/publish", j, `{"actor":"test"}`, 409, nil},
		{"POST", fmt.Sprintf("/api/v1/plans/%d/discard", other.ID), j, `{"actor":"test"}`, 200, nil},
		{"GET", "/api/v1/grids/37081200100101/history", "", "", 200, nil},
		{"GET", "/api/v1/grids/nope/history", "", "", 404, nil},
		{"PATCH", "/api/v1/grids/37081200100102", j, `{"name":"x"}`, 400, nil},
		{"PATCH", "/api/v1/grids/37081200100102", j, `{"name":"x","actor":"test"}`, 412, map[string]string{"If-Match": `"g1"`}},
		{"PATCH", "/api/v1/grids/37081200100102", j, `{"name":"直接改名","actor":"test"}`, 200, map[string]string{"If-Match": etag}},
		{"GET", "/api/v1/topology?level=micro", "", "", 200, nil},
		{"GET", "/api/v1/topology?level=nope", "", "", 400, nil},
		{"GET", "/api/v1/lookup?lon=" + lon + "&lat=" + lat + "&as_of=2030-01-01T00:00:00Z", "", "", 200, nil},

		{"GET", "/ogc", "", "", 200, nil},
		{"GET", "/ogc/?f=html", "", "", 200, nil},
		{"GET", "/ogc?f=xml", "", "", 400, nil},
		{"GET", "/ogc/conformance", "", "", 200, nil},
		{"GET", "/ogc/api", "", "", 200, nil},
		{"GET", "/ogc/collections", "", "", 200, nil},
		{"GET", "/ogc/collections/grids-micro", "", "", 200, nil},
		{"GET", "/ogc/collections/grids-micro?f=html", "", "", 200, nil},
		{"GET", "/ogc/collections/nope", "", "", 404, nil},
		{"GET", "/ogc/collections/grids-micro/items?limit=5&offset=5", "", "", 200, nil},
		{"GET", "/ogc/collections/grids-micro/items?bbox=" + url.QueryEscape(fmtBound(pt[0], pt[1], pt[0]+0.01, pt[1]+0.01)) + "&datetime=2030-01-01", "", "", 200, nil},
		{"GET", "/ogc/collections/grids-micro/items?f=html&limit=3", "", "", 200, nil},
		{"GET", "/ogc/collections/grids-micro/items?bbox=1,2", "", "", 400, nil},
		{"GET", "/ogc/collections/incident-counts-micro/items?limit=3&category=dispute&status=open&datetime=2026-01-01/..", "", "", 200, nil},
		{"GET", "/ogc/collections/grids-micro/items/37081200100101", "", "", 200, nil},
		{"GET", "/ogc/collections/incident-counts-village/items/370812001001", "", "", 200, nil},
		{"GET", "/ogc/collections/grids-micro/items/nope", "", "", 404, nil},
		{"GET", "/ogc/collections/grids-micro/items", "", "", 401, map[string]string{"Authorization": "Bearer not-a-token"}},

		{"GET", "/open311/v2/discovery.json", "", "", 200, nil},
		{"GET", "/open311/v2/discovery.xml", "", "", 200, nil},
		{"GET", "/open311/v2/services.json", "", "", 200, nil},
		{"GET", "/open311/v2/services.xml?locale=en", "", "", 200, nil},
		{"GET", "/open311/v2/services.json?locale=fr", "", "", 400, nil},
		{"GET", "/open311/v2/services/dispute.json", "", "", 200, nil},
		{"GET", "/open311/v2/services/dispute.xml", "", "", 200, nil},
		{"GET", "/open311/v2/services/nope.json", "", "", 404, nil},
		{"GET", "/open311/v2/services/nope.xml", "", "", 404, nil},
		{"POST", "/open311/v2/requests.json", form, "service_code=hazard&lat=" + lat + "&long=" + lon + "&description=x&phone=1", 201, nil},
		{"POST", "/open311/v2/requests.xml", form, "service_code=hazard&lat=" + lat + "&long=" + lon, 201, nil},
		{"POST", "/open311/v2/requests.json", form, "service_code=nope&lat=" + lat + "&long=" + lon, 400, nil},
		{"POST", "/open311/v2/requests.xml", form, "service_code=hazard", 400, nil},
		{"GET", "/open311/v2/requests.json?status=open&service_code=hazard", "", "", 200, nil},
		{"GET", "/open311/v2/requests.xml", "", "", 200, nil},
		{"GET", "/open311/v2/requests.json?status=lost", "", "", 400, nil},
		{"GET", "/open311/v2/requests/" + id + ".json", "", "", 200, nil},
		{"GET", "/open311/v2/requests/" + id + ".xml", "", "", 200, nil},
		{"GET", "/open311/v2/requests/999999999.json", "", "", 404, nil},
		{"GET", "/open311/v2/requests.json", "", "", 403, map[string]string{"Authorization": "Bearer not-a-token"}},
	}
	for _, c := range calls {
		prefix := "/api/v1"
		if strings.HasPrefix(c.path, "/ogc") {
			prefix = "/ogc"
		}
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequest(c.method, srv.URL+c.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		where := c.method + " " + c.path
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d: %.300s", where, resp.StatusCode, c.status, got)
			continue
		}

		// Validate against the document, as a client generated from it
		// would see the exchange.
		vreq, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if c.ctype != "" {
			vreq.Header.Set("Content-Type", c.ctype)
		}
		for k, v := range c.header {
			vreq.Header.Set(k, v)
		}
		route, params, err := rts[prefix].FindRoute(vreq)
		if err != nil {
			t.Errorf("%s: not found in the OpenAPI document: %v", where, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if c.status < 400 {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s: the request does not match the document: %v", where, err)
			}
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body: io.NopCloser(bytes.NewReader(got)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s: the %d answer does not match the document: %v", where, resp.StatusCode, err)
		}
	}

	// The router's own answers (no route; method not allowed) are
	// problems too, though no document can list them.
	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/nope"}, {"DELETE", "/api/v1/grids"}, {"GET", "/ogc/nope/deeper"}} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d %s, want a problem+json error", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
