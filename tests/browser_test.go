package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/postgis"
)

// The browser tests need Node.js, the npm packages of static/ (npm ci),
// the bundle built into static/dist before this test binary was compiled,
// and Chromium (Debian's, at /usr/bin/chromium or $CHROMIUM). make test
// (scripts/test.sh) installs and builds all of them; without them the
// tests skip, or fail under GRIDMAP_TESTDB=true.

// staticDir is the static/ folder of the repository.
func staticDir(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs("../static")
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// needNode returns the node binary, or skips/fails saying what is missing.
func needNode(tb testing.TB, modules ...string) string {
	tb.Helper()
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (Debian package nodejs)")
	}
	for _, m := range modules {
		if _, err := os.Stat(filepath.Join(staticDir(tb), "node_modules", m, "package.json")); err != nil {
			missing = append(missing, "static/node_modules/"+m+" (run npm ci in static/)")
		}
	}
	if len(missing) > 0 {
		msg := "browser test needs " + strings.Join(missing, ", ") + "; make test installs them"
		if os.Getenv("GRIDMAP_TESTDB") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return node
}

func chromiumPath(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		msg := "browser test needs Chromium at " + p + " (Debian package chromium; make test installs it)"
		if os.Getenv("GRIDMAP_TESTDB") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return p
}

// runNode runs a script of static/ with node, logging its output; it fails
// the test when the script exits non-zero.
func runNode(tb testing.TB, timeout time.Duration, node string, env []string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = staticDir(tb)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		tb.Log(line)
	}
	if err != nil {
		tb.Fatalf("node %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// demoIncidentsDB returns a fresh database with the demo street and one
// year of its synthetic incidents.
func demoIncidentsDB(tb testing.TB) string {
	tb.Helper()
	url := demoDB(tb)
	ctx := context.Background()
	st, err := postgis.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	grids, version, err := st.CurrentGrids(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		tb.Fatal(err)
	}
	incs := demodata.Incidents(ix, time.Now(), demodata.DefaultIncidents)
	rows := func(yield func(intake.Checked, error) bool) {
		for i, in := range incs {
			if !yield(intake.Checked{Index: i, Incident: in, CRS: geo.WGS84}, nil) {
				return
			}
		}
	}
	if _, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{}, intake.Assign(rows, ix, version)); err != nil {
		tb.Fatal(err)
	}
	// The departments' people, as gridmap demo seeds them.
	if _, err := st.DemoDepartmentMembers(ctx, demodata.DepartmentMembers()); err != nil {
		tb.Fatal(err)
	}
	return url
}

// withDemoWorklogs adds 30 days of demo work logs with patrol tracks (one
// grid of each worker neglected) to the demo database at url.
func withDemoWorklogs(tb testing.TB, url string) string {
	tb.Helper()
	ctx := context.Background()
	st, err := postgis.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	grids, _, err := st.CurrentGrids(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		tb.Fatal(err)
	}
	spec := demodata.DefaultWorklogs
	spec.Days = 30
	if n, err := st.DemoWorklogs(ctx, demodata.Worklogs(ix, time.Now(), spec)); err != nil || n == 0 {
		tb.Fatalf("demo work logs: %d stored, %v", n, err)
	}
	return url
}

// TestBrowserWallMap opens the wall map in headless Chromium over the
// demo street with a year of incidents (static/test/wallmap.test.mjs):
// no console error, grids drawn, a screenshot that is not blank, the
// choropleth and legend changing with the filters (overdue included: fewer
// than open, served by the statistics), and the patrol coverage view over
// 30 days of demo work logs. The screenshot is kept in
// static/test/screenshots/wallmap.png (-patrol.png: coverage).
func TestBrowserWallMap(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	// A site's own base map (GRIDMAP_BASEMAP_STYLE): a style with a river,
	// served from another origin, drawn under the grids.
	base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, baseMapStyle)
	}))
	defer base.Close()
	srv, a := instanceWith(t, withDemoWorklogs(t, demoIncidentsDB(t)), httpapi.Config{BaseMapStyleURL: base.URL + "/style.json"})
	select {
	case <-a.Incidents.Loaded():
	case <-time.After(30 * time.Second):
		t.Fatal("incident statistics not loaded within 30 s")
	}
	select { // the indicators (the wall map's strip)
	case <-a.Cases.Loaded():
	case <-time.After(30 * time.Second):
		t.Fatal("indicator cases not loaded within 30 s")
	}
	if resp := get(t, srv.URL+"/", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d; the bundle is built into the binary by `make build` or `npm ci && npm run build` in static/ before go test", resp.StatusCode)
	}
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	out := runNode(t, 3*time.Minute, node, []string{"CHROMIUM=" + chromium, "BASEMAP_ORIGIN=" + base.URL},
		"test/wallmap.test.mjs", srv.URL, filepath.Join(shots, "wallmap.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}
}

// TestBrowserWallMapWithoutIncidents: with the incident endpoints gone
// (statistics, heat tiles, events and categories answer 404, as on a server
// without them), the wall map still draws the grids and says what is
// missing (the patrol coverage legend too); no error but those 404s.
func TestBrowserWallMapWithoutIncidents(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	_, a := instance(t, demoDB(t))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range []string{"/api/v1/stats/", "/api/v1/events", "/api/v1/categories", "/tiles/heat/"} {
			if strings.HasPrefix(r.URL.Path, p) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"type":"urn:gridmap:problem:not_found","title":"Not Found","status":404,"detail":"no such endpoint"}`)
				return
			}
		}
		a.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	out := runNode(t, 2*time.Minute, node, []string{"CHROMIUM=" + chromium},
		"test/wallmap.test.mjs", "--degraded", srv.URL, filepath.Join(shots, "wallmap-degraded.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}
}

// TestBrowserWallMapNoWebGL: in a Chromium without WebGL
// (--disable-webgl) the wall map says, in Chinese and then in English, that
// the map needs WebGL 2 and what to do, instead of an empty dark area;
// the live badge does not stay "connecting": the ticker (the newest
// incidents, then live events) works without the map. Screenshots:
// static/test/screenshots/wallmap-nowebgl.png and -en.png.
func TestBrowserWallMapNoWebGL(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	srv, _ := instance(t, demoIncidentsDB(t))
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	out := runNode(t, 2*time.Minute, node, []string{"CHROMIUM=" + chromium},
		"test/wallmap.test.mjs", "--no-webgl", srv.URL, filepath.Join(shots, "wallmap-nowebgl.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}
}

// TestWallMapScreenshotLiveOff takes the screenshot README documents for
// kiosk checks: Chromium's own --screenshot with --virtual-time-budget on
// /?live=0. Virtual time runs out only when the page has nothing left to
// load, so with the event stream open it never finished; with live=0 it
// must, and the picture must show the map. The bound is on a hang, not on
// speed: a screenshot takes seconds.
func TestWallMapScreenshotLiveOff(t *testing.T) {
	chromium := chromiumPath(t)
	srv, _ := instance(t, demoIncidentsDB(t))
	shot := filepath.Join(t.TempDir(), "wall.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--user-data-dir="+t.TempDir(),
		"--window-size=1600,900", "--virtual-time-budget=15000", "--screenshot="+shot, srv.URL+"/?live=0")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("chromium --screenshot --virtual-time-budget on /?live=0 did not finish in 2 minutes (an open request keeps virtual time from running out)")
	}
	if err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The map is drawn: many colours (the choropleth, the panels), not
	// just the dark background.
	colours := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[color.RGBA{uint8(r >> 11), uint8(g >> 11), uint8(bl >> 11), 0}] = true
		}
	}
	if len(colours) < 50 {
		t.Errorf("the screenshot has %d colours: the map is not drawn", len(colours))
	}
}

// TestBrowserClosed (static/test/closed.test.mjs): on a server with reads
// closed (GRIDMAP_OPEN=none) the wall map shows its token entry, refuses a
// wrong token in the page, and loads with a viewer's token (tiles,
// statistics and recent events with Authorization, the event stream with
// ?access_token=), kept for the browser session; the editor in the same
// session reads with it and asks, in the page and not with prompt(), for a
// planner's token to save. Screenshots: static/test/screenshots/closed*.png.
func TestBrowserClosed(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	srv, a, _ := authInstance(t, demoIncidentsDB(t), httpapi.Config{Trust: httpapi.TrustConfig{Open: []httpapi.Class{}}})
	viewer := mint(t, a, gridmap.RoleViewer, "大屏", "")
	planner := mint(t, a, gridmap.RolePlanner, "规划员", "")
	if resp, _ := do(t, "GET", srv.URL+"/tiles/grids.json", "", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("tiles without a token: %d, want 401 (reads closed)", resp.StatusCode)
	}
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	out := runNode(t, 3*time.Minute, node, []string{"CHROMIUM=" + chromium, "VIEWER_TOKEN=" + viewer, "PLANNER_TOKEN=" + planner},
		"test/closed.test.mjs", srv.URL, filepath.Join(shots, "closed.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}
}

// editorBrowserTest runs static/test/SCRIPT, a browser test of the
// boundary editor, against a fresh instance on a fresh demo street
// database (the tests publish plans: none sees another's), with the
// screenshot kept as static/test/screenshots/SHOT.
func editorBrowserTest(t *testing.T, script, shot string) {
	t.Helper()
	node := needNode(t, "playwright-core", "terra-draw", "jsts")
	chromium := chromiumPath(t)
	srv, _ := instance(t, demoDB(t))
	if resp := get(t, srv.URL+"/editor", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /editor: %d; the bundle is built into the binary by `make build` or `npm ci && npm run build` in static/ before go test", resp.StatusCode)
	}
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	out := runNode(t, 3*time.Minute, node, []string{"CHROMIUM=" + chromium}, "test/"+script, srv.URL, filepath.Join(shots, shot))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}
}

// TestBrowserEditor drives the boundary editor (/editor) in headless
// Chromium (static/test/editor.test.mjs): a vertex dragged with terra-draw
// into the neighbouring micro-grid is reported as an overlap and drawn,
// undo clears it, a clean edit of two grids is published and served, and
// the wall map (/) then draws the grid with the moved vertex. The
// screenshot (the overlap drawn) is kept in static/test/screenshots/editor.png.
func TestBrowserEditor(t *testing.T) {
	editorBrowserTest(t, "editor.test.mjs", "editor.png")
}

// TestBrowserEditorSplit (static/test/editor-split.test.mjs): a line that
// does not cut a micro-grid across is refused in the page with nothing
// sent; a line drawn across it with the mouse gives two pieces with codes
// and names proposed after the demo's scheme (one renamed in the side
// panel), validated clean, published; /api/v1/grids then serves the two
// new grids and not the old, and a lookup of a point in each piece answers
// that piece.
func TestBrowserEditorSplit(t *testing.T) {
	editorBrowserTest(t, "editor-split.test.mjs", "editor-split.png")
}

// TestBrowserEditorMerge (static/test/editor-merge.test.mjs): grids that
// are not neighbours, or not of one parent, are refused in the page with
// nothing sent; two neighbours picked with Shift-click and the checkbox
// list are merged under the code and name chosen, validated clean and
// published; lookups in either old grid answer the merged one. Then a grid
// of two parts (a MultiPolygon made through the plans API) has a vertex of
// its second part dragged: the first part stays exactly as it was.
func TestBrowserEditorMerge(t *testing.T) {
	editorBrowserTest(t, "editor-merge.test.mjs", "editor-merge.png")
}

// TestBrowserEditorVillages (static/test/editor-village.test.mjs): the
// level switch to 村/社区, where a click on a micro-grid picks its village;
// two neighbouring villages merged in the page, validated clean, the impact
// listing the retired village's micro-grids as moving to the merged one,
// published; then the API has no retired village, its micro-grids (their
// own GET and ?parent=) under the merged one, and a lookup in one of them
// the merged village in its chain. Then the merged village is split back
// along the old border (the cut snapped to micro-grid vertices): the next
// village serial and name proposed, clean, its micro-grids moved to it.
func TestBrowserEditorVillages(t *testing.T) {
	editorBrowserTest(t, "editor-village.test.mjs", "editor-village.png")
}

// baseMapStyle is a small base map: a land colour and the Si river (泗河)
// as a line through the demo street, from inline GeoJSON.
const baseMapStyle = `{"version":8,"name":"test base map","sources":{"rivers":{"type":"geojson","data":
{"type":"Feature","properties":{"name":"泗河"},"geometry":{"type":"LineString","coordinates":
[[116.74,35.60],[116.78,35.55],[116.80,35.52],[116.83,35.47]]}}}},
"layers":[{"id":"land","type":"background","paint":{"background-color":"#0a1628"}},
{"id":"river","type":"line","source":"rivers","paint":{"line-color":"#1d4ed8","line-width":6,"line-opacity":0.8}}]}`

// TestStyleValid checks /styles/wallmap.json with the MapLibre style
// spec's own validator (@maplibre/maplibre-gl-style-spec, run by node),
// and that its URLs are absolute and the base map is passed on.
func TestStyleValid(t *testing.T) {
	node := needNode(t, "@maplibre/maplibre-gl-style-spec")
	srv, _ := instanceWith(t, demoDB(t), httpapi.Config{BaseMapStyleURL: "https://tiles.example.cn/styles/base.json"})
	resp, err := http.Get(srv.URL + "/styles/wallmap.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("style: %d %v", resp.StatusCode, resp.Header)
	}
	var style struct {
		Glyphs   *string
		Metadata map[string]any
		Sources  map[string]struct {
			URL   string
			Tiles []string
		}
	}
	if err := json.Unmarshal(body, &style); err != nil {
		t.Fatal(err)
	}
	if style.Metadata["gridmap:basemap"] != "https://tiles.example.cn/styles/base.json" {
		t.Errorf("metadata %v: base map not passed on", style.Metadata)
	}
	if style.Glyphs != nil {
		t.Errorf("glyphs %q: the wall map must need no glyph server", *style.Glyphs)
	}
	if style.Sources["grids"].URL != srv.URL+"/tiles/grids.json" {
		t.Errorf("grids source url %q", style.Sources["grids"].URL)
	}
	for _, u := range style.Sources["heat"].Tiles {
		if !strings.HasPrefix(u, srv.URL+"/tiles/heat/") {
			t.Errorf("heat tiles %q", u)
		}
	}
	file := filepath.Join(t.TempDir(), "wallmap.json")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	runNode(t, time.Minute, node, nil, "test/validate-style.mjs", file)

	var p problem
	r := get(t, srv.URL+"/styles/nothing.json", &p)
	wantProblem(t, r, p, 404)
}

// TestStaticPages: the pages and their assets from the embedded bundle
// (caching, gzip), and the 503 a binary built without the bundle answers.
func TestStaticPages(t *testing.T) {
	srv, _ := instance(t, demoDB(t))
	resp, err := tileClient.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable {
		if os.Getenv("GRIDMAP_TESTDB") == "true" {
			t.Fatal("GET / is 503: the bundle was not built before the test binary (make test builds it)")
		}
		t.Skip("the web-page bundle is not built (npm ci && npm run build in static/)")
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /: %d %v", resp.StatusCode, resp.Header)
	}
	assets := regexp.MustCompile(`/assets/[A-Za-z0-9._-]+`).FindAllString(string(page), -1)
	if len(assets) < 3 {
		t.Fatalf("page references %v", assets)
	}
	for _, a := range assets {
		r := tileFetch(t, srv.URL+a, "Accept-Encoding", "gzip")
		if r.status != 200 || !strings.Contains(r.header.Get("Cache-Control"), "immutable") || r.header.Get("ETag") == "" {
			t.Errorf("%s: %d %v", a, r.status, r.header)
		}
		if strings.HasSuffix(a, ".js") && r.header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s not gzipped", a)
		}
		if r2 := tileFetch(t, srv.URL+a, "If-None-Match", r.header.Get("ETag")); r2.status != http.StatusNotModified {
			t.Errorf("%s If-None-Match: %d", a, r2.status)
		}
	}
	for _, path := range []string{"/wallmap.html"} {
		if r := tileFetch(t, srv.URL+path); r.status != 200 {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	var p problem
	r := get(t, srv.URL+"/assets/nothing.js", &p)
	wantProblem(t, r, p, 404)
	r = get(t, srv.URL+"/nothing.html", &p)
	wantProblem(t, r, p, 404)

	// A binary built without the bundle: 503 saying how to build it.
	bare := httptest.NewServer(httpapi.New(httpapi.Config{}, httpapi.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Pages:  fstest.MapFS{"PLACEHOLDER.md": {Data: []byte("not built")}},
	}))
	defer bare.Close()
	r = get(t, bare.URL+"/", &p)
	wantProblem(t, r, p, 503)
	if !strings.Contains(p.Detail, "make build") {
		t.Errorf("503 detail %q does not say how to build the pages", p.Detail)
	}
}

// TestBrowserEditorTools (static/test/editor-tools.test.mjs): the disabled
// Publish button looks disabled (and the enabled one does not); grids are
// labelled with their names at readable zooms (micro-grids once zoomed in,
// not at the overview); the search box finds a grid by name or code,
// zooms to it and selects it (a village switching the level), in Chinese
// and in English.
func TestBrowserEditorTools(t *testing.T) {
	editorBrowserTest(t, "editor-tools.test.mjs", "editor-tools.png")
}
