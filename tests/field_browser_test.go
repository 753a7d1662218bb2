package tests

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// TestBrowserField drives the field app (/field) on an emulated phone in
// headless Chromium (static/test/field.test.mjs): a grid worker signs in
// from the QR code's link, reports a case with a photo while the network
// is cut, comes back online (the first answer lost on the way, so the
// report is sent twice) and walks a patrol across the border to the next
// micro-grid, and records a step of the case once the command centre
// registered it; the app then starts offline from its service worker. Here
// PostGIS then holds the case once, in the worker's grid, with its photo,
// and the day's work log with the track, whose visited grids equal an
// independent ST_Intersects of the stored track with the micro-grids.
// Screenshots: static/test/screenshots/field*.png.
func TestBrowserField(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	if resp := get(t, srv.URL+"/field", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /field: %d; build the pages first (`npm ci && npm run build` in static/)", resp.StatusCode)
	}
	ctx := context.Background()
	const grid = "37081200100101"
	// A micro-grid sharing a border with grid; the midpoint of the border
	// and the two grids' inner points, to walk from one into the other.
	var neighbour string
	var m, cg, cn [2]float64
	err := a.Store.Pool().QueryRow(ctx, `
WITH g AS (SELECT boundary FROM grid_version WHERE code = $1 AND valid_to IS NULL),
n AS (SELECT v.code, v.boundary, ST_Length(ST_Intersection(ST_Boundary(v.boundary), ST_Boundary(g.boundary))::geography) AS shared
      FROM grid_version v, g WHERE v.valid_to IS NULL AND v.level = 'micro' AND v.code <> $1 AND ST_Intersects(v.boundary, g.boundary)
      ORDER BY shared DESC LIMIT 1),
b AS (SELECT ST_LineInterpolatePoint(ST_LineMerge(ST_CollectionExtract(ST_Intersection(ST_Boundary(n.boundary), ST_Boundary(g.boundary)), 2)), 0.5) AS p
      FROM n, g)
SELECT n.code, ST_X(b.p), ST_Y(b.p), ST_X(ST_PointOnSurface(g.boundary)), ST_Y(ST_PointOnSurface(g.boundary)),
       ST_X(ST_PointOnSurface(n.boundary)), ST_Y(ST_PointOnSurface(n.boundary))
FROM n, g, b`, grid).Scan(&neighbour, &m[0], &m[1], &cg[0], &cg[1], &cn[0], &cn[1])
	if err != nil {
		t.Fatalf("a neighbour of %s: %v", grid, err)
	}
	// 75 m inside grid to 60 m inside the neighbour, 15 m a step.
	toward := func(to [2]float64, d float64) [2]float64 {
		kx := 111320 * math.Cos(m[1]*math.Pi/180)
		dx, dy := (to[0]-m[0])*kx, (to[1]-m[1])*110540
		l := math.Hypot(dx, dy)
		return [2]float64{m[0] + dx/l*d/kx, m[1] + dy/l*d/110540}
	}
	var path [][2]float64
	for d := 75.0; d > 0; d -= 15 {
		path = append(path, toward(cg, d))
	}
	for d := 0.0; d <= 60; d += 15 {
		path = append(path, toward(cn, d))
	}
	pathJSON, _ := json.Marshal(path)
	worker, tok, err := a.Store.CreateTokenFor(ctx, gridmap.TokenSpec{Name: "网格员 外勤", Role: gridmap.RoleReporter, Grid: grid})
	if err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	dispatcher := mint(t, a, gridmap.RoleDispatcher, "指挥中心", "")
	out := runNode(t, 6*time.Minute, node, []string{"CHROMIUM=" + chromium, "WORKER_TOKEN=" + worker, "DISPATCHER_TOKEN=" + dispatcher, "GRID=" + grid,
		"NEIGHBOUR=" + neighbour, "PATH_LONLAT=" + string(pathJSON)},
		"test/field.test.mjs", srv.URL, filepath.Join(shots, "field.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}

	// The case: once, in the grid, with its photo, reported by the worker.
	var n, photos int
	var id int64
	var gridCode, ext string
	err = a.Store.Pool().QueryRow(ctx, `SELECT count(*) OVER (), i.id, coalesce(i.grid_code, ''), i.external_id,
  (SELECT count(*) FROM incident_attachment x WHERE x.incident_id = i.id)
FROM incident i WHERE i.created_by_token = $1 AND i.description = '（测试）路灯杆倾斜，离线上报'`, tok.ID).Scan(&n, &id, &gridCode, &ext, &photos)
	if err != nil || n != 1 || gridCode != grid || photos != 1 {
		t.Errorf("the case in PostGIS: %d stored (want 1), grid %q (want %s), %d photos (want 1), %v", n, gridCode, grid, photos, err)
	}
	if m := regexp.MustCompile(`CASE_ID=(\d+)`).FindStringSubmatch(out); m == nil || m[1] != strconv.FormatInt(id, 10) {
		t.Errorf("the phone's case id %v, PostGIS has %d", m, id)
	}

	// The step the phone took, by the worker.
	var steps []string
	if err := a.Store.Pool().QueryRow(ctx, `SELECT coalesce(array_agg(step || ' ' || actor_role || ' ' || note ORDER BY seq), '{}')
FROM incident_step WHERE incident_id = $1`, id).Scan(&steps); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps, []string{"register dispatcher 立案", "investigate reporter （测试）已到现场核查"}) {
		t.Errorf("the case's steps %q", steps)
	}

	// The work log: the track stored, visited grids as PostGIS finds them.
	var stored, want []string
	var notes string
	var people []string
	var cases []int64
	err = a.Store.Pool().QueryRow(ctx, `SELECT w.notes, w.visited_people, w.case_ids,
  (SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}') FROM worklog_track t, unnest(t.grids) g WHERE t.worklog_id = w.id),
  (SELECT coalesce(array_agg(DISTINCT v.code ORDER BY v.code), '{}') FROM worklog_track t
     JOIN grid_version v ON v.valid_to IS NULL AND v.level = 'micro' AND ST_Intersects(v.boundary, t.track) WHERE t.worklog_id = w.id)
FROM worklog w WHERE w.token_id = $1`, tok.ID).Scan(&notes, &people, &cases, &stored, &want)
	if err != nil {
		t.Fatalf("the work log in PostGIS: %v", err)
	}
	if len(stored) == 0 || !slices.Equal(stored, want) || !slices.Contains(stored, grid) || !slices.Contains(stored, neighbour) {
		t.Errorf("visited grids %v; PostGIS ST_Intersects %v; want both %s and %s", stored, want, grid, neighbour)
	}
	if notes != "（测试）巡查两个网格" || !slices.Equal(people, []string{"张三", "李四"}) || !slices.Contains(cases, id) {
		t.Errorf("work log notes %q, people %v, cases %v (want the case %d)", notes, people, cases, id)
	}
}
