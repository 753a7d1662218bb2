package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/gridio"
	"github.com/gridmap/gridmap/postgis"
)

type lookupAnswer struct {
	Grid struct {
		Code, Name, Level string
	}
	Chain []struct {
		Code, Name, Level string
	}
	Members []struct {
		Grid, Role, Name string
	}
	NearBoundary *struct {
		Code      string
		DistanceM float64 `json:"distance_m"`
	} `json:"near_boundary"`
}

// probe is a point PostGIS places inside a grid, with the grid's code.
type probe struct {
	code string
	p    orb.Point
}

func interiorPoints(tb testing.TB, st *postgis.Store, level string) []probe {
	tb.Helper()
	rows, err := st.Pool().Query(context.Background(), `
SELECT code, ST_X(p), ST_Y(p) FROM (
  SELECT code, ST_PointOnSurface(boundary) p FROM grid_version WHERE valid_to IS NULL AND level = $1) s
ORDER BY code`, level)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []probe
	for rows.Next() {
		var pr probe
		if err := rows.Scan(&pr.code, &pr.p[0], &pr.p[1]); err != nil {
			tb.Fatal(err)
		}
		out = append(out, pr)
	}
	return out
}

func lookupURL(base string, p orb.Point, crs string) string {
	u := fmt.Sprintf("%s/api/v1/lookup?lon=%s&lat=%s", base, ftoa(p[0]), ftoa(p[1]))
	if crs != "" {
		u += "&crs=" + crs
	}
	return u
}

func TestLookupAPI(t *testing.T) {
	url := demoDB(t)
	srv, a := instance(t, url)
	probes := interiorPoints(t, a.Store, "micro")
	if len(probes) != postgis.DefaultDemo.Micro {
		t.Fatalf("%d micro-grid probes", len(probes))
	}
	for _, pr := range probes {
		var ans lookupAnswer
		resp := get(t, lookupURL(srv.URL, pr.p, ""), &ans)
		if resp.StatusCode != 200 || ans.Grid.Code != pr.code {
			t.Errorf("lookup %v: %d %s, want %s", pr.p, resp.StatusCode, ans.Grid.Code, pr.code)
			continue
		}
		if len(ans.Chain) != 3 || ans.Chain[0].Level != "micro" || ans.Chain[1].Level != "village" || ans.Chain[2].Level != "street" {
			t.Errorf("lookup %s: chain %+v, want micro, village, street", pr.code, ans.Chain)
		}
		roles := map[string]bool{}
		for _, m := range ans.Members {
			roles[m.Role] = true
		}
		if !roles["worker"] || !roles["leader"] {
			t.Errorf("lookup %s: members %+v lack the grid worker or a leader", pr.code, ans.Members)
		}
	}

	// Contacts are personal data: never in a lookup answer.
	resp, err := http.Get(lookupURL(srv.URL, probes[0].p, ""))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "199-0537") || strings.Contains(string(body), "contact") {
		t.Errorf("lookup answer leaks contacts: %s", body)
	}

	// GCJ-02 and BD-09 input land in the same grid.
	for _, crs := range []geo.CRS{geo.GCJ02, geo.BD09} {
		p, _ := geo.FromWGS84(crs, probes[7].p)
		var ans lookupAnswer
		get(t, lookupURL(srv.URL, p, string(crs)), &ans)
		if ans.Grid.Code != probes[7].code {
			t.Errorf("crs %s: got %s, want %s", crs, ans.Grid.Code, probes[7].code)
		}
	}

	// A point on the border of two micro-grids: one deterministic answer,
	// and near_boundary names the other at distance ~0.
	var a1, a2 string
	var border orb.Point
	if err := a.Store.Pool().QueryRow(context.Background(), `
SELECT a.code, b.code, ST_X(p), ST_Y(p) FROM (
  SELECT a.code AS ac, b.code AS bc, ST_LineInterpolatePoint(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 2)), 0.5) p
  FROM grid_version a JOIN grid_version b ON a.code < b.code AND ST_Touches(a.boundary, b.boundary)
  WHERE a.level = 'micro' AND b.level = 'micro' AND a.valid_to IS NULL AND b.valid_to IS NULL
    AND ST_GeometryType(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 2))) = 'ST_LineString'
  ORDER BY a.code, b.code LIMIT 1) s
JOIN grid_version a ON a.code = s.ac AND a.valid_to IS NULL JOIN grid_version b ON b.code = s.bc AND b.valid_to IS NULL`).Scan(&a1, &a2, &border[0], &border[1]); err != nil {
		t.Fatal(err)
	}
	var ans lookupAnswer
	get(t, lookupURL(srv.URL, border, ""), &ans)
	if ans.Grid.Code != a1 && ans.Grid.Code != a2 {
		t.Errorf("border point of %s|%s answered %s", a1, a2, ans.Grid.Code)
	}
	other := map[string]string{a1: a2, a2: a1}[ans.Grid.Code]
	if ans.NearBoundary == nil || ans.NearBoundary.Code != other || ans.NearBoundary.DistanceM > 1 {
		t.Errorf("border point: near_boundary %+v, want %s within 1 m", ans.NearBoundary, other)
	}
	for i := 0; i < 5; i++ {
		var again lookupAnswer
		get(t, lookupURL(srv.URL, border, ""), &again)
		if again.Grid.Code != ans.Grid.Code {
			t.Fatalf("border answer changed: %s then %s", ans.Grid.Code, again.Grid.Code)
		}
	}
	// Deep inside: no near_boundary.
	var centre lookupAnswer
	var inner orb.Point
	if err := a.Store.Pool().QueryRow(context.Background(), `
SELECT ST_X(c), ST_Y(c) FROM (SELECT (ST_MaximumInscribedCircle(boundary)).center c FROM grid_version
 WHERE code = $1 AND valid_to IS NULL) s`, probes[3].code).Scan(&inner[0], &inner[1]); err != nil {
		t.Fatal(err)
	}
	get(t, lookupURL(srv.URL, inner, ""), &centre)
	if centre.Grid.Code != probes[3].code || centre.NearBoundary != nil {
		t.Errorf("centre of %s: %+v", probes[3].code, centre)
	}

	// Outside every grid: 404 naming the nearest grid.
	var p problem
	resp = get(t, lookupURL(srv.URL, orb.Point{116.70, 35.52}, ""), &p)
	wantProblem(t, resp, p, 404)
	if n, _ := p.Extra["nearest"].(map[string]any); n == nil || n["code"] == "" {
		t.Errorf("outside point: problem %+v does not name the nearest grid", p)
	}
	// Far away: 404 with no nearest grid within 50 km.
	p = problem{}
	resp = get(t, lookupURL(srv.URL, orb.Point{100, 30}, ""), &p)
	wantProblem(t, resp, p, 404)
	// Swapped axes that land in China are a 404 that says so.
	p = problem{}
	resp = get(t, lookupURL(srv.URL, orb.Point{probes[0].p[1], probes[0].p[0]}, ""), &p)
	if resp.StatusCode == 404 && !strings.Contains(p.Detail, "swapped") {
		t.Errorf("swapped point: detail %q does not mention the swap", p.Detail)
	}

	bad := []string{"lat=35", "lon=116", "lon=abc&lat=35", "lon=116&lat=91", "lon=181&lat=35",
		"lon=NaN&lat=35", "lon=116&lat=35&crs=utm", "lon=35.5&lat=116.8"}
	for _, q := range bad {
		var p problem
		resp := get(t, srv.URL+"/api/v1/lookup?"+q, &p)
		wantProblem(t, resp, p, 400)
		if q == "lon=35.5&lat=116.8" && !strings.Contains(p.Detail, "swapped") {
			t.Errorf("%s: detail %q does not say the axes look swapped", q, p.Detail)
		}
	}
}

func TestLookupBatch(t *testing.T) {
	url := demoDB(t)
	srv, a := instanceWith(t, url, httpapi.Config{MaxBatchPoints: 1000})
	probes := interiorPoints(t, a.Store, "micro")
	pts := make([][2]float64, 0, len(probes)+1)
	for _, pr := range probes {
		pts = append(pts, [2]float64{pr.p[0], pr.p[1]})
	}
	pts = append(pts, [2]float64{100, 30}) // outside: null
	body, _ := json.Marshal(map[string]any{"points": pts})
	resp, err := http.Post(srv.URL+"/api/v1/lookup", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Results []*struct{ Code string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(out.Results) != len(pts) {
		t.Fatalf("%d results for %d points", len(out.Results), len(pts))
	}
	for i, pr := range probes {
		if out.Results[i] == nil || out.Results[i].Code != pr.code {
			t.Errorf("results[%d] = %+v, want %s", i, out.Results[i], pr.code)
		}
	}
	if out.Results[len(pts)-1] != nil {
		t.Errorf("outside point: %+v, want null", out.Results[len(pts)-1])
	}

	// GCJ-02 batch.
	gcj := make([][2]float64, 3)
	for i := range gcj {
		g := geo.WGS84ToGCJ02(probes[i].p)
		gcj[i] = [2]float64{g[0], g[1]}
	}
	body, _ = json.Marshal(map[string]any{"points": gcj, "crs": "gcj02"})
	resp, _ = http.Post(srv.URL+"/api/v1/lookup", "application/json", strings.NewReader(string(body)))
	out.Results = nil
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	for i := range gcj {
		if len(out.Results) != 3 || out.Results[i] == nil || out.Results[i].Code != probes[i].code {
			t.Fatalf("gcj02 batch: %+v", out.Results)
		}
	}

	// CSV in, CSV out, header echoed.
	csv := "lon,lat\n" + fmt.Sprintf("%s,%s\n100,30\n", ftoa(probes[5].p[0]), ftoa(probes[5].p[1]))
	resp, err = http.Post(srv.URL+"/api/v1/lookup", "text/csv", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := fmt.Sprintf("lon,lat,code\n%s,%s,%s\n100,30,\n", ftoa(probes[5].p[0]), ftoa(probes[5].p[1]), probes[5].code)
	if string(got) != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV batch:\n%s\nwant\n%s", got, want)
	}

	// Bad batches.
	many := make([][2]float64, 1001)
	for i := range many {
		many[i] = [2]float64{116.8, 35.5}
	}
	tooMany, _ := json.Marshal(map[string]any{"points": many})
	cases := []struct {
		name, ct, body string
		status         int
		detail         string
	}{
		{"over the limit", "application/json", string(tooMany), 413, "at most 1000"},
		{"not JSON", "application/json", `{"points":[[1,2],`, 400, "malformed"},
		{"unknown field", "application/json", `{"pts":[[1,2]]}`, 400, "unknown field"},
		{"no points", "application/json", `{}`, 400, "no \"points\""},
		{"one number", "application/json", `{"points":[[116.8]]}`, 400, "points[0]"},
		{"string number", "application/json", `{"points":[["116.8","35.5"]]}`, 400, "points[0][0]"},
		{"bad crs", "application/json", `{"points":[[116.8,35.5]],"crs":"utm"}`, 400, "crs"},
		{"out of range", "application/json", `{"points":[[116.8,35.5],[116.8,95]]}`, 400, "1 of 2 points"},
		{"swapped", "application/json", `{"points":[[35.5,116.8]]}`, 400, "swapped"},
		{"CSV junk", "text/csv", "lon,lat\n116.8,abc\n", 400, "numbers"},
		{"other content type", "application/xml", `<points/>`, 400, "Content-Type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+"/api/v1/lookup", tc.ct, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var p problem
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			wantProblem(t, resp, p, tc.status)
			text := p.Detail
			for _, e := range p.Errors {
				text += fmt.Sprint(e)
			}
			if !strings.Contains(text, tc.detail) {
				t.Errorf("problem %q (errors %v) does not mention %q", p.Detail, p.Errors, tc.detail)
			}
		})
	}
}

// TestLookupLiveReload: a grid changed through one instance is answered by
// another instance on the same database within a second.
func TestLookupLiveReload(t *testing.T) {
	dbURL := demoDB(t)
	_, a := instance(t, dbURL)
	srvB, _ := instance(t, dbURL)

	probes := interiorPoints(t, a.Store, "micro")
	target := probes[10]
	g, err := a.Store.Grid(context.Background(), target.code, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Rename the grid through instance A's store (a new version).
	doc, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{
		"type": "Feature", "geometry": map[string]any{"type": "MultiPolygon", "coordinates": g.Boundary},
		"properties": map[string]any{"code": g.Code, "name": "改名后的网格", "parent": g.Parent, "synthetic": true, "households": g.Attributes["households"]},
	}}})
	start := time.Now()
	res, err := a.Store.ImportGrids(context.Background(), postgis.ImportOptions{Level: gridmap.LevelMicro},
		gridio.ReadGeoJSON(strings.NewReader(string(doc)), gridio.Props{Code: "code", Name: "name", Parent: "parent"}))
	if err != nil || res.Updated != 1 {
		t.Fatalf("rename: %+v %v", res, err)
	}
	deadline := start.Add(time.Second)
	for {
		var ans lookupAnswer
		get(t, lookupURL(srvB.URL, target.p, ""), &ans)
		if ans.Grid.Name == "改名后的网格" {
			t.Logf("instance B answered the new name %v after the change was committed", time.Since(start))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance B still answers %q one second after the change", ans.Grid.Name)
		}
		time.Sleep(10 * time.Millisecond)
	}

}
