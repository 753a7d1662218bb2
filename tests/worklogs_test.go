package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// Issue 15: work logs and patrol coverage over HTTP, on the demo street.

type pieceOut struct {
	ID         int64
	ClientID   string `json:"client_id"`
	Metres     float64
	Flags      []string
	Grids      []string
	GridMetres []float64 `json:"grid_metres"`
	Stored     *bool
	Points     [][4]float64
}

type worklogOut struct {
	ID     int64
	Worker struct {
		TokenID int64 `json:"token_id"`
		Name    string
		Role    string
	}
	Date    string
	Notes   string
	People  []string `json:"visited_people"`
	CaseIDs []int64  `json:"case_ids"`
	Grids   []string
	Flags   []string
	Tracks  []pieceOut
}

// walk returns n points from a to b, dt seconds apart from t0.
func walk(a, b orb.Point, n int, t0 time.Time, dt float64) [][]float64 {
	out := make([][]float64, n)
	for i := range n {
		f := float64(i) / float64(n-1)
		out[i] = []float64{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1]), float64(t0.Unix()) + float64(i)*dt}
	}
	return out
}

func gpxOf(pts [][]float64) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>巡查</name><trkseg>`)
	for _, p := range pts {
		fmt.Fprintf(&b, `<trkpt lat="%v" lon="%v"><ele>50</ele><time>%s</time></trkpt>`, p[1], p[0], time.Unix(int64(p[2]), 0).UTC().Format(time.RFC3339))
	}
	b.WriteString(`</trkseg></trk></gpx>`)
	return b.String()
}

func TestWorklogsAPI(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{MaxBodyBytes: 1 << 20})
	base := srv.URL + "/api/v1"
	ctx := context.Background()
	ix, _ := a.Live.Index()
	const village = "370812001001"
	p1 := inside(t, ix, "37081200100101")
	p2 := inside(t, ix, "37081200100102")
	worker := mint(t, a, gridmap.RoleReporter, "王演示01", village)
	other := mint(t, a, gridmap.RoleReporter, "李演示02", "370812001002")
	dispatcher := mint(t, a, gridmap.RoleDispatcher, "指挥中心", "")
	viewer := mint(t, a, gridmap.RoleViewer, "大屏", "")
	workerID, _, _ := gridmap.ParseToken(worker)

	rows := func() (n int) {
		t.Helper()
		if err := a.Store.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM worklog) * 1000 + (SELECT count(*) FROM worklog_track)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	send := func(method, url, tok, ctype, body string, want int) worklogOut {
		t.Helper()
		resp, b := do(t, method, url, tok, ctype, body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, url, resp.StatusCode, want, b)
		}
		var out worklogOut
		if want < 300 {
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
		} else {
			var p problem
			_ = json.Unmarshal(b, &p)
			wantProblem(t, resp, p, want)
		}
		return out
	}

	// A walk of 10 minutes from one micro-grid to its neighbour, at 09:00
	// yesterday (China time): every post of the test names that day or
	// falls in it, so midnight during the run changes nothing.
	y := time.Now().In(gridmap.ChinaTime).AddDate(0, 0, -1)
	t0 := time.Date(y.Year(), y.Month(), y.Day(), 9, 0, 0, 0, gridmap.ChinaTime)
	pts := walk(p1, p2, 21, t0, 30)
	day := gridmap.ChinaDay(t0)
	body := mustJSON(t, map[string]any{"date": day, "notes": "巡查 1 号楼", "visited_people": []string{"张大爷"},
		"tracks": []map[string]any{{"id": "piece-1", "points": pts}}})
	wl := send("POST", base+"/worklogs", worker, "application/json", body, 201)
	if wl.Worker.TokenID != workerID || wl.Date != day || len(wl.Tracks) != 1 || !*wl.Tracks[0].Stored || len(wl.Flags) != 0 {
		t.Fatalf("posted log: %+v", wl)
	}
	// The stored grids equal an independent ST_Intersects of the stored
	// track; the metres per grid match the length of the intersection.
	type gm struct {
		code   string
		metres float64
	}
	var want []gm
	r, err := a.Store.Pool().Query(ctx, `
SELECT g.code, ST_Length(ST_Intersection(g.boundary, ST_Force2D(t.track))::geography)
FROM worklog_track t JOIN grid_version g ON g.valid_to IS NULL AND g.level = 'micro' AND ST_Intersects(g.boundary, t.track)
WHERE t.id = $1 ORDER BY g.code`, wl.Tracks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var x gm
		if err := r.Scan(&x.code, &x.metres); err != nil {
			t.Fatal(err)
		}
		want = append(want, x)
	}
	if len(want) < 2 {
		t.Fatalf("the walk passes %v; want at least two grids", want)
	}
	piece := wl.Tracks[0]
	for i, w := range want {
		if i >= len(piece.Grids) || piece.Grids[i] != w.code {
			t.Fatalf("grids %v, PostGIS %v", piece.Grids, want)
		}
		if math.Abs(piece.GridMetres[i]-w.metres) > 25+0.01*w.metres {
			t.Errorf("%s: %.1f m, PostGIS intersection %.1f m", w.code, piece.GridMetres[i], w.metres)
		}
	}
	if len(piece.Grids) != len(want) {
		t.Fatalf("grids %v, PostGIS %v", piece.Grids, want)
	}

	// A resend stores nothing new (200, stored false).
	n := rows()
	again := send("POST", base+"/worklogs", worker, "application/json", body, 200)
	if again.ID != wl.ID || *again.Tracks[0].Stored || rows() != n {
		t.Fatalf("resend: %+v, rows %d → %d", again, n, rows())
	}

	// Resumable: pieces appended to the log, each flagged as it deserves.
	fast := walk(p1, inside(t, ix, "37081200100201"), 2, t0.Add(time.Hour), 5)
	inaccurate := walk(p1, p2, 3, t0.Add(2*time.Hour), 60)
	inaccurate[1] = append(inaccurate[1], 150)
	far := walk(orb.Point{p1[0] + 1, p1[1]}, orb.Point{p1[0] + 1.0005, p1[1]}, 3, t0.Add(3*time.Hour), 30)
	tracks := mustJSON(t, map[string]any{"tracks": []map[string]any{{"id": "fast", "points": fast}, {"id": "acc", "points": inaccurate}, {"id": "far", "points": far}, {"id": "piece-1", "points": pts}}})
	appended := send("POST", base+"/worklogs/"+strconv.FormatInt(wl.ID, 10)+"/tracks", worker, "application/json", tracks, 201)
	flags := map[string][]string{}
	for _, p := range appended.Tracks {
		flags[p.ClientID] = p.Flags
		if p.ClientID == "piece-1" && *p.Stored {
			t.Error("piece-1 stored twice")
		}
	}
	for id, f := range map[string][]string{"piece-1": {}, "fast": {"speed"}, "acc": {"accuracy"}, "far": {"outside"}} {
		if !slices.Equal(flags[id], f) {
			t.Errorf("piece %s: flags %v, want %v", id, flags[id], f)
		}
	}
	if len(appended.Tracks) != 4 || !slices.Equal(appended.Flags, []string{"accuracy", "outside", "speed"}) {
		t.Errorf("log after append: %d pieces, flags %v", len(appended.Tracks), appended.Flags)
	}
	// Another worker may not append to it.
	send("POST", base+"/worklogs/"+strconv.FormatInt(wl.ID, 10)+"/tracks", other, "application/json", tracks, 403)

	// GPX, as a tracking app exports it: the same walk, an hour later.
	gpxPts := walk(p1, p2, 21, t0.Add(90*time.Minute), 30)
	gpx := send("POST", base+"/worklogs", worker, "application/gpx+xml", gpxOf(gpxPts), 201)
	var gp *pieceOut
	for i := range gpx.Tracks {
		if strings.HasPrefix(gpx.Tracks[i].ClientID, "gpx-") {
			gp = &gpx.Tracks[i]
		}
	}
	if gp == nil || !*gp.Stored || !slices.Equal(gp.Grids, piece.Grids) || len(gp.Flags) != 0 {
		t.Fatalf("GPX piece: %+v", gp)
	}
	n = rows()
	send("POST", base+"/worklogs", worker, "application/gpx+xml", gpxOf(gpxPts), 200)
	if rows() != n {
		t.Error("a resent GPX file stored something")
	}

	// Hostile and bad input: refused, nothing stored.
	for _, c := range []struct{ name, ctype, body string }{
		{"NUL in notes", "application/json", `{"notes": "a\u0000b"}`},
		{"invalid UTF-8 in a piece id", "application/json", "{\"tracks\": [{\"id\": \"\xC3\x28\", \"points\": [[116.9,35.5,1764000000]]}]}"},
		{"no piece id", "application/json", `{"tracks": [{"points": [[116.9,35.5,1764000000]]}]}`},
		{"time going back", "application/json", `{"tracks": [{"id": "x", "points": [[116.9,35.5,1764000000],[116.9,35.5,1763000000]]}]}`},
		{"latitude out of range", "application/json", `{"tracks": [{"id": "x", "points": [[116.9,95.5,1764000000]]}]}`},
		{"unknown field", "application/json", `{"note": "x"}`},
		{"not XML", "application/gpx+xml", `<gpx><trk><trkseg><trkpt lat="35" lon="116">`},
		{"a point without time", "application/gpx+xml", `<gpx><trk><trkseg><trkpt lat="35.5" lon="116.9"></trkpt></trkseg></trk></gpx>`},
		{"no track", "application/gpx+xml", `<gpx><wpt lat="35.5" lon="116.9"/></gpx>`},
		{"a bad date", "application/json", `{"date": "yesterday"}`},
		{"a day to come", "application/json", `{"date": "2999-01-01"}`},
	} {
		n := rows()
		resp, b := do(t, "POST", base+"/worklogs", worker, c.ctype, c.body)
		var p problem
		_ = json.Unmarshal(b, &p)
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, b)
			continue
		}
		wantProblem(t, resp, p, 400)
		if rows() != n {
			t.Errorf("%s: something was stored", c.name)
		}
		t.Logf("%s: %s", c.name, p.Detail)
	}
	huge := `{"notes": "` + strings.Repeat("x", 2<<20) + `"}`
	if resp, _ := do(t, "POST", base+"/worklogs", worker, "application/json", huge); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB body: %d", resp.StatusCode)
	}

	// Linked cases: a grid worker links the cases of its grids only.
	post := func(id string, p orb.Point) int64 {
		resp, b := do(t, "POST", base+"/incidents", dispatcher, "application/json", mustJSON(t, incident(id, p, "dispute")))
		if resp.StatusCode != 201 {
			t.Fatalf("posting a case: %d %s", resp.StatusCode, b)
		}
		var out struct{ ID int64 }
		_ = json.Unmarshal(b, &out)
		return out.ID
	}
	mine, theirs := post("WL-1", p1), post("WL-2", inside(t, ix, "37081200100201"))
	send("POST", base+"/worklogs", worker, "application/json", fmt.Sprintf(`{"case_ids": [%d]}`, theirs), 403)
	send("POST", base+"/worklogs", worker, "application/json", `{"case_ids": [999999]}`, 400)
	linked := send("POST", base+"/worklogs", worker, "application/json", fmt.Sprintf(`{"date": %q, "case_ids": [%d], "visited_people": ["李阿姨"]}`, day, mine), 200)
	if !slices.Equal(linked.CaseIDs, []int64{mine}) || !slices.Equal(linked.People, []string{"张大爷", "李阿姨"}) || linked.Notes != "巡查 1 号楼" {
		t.Errorf("merged log: %+v", linked)
	}

	// Who may write and read.
	send("POST", base+"/worklogs", dispatcher, "application/json", `{}`, 403)
	send("POST", base+"/worklogs", viewer, "application/json", `{}`, 403)
	send("GET", base+"/worklogs", viewer, "", "", 403)
	send("GET", base+"/worklogs?worker="+strconv.FormatInt(workerID, 10), other, "", "", 403)
	send("GET", base+"/worklogs/"+strconv.FormatInt(wl.ID, 10), other, "", "", 404)
	list := func(tok, q string) []worklogOut {
		t.Helper()
		var out struct{ Worklogs []worklogOut }
		resp, b := do(t, "GET", base+"/worklogs"+q, tok, "", "")
		if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil {
			t.Fatalf("GET /worklogs%s: %d %s", q, resp.StatusCode, b)
		}
		return out.Worklogs
	}
	if l := list(other, ""); len(l) != 0 {
		t.Errorf("another worker sees %d logs", len(l))
	}
	if l := list(dispatcher, "?grid="+piece.Grids[0]+"&from="+day+"&to="+day); len(l) != 1 || l[0].Worker.Name != "王演示01" {
		t.Errorf("dispatcher, by grid: %+v", l)
	}
	if l := list(dispatcher, "?grid=37081200100201"+"&worker="+strconv.FormatInt(workerID, 10)); len(l) != 1 {
		t.Errorf("the fast piece ends in 37081200100201: %d logs", len(l))
	}
	if l := list(worker, "?grid=37081200300101"); len(l) != 0 {
		t.Errorf("a grid never walked: %d logs", len(l))
	}
	full := send("GET", base+"/worklogs/"+strconv.FormatInt(wl.ID, 10), worker, "", "", 200)
	if len(full.Tracks) != 5 || len(full.Tracks[0].Points) != len(pts) || full.Tracks[0].Points[3][2] != pts[3][2] {
		t.Errorf("GET one log: %d pieces, first %d points", len(full.Tracks), len(full.Tracks[0].Points))
	}

	// Patrol tiles: the tracks with role, date, flags and metres, no names,
	// for a viewer.
	tile := maptile.At(p1, 15)
	tresp, tb := do(t, "GET", fmt.Sprintf("%s/tiles/patrol/15/%d/%d.mvt?from=%s", srv.URL, tile.X, tile.Y, day), viewer, "", "")
	if tresp.StatusCode != 200 || tresp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("patrol tile: %d %s", tresp.StatusCode, tb)
	}
	layers, err := mvt.Unmarshal(tb)
	if err != nil || len(layers) != 1 || layers[0].Name != "patrol" || len(layers[0].Features) < 3 {
		t.Fatalf("patrol tile: %v, %d layers", err, len(layers))
	}
	for _, f := range layers[0].Features {
		for k := range f.Properties {
			if k != "role" && k != "date" && k != "flags" && k != "metres" {
				t.Errorf("patrol tile property %q", k)
			}
		}
		if f.Properties["role"] != "reporter" {
			t.Errorf("patrol tile role %v", f.Properties["role"])
		}
	}
	if strings.Contains(string(tb), "王演示") {
		t.Error("the patrol tile carries a worker's name")
	}
	if r, _ := do(t, "GET", srv.URL+"/tiles/patrol/10/0/0.mvt", viewer, "", ""); r.StatusCode != 204 {
		t.Errorf("an empty patrol tile: %d", r.StatusCode)
	}
	send("GET", srv.URL+"/tiles/patrol/3/9/0.mvt", viewer, "", "", 400)

	// Patrol coverage: every micro-grid, zeros included, no names.
	resp, sb := do(t, "GET", base+"/stats/patrol?level=micro&from="+day, viewer, "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("patrol: %d %s", resp.StatusCode, sb)
	}
	if strings.Contains(string(sb), "王演示") {
		t.Error("patrol statistics carry a worker's name")
	}
	var ps struct {
		Grids []struct {
			Grid        string
			Visits      int
			Metres      float64
			LastVisited *time.Time `json:"last_visited"`
			Workers     int
		}
	}
	_ = json.Unmarshal(sb, &ps)
	if len(ps.Grids) != len(ix.OfLevel(gridmap.LevelMicro)) {
		t.Fatalf("patrol: %d grids, want every micro-grid", len(ps.Grids))
	}
	for _, g := range ps.Grids {
		switch {
		case g.Grid == piece.Grids[0]:
			if g.Visits != 1 || g.Workers != 1 || g.LastVisited == nil || g.Metres < piece.GridMetres[0] {
				t.Errorf("walked grid: %+v", g)
			}
		case g.Grid == "37081200300101":
			if g.Visits != 0 || g.Metres != 0 || g.LastVisited != nil {
				t.Errorf("grid never walked: %+v", g)
			}
		}
	}
	send("GET", base+"/stats/patrol?level=village", viewer, "", "", 400)
}
