package tests

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// Open311 GeoReport v2 (issue 14), spoken as a client would: form-encoded
// posts with an api_key, JSON and XML reads, the spec's error format.

// o311Error is the spec's error list entry.
type o311Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// o311Request is a service request as the spec defines it (JSON and XML).
type o311Request struct {
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       *string  `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  *string  `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	Lat               float64  `json:"lat" xml:"lat"`
	Long              float64  `json:"long" xml:"long"`
	MediaURL          *string  `json:"media_url" xml:"media_url"`
	XMLName           xml.Name `json:"-" xml:"request"`
}

// o311 sends a request to the Open311 API: form-encoded when form is not
// nil, the api_key in the form (posts) or the query (reads) when key is
// set. It returns the status, content type and body.
func o311(tb testing.TB, method, u, key string, form url.Values) (int, string, []byte) {
	tb.Helper()
	var body string
	if form != nil {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if key != "" {
			f.Set("api_key", key)
		}
		body = f.Encode()
	} else if key != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "api_key=" + url.QueryEscape(key)
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// wantO311Error checks an answer is the spec's error list (JSON, or XML
// when xmlFormat) with the status, one of whose descriptions says says.
func wantO311Error(tb testing.TB, what string, status int, ctype string, body []byte, wantStatus int, xmlFormat bool, says string) {
	tb.Helper()
	var errs []o311Error
	var err error
	if xmlFormat {
		var x struct {
			XMLName xml.Name    `xml:"errors"`
			Errors  []o311Error `xml:"error"`
		}
		err = xml.Unmarshal(body, &x)
		errs = x.Errors
		if !strings.HasPrefix(ctype, "text/xml") || !strings.HasPrefix(string(body), `<?xml version="1.0" encoding="UTF-8"?>`) {
			tb.Errorf("%s: content type %q, body %.100s; want text/xml with the XML declaration", what, ctype, body)
		}
	} else {
		err = json.Unmarshal(body, &errs)
		if !strings.HasPrefix(ctype, "application/json") {
			tb.Errorf("%s: content type %q; want application/json", what, ctype)
		}
	}
	if status != wantStatus || err != nil || len(errs) == 0 {
		tb.Fatalf("%s: %d %s; want %d in the Open311 error format (%v)", what, status, body, wantStatus, err)
	}
	found := false
	for _, e := range errs {
		if e.Code != wantStatus {
			tb.Errorf("%s: error code %d, want %d", what, e.Code, wantStatus)
		}
		found = found || strings.Contains(e.Description, says)
	}
	if !found {
		tb.Errorf("%s: no description says %q: %s", what, says, body)
	}
}

func TestOpen311(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	reporter := mint(t, a, gridmap.RoleReporter, "热线接口", "")
	viewer := mint(t, a, gridmap.RoleViewer, "查看", "")
	admin := mint(t, a, gridmap.RoleAdmin, "admin", "")
	elsewhere := mint(t, a, gridmap.RoleReporter, "网格员", "37081200100102") // a grid worker of another grid
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	lat, lon := ftoa(pt[1]), ftoa(pt[0])
	base := srv.URL + "/open311/v2"
	count := func() int {
		var n int
		if err := a.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM incident`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const phone, name = "199-0537-3117", "赵热线"
	post := func(tb testing.TB, format, code string, extra url.Values) (int, string, []byte) {
		tb.Helper()
		f := url.Values{"service_code": {code}, "lat": {lat}, "long": {lon}, "description": {"路灯不亮，电话 " + phone},
			"first_name": {"热线"}, "last_name": {"赵"}, "phone": {phone}, "email": {"zhao@example.org"}, "media_url": {"https://example.org/a.jpg"}}
		for k, v := range extra {
			f[k] = v
		}
		return o311(tb, "POST", base+"/requests."+format, reporter, f)
	}
	postID := func(tb testing.TB, code string) string {
		tb.Helper()
		status, _, body := post(tb, "json", code, nil)
		var out []struct {
			ServiceRequestID string  `json:"service_request_id"`
			ServiceNotice    string  `json:"service_notice"`
			AccountID        *string `json:"account_id"`
		}
		if status != 201 || json.Unmarshal(body, &out) != nil || len(out) != 1 || out[0].ServiceRequestID == "" || out[0].AccountID != nil {
			tb.Fatalf("posting a %s: %d %s", code, status, body)
		}
		return out[0].ServiceRequestID
	}
	readOne := func(tb testing.TB, id, key string) (o311Request, []byte) {
		tb.Helper()
		status, _, body := o311(tb, "GET", base+"/requests/"+id+".json", key, nil)
		var out []o311Request
		if status != 200 || json.Unmarshal(body, &out) != nil || len(out) != 1 {
			tb.Fatalf("GET requests/%s.json: %d %s", id, status, body)
		}
		return out[0], body
	}

	t.Run("discovery", func(t *testing.T) {
		status, _, body := o311(t, "GET", base+"/discovery.json", "", nil)
		var d struct {
			Endpoints []struct {
				Specification, URL, Type string
				Formats                  []string
			}
		}
		if status != 200 || json.Unmarshal(body, &d) != nil || len(d.Endpoints) != 1 {
			t.Fatalf("discovery.json: %d %s", status, body)
		}
		if e := d.Endpoints[0]; e.Specification != "http://wiki.open311.org/GeoReport_v2" || e.URL != base || e.Type != "production" || len(e.Formats) != 2 {
			t.Errorf("discovery.json endpoint: %+v", e)
		}
		status, _, body = o311(t, "GET", base+"/discovery.xml", "", nil)
		var x struct {
			XMLName   xml.Name `xml:"discovery"`
			Endpoints []struct {
				URL     string   `xml:"url"`
				Formats []string `xml:"formats>format"`
			} `xml:"endpoints>endpoint"`
		}
		if status != 200 || xml.Unmarshal(body, &x) != nil || len(x.Endpoints) != 1 || x.Endpoints[0].URL != base || len(x.Endpoints[0].Formats) != 2 {
			t.Errorf("discovery.xml: %d %s", status, body)
		}
	})

	t.Run("services", func(t *testing.T) {
		type service struct {
			ServiceCode string `json:"service_code" xml:"service_code"`
			ServiceName string `json:"service_name" xml:"service_name"`
			Metadata    bool   `json:"metadata" xml:"metadata"`
			Type        string `json:"type" xml:"type"`
			Keywords    string `json:"keywords" xml:"keywords"`
			Group       string `json:"group" xml:"group"`
		}
		cats, err := a.Store.Categories(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var js []service
		status, _, body := o311(t, "GET", base+"/services.json", "", nil) // public: no key
		if status != 200 || json.Unmarshal(body, &js) != nil || len(js) != len(cats) {
			t.Fatalf("services.json: %d %s", status, body)
		}
		for i, c := range cats {
			if s := js[i]; s.ServiceCode != string(c.Name) || s.ServiceName != c.LabelZh || s.Metadata || s.Type != "realtime" || !strings.Contains(s.Keywords, c.LabelEn) {
				t.Errorf("service %d: %+v, want %s %s", i, s, c.Name, c.LabelZh)
			}
		}
		var x struct {
			XMLName  xml.Name  `xml:"services"`
			Services []service `xml:"service"`
		}
		status, _, body = o311(t, "GET", base+"/services.xml?locale=en", "", nil)
		if status != 200 || xml.Unmarshal(body, &x) != nil || len(x.Services) != len(cats) || x.Services[0].ServiceName != cats[0].LabelEn {
			t.Fatalf("services.xml?locale=en: %d %s", status, body)
		}
		req, _ := http.NewRequest("GET", base+"/services.json", nil)
		req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&js)
		resp.Body.Close()
		if js[0].ServiceName != cats[0].LabelEn {
			t.Errorf("Accept-Language en: %+v", js[0])
		}

		status, _, body = o311(t, "GET", base+"/services/hazard.json", "", nil)
		var def struct {
			ServiceCode string `json:"service_code"`
			Attributes  []any  `json:"attributes"`
		}
		if status != 200 || json.Unmarshal(body, &def) != nil || def.ServiceCode != "hazard" || def.Attributes == nil || len(def.Attributes) != 0 {
			t.Errorf("services/hazard.json: %d %s", status, body)
		}
		status, _, body = o311(t, "GET", base+"/services/hazard.xml", "", nil)
		var xd struct {
			XMLName     xml.Name  `xml:"service_definition"`
			ServiceCode string    `xml:"service_code"`
			Attributes  *struct{} `xml:"attributes"`
		}
		if status != 200 || xml.Unmarshal(body, &xd) != nil || xd.ServiceCode != "hazard" || xd.Attributes == nil {
			t.Errorf("services/hazard.xml: %d %s", status, body)
		}
		status, ctype, body := o311(t, "GET", base+"/services/potholes.json", "", nil)
		wantO311Error(t, "services/potholes.json", status, ctype, body, 404, false, "potholes")
		status, ctype, body = o311(t, "GET", base+"/services/potholes.xml", "", nil)
		wantO311Error(t, "services/potholes.xml", status, ctype, body, 404, true, "potholes")
		status, ctype, body = o311(t, "GET", base+"/services.json?locale=fr", "", nil)
		wantO311Error(t, "services.json?locale=fr", status, ctype, body, 400, false, "locale")
	})

	t.Run("post and read", func(t *testing.T) {
		id := postID(t, "hazard")
		// As stored: through intake, in the grid of the point, the
		// reporter and the extra fields kept as personal data.
		n, _ := strconv.ParseInt(id, 10, 64)
		in, err := a.Store.Incident(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		if in.Category != gridmap.CategoryHazard || in.Source != gridmap.SourceHotline || in.GridCode != "37081200100101" ||
			in.Reporter == nil || in.Reporter.Name != name || in.Reporter.Phone != phone || in.Status != gridmap.StatusReported ||
			!strings.HasPrefix(in.Description, "路灯不亮") || !strings.Contains(in.Description, "media_url: https://example.org/a.jpg") ||
			!strings.Contains(in.Description, "email: zhao@example.org") || !strings.HasPrefix(in.ExternalID, "open311-") || in.Deadline == nil {
			t.Errorf("stored: %+v reporter %+v", in, in.Reporter)
		}
		// The same id on /api/v1/incidents/{id}.
		resp, body := do(t, "GET", srv.URL+"/api/v1/incidents/"+id, viewer, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":`+id) {
			t.Errorf("/api/v1/incidents/%s: %d %s", id, resp.StatusCode, body)
		}

		// Read by a viewer (api_key in the query): open, where it was
		// posted, no personal data in the bytes.
		r, body := readOne(t, id, viewer)
		if r.ServiceRequestID != id || r.Status != "open" || r.ServiceCode != "hazard" || r.ServiceName != "安全隐患" ||
			math.Abs(r.Lat-pt[1]) > 1e-9 || math.Abs(r.Long-pt[0]) > 1e-9 || r.Description != nil || r.MediaURL != nil ||
			r.ExpectedDatetime == nil || !strings.Contains(r.Address, "/") || r.StatusNotes == "" {
			t.Errorf("requests/%s.json as viewer: %s", id, body)
		}
		if _, err := time.Parse(time.RFC3339, r.RequestedDatetime); err != nil || !strings.HasSuffix(r.RequestedDatetime, "+08:00") {
			t.Errorf("requested_datetime %q is not w3c in China time", r.RequestedDatetime)
		}
		for _, leak := range []string{phone, "3117", name, "路灯不亮", "zhao@", "example.org"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("the viewer's read holds %q: %s", leak, body)
			}
		}
		// An admin sees the description on a single read.
		r, _ = readOne(t, id, admin)
		if r.Description == nil || !strings.HasPrefix(*r.Description, "路灯不亮") {
			t.Errorf("admin read without the description: %+v", r)
		}
		// XML, parsed into the spec's structure.
		status, _, body := o311(t, "GET", base+"/requests/"+id+".xml", viewer, nil)
		var x struct {
			XMLName  xml.Name      `xml:"service_requests"`
			Requests []o311Request `xml:"request"`
		}
		if status != 200 || xml.Unmarshal(body, &x) != nil || len(x.Requests) != 1 || x.Requests[0].ServiceRequestID != id ||
			x.Requests[0].Status != "open" || math.Abs(x.Requests[0].Lat-pt[1]) > 1e-9 || strings.Contains(string(body), phone) {
			t.Errorf("requests/%s.xml: %d %s", id, status, body)
		}
		// A post answering XML, with the Authorization header instead of an api_key.
		f := url.Values{"service_code": {"dispute"}, "lat": {lat}, "long": {lon}}
		req, _ := http.NewRequest("POST", base+"/requests.xml", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+reporter)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var px struct {
			XMLName  xml.Name `xml:"service_requests"`
			Requests []struct {
				ID        string  `xml:"service_request_id"`
				Notice    string  `xml:"service_notice"`
				AccountID *string `xml:"account_id"`
			} `xml:"request"`
		}
		err = xml.NewDecoder(resp.Body).Decode(&px)
		resp.Body.Close()
		if resp.StatusCode != 201 || err != nil || len(px.Requests) != 1 || px.Requests[0].ID == "" || px.Requests[0].AccountID == nil ||
			!strings.HasSuffix(resp.Header.Get("Location"), "/requests/"+px.Requests[0].ID+".xml") {
			t.Errorf("POST requests.xml: %d %+v %v", resp.StatusCode, px, err)
		}
		// Closed: status closed, the close step in the notes.
		if resp, body := do(t, "PATCH", srv.URL+"/api/v1/incidents/"+id, admin, "application/json", `{"status":"closed"}`); resp.StatusCode != 200 {
			t.Fatalf("closing: %d %s", resp.StatusCode, body)
		}
		r, body = readOne(t, id, viewer)
		if r.Status != "closed" || !strings.Contains(r.StatusNotes, "结案") {
			t.Errorf("closed: %s", body)
		}
		status, _, body = o311(t, "GET", base+"/requests/"+id+".json?locale=en", viewer, nil)
		if status != 200 || !strings.Contains(string(body), "Close") || !strings.Contains(string(body), `"service_name":"Hazard"`) {
			t.Errorf("closed, in English: %d %s", status, body)
		}
		status, ctype, body := o311(t, "GET", base+"/requests/999999999.json", viewer, nil)
		wantO311Error(t, "an unknown request", status, ctype, body, 404, false, "999999999")
	})

	t.Run("refused posts store nothing", func(t *testing.T) {
		before := count()
		for _, c := range []struct {
			name, format string
			key          string
			form         url.Values
			status       int
			says         string
		}{
			{"an unknown service code", "json", reporter, url.Values{"service_code": {"potholes"}}, 400, "potholes"},
			{"an unknown service code, XML", "xml", reporter, url.Values{"service_code": {"potholes"}}, 400, "potholes"},
			{"no service code", "json", reporter, url.Values{"service_code": {""}}, 400, "service_code"},
			{"no location", "json", reporter, url.Values{"lat": {""}, "long": {""}}, 400, "lat and long are required"},
			{"an address only", "xml", reporter, url.Values{"lat": {""}, "long": {""}, "address_string": {"建设路 1 号"}}, 400, "address_string"},
			{"a latitude out of range", "json", reporter, url.Values{"lat": {"123"}}, 400, "lat"},
			{"a longitude that is not a number", "json", reporter, url.Values{"long": {"east"}}, 400, "long"},
			{"an attribute", "json", reporter, url.Values{"attribute[colour]": {"red"}}, 400, "no attributes"},
			{"an unknown field", "json", reporter, url.Values{"colour": {"red"}}, 400, "colour"},
			{"a field twice", "json", reporter, url.Values{"phone": {"1", "2"}}, 400, "more than once"},
			{"a NUL in the description", "json", reporter, url.Values{"description": {"a\x00b"}}, 400, "description"},
			{"invalid UTF-8 in the description", "xml", reporter, url.Values{"description": {"\xC3\x28"}}, 400, "description"},
			{"a control character in the name", "json", reporter, url.Values{"first_name": {"a\x07"}}, 400, "first_name"},
			{"a description over 4000 characters", "json", reporter, url.Values{"description": {strings.Repeat("长", 4001)}}, 400, "4000"},
			{"a media_url that is not http", "json", reporter, url.Values{"media_url": {"javascript:alert(1)"}}, 400, "media_url"},
			{"a wrong api_key", "json", "gm_1_" + strings.Repeat("x", 43), nil, 403, "api_key"},
			{"an api_key that is no token", "xml", "12345", nil, 403, "api_key"},
			{"no api_key", "json", "", nil, 403, "token"},
			{"a viewer's api_key", "json", viewer, nil, 403, "viewer"},
			{"outside the token's grid", "json", elsewhere, nil, 403, "37081200100102"},
			{"a form over 1 MiB", "json", reporter, url.Values{"description": {strings.Repeat("x", 1<<20)}}, 413, "larger"},
		} {
			t.Run(c.name, func(t *testing.T) {
				f := url.Values{"service_code": {"hazard"}, "lat": {lat}, "long": {lon}, "phone": {phone}, "description": {"x"}}
				for k, v := range c.form {
					f[k] = v
				}
				status, ctype, body := o311(t, "POST", base+"/requests."+c.format, c.key, f)
				wantO311Error(t, c.name, status, ctype, body, c.status, c.format == "xml", c.says)
			})
		}
		// A JSON body is not the spec's form.
		resp, body := do(t, "POST", base+"/requests.json", reporter, "application/json", `{"service_code":"hazard"}`)
		wantO311Error(t, "a JSON body", resp.StatusCode, resp.Header.Get("Content-Type"), body, 400, false, "x-www-form-urlencoded")
		// A form that does not decode.
		req, _ := http.NewRequest("POST", base+"/requests.json", strings.NewReader("service_code=hazard&lat="+lat+"&long="+lon+"&description=%zz&api_key="+reporter))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err := http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantO311Error(t, "a bad escape", resp.StatusCode, resp.Header.Get("Content-Type"), b, 400, false, "form")
		}
		if after := count(); after != before {
			t.Errorf("refused posts stored %d incidents", after-before)
		}
	})

	t.Run("list filters", func(t *testing.T) {
		h1, h2, d1 := postID(t, "hazard"), postID(t, "hazard"), postID(t, "dispute")
		if resp, body := do(t, "PATCH", srv.URL+"/api/v1/incidents/"+h2, admin, "application/json", `{"status":"closed"}`); resp.StatusCode != 200 {
			t.Fatalf("closing: %d %s", resp.StatusCode, body)
		}
		// One reported 100 days ago: outside the default window.
		old := incident("O311-OLD", pt, "hazard")
		old["reported_at"] = time.Now().Add(-100 * 24 * time.Hour).Format(time.RFC3339)
		delete(old, "deadline")
		resp, body := do(t, "POST", srv.URL+"/api/v1/incidents", admin, "application/json", mustJSON(t, old))
		var oldInc struct{ ID int64 }
		if resp.StatusCode != 201 || json.Unmarshal(body, &oldInc) != nil {
			t.Fatalf("posting the old incident: %d %s", resp.StatusCode, body)
		}
		o := strconv.FormatInt(oldInc.ID, 10)

		ids := func(tb testing.TB, query string) map[string]o311Request {
			tb.Helper()
			status, _, body := o311(tb, "GET", base+"/requests.json?"+query, viewer, nil)
			var out []o311Request
			if status != 200 || json.Unmarshal(body, &out) != nil {
				tb.Fatalf("requests.json?%s: %d %s", query, status, body)
			}
			m := map[string]o311Request{}
			for _, r := range out {
				m[r.ServiceRequestID] = r
				if r.Description != nil {
					tb.Errorf("a list shows a description: %+v", r)
				}
			}
			for _, leak := range []string{phone, name, "路灯不亮", "李演示", "楼道堆放杂物", "199-0537-9999"} {
				if strings.Contains(string(body), leak) {
					tb.Errorf("requests.json?%s holds %q", query, leak)
				}
			}
			return m
		}
		has := func(m map[string]o311Request, want map[string]bool, what string) {
			t.Helper()
			for id, w := range want {
				if _, ok := m[id]; ok != w {
					t.Errorf("%s: %s listed %v, want %v", what, id, ok, w)
				}
			}
		}
		all := map[string]bool{h1: true, h2: true, d1: true, o: false}
		has(ids(t, ""), all, "the default window")
		has(ids(t, "status=open,closed"), all, "both statuses")
		has(ids(t, "status=open"), map[string]bool{h1: true, h2: false, d1: true}, "status=open")
		m := ids(t, "status=closed&service_code=hazard")
		has(m, map[string]bool{h1: false, h2: true, d1: false}, "closed hazards")
		if m[h2].Status != "closed" {
			t.Errorf("closed hazard: %+v", m[h2])
		}
		has(ids(t, "service_code=dispute"), map[string]bool{h1: false, d1: true}, "service_code=dispute")
		has(ids(t, "service_code=dispute,hazard"), map[string]bool{h1: true, d1: true}, "two service codes")
		start := time.Now().Add(-101 * 24 * time.Hour).Format(time.RFC3339)
		has(ids(t, "start_date="+url.QueryEscape(start)), map[string]bool{o: true, h1: false}, "start_date 101 days ago")
		end := time.Now().Add(-50 * 24 * time.Hour).UTC().Format(time.RFC3339)
		has(ids(t, "start_date="+url.QueryEscape(start)+"&end_date="+end), map[string]bool{o: true, h1: false}, "a window 101 to 50 days ago")
		soon := time.Now().Add(time.Hour).Format(time.RFC3339)
		has(ids(t, "start_date="+url.QueryEscape(soon)), map[string]bool{h1: false, d1: false}, "start_date in an hour")
		// service_request_id overrides every other parameter.
		has(ids(t, "service_request_id="+h1+","+o+"&service_code=dispute&status=closed"), map[string]bool{h1: true, o: true, d1: false}, "service_request_id")
		// XML lists parse into the spec's structure.
		status, _, body := o311(t, "GET", base+"/requests.xml?service_request_id="+h1+","+d1, viewer, nil)
		var x struct {
			XMLName  xml.Name      `xml:"service_requests"`
			Requests []o311Request `xml:"request"`
		}
		if status != 200 || xml.Unmarshal(body, &x) != nil || len(x.Requests) != 2 || x.Requests[0].ServiceRequestID != d1 {
			t.Errorf("requests.xml: %d %s", status, body)
		}

		for _, c := range []struct{ query, says string }{
			{"status=pending", "status"},
			{"service_code=potholes", "potholes"},
			{"start_date=yesterday", "start_date"},
			{"start_date=2026-01-01T00:00:00", "start_date"}, // no time zone
			{"start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "90 days"},
			{"start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "after"},
			{"service_request_id=abc", "service_request_id"},
			{"colour=red", "colour"},
		} {
			status, ctype, body := o311(t, "GET", base+"/requests.json?"+c.query, viewer, nil)
			wantO311Error(t, "requests.json?"+c.query, status, ctype, body, 400, false, c.says)
		}
		// Reads need a token unless incidents are opened.
		status, ctype, body := o311(t, "GET", base+"/requests.json", "", nil)
		wantO311Error(t, "an anonymous list", status, ctype, body, 403, false, "token")
		status, ctype, body = o311(t, "GET", base+"/requests/"+h1+".xml", "gm_1_"+strings.Repeat("y", 43), nil)
		wantO311Error(t, "a wrong api_key", status, ctype, body, 403, true, "api_key")
		status, ctype, body = o311(t, "GET", base+"/nothing.json", "", nil)
		wantO311Error(t, "no such resource", status, ctype, body, 404, false, "no such endpoint")
	})
}
