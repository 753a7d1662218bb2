package tests

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/media/mediatest"
)

// The personal data of the seeded database: reporters' names and phones,
// descriptions, members' contacts; and the members' names, which only
// lookups may show (who is responsible for a grid is what a lookup is for).
type personal struct {
	reporterNames, memberNames map[string]bool
	descriptions               []string
	phones                     map[string]bool
}

// leaks returns what of p body shows: a phone of the seeded block
// (199-0537-…) or any seeded phone, a reporter's name, a description, and
// (unless members are allowed) a member's name.
func (p *personal) leaks(body []byte, membersAllowed bool) []string {
	var out []string
	s := string(body)
	if strings.Contains(s, "199-0537-") {
		out = append(out, "a phone number 199-0537-…")
	}
	// Names are 姓 + 演示 + digits: read each around its 演示.
	for i := 0; ; {
		j := strings.Index(s[i:], "演示")
		if j < 0 {
			break
		}
		j += i
		start := j
		if r, size := utf8.DecodeLastRuneInString(s[:j]); r != utf8.RuneError {
			start = j - size
		}
		end := j + len("演示")
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		name := s[start:end]
		if p.reporterNames[name] {
			out = append(out, "reporter "+name)
		}
		if !membersAllowed && p.memberNames[name] {
			out = append(out, "member "+name)
		}
		i = end
	}
	for _, d := range p.descriptions {
		if strings.Contains(s, d) {
			out = append(out, "description "+d)
		}
	}
	return out
}

var phoneLike = regexp.MustCompile(`1[3-9]\d-?\d{4}-?\d{4}`)

// TestPrivacyScan requests every GET route of a database seeded with the
// demo street, its members and a year of incidents with reporters, as
// anonymous, viewer and planner (the roles without a right to personal
// data), and scans every answer for the seeded names, phone numbers and
// descriptions; the event stream while an incident with a reporter
// arrives; and the server's log, at debug level, of all of it. A GET route
// that the scan does not request fails the test, so new routes are
// scanned too.
func TestPrivacyScan(t *testing.T) {
	url := demoIncidentsDB(t)
	srv, a, logs := authInstance(t, url, httpapi.Config{})
	ctx := context.Background()
	ix, _ := a.Live.Index()

	p := &personal{reporterNames: map[string]bool{}, memberNames: map[string]bool{}, phones: map[string]bool{}}
	rows, err := a.Store.Pool().Query(ctx, `SELECT DISTINCT reporter_name, reporter_phone, description FROM incident`)
	if err != nil {
		t.Fatal(err)
	}
	descs := map[string]bool{}
	for rows.Next() {
		var n, ph, d string
		if err := rows.Scan(&n, &ph, &d); err != nil {
			t.Fatal(err)
		}
		if n != "" {
			p.reporterNames[n] = true
		}
		if ph != "" {
			p.phones[ph] = true
		}
		if d != "" {
			descs[d] = true
		}
	}
	rows, err = a.Store.Pool().Query(ctx, `SELECT name, contact FROM grid_member`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, c string
		if err := rows.Scan(&n, &c); err != nil {
			t.Fatal(err)
		}
		p.memberNames[n] = true
		p.phones[c] = true
	}
	// The departments' people (issue 14): names and phones like members'.
	rows, err = a.Store.Pool().Query(ctx, `SELECT name, phone FROM department_member`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, ph string
		if err := rows.Scan(&n, &ph); err != nil {
			t.Fatal(err)
		}
		p.memberNames[n] = true
		if ph != "" {
			p.phones[ph] = true
		}
	}
	// The incident this test posts while the event stream is read.
	p.reporterNames["李演示"] = true
	descs["楼道堆放杂物"] = true
	for d := range descs {
		p.descriptions = append(p.descriptions, d)
	}
	sort.Strings(p.descriptions)
	if len(p.reporterNames) < 1000 || len(p.memberNames) < 100 || len(p.descriptions) < 5 {
		t.Fatalf("the seeded database has %d reporters, %d members, %d descriptions: not seeded?",
			len(p.reporterNames), len(p.memberNames), len(p.descriptions))
	}
	for ph := range p.phones {
		if !strings.HasPrefix(ph, "199-0537-") {
			t.Fatalf("seeded phone %q is outside the 199-0537- block the scan looks for", ph)
		}
	}

	admin := mint(t, a, gridmap.RoleAdmin, "admin", "")
	roles := map[string]string{
		"anonymous": "",
		"viewer":    mint(t, a, gridmap.RoleViewer, "viewer", ""),
		"planner":   mint(t, a, gridmap.RolePlanner, "planner", ""),
	}

	// What to request: every GET route with real parameters.
	var incIDs []string
	r2, err := a.Store.Pool().Query(ctx, `SELECT id FROM incident WHERE reporter_name <> '' ORDER BY id LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	for r2.Next() {
		var id int64
		_ = r2.Scan(&id)
		incIDs = append(incIDs, strconv.FormatInt(id, 10))
	}
	_, body := do(t, "POST", srv.URL+"/api/v1/plans", admin, "application/json", `{"title":"privacy"}`)
	var plan struct{ ID int64 }
	_ = json.Unmarshal(body, &plan)
	pl := "/api/v1/plans/" + strconv.FormatInt(plan.ID, 10)
	do(t, "POST", srv.URL+pl+"/changes", admin, "application/json", `{"kind":"replace","code":"37081200100101","name":"改名演示"}`)

	paths := []string{
		"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/whoami", "/api/v1/categories",
		"/", "/editor", "/desk", "/roster", "/field", "/field-sw.js", "/field.webmanifest", "/wallmap.html", "/styles/wallmap.json",
		"/ogc", "/ogc/", "/ogc/?f=html", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections?f=html",
		"/ogc/collections/grids-micro", "/ogc/collections/grids-micro/items?limit=1000",
		"/ogc/collections/grids-micro/items?limit=20&f=html", "/ogc/collections/grids-micro/items/37081200100101",
		"/ogc/collections/grids-village/items?limit=1000", "/ogc/collections/grids-street/items",
		"/ogc/collections/incident-counts-micro", "/ogc/collections/incident-counts-micro/items?limit=1000",
		"/ogc/collections/incident-counts-village/items/370812001001?f=html",
		"/api/v1/grids", "/api/v1/grids?format=csv", "/api/v1/grids/37081200100101", "/api/v1/grids/370812001001/history",
		"/api/v1/stats/grids?level=micro", "/api/v1/stats/grids?level=village", "/api/v1/stats/grids?level=street",
		"/api/v1/stats/timeseries?bucket=day", "/api/v1/stats/timeseries?bucket=month&grid=370812001001", "/api/v1/events/recent?limit=100", "/api/v1/stats/window",
		"/api/v1/incidents?limit=1000", "/api/v1/incidents?limit=1000&status=open",
		"/api/v1/plans", pl, pl + "/validate", pl + "/impact", "/api/v1/topology?level=micro",
		"/tiles/grids.json",
		// The reports (issue 16): no personal data; a PDF's text is
		// compressed, so its JSON and HTML carry the same figures in clear.
		"/api/v1/reports/daily", "/api/v1/reports/daily?format=html", "/api/v1/reports/daily?format=pdf",
	}
	for _, id := range incIDs {
		paths = append(paths, "/api/v1/incidents/"+id, "/api/v1/incidents/"+id+"/steps", "/api/v1/incidents/"+id+"/duplicates", "/open311/v2/requests/"+id+".json", "/open311/v2/requests/"+id+".xml")
	}
	// Open311: the default window (the last 90 days), a past window, and
	// the incidents with reporters by id.
	ids := strings.Join(incIDs, ",")
	paths = append(paths, "/open311/v2/discovery.json", "/open311/v2/services.xml", "/open311/v2/services/dispute.json",
		"/open311/v2/requests.json", "/open311/v2/requests.xml?service_request_id="+ids, "/open311/v2/requests.json?service_request_id="+ids)
	for m := 1; m <= 12; m += 3 {
		start := time.Date(2026, time.Month(m), 1, 0, 0, 0, 0, gridmap.ChinaTime)
		paths = append(paths, "/open311/v2/requests.json?start_date="+start.UTC().Format(time.RFC3339)+
			"&end_date="+start.AddDate(0, 2, 0).UTC().Format(time.RFC3339))
	}
	paths = append(paths, "/api/v1/departments/police/members", "/api/v1/departments/police/members?retired=true", "/api/v1/departments/justice/members", "/api/v1/departments", "/api/v1/incidents?limit=1000&supervised=true", "/api/v1/incidents?limit=1000&department=police")
	// A work log (issue 15) by a grid worker named as a member, visiting a
	// reporter: the roles scanned read neither the log nor its names.
	var member, visited string
	for n := range p.memberNames {
		member = n
		break
	}
	for n := range p.reporterNames {
		visited = n
		break
	}
	g := inside(t, ix, "37081200100101")
	now := time.Now().Unix()
	_, wb := do(t, "POST", srv.URL+"/api/v1/worklogs", mint(t, a, gridmap.RoleReporter, member, ""), "application/json",
		fmt.Sprintf(`{"visited_people": [%q], "tracks": [{"id": "p", "points": [[%v, %v, %d], [%v, %v, %d]]}]}`, visited, g[0], g[1], now-60, g[0]+0.0003, g[1], now-30))
	var wl struct{ ID int64 }
	if err := json.Unmarshal(wb, &wl); err != nil || wl.ID == 0 {
		t.Fatalf("posting a work log: %s", wb)
	}
	wt := maptile.At(g, 15)
	paths = append(paths, "/api/v1/worklogs", "/api/v1/worklogs/"+strconv.FormatInt(wl.ID, 10), "/api/v1/stats/patrol",
		fmt.Sprintf("/tiles/patrol/15/%d/%d.mvt", wt.X, wt.Y))
	// Indicators and the red/black list (issue 16): a worker by token id only.
	paths = append(paths, "/api/v1/stats/indicators?by=worker", "/api/v1/stats/indicators?by=worker&format=csv",
		"/api/v1/stats/indicators?by=department", "/api/v1/ranking?of=worker&month="+time.Now().In(gridmap.ChinaTime).Format("2006-01"),
		"/api/v1/ranking/rules?history=3", "/ranking", "/reports")
	// Attachments: a PDF (not stripped) holding a seeded description, and
	// a photo's thumbnail; the roles scanned may read neither.
	for _, f := range []struct{ ctype, body, suffix string }{
		{"application/pdf", "%PDF-1.4\n% " + p.descriptions[0] + "\n%%EOF\n", ""},
		{"image/jpeg", string(mediatest.JPEG(64, 48, mediatest.EXIF{Time: "2026:11:25 09:30:00", Lon: 116.8, Lat: 35.5})), "/thumbnail"},
	} {
		resp, body := do(t, "POST", srv.URL+"/api/v1/attachments", admin, f.ctype, f.body)
		var att struct{ ID string }
		if resp.StatusCode != 201 || json.Unmarshal(body, &att) != nil {
			t.Fatalf("uploading an attachment: %d %s", resp.StatusCode, body)
		}
		paths = append(paths, "/api/v1/attachments/"+att.ID+f.suffix)
	}
	// Assets the page names.
	_, page := do(t, "GET", srv.URL+"/wallmap.html", "", "", "")
	for _, m := range regexp.MustCompile(`/assets/[A-Za-z0-9._-]+`).FindAllString(string(page), -1) {
		paths = append(paths, m)
	}
	// Lookups: member names are allowed there (not contacts).
	var lookups []string
	for i := range ix.Len() {
		if g := ix.At(i); g.Level == gridmap.LevelMicro && i%20 == 0 {
			pt := inside(t, ix, g.Code)
			lookups = append(lookups, "/api/v1/lookup?lon="+ftoa(pt[0])+"&lat="+ftoa(pt[1]))
		}
	}
	// The roster shows names as lookups do, contacts masked or left out.
	lookups = append(lookups, "/api/v1/roster", "/api/v1/roster?history=true", "/api/v1/roster?grid=37081200100101")
	// The Wednesday agenda names the people to invite, as lookups do.
	lookups = append(lookups, "/api/v1/reports/wednesday", "/api/v1/reports/wednesday?format=html", "/api/v1/reports/wednesday?format=pdf")
	// Tiles over the street at zooms 11 to 15, grids and heat.
	var tj struct{ Bounds []float64 }
	_, b := do(t, "GET", srv.URL+"/tiles/grids.json", "", "", "")
	if err := json.Unmarshal(b, &tj); err != nil || len(tj.Bounds) != 4 {
		t.Fatalf("TileJSON bounds: %s", b)
	}
	for z := maptile.Zoom(11); z <= 15; z++ {
		lo := maptile.At(orb.Point{tj.Bounds[0], tj.Bounds[3]}, z)
		hi := maptile.At(orb.Point{tj.Bounds[2], tj.Bounds[1]}, z)
		step := max(1, (hi.X-lo.X+1)/4)
		for x := lo.X; x <= hi.X; x += step {
			for y := lo.Y; y <= hi.Y; y += step {
				paths = append(paths, fmt.Sprintf("/tiles/grids/%d/%d/%d.mvt", z, x, y), fmt.Sprintf("/tiles/heat/%d/%d/%d.mvt", z, x, y))
			}
		}
	}

	// Every GET route must be among them.
	router := a.API.Router()
	covered := map[string]bool{"/api/v1/events": true, "/api/v1/lookup": true, "/api/v1/roster": true, "/api/v1/reports/wednesday": true} // below
	for _, u := range paths {
		req, _ := http.NewRequest("GET", srv.URL+u, nil)
		var m mux.RouteMatch
		if router.Match(req, &m) && m.Route != nil {
			tmpl, _ := m.Route.GetPathTemplate()
			covered[httpapi.NormalizeTemplate(tmpl)] = true
		}
	}
	var uncovered []string
	_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		methods, merr := route.GetMethods()
		if err != nil || route.GetHandler() == nil || (merr == nil && !containsString(methods, "GET")) {
			return nil
		}
		if n := httpapi.NormalizeTemplate(tmpl); !covered[n] && n != "/unlisted" {
			uncovered = append(uncovered, n)
		}
		return nil
	})
	if len(uncovered) > 0 {
		t.Errorf("the privacy scan requests no URL of these GET routes; add one to TestPrivacyScan:\n\t%s", strings.Join(uncovered, "\n\t"))
	}

	scanned := 0
	check := func(role, what string, resp *http.Response, body []byte, membersAllowed bool) {
		t.Helper()
		if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err == nil {
				if raw, err := io.ReadAll(zr); err == nil {
					body = raw
				}
			}
		}
		scanned++
		if l := p.leaks(body, membersAllowed); len(l) > 0 {
			t.Errorf("%s: %s (%d) shows personal data: %s", role, what, resp.StatusCode, strings.Join(l, "; "))
		}
		if resp.StatusCode >= 500 && !(what == "/" || what == "/wallmap.html") {
			t.Errorf("%s: %s answers %d", role, what, resp.StatusCode)
		}
	}
	for role, tok := range roles {
		for _, u := range paths {
			resp, body := do(t, "GET", srv.URL+u, tok, "", "")
			check(role, u, resp, body, false)
		}
		for _, u := range lookups {
			resp, body := do(t, "GET", srv.URL+u, tok, "", "")
			check(role, u, resp, body, true)
			if resp.StatusCode == 200 && phoneLike.Match(body) {
				t.Errorf("%s: %s shows a phone number: %s", role, u, body)
			}
		}
		pts := [][2]float64{}
		for _, u := range lookups {
			var lon, lat float64
			fmt.Sscanf(strings.NewReplacer("/api/v1/lookup?lon=", "", "&lat=", " ").Replace(u), "%g %g", &lon, &lat)
			pts = append(pts, [2]float64{lon, lat})
		}
		resp, body := do(t, "POST", srv.URL+"/api/v1/lookup", tok, "application/json", mustJSON(t, map[string]any{"points": pts}))
		check(role, "POST /api/v1/lookup", resp, body, false)
	}

	// The scan finds what is there: an admin sees the personal data.
	if _, body := do(t, "GET", srv.URL+"/api/v1/incidents/"+incIDs[0], admin, "", ""); len(p.leaks(body, false)) < 2 {
		t.Fatalf("the scan does not see the personal data an admin is shown: %s", body)
	}
	if _, body := do(t, "GET", srv.URL+lookups[0], admin, "", ""); len(p.leaks(body, true)) == 0 {
		t.Fatalf("the scan does not see the member contacts an admin is shown: %s", body)
	}

	// Viewers and planners see incidents masked; anonymous not at all.
	for role, tok := range roles {
		resp, body := do(t, "GET", srv.URL+"/api/v1/incidents/"+incIDs[0], tok, "", "")
		var d struct {
			PersonalData string `json:"personal_data"`
			Description  string
			Reporter     *struct{ Name, Phone string }
		}
		_ = json.Unmarshal(body, &d)
		switch role {
		case "anonymous":
			if resp.StatusCode != 401 {
				t.Errorf("anonymous incident detail: %d", resp.StatusCode)
			}
		default:
			if d.PersonalData != "masked" || d.Description != "" || d.Reporter == nil ||
				!strings.Contains(d.Reporter.Phone, "****") || !strings.Contains(d.Reporter.Name, "*") {
				t.Errorf("%s incident detail: %s, want masked", role, body)
			}
		}
	}

	// The event stream while an incident with a reporter arrives.
	evURL := srv.URL + "/api/v1/events"
	events, stop := openEvents(t, evURL, "")
	pt := inside(t, ix, "37081200100105")
	if resp, body := do(t, "POST", srv.URL+"/api/v1/incidents", admin, "application/json", mustJSON(t, incident("PRIVACY-1", pt, "dispute"))); resp.StatusCode != 201 {
		t.Fatalf("post: %d %s", resp.StatusCode, body)
	}
	ev := next(t, events, "incident")
	stop()
	if l := p.leaks([]byte(ev.data), false); len(l) > 0 || strings.Contains(ev.data, ftoa(pt[0])) {
		t.Errorf("the event stream shows personal data or the location: %s", ev.data)
	}

	// Posting (good and bad batches) and reading personal data as a
	// reporter writes none of it to the log.
	reporter := mint(t, a, gridmap.RoleReporter, "reporter", "")
	bad := map[string]any{"incidents": []any{incident("PRIVACY-2", pt, "dispute"), map[string]any{"external_id": "PRIVACY-3", "reporter": map[string]any{"name": "李演示", "phone": "199-0537-9999"}}}}
	do(t, "POST", srv.URL+"/api/v1/incidents", reporter, "application/json", mustJSON(t, bad))
	do(t, "GET", srv.URL+"/api/v1/incidents/"+incIDs[1], reporter, "", "")
	time.Sleep(100 * time.Millisecond)
	if l := p.leaks([]byte(logs.String()), false); len(l) > 0 {
		t.Errorf("the log holds personal data: %s", strings.Join(l[:min(len(l), 10)], "; "))
	}
	if !strings.Contains(logs.String(), `"request_id"`) {
		t.Error("the log has no request lines at debug level")
	}
	if scanned < 300 {
		t.Errorf("only %d answers scanned", scanned)
	}
	t.Logf("scanned %d answers for %d reporter names, %d member names, %d phones, %d descriptions",
		scanned, len(p.reporterNames), len(p.memberNames), len(p.phones), len(p.descriptions))
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestPersonalDataByRole: what each role sees of an incident's reporter
// and description and of members' contacts; a grid worker's (scoped)
// reporter token sees its own grid's incidents in full, others masked.
func TestPersonalDataByRole(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	ix, _ := a.Live.Index()
	admin := mint(t, a, gridmap.RoleAdmin, "admin", "")
	inVillage1 := inside(t, ix, "37081200100101")
	inVillage2 := inside(t, ix, "37081200100201")
	ids := map[string]string{}
	for name, pt := range map[string]orb.Point{"own": inVillage1, "other": inVillage2} {
		resp, body := do(t, "POST", srv.URL+"/api/v1/incidents", admin, "application/json", mustJSON(t, incident("ROLE-"+name, pt, "dispute")))
		if resp.StatusCode != 201 {
			t.Fatalf("post: %d %s", resp.StatusCode, body)
		}
		var in struct{ ID int64 }
		_ = json.Unmarshal(body, &in)
		ids[name] = strconv.FormatInt(in.ID, 10)
	}
	worker := mint(t, a, gridmap.RoleReporter, "王演示07", "370812001001")
	cases := []struct {
		name, token, incident, want string
	}{
		{"admin", admin, "other", "full"},
		{"reporter", mint(t, a, gridmap.RoleReporter, "hotline", ""), "other", "full"},
		{"grid worker, own grid", worker, "own", "full"},
		{"grid worker, other grid", worker, "other", "masked"},
		{"viewer", mint(t, a, gridmap.RoleViewer, "viewer", ""), "own", "masked"},
		{"planner", mint(t, a, gridmap.RolePlanner, "planner", ""), "own", "masked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, "GET", srv.URL+"/api/v1/incidents/"+ids[c.incident], c.token, "", "")
			var d struct {
				PersonalData string `json:"personal_data"`
				Description  string
				Reporter     struct{ Name, Phone string }
			}
			if err := json.Unmarshal(body, &d); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
			}
			switch c.want {
			case "full":
				if d.PersonalData != "full" || d.Description != "楼道堆放杂物" || d.Reporter.Name != "李演示" || d.Reporter.Phone != "199-0537-9999" {
					t.Errorf("want full personal data: %s", body)
				}
			case "masked":
				if d.PersonalData != "masked" || d.Description != "" || d.Reporter.Name != "李**" || d.Reporter.Phone != "199-****-9999" {
					t.Errorf("want masked personal data: %s", body)
				}
			}
		})
	}
	// Members' contacts in lookups: none anonymous, masked for viewers and
	// planners, in full for reporters and admins.
	u := srv.URL + "/api/v1/lookup?lon=" + ftoa(inVillage1[0]) + "&lat=" + ftoa(inVillage1[1])
	for _, c := range []struct {
		role, token string
		check       func(contact string) bool
	}{
		{"anonymous", "", func(c string) bool { return c == "" }},
		{"viewer", cases[4].token, func(c string) bool { return strings.HasPrefix(c, "199-****-") }},
		{"planner", cases[5].token, func(c string) bool { return strings.HasPrefix(c, "199-****-") }},
		{"reporter", worker, func(c string) bool { return strings.HasPrefix(c, "199-0537-") }},
		{"admin", admin, func(c string) bool { return strings.HasPrefix(c, "199-0537-") }},
	} {
		_, body := do(t, "GET", u, c.token, "", "")
		var l struct {
			Members []struct{ Name, Contact string }
		}
		if err := json.Unmarshal(body, &l); err != nil || len(l.Members) == 0 {
			t.Fatalf("%s lookup: %s", c.role, body)
		}
		for _, m := range l.Members {
			if !c.check(m.Contact) {
				t.Errorf("%s lookup: member %s contact %q", c.role, m.Name, m.Contact)
			}
		}
	}
}
