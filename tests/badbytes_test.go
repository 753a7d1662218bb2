package tests

import (
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
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// Issue 12: bad bytes (NUL, invalid UTF-8, control characters, overlong
// values) anywhere in a request are a 400 naming where they were, never a
// 500; unknown query parameters are a 400 listing the accepted ones.

// badValue is a value no text field, path variable or query parameter
// accepts; raw is its bytes, json its JSON string literal.
type badValue struct {
	name, raw, json string
}

var badValues = []badValue{
	{"NUL", "a\x00b", `"a\u0000b"`},
	{"invalid UTF-8", "\xC3\x28", "\"\xC3\x28\""},
	{"control character", "a\x07b", `"a\u0007b"`},
	{"overlong", strings.Repeat("x", 20001), `"` + strings.Repeat("x", 20001) + `"`},
}

// badReq sends a request (the body as given, JSON when not empty) with an
// admin token, and returns the status, content type and body. The context
// only guards against a stream that was wrongly opened.
func badReq(tb testing.TB, method, u, token, body string, hdr map[string]string) (int, string, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		tb.Fatalf("%s %.200s: %v", method, u, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %.200s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestBadBytesExamples: the URLs the issue found answering 500.
func TestBadBytesExamples(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	admin := mint(t, a, gridmap.RoleAdmin, "admin", "")
	for _, c := range []struct{ path, names string }{
		{"/api/v1/grids/%00", "code"},
		{"/api/v1/grids/%C3%28", "code"},
		{"/api/v1/grids?parent=%00", "parent"},
		{"/api/v1/grids/%00/history", "code"},
		{"/api/v1/incidents?external_id=%00", "external_id"},
		{"/ogc/collections/grids-micro/items/%00", "featureId"},
		{"/api/v1/grids?level=micro&foo=1", `"foo"`},
	} {
		status, ctype, body := badReq(t, "GET", srv.URL+c.path, admin, "", nil)
		var p problem
		_ = json.Unmarshal([]byte(body), &p)
		if status != 400 || ctype != "application/problem+json" || !strings.Contains(p.Detail, c.names) {
			t.Errorf("GET %s: %d %s %s, want 400 problem+json naming %s", c.path, status, ctype, body, c.names)
		}
	}
	// The unknown parameter's answer lists the accepted ones.
	_, _, body := badReq(t, "GET", srv.URL+"/api/v1/grids?foo=1", admin, "", nil)
	for _, want := range []string{"as_of", "bbox", "cursor", "format", "level", "limit", "parent"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /api/v1/grids?foo=1 does not list %s: %s", want, body)
		}
	}
}

// routeVarRE matches a path variable of a route template, with or without
// its pattern.
var routeVarRE = regexp.MustCompile(`\{([^{}:]+)(:(?:[^{}]|\{[^{}]*\})*)?\}`)

// sampleVars are values of each path variable that reach the handler.
func sampleVars(incidentID, planID int64) map[string]string {
	return map[string]string{
		"code": "37081200100101", "featureId": "37081200100101", "collectionId": "grids-micro",
		"z": "10", "x": "853", "y": "416", "page": "wallmap", "name": "wallmap", "seq": "1",
		"id:incidents": strconv.FormatInt(incidentID, 10), "id:plans": strconv.FormatInt(planID, 10),
		"format": "json", "service_request_id": strconv.FormatInt(incidentID, 10),
		"id:attachments": strings.Repeat("0", 64), "id:roster": "1", "id:worklogs": "1",
		"department": "police", "id:departments": "1",
	}
}

// fillTemplate writes a route template as a path, with bad (escaped) in
// the variable named only.
func fillTemplate(tb testing.TB, tmpl string, vars map[string]string, only, bad string) string {
	tb.Helper()
	return routeVarRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := routeVarRE.FindStringSubmatch(m)[1]
		if name == only {
			return url.PathEscape(bad)
		}
		v, ok := vars[name]
		if name == "id" {
			v, ok = vars["id:"+strings.Split(strings.TrimPrefix(tmpl, "/api/v1/"), "/")[0]]
		}
		if !ok {
			tb.Fatalf("%s: no sample value for {%s}; add one to sampleVars", tmpl, name)
		}
		return v
	})
}

// sampleBodies are, for every route that reads a JSON body, a body that
// holds every string field the route accepts (with one of each kind of
// plan change), and the headers it needs. Every string leaf, and every key
// of an attributes object, is replaced by each bad value in turn.
func sampleBodies(pt [2]float64) map[string]struct {
	body string
	hdr  map[string]string
} {
	square := `{"type":"Polygon","coordinates":[[[116,35],[116.001,35],[116.001,35.001],[116,35.001],[116,35]]]}`
	lon, lat := ftoa(pt[0]), ftoa(pt[1])
	draft := `{"code":"BB01","name":"坏字节","level":"micro","parent":"370812001001","attributes":{"note":"n"},` +
		`"members":[{"grid_code":"BB01","role":"worker","name":"王演示","contact":"199-0537-0001"}],"boundary":` + square + `}`
	type sb = struct {
		body string
		hdr  map[string]string
	}
	return map[string]sb{
		"POST /api/v1/lookup": {body: `{"points":[[` + lon + `,` + lat + `]],"crs":"wgs84"}`},
		"POST /api/v1/incidents": {body: `{"external_id":"BB-1","category":"dispute","source":"hotline","lon":` + lon + `,"lat":` + lat +
			`,"crs":"wgs84","reported_at":"2026-11-25T09:30:00+08:00","status":"accepted","accepted_at":"2026-11-25T10:30:00+08:00",` +
			`"department":"城管","deadline":"2026-12-01T18:00:00+08:00","description":"楼道堆放杂物","reporter":{"name":"李演示","phone":"199-0537-9999"},` +
			`"reporter_name":"李演示","reporter_phone":"199-0537-9999"}`},
		"PATCH /api/v1/incidents/{id}": {body: `{"status":"accepted","department":"城管","deadline":"2026-12-01T18:00:00+08:00","at":"2026-11-25T10:30:00+08:00"}`},
		"POST /api/v1/plans":           {body: `{"title":"坏字节","actor":"王演示"}`},
		"POST /api/v1/incidents/{id}/steps": {body: `{"step":"dispatch","note":"n","reason":"r","department":"police","person":"李演示",` +
			`"deadline":"2099-12-01T18:00:00+08:00","decision":"d","agenda":"2099-12-02","outcome":"accept","attachments":["` + strings.Repeat("ab", 32) + `"]}`},
		"POST /api/v1/incidents/{id}/duplicate-of": {body: `{"main":1}`},
		"POST /api/v1/plans/{id}/changes": {body: `{"changes":[` +
			`{"kind":"replace","code":"37081200100101","name":"新名","attributes":{"note":"n"},"boundary":` + square + `,"base":{"37081200100101":1}},` +
			`{"kind":"add","grid":` + draft + `},` +
			`{"kind":"split","code":"37081200100102","into":[` + draft + `,` + draft + `]},` +
			`{"kind":"merge","codes":["37081200100103","37081200100104"],"grid":` + draft + `},` +
			`{"kind":"move","code":"37081200100105","parent":"370812001002"},` +
			`{"kind":"retire","code":"37081200100106"}]}`},
		"POST /api/v1/plans/{id}/publish":               {body: `{"actor":"王演示","force":false,"force_reason":"原因"}`},
		"POST /api/v1/plans/{id}/discard":               {body: `{"actor":"王演示"}`},
		"POST /api/v1/roster":                           {body: `{"grid":"37081200100101","role":"worker","name":"王演示","contact":"199-0537-0001","reason":"r","actor":"王演示"}`},
		"PATCH /api/v1/roster/{id}":                     {body: `{"grid":"37081200100102","role":"leader","name":"王演示","contact":"199-0537-0002","reason":"r","actor":"王演示"}`},
		"POST /api/v1/roster/{id}/retire":               {body: `{"reason":"r","actor":"王演示"}`},
		"POST /api/v1/departments/{department}/members": {body: `{"name":"王演示","role":"staff","phone":"199-0537-0001"}`},
		"POST /api/v1/worklogs": {body: `{"date":"2026-11-25","notes":"n","visited_people":["张大爷"],"case_ids":[],` +
			`"tracks":[{"id":"p1","points":[[` + lon + `,` + lat + `,1764000000]]}]}`},
		"POST /api/v1/worklogs/{id}/tracks": {body: `{"tracks":[{"id":"p1","points":[[` + lon + `,` + lat + `,1764000000]]}]}`},
		"PUT /api/v1/ranking/rules": {body: `{"reason":"r","rules":{` +
			`"worker":{"rules":[{"indicator":"patrol_days","weight":1,"good":22,"bad":10}],"red":1,"black":1},` +
			`"village":{"rules":[{"indicator":"closure_rate","weight":1,"good":1,"bad":0.5}],"red":1,"black":1},` +
			`"department":{"rules":[{"indicator":"open_overdue","weight":1,"good":0,"bad":5}],"red":1,"black":1}}}`},
		"PATCH /api/v1/grids/{code}": {body: `{"name":"新名","attributes":{"note":"n"},"parent":"370812001001","boundary":` + square +
			`,"actor":"王演示","force":false,"force_reason":"原因"}`, hdr: map[string]string{"If-Match": `"g1"`}},
	}
}

// jsonVariant is a body with one string replaced by a bad value, and the
// keys on the way to it (one of which the answer must name).
type jsonVariant struct {
	path []string
	body string
}

// badJSONVariants returns body with each string leaf (and each key of an
// attributes object) replaced in turn by bad.
func badJSONVariants(tb testing.TB, body string, bad badValue) []jsonVariant {
	tb.Helper()
	var root any
	if err := json.Unmarshal([]byte(body), &root); err != nil {
		tb.Fatalf("sample body %s: %v", body, err)
	}
	const mark = "\uE000BAD\uE000"
	var out []jsonVariant
	emit := func(path []string) {
		b, err := json.Marshal(root)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, jsonVariant{slices.Clone(path), strings.Replace(string(b), `"`+mark+`"`, bad.json, 1)})
	}
	var walk func(v any, path []string, set func(any))
	walk = func(v any, path []string, set func(any)) {
		switch x := v.(type) {
		case string:
			set(mark)
			emit(path)
			set(x)
		case []any:
			for i := range x {
				walk(x[i], append(path, "["+strconv.Itoa(i)+"]"), func(n any) { x[i] = n })
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k], append(path, k), func(n any) { x[k] = n })
				if len(path) > 0 && path[len(path)-1] == "attributes" {
					val := x[k]
					delete(x, k)
					x[mark] = val
					emit(append(path, k))
					delete(x, mark)
					x[k] = val
				}
			}
		}
	}
	walk(root, nil, func(any) {})
	return out
}

// TestBadBytesEveryRoute walks every route of the router, as the policy
// test does, and sends each bad value in each path variable, each query
// parameter the route accepts (Server.QueryParams, the list the server
// checks) and each JSON string field of the route's body, with an admin
// token: every answer is a 400 problem+json naming the variable, parameter
// or field (a variable with a pattern never matches: 404). A parameter the
// route does not accept is a 400 listing those it does.
func TestBadBytesEveryRoute(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	admin := mint(t, a, gridmap.RoleAdmin, "admin", "")
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")

	// An incident and a draft plan for the routes with an {id}.
	status, _, body := badReq(t, "POST", srv.URL+"/api/v1/incidents", admin, mustJSON(t, incident("BB-0", pt, "dispute")), nil)
	var inc struct{ ID int64 }
	if status != 201 || json.Unmarshal([]byte(body), &inc) != nil {
		t.Fatalf("posting an incident: %d %s", status, body)
	}
	status, _, body = badReq(t, "POST", srv.URL+"/api/v1/plans", admin, `{"title":"bad bytes"}`, nil)
	var plan struct{ ID int64 }
	if status != 201 || json.Unmarshal([]byte(body), &plan) != nil {
		t.Fatalf("creating a plan: %d %s", status, body)
	}
	vars := sampleVars(inc.ID, plan.ID)
	bodies := sampleBodies(pt)
	usedBodies := map[string]bool{}

	sent := 0
	check := func(what string, status int, ctype, body string, wantStatus int, names ...string) {
		t.Helper()
		sent++
		named := false
		for _, n := range names {
			named = named || strings.Contains(body, n)
		}
		wantType := "application/problem+json"
		if strings.Contains(what, " /open311/") {
			// Open311 answers its spec's error list: [{"code":400,"description":…}].
			wantType = "application/json; charset=utf-8"
			named = named && strings.HasPrefix(body, `[{"code":`+strconv.Itoa(wantStatus)+`,`)
		}
		if status != wantStatus || ctype != wantType || !named {
			t.Errorf("%s: %d %s %.300s; want %d %s naming %s", what, status, ctype, body, wantStatus, wantType, strings.Join(names, " or "))
		}
	}

	routes := 0
	for _, rt := range walkRoutes(t, a.API.Router(), http.MethodGet) {
		m, tmpl := rt.method, rt.tmpl
		norm := httpapi.NormalizeTemplate(tmpl)
		routes++
		key := m + " " + norm
		base := srv.URL + fillTemplate(t, tmpl, vars, "", "")
		sample, hasBody := bodies[key]
		usedBodies[key] = hasBody
		goodBody := sample.body

		// Each path variable. A variable with a pattern ({id:[0-9]+})
		// is refused by the router: no route matches, 404.
		for _, v := range routeVarRE.FindAllStringSubmatch(tmpl, -1) {
			want := 400
			if v[2] != "" {
				want = 404
			}
			for _, bad := range badValues {
				u := srv.URL + fillTemplate(t, tmpl, vars, v[1], bad.raw)
				status, ctype, body := badReq(t, m, u, admin, goodBody, sample.hdr)
				names := []string{v[1]}
				if want == 404 {
					names = []string{"no such endpoint"}
				}
				check(fmt.Sprintf("%s with %s in {%s}", key, bad.name, v[1]), status, ctype, body, want, names...)
			}
		}

		// Each query parameter it accepts.
		params, anyParam := a.API.QueryParams(m, tmpl)
		if anyParam {
			params = append(slices.Clone(params), "lang")
		}
		for _, p := range params {
			for _, bad := range badValues {
				u := base + "?" + url.QueryEscape(p) + "=" + url.QueryEscape(bad.raw)
				status, ctype, body := badReq(t, m, u, admin, goodBody, sample.hdr)
				check(fmt.Sprintf("%s with %s in ?%s", key, bad.name, p), status, ctype, body, 400, p)
			}
		}

		// A parameter it does not accept: 400 listing those it does
		// (pages take any: their scripts read them).
		status, ctype, body := badReq(t, m, base+"?zz_unknown=1", admin, goodBody, sample.hdr)
		switch {
		case anyParam && (status == 400 || status >= 500):
			t.Errorf("%s?zz_unknown=1: %d %.300s; a page takes any parameter", key, status, body)
		case !anyParam && len(params) == 0:
			check(key+"?zz_unknown=1", status, ctype, body, 400, "takes no query parameters")
		case !anyParam:
			check(key+"?zz_unknown=1", status, ctype, body, 400, "zz_unknown")
			for _, p := range params {
				if !strings.Contains(body, p) {
					t.Errorf("%s?zz_unknown=1 does not list the accepted parameter %s: %.300s", key, p, body)
				}
			}
		}

		// Each JSON string field of its body.
		if !hasBody {
			continue
		}
		for _, bad := range badValues {
			for _, jv := range badJSONVariants(t, sample.body, bad) {
				status, ctype, body := badReq(t, m, base, admin, jv.body, sample.hdr)
				var names []string
				for _, k := range jv.path {
					if !strings.HasPrefix(k, "[") {
						names = append(names, k)
					}
				}
				check(fmt.Sprintf("%s with %s in %s", key, bad.name, strings.Join(jv.path, ".")), status, ctype, body, 400, names...)
			}
		}
	}
	if routes < 30 {
		t.Fatalf("only %d routes walked: is the router walk broken?", routes)
	}
	t.Logf("%d routes, %d requests with bad bytes or unknown parameters", routes, sent)
	// Every route that reads a JSON body has a sample here, and every
	// sample is a route.
	for key := range bodies {
		if !usedBodies[key] {
			t.Errorf("sampleBodies names %s, which is not a route", key)
		}
	}
	for key, has := range usedBodies {
		method, _, _ := strings.Cut(key, " ")
		// An Open311 post reads a form, not JSON: TestOpen311 sends bad
		// bytes in each of its fields. An attachment's body is the file,
		// not JSON (tests/attachments_test.go).
		if !has && (method == "POST" || method == "PUT" || method == "PATCH") && key != "POST /api/v1/plans/{id}/validate" && key != "POST /open311/v2/requests.{format}" && key != "POST /api/v1/attachments" {
			t.Errorf("%s reads a body but sampleBodies has none for it: add one with every string field it accepts", key)
		}
	}
}

// TestIncidentBadText: a NUL or invalid UTF-8 in an incident's text is a
// 400 naming the item and field; in a batch with ?partial=true the good
// items are stored and the bad one named, without it nothing is stored.
func TestIncidentBadText(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	reporter := mint(t, a, gridmap.RoleReporter, "reporter", "")
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	item := func(id, field, rawJSON string) string {
		m := incident(id, pt, "dispute")
		delete(m, "reporter")
		delete(m, field)
		b := mustJSON(t, m)
		return strings.Replace(b, "{", `{"`+field+`":`+rawJSON+",", 1)
	}
	stored := func(id string) int {
		t.Helper()
		status, _, body := badReq(t, "GET", srv.URL+"/api/v1/incidents?external_id="+id, reporter, "", nil)
		var out struct {
			NumberReturned int `json:"number_returned"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &out) != nil {
			t.Fatalf("listing %s: %d %s", id, status, body)
		}
		return out.NumberReturned
	}
	type answer struct {
		Created int
		Errors  []struct {
			Index   int
			Field   string
			Message string
		}
	}
	wantError := func(what, body string, index int, field, says string) {
		t.Helper()
		var a answer
		_ = json.Unmarshal([]byte(body), &a)
		if len(a.Errors) != 1 || a.Errors[0].Index != index || a.Errors[0].Field != field || !strings.Contains(a.Errors[0].Message, says) {
			t.Errorf("%s: errors %+v, want index %d field %s saying %q (%s)", what, a.Errors, index, field, says, body)
		}
	}

	// One incident.
	for _, c := range []struct{ field, value, says string }{
		{"description", `"楼道\u0000堆放"`, "NUL"},
		{"department", "\"\xC3\x28\"", "U+FFFD"}, // JSON decoders replace invalid UTF-8: refused too
		{"external_id", `"S-\u0007"`, "U+0007"},
	} {
		status, ctype, body := badReq(t, "POST", srv.URL+"/api/v1/incidents", reporter, item("S-1", c.field, c.value), nil)
		if status != 400 || ctype != "application/problem+json" {
			t.Errorf("single with a bad %s: %d %s", c.field, status, body)
		}
		wantError("single with a bad "+c.field, body, 0, c.field, c.says)
	}
	if stored("S-1") != 0 {
		t.Error("a refused single incident was stored")
	}

	// A batch of one good and one bad item.
	batch := `{"incidents":[` + item("B-1", "description", `"ok"`) + "," + item("B-2", "description", `"a\u0000b"`) + "]}"
	status, _, body := badReq(t, "POST", srv.URL+"/api/v1/incidents", reporter, batch, nil)
	if status != 400 {
		t.Errorf("batch without partial: %d %s", status, body)
	}
	wantError("batch without partial", body, 1, "description", "NUL")
	if stored("B-1")+stored("B-2") != 0 {
		t.Error("a refused batch stored something")
	}
	status, _, body = badReq(t, "POST", srv.URL+"/api/v1/incidents?partial=true", reporter, batch, nil)
	var ans answer
	if status != 201 || json.Unmarshal([]byte(body), &ans) != nil || ans.Created != 1 {
		t.Errorf("batch with partial: %d %s; want 201 with one created", status, body)
	}
	wantError("batch with partial", body, 1, "description", "NUL")
	if stored("B-1") != 1 || stored("B-2") != 0 {
		t.Errorf("batch with partial stored B-1 %d times, B-2 %d times; want 1 and 0", stored("B-1"), stored("B-2"))
	}
}
