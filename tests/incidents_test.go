package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/postgis"
)

// incidentInstance starts a server on the demo street with its incident
// statistics loaded.
func incidentInstance(tb testing.TB) (*httptest.Server, *app.App, *geo.Index) {
	tb.Helper()
	srv, a := instance(tb, demoDB(tb))
	select {
	case <-a.Incidents.Loaded():
	case <-time.After(30 * time.Second):
		tb.Fatal("incident statistics not loaded within 30 s")
	}
	select { // the indicators (the wall map's strip)
	case <-a.Cases.Loaded():
	case <-time.After(30 * time.Second):
		tb.Fatal("indicator cases not loaded within 30 s")
	}
	ix, _ := a.Live.Index()
	return srv, a, ix
}

// inside returns a point inside grid code.
func inside(tb testing.TB, ix *geo.Index, code string) orb.Point {
	tb.Helper()
	g, ok := ix.Grid(code)
	if !ok {
		tb.Fatalf("no grid %s", code)
	}
	b := g.Boundary.Bound()
	for i := 1; i < 400; i++ {
		p := orb.Point{b.Min[0] + float64(i%20+1)/21*(b.Max[0]-b.Min[0]), b.Min[1] + float64(i/20+1)/21*(b.Max[1]-b.Min[1])}
		if h, ok := ix.Lookup(p[0], p[1]); ok && h.Grid().Code == code {
			return p
		}
	}
	tb.Fatalf("no point found inside %s", code)
	return orb.Point{}
}

// send sends a JSON body and decodes the JSON answer into v.
func send(tb testing.TB, method, url string, body any, v any) *http.Response {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			tb.Fatalf("%s %s: decoding: %v", method, url, err)
		}
	}
	return resp
}

// incident is an incident to post. Its deadline is far off, so it is not
// overdue whatever day the tests run (without one it would get its
// category's default, TestIncidentDefaultDeadline).
func incident(id string, p orb.Point, category string) map[string]any {
	return map[string]any{
		"external_id": id, "category": category, "source": "hotline",
		"lon": p[0], "lat": p[1], "crs": "wgs84", "reported_at": "2026-11-25T09:30:00+08:00", "deadline": "2099-12-31T18:00:00+08:00",
		"description": "楼道堆放杂物", "reporter": map[string]any{"name": "李演示", "phone": "199-0537-9999"},
	}
}

type incidentResp struct {
	ID         int64  `json:"id"`
	ExternalID string `json:"external_id"`
	Category   string `json:"category"`
	Status     string `json:"status"`
	Lon, Lat   float64
	Grid       *struct{ Code, Level string }
	Overdue    bool
	// Only on GET /api/v1/incidents/{id}.
	Description *string
	Reporter    *struct{ Name, Phone string }
}

func TestIncidentsAPI(t *testing.T) {
	srv, _, ix := incidentInstance(t)
	base := srv.URL + "/api/v1"
	micro := "37081200100101"
	p := inside(t, ix, micro)

	// One incident: 201 with the grid, no personal data in the answer.
	var in incidentResp
	resp := send(t, "POST", base+"/incidents", incident("12345-2026-000001", p, "dispute"), &in)
	if resp.StatusCode != 201 || in.ID == 0 || in.Grid == nil || in.Grid.Code != micro || in.Grid.Level != "micro" || in.Status != "reported" {
		t.Fatalf("POST: %d %+v", resp.StatusCode, in)
	}
	if in.Description != nil || in.Reporter != nil {
		t.Error("POST answer carries personal data")
	}
	if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/api/v1/incidents/%d", in.ID) {
		t.Errorf("Location %q", loc)
	}
	// Re-post: 200 with the stored incident, nothing new.
	var again incidentResp
	changed := incident("12345-2026-000001", p, "hazard")
	resp = send(t, "POST", base+"/incidents", changed, &again)
	if resp.StatusCode != 200 || again.ID != in.ID || again.Category != "dispute" {
		t.Errorf("re-post: %d %+v", resp.StatusCode, again)
	}
	// GET one: personal data (until issue 7 restricts it).
	var one incidentResp
	get(t, fmt.Sprintf("%s/incidents/%d", base, in.ID), &one)
	if one.Description == nil || *one.Description != "楼道堆放杂物" || one.Reporter == nil || one.Reporter.Phone != "199-0537-9999" {
		t.Errorf("GET one: %+v", one)
	}

	// A bad single incident: 400 naming the field.
	var pr problem
	bad := incident("12345-2026-000002", p, "dispute")
	bad["lat"] = 95
	resp = send(t, "POST", base+"/incidents", bad, &pr)
	wantProblem(t, resp, pr, 400)
	if len(pr.Errors) != 1 || pr.Errors[0]["field"] != "lat" {
		t.Errorf("errors %v", pr.Errors)
	}

	// GCJ-02 input is stored in WGS84.
	gcj := geo.WGS84ToGCJ02(p)
	var g incidentResp
	send(t, "POST", base+"/incidents?crs=gcj02", map[string]any{"external_id": "G-1", "category": "安全隐患", "source": "grid_worker",
		"lon": gcj[0], "lat": gcj[1], "reported_at": "2026-11-25 10:00:00", "deadline": "2099-12-31 18:00:00"}, &g)
	if g.Grid == nil || g.Grid.Code != micro || g.Category != "hazard" || abs(g.Lon-p[0]) > 1e-6 || abs(g.Lat-p[1]) > 1e-6 {
		t.Errorf("GCJ-02 post: %+v, want about %v", g, p)
	}

	// A batch, all or nothing: refused whole, every bad item named.
	other := inside(t, ix, "37081200100201")
	items := []any{
		incident("B-1", p, "dispute"),
		map[string]any{"external_id": "B-2", "category": "dispute", "source": "hotline", "lon": "x", "lat": 35.5, "reported_at": "2026-11-25T09:30:00+08:00"},
		incident("B-3", other, "weather"),
		incident("B-4", orb.Point{100, 30}, "hazard"), // outside every grid
		incident("B-1", other, "dispute"),             // duplicate id in the batch
		"not an object",
	}
	var batchPr problem
	resp = send(t, "POST", base+"/incidents", map[string]any{"incidents": items}, &batchPr)
	wantProblem(t, resp, batchPr, 400)
	var got []string
	for _, e := range batchPr.Errors {
		got = append(got, fmt.Sprintf("%v:%v", e["index"], e["field"]))
	}
	if strings.Join(got, " ") != "1:lon 2:category 4:external_id 5:<nil>" {
		t.Errorf("batch errors %v", got)
	}
	// Partial: the good ones are stored, the bad ones listed.
	var br struct {
		Read, Created, Existing, Unassigned int
		Errors                              []map[string]any
		Incidents                           []struct {
			Index   int
			ID      int64
			Created bool
			Grid    *struct{ Code string }
		}
	}
	resp = send(t, "POST", base+"/incidents?partial=true", map[string]any{"incidents": items}, &br)
	if resp.StatusCode != 201 || br.Read != 6 || br.Created != 2 || br.Unassigned != 1 || len(br.Errors) != 4 || len(br.Incidents) != 2 {
		t.Fatalf("partial batch: %d %+v", resp.StatusCode, br)
	}
	if br.Incidents[1].Index != 3 || br.Incidents[1].Grid != nil {
		t.Errorf("the outside point: %+v", br.Incidents[1])
	}

	// Workflow.
	patch := func(body any, status int) incidentResp {
		t.Helper()
		var r incidentResp
		var raw json.RawMessage
		resp := send(t, "PATCH", fmt.Sprintf("%s/incidents/%d", base, in.ID), body, &raw)
		if resp.StatusCode != status {
			t.Errorf("PATCH %v: %d %s, want %d", body, resp.StatusCode, raw, status)
		}
		if status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("PATCH %v: %s", body, resp.Header.Get("Content-Type"))
		}
		_ = json.Unmarshal(raw, &r)
		return r
	}
	if r := patch(map[string]any{"status": "accepted", "department": "司法所"}, 200); r.Status != "accepted" {
		t.Errorf("accept: %+v", r)
	}
	patch(map[string]any{"status": "reported"}, 409)
	patch(map[string]any{"status": "finished"}, 400)
	patch(map[string]any{"colour": "red"}, 400)
	if r := patch(map[string]any{"status": "in_progress", "deadline": "2026-11-26T00:00:00+08:00"}, 200); !r.Overdue {
		t.Errorf("a past deadline while in progress is overdue: %+v", r)
	}
	resp = send(t, "PATCH", base+"/incidents/999999", map[string]any{"status": "accepted"}, &pr)
	wantProblem(t, resp, pr, 404)

	// Listing: filters and no personal data.
	type page struct {
		Incidents  []incidentResp
		NextCursor string `json:"next_cursor"`
	}
	var lp page
	resp = get(t, base+"/incidents?overdue=true", &lp)
	if resp.StatusCode != 200 || len(lp.Incidents) != 1 || lp.Incidents[0].ID != in.ID {
		t.Errorf("overdue: %+v", lp)
	}
	for q, want := range map[string]int{
		"":                                   4, // 000001, G-1, B-1, B-4
		"grid=370812001001":                  3, // the village of micro (two at p, G-1)
		"grid=" + micro + "&category=hazard": 1,
		"status=open":                        4,
		"status=in_progress":                 1,
		"unassigned=true":                    1,
		"external_id=B-1":                    1,
		"from=2026-11-25T10:00:00%2B08:00":   1,
		"to=2026-11-25":                      0,
		"overdue=false":                      3,
	} {
		var lp page
		resp := get(t, base+"/incidents?"+q, &lp)
		if resp.StatusCode != 200 || len(lp.Incidents) != want {
			t.Errorf("?%s: %d, %d incidents, want %d", q, resp.StatusCode, len(lp.Incidents), want)
		}
	}
	body := getBody(t, base+"/incidents")
	if strings.Contains(body, "199-0537") || strings.Contains(body, "楼道") || strings.Contains(body, "reporter") {
		t.Errorf("the listing carries personal data: %s", body)
	}
	// Paging covers every incident once.
	seen := map[int64]bool{}
	next := base + "/incidents?limit=2"
	for pages := 0; next != "" && pages < 10; pages++ {
		var lp page
		get(t, next, &lp)
		for _, it := range lp.Incidents {
			if seen[it.ID] {
				t.Errorf("%d seen twice", it.ID)
			}
			seen[it.ID] = true
		}
		next = ""
		if lp.NextCursor != "" {
			next = base + "/incidents?limit=2&cursor=" + lp.NextCursor
		}
	}
	if len(seen) != 4 {
		t.Errorf("paging saw %d incidents, want 4", len(seen))
	}
	for _, q := range []string{"category=weather", "status=done", "from=yesterday", "grid=nowhere", "limit=0", "cursor=abc", "overdue=maybe", "from=2026-02-01&to=2026-01-01"} {
		var p problem
		resp := get(t, base+"/incidents?"+q, &p)
		wantProblem(t, resp, p, 400)
	}
	var cats struct {
		Categories []struct{ Name, LabelZh, LabelEn string }
	}
	get(t, base+"/categories", &cats)
	if len(cats.Categories) != 8 || cats.Categories[0].Name != "dispute" {
		t.Errorf("categories %+v", cats)
	}
}

func getBody(tb testing.TB, url string) string {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// waitTotal polls the statistics until they count want incidents.
func waitTotal(tb testing.TB, base string, want int) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var st struct{ Total int }
		get(tb, base+"/stats/grids", &st)
		if st.Total == want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("statistics count %d incidents, want %d", st.Total, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestIncidentStatsAndHeat(t *testing.T) {
	srv, _, ix := incidentInstance(t)
	base := srv.URL + "/api/v1"
	a, b := inside(t, ix, "37081200100101"), inside(t, ix, "37081200100102")
	var items []any
	for i := range 30 {
		p, cat := a, "dispute"
		if i%3 == 0 {
			p, cat = b, "hazard"
		}
		it := incident(fmt.Sprintf("S-%02d", i), p, cat)
		it["reported_at"] = time.Date(2026, 3, 1+i, 9, 0, 0, 0, gridmap.ChinaTime).Format(time.RFC3339)
		items = append(items, it)
	}
	items = append(items, incident("S-out", orb.Point{100, 30}, "hazard"))
	resp := send(t, "POST", base+"/incidents", map[string]any{"incidents": items}, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("batch: %d", resp.StatusCode)
	}
	waitTotal(t, base, 31)

	type counts struct {
		Level  string
		Counts []struct {
			Code, Name string
			Count      int
		}
		Total, Unassigned int
	}
	var micro counts
	get(t, base+"/stats/grids?level=micro", &micro)
	if micro.Level != "micro" || len(micro.Counts) != postgis.DefaultDemo.Micro || micro.Unassigned != 1 {
		t.Fatalf("micro: level %s, %d grids, %d unassigned", micro.Level, len(micro.Counts), micro.Unassigned)
	}
	byCode := map[string]int{}
	for _, c := range micro.Counts {
		byCode[c.Code] = c.Count
		if c.Name == "" {
			t.Errorf("%s has no name", c.Code)
		}
	}
	if byCode["37081200100101"] != 20 || byCode["37081200100102"] != 10 || byCode["37081200100103"] != 0 {
		t.Errorf("micro counts %v %v %v", byCode["37081200100101"], byCode["37081200100102"], byCode["37081200100103"])
	}
	var village counts
	get(t, base+"/stats/grids?level=village&category=dispute&from=2026-03-01&to=2026-03-11", &village)
	if len(village.Counts) != postgis.DefaultDemo.Villages || village.Counts[0].Code != "370812001001" || village.Counts[0].Count != 6 || village.Total != 6 {
		t.Errorf("village disputes 1–10 March: %+v", village.Counts[:2])
	}
	for _, q := range []string{"level=planet", "category=weather", "status=x", "from=x", "grid=nowhere"} {
		var p problem
		resp := get(t, base+"/stats/grids?"+q, &p)
		wantProblem(t, resp, p, 400)
	}
	if body := getBody(t, base+"/stats/grids"); strings.Contains(body, "199-0537") {
		t.Error("statistics carry personal data")
	}

	// Time series of a village: hazards by week.
	var ts struct {
		Bucket string
		Series []struct {
			Start time.Time
			Count int
		}
	}
	get(t, base+"/stats/timeseries?grid=370812001001&category=hazard&bucket=week&from=2026-03-01&to=2026-04-01", &ts)
	sum := 0
	for _, p := range ts.Series {
		sum += p.Count
		if p.Start.Weekday() != time.Monday {
			t.Errorf("week starts %v", p.Start)
		}
	}
	if ts.Bucket != "week" || sum != 10 || len(ts.Series) != 6 {
		t.Errorf("time series: %+v (sum %d)", ts, sum)
	}
	var p problem
	wantProblem(t, get(t, base+"/stats/timeseries?bucket=year", &p), p, 400)

	// Heat tiles: the tile holding both points counts all 30, at any zoom.
	tested := 0
	for _, z := range []maptile.Zoom{8, 10, 13, 16} {
		tile := maptile.At(a, z)
		if maptile.At(b, z) != tile {
			continue
		}
		tested++
		n, props := heatTile(t, fmt.Sprintf("%s/tiles/heat/%d/%d/%d.mvt", srv.URL, z, tile.X, tile.Y))
		if n != 30 {
			t.Errorf("zoom %d: the tile counts %d incidents, want 30", z, n)
		}
		for k := range props {
			if k != "count" {
				t.Errorf("zoom %d: heat feature property %q", z, k)
			}
		}
		if n, _ := heatTile(t, fmt.Sprintf("%s/tiles/heat/%d/%d/%d.mvt?category=hazard", srv.URL, z, tile.X, tile.Y)); n != 10 {
			t.Errorf("zoom %d: %d hazards, want 10", z, n)
		}
	}
	if tested < 2 {
		t.Errorf("only %d zooms had both points in one tile", tested)
	}
	empty, err := http.Get(srv.URL + "/tiles/heat/10/0/0.mvt")
	if err != nil {
		t.Fatal(err)
	}
	empty.Body.Close()
	if empty.StatusCode != 204 {
		t.Errorf("an empty heat tile: %d, want 204", empty.StatusCode)
	}
	wantProblem(t, get(t, srv.URL+"/tiles/heat/3/9/0.mvt", &p), p, 400)
	// A tile address that is not numbers is 400, as for grid tiles (issue 12).
	for _, u := range []string{"/tiles/heat/a/b/c.mvt", "/tiles/heat/3/-1/0.mvt", "/tiles/grids/a/b/c.mvt"} {
		var p problem
		wantProblem(t, get(t, srv.URL+u, &p), p, 400)
	}
}

// heatTile fetches a heat tile and returns the sum of its counts and the
// property names seen.
func heatTile(tb testing.TB, url string) (int, map[string]bool) {
	tb.Helper()
	resp, err := http.Get(url) // the client asks for gzip and unzips
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		tb.Fatalf("%s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	b, _ := io.ReadAll(resp.Body)
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		tb.Fatalf("%s: %v", url, err)
	}
	n, props := 0, map[string]bool{}
	for _, l := range layers {
		for _, f := range l.Features {
			for k := range f.Properties {
				props[k] = true
			}
			c, _ := f.Properties["count"].(float64)
			n += int(c)
		}
	}
	return n, props
}

type sseEvent struct{ id, event, data string }

// readEvents parses a Server-Sent Events stream onto a channel.
func readEvents(r io.Reader) <-chan sseEvent {
	ch := make(chan sseEvent, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" || ev.data != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return ch
}

func openEvents(tb testing.TB, url, lastID string) (<-chan sseEvent, func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		tb.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return readEvents(resp.Body), func() { cancel(); resp.Body.Close() }
}

// next returns the next event of type event ("": of any type).
func next(tb testing.TB, ch <-chan sseEvent, event string) sseEvent {
	tb.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				tb.Fatalf("the stream ended before a %q event", event)
			}
			if ev.event == event || event == "" {
				return ev
			}
		case <-timeout:
			tb.Fatalf("no %q event within 15 s", event)
		}
	}
}

func TestIncidentEvents(t *testing.T) {
	srv, _, ix := incidentInstance(t)
	base := srv.URL + "/api/v1"
	p := inside(t, ix, "37081200100101")
	events, stop := openEvents(t, base+"/events", "")
	defer stop()
	hazards, stopH := openEvents(t, base+"/events?category=hazard", "")
	defer stopH()

	var in incidentResp
	send(t, "POST", base+"/incidents", incident("E-1", p, "dispute"), &in)
	ev := next(t, events, "incident")
	var data map[string]any
	if err := json.Unmarshal([]byte(ev.data), &data); err != nil {
		t.Fatal(err)
	}
	grid, _ := data["grid"].(map[string]any)
	if data["id"] != float64(in.ID) || data["category"] != "dispute" || grid["code"] != "37081200100101" || ev.id == "" {
		t.Errorf("incident event %+v", ev)
	}
	for _, k := range []string{"description", "reporter", "lon", "lat", "external_id"} {
		if _, ok := data[k]; ok {
			t.Errorf("the event carries %q", k)
		}
	}
	send(t, "PATCH", fmt.Sprintf("%s/incidents/%d", base, in.ID), map[string]any{"status": "accepted"}, nil)
	st := next(t, events, "status")
	if !strings.Contains(st.data, `"status":"accepted"`) || !strings.Contains(st.data, `"previous":"reported"`) {
		t.Errorf("status event %s", st.data)
	}
	// The hazard stream saw neither; it sees a hazard.
	send(t, "POST", base+"/incidents", incident("E-2", p, "hazard"), nil)
	if h := next(t, hazards, "incident"); !strings.Contains(h.data, `"category":"hazard"`) {
		t.Errorf("filtered stream: %s", h.data)
	}

	// Reconnecting with the last id seen replays what was missed.
	replay, stopR := openEvents(t, base+"/events", ev.id)
	defer stopR()
	if r := next(t, replay, "status"); r.id != st.id {
		t.Errorf("replayed %+v, want %s", r, st.id)
	}
	// An id this instance does not know asks the client to resync.
	unknown, stopU := openEvents(t, base+"/events", "elsewhere-12")
	defer stopU()
	next(t, unknown, "resync")
}

// TestIncidentExport: the list's filters as a streamed CSV or GeoJSON file
// of every match, with no personal data whoever asks.
func TestIncidentExport(t *testing.T) {
	url := demoIncidentsDB(t)
	srv, a := instance(t, url)
	var want int
	if err := a.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM incident WHERE category = 'dispute'`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if want == 0 {
		t.Fatal("the demo has no disputes")
	}
	resp := get(t, srv.URL+"/api/v1/incidents?format=csv&category=dispute", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r2, err := http.Get(srv.URL + "/api/v1/incidents?format=csv&category=dispute")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(r2.Body).ReadAll()
	r2.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != want+1 || rows[0][1] != "external_id" {
		t.Errorf("csv export: %d rows (header %v), want %d incidents", len(rows), rows[0], want)
	}
	var fc struct {
		Type     string
		Features []struct {
			Geometry struct {
				Type        string
				Coordinates []float64
			}
			Properties map[string]any
		}
	}
	get(t, srv.URL+"/api/v1/incidents?format=geojson&category=dispute&limit=5", &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 5 || fc.Features[0].Geometry.Type != "Point" {
		t.Errorf("geojson export with limit=5: %+v", fc)
	}
	for _, f := range fc.Features {
		if _, ok := f.Properties["reporter"]; ok {
			t.Errorf("export carries reporter data: %v", f.Properties)
		}
	}
	var p problem
	resp = get(t, srv.URL+"/api/v1/incidents?format=xlsx", &p)
	wantProblem(t, resp, p, 400)
}

// TestRecentEvents: GET /api/v1/events/recent gives the newest incidents
// (by time reported) as the ticker of the wall map shows them when it
// opens: newest first, with their current status and grid, the
// statistics' filters, and no personal data.
func TestRecentEvents(t *testing.T) {
	srv, _, ix := incidentInstance(t)
	base := srv.URL + "/api/v1"
	p := inside(t, ix, "37081200100101")
	events, stop := openEvents(t, base+"/events", "")
	defer stop()
	post := func(id, cat, at string) int64 {
		in := incident(id, p, cat)
		in["reported_at"] = at
		var r incidentResp
		send(t, "POST", base+"/incidents", in, &r)
		next(t, events, "incident") // in the statistics now
		return r.ID
	}
	older := post("R-1", "dispute", "2026-11-20T09:00:00+08:00")
	newest := post("R-2", "hazard", "2026-11-26T10:00:00+08:00")
	middle := post("R-3", "dispute", "2026-11-25T08:00:00+08:00")
	send(t, "PATCH", fmt.Sprintf("%s/incidents/%d", base, middle), map[string]any{"status": "accepted"}, nil)
	next(t, events, "status")

	type recent struct {
		Events []map[string]any `json:"events"`
	}
	ids := func(r recent) []int64 {
		var out []int64
		for _, e := range r.Events {
			id, _ := e["id"].(float64)
			out = append(out, int64(id))
		}
		return out
	}
	var all recent
	if resp := get(t, base+"/events/recent?limit=3", &all); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("recent: %d %v", resp.StatusCode, resp.Header)
	}
	if got := ids(all); !slices.Equal(got, []int64{newest, middle, older}) {
		t.Fatalf("recent ids %v, want %v", got, []int64{newest, middle, older})
	}
	ev := all.Events[1]
	grid, _ := ev["grid"].(map[string]any)
	if ev["type"] != "incident" || ev["status"] != "accepted" || ev["category"] != "dispute" ||
		grid["code"] != "37081200100101" || grid["name"] == "" || ev["reported_at"] != "2026-11-25T00:00:00Z" {
		t.Errorf("recent event %v", ev)
	}
	for _, e := range all.Events {
		for _, k := range []string{"description", "reporter", "lon", "lat", "external_id"} {
			if _, ok := e[k]; ok {
				t.Errorf("a recent event carries %q", k)
			}
		}
	}
	var disputes recent
	get(t, base+"/events/recent?limit=2&category=dispute", &disputes)
	if got := ids(disputes); !slices.Equal(got, []int64{middle, older}) {
		t.Errorf("recent disputes %v, want %v", got, []int64{middle, older})
	}
	var def recent
	get(t, base+"/events/recent", &def)
	if len(def.Events) != 3 {
		t.Errorf("recent without a limit: %d events, want all 3", len(def.Events))
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "category=nope", "status=lost"} {
		var pr problem
		resp := get(t, base+"/events/recent?"+q, &pr)
		wantProblem(t, resp, pr, 400)
	}
}
