package tests

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// GDAL's own clients against a running server: ogrinfo through the OAPIF
// and MVT drivers, ogr2ogr converting exports to Shapefile and GeoPackage
// that `gridmap import grids` reads back. make test installs gdal-bin
// (scripts/test.sh).

// needGDAL skips the test without GDAL's tools, or fails it under make
// test (GRIDMAP_TESTDB=true), which installs them.
func needGDAL(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"ogrinfo", "ogr2ogr"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("GRIDMAP_TESTDB") == "true" {
				tb.Fatalf("GDAL's %s is missing; make test installs it (scripts/test.sh): apt-get install gdal-bin", tool)
			}
			tb.Skipf("GDAL test: %s not found; install gdal-bin or run make test", tool)
		}
	}
}

// gdal runs a GDAL tool and returns its standard output; a failure fails
// the test with the tool's error output.
func gdal(tb testing.TB, tool string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	// Loopback only, never through a proxy; no directory listings of URLs.
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		"GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR", "GDAL_HTTP_TIMEOUT=60")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// ogrFeatures parses the features of `ogrinfo -al` output: field → value
// per feature.
func ogrFeatures(out string) []map[string]string {
	var fs []map[string]string
	field := regexp.MustCompile(`^  (\S+) \(.+?\) = (.*)$`)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "OGRFeature(") {
			fs = append(fs, map[string]string{})
			continue
		}
		if m := field.FindStringSubmatch(line); m != nil && len(fs) > 0 {
			fs[len(fs)-1][m[1]] = m[2]
		}
	}
	return fs
}

// TestGDALOAPIF: ogrinfo through GDAL's OGC API – Features driver lists
// the collections and reads every micro-grid of the demo street, with the
// right count and attributes; a bbox filter agrees with PostGIS; ogr2ogr
// through the same driver gets the same geometry.
func TestGDALOAPIF(t *testing.T) {
	needGDAL(t)
	srv, _ := instance(t, demoDB(t))
	ds := "OAPIF:" + srv.URL + "/ogc"

	layers := gdal(t, "ogrinfo", "-ro", "-q", ds)
	for _, id := range []string{"grids-street", "grids-village", "grids-micro", "incident-counts-micro"} {
		if !regexp.MustCompile(`(?m)^\d+: ` + id + ` `).MatchString(layers) {
			t.Errorf("ogrinfo does not list collection %s:\n%s", id, layers)
		}
	}
	if so := gdal(t, "ogrinfo", "-ro", "-so", ds, "grids-micro"); !strings.Contains(so, fmt.Sprintf("Feature Count: %d\n", postgis.DefaultDemo.Micro)) {
		t.Errorf("ogrinfo -so grids-micro does not say Feature Count: %d:\n%s", postgis.DefaultDemo.Micro, so)
	}

	// What the JSON API says, to compare with.
	var fc geojson.FeatureCollection
	get(t, srv.URL+"/api/v1/grids?level=micro", &fc)
	want := map[string]*geojson.Feature{}
	for _, f := range fc.Features {
		want[f.ID.(string)] = f
	}
	if len(want) != postgis.DefaultDemo.Micro {
		t.Fatalf("the API has %d micro-grids", len(want))
	}

	got := ogrFeatures(gdal(t, "ogrinfo", "-ro", "-al", "-geom=NO", ds, "grids-micro"))
	if len(got) != postgis.DefaultDemo.Micro {
		t.Fatalf("ogrinfo read %d micro-grids, want %d", len(got), postgis.DefaultDemo.Micro)
	}
	seen := map[string]bool{}
	for _, g := range got {
		code := g["code"]
		w, ok := want[code]
		if !ok || seen[code] {
			t.Errorf("ogrinfo read code %q: unknown or twice", code)
			continue
		}
		seen[code] = true
		for _, k := range []string{"name", "level", "parent"} {
			if g[k] != w.Properties[k] {
				t.Errorf("%s: %s = %q through OAPIF, %q through the API", code, k, g[k], w.Properties[k])
			}
		}
		for _, k := range []string{"grid_id", "version"} {
			if g[k] != strconv.FormatFloat(w.Properties[k].(float64), 'f', -1, 64) {
				t.Errorf("%s: %s = %q through OAPIF, %v through the API", code, k, g[k], w.Properties[k])
			}
		}
		var attrs map[string]any
		if err := json.Unmarshal([]byte(g["attributes"]), &attrs); err != nil || !reflect.DeepEqual(attrs, w.Properties["attributes"]) {
			t.Errorf("%s: attributes %s through OAPIF, %v through the API", code, g["attributes"], w.Properties["attributes"])
		}
	}

	// A spatial filter: GDAL sends bbox; the answer matches PostGIS.
	b := want["37081200100101"].Geometry.Bound()
	box := fmtBound(b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	var inBox geojson.FeatureCollection
	get(t, srv.URL+"/api/v1/grids?level=micro&bbox="+box, &inBox)
	spat := ogrFeatures(gdal(t, "ogrinfo", "-ro", "-al", "-geom=NO", "-spat",
		ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]), ds, "grids-micro"))
	if len(spat) != len(inBox.Features) || len(spat) == 0 {
		t.Errorf("ogrinfo -spat read %d micro-grids, PostGIS finds %d in %s", len(spat), len(inBox.Features), box)
	}

	// Geometry through ogr2ogr: the same polygons (GDAL writes 15
	// decimals, so within 1e-12 degrees, about 0.1 µm).
	var conv geojson.FeatureCollection
	if err := json.Unmarshal([]byte(gdal(t, "ogr2ogr", "-f", "GeoJSON", "/vsistdout/", ds, "grids-micro")), &conv); err != nil {
		t.Fatal(err)
	}
	if len(conv.Features) != postgis.DefaultDemo.Micro {
		t.Fatalf("ogr2ogr read %d micro-grids", len(conv.Features))
	}
	for _, f := range conv.Features {
		code, _ := f.Properties["code"].(string)
		if w := want[code]; w == nil || !nearlyEqual(f.Geometry, w.Geometry, 1e-12) {
			t.Errorf("%s: geometry through OAPIF differs from the API's", code)
		}
	}
}

// nearlyEqual compares two (Multi)Polygons vertex by vertex.
func nearlyEqual(a, b orb.Geometry, eps float64) bool {
	mp := func(g orb.Geometry) orb.MultiPolygon {
		switch g := g.(type) {
		case orb.Polygon:
			return orb.MultiPolygon{g}
		case orb.MultiPolygon:
			return g
		}
		return nil
	}
	x, y := mp(a), mp(b)
	if len(x) != len(y) || x == nil {
		return false
	}
	for i := range x {
		if len(x[i]) != len(y[i]) {
			return false
		}
		for j := range x[i] {
			if len(x[i][j]) != len(y[i][j]) {
				return false
			}
			for k, p := range x[i][j] {
				q := y[i][j][k]
				if abs(p[0]-q[0]) > eps || abs(p[1]-q[1]) > eps {
					return false
				}
			}
		}
	}
	return true
}

// TestGDALMVT: ogrinfo opens a grid tile through GDAL's MVT driver: the
// grids and labels layers, micro-grids by code, placed in the tile.
func TestGDALMVT(t *testing.T) {
	needGDAL(t)
	srv, a := instance(t, demoDB(t))
	var tj struct{ Tiles []string }
	if resp := get(t, srv.URL+"/tiles/grids.json", &tj); resp.StatusCode != 200 || len(tj.Tiles) != 1 {
		t.Fatalf("TileJSON: %d %v", resp.StatusCode, tj.Tiles)
	}
	ix, _ := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	tile := maptile.At(pt, 14)
	u := strings.NewReplacer("{z}", "14", "{x}", strconv.Itoa(int(tile.X)), "{y}", strconv.Itoa(int(tile.Y))).Replace(tj.Tiles[0])
	ds := "MVT:/vsicurl/" + u

	layers := gdal(t, "ogrinfo", "-ro", "-q", ds)
	if !strings.Contains(layers, "1: grids (Polygon)") || !strings.Contains(layers, "2: labels (Point)") {
		t.Errorf("ogrinfo on tile %s lists:\n%s", u, layers)
	}
	fs := ogrFeatures(gdal(t, "ogrinfo", "-ro", "-al", "-geom=NO", ds, "grids"))
	var codes []string
	for _, f := range fs {
		codes = append(codes, f["code"])
	}
	if !slices.Contains(codes, "37081200100101") {
		t.Errorf("tile %s: the grids layer has %v, not 37081200100101", u, codes)
	}
	// The driver georeferences the tile from its z/x/y: the extent is in
	// EPSG:3857 within the tile (and its buffer).
	so := gdal(t, "ogrinfo", "-ro", "-so", ds, "grids")
	m := regexp.MustCompile(`Extent: \(([-0-9.]+), ([-0-9.]+)\) - \(([-0-9.]+), ([-0-9.]+)\)`).FindStringSubmatch(so)
	if m == nil {
		t.Fatalf("no extent in:\n%s", so)
	}
	tb := tile.Bound()
	minX, _ := strconv.ParseFloat(m[1], 64)
	maxX, _ := strconv.ParseFloat(m[3], 64)
	lonMin, lonMax := minX/6378137*180/3.141592653589793, maxX/6378137*180/3.141592653589793
	slack := (tb.Max[0] - tb.Min[0]) / 4
	if lonMin < tb.Min[0]-slack || lonMax > tb.Max[0]+slack || lonMax <= lonMin {
		t.Errorf("tile extent lon %g…%g outside the tile %g…%g", lonMin, lonMax, tb.Min[0], tb.Max[0])
	}
}

// gridmapCommand builds the gridmap binary into the test's temporary
// directory (the build cache makes a second build quick).
func gridmapCommand(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "gridmap")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/gridmap/gridmap/cmd/gridmap").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// importGrids runs `gridmap import grids FILE args...` on the database.
func importGrids(tb testing.TB, bin, dbURL, file string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"import", "grids", file}, args...)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("gridmap import grids %s %v: %v\n%s", filepath.Base(file), args, err, out)
	}
	return string(out)
}

// currentGrids lists the current grids of a database by code.
func currentGrids(tb testing.TB, dbURL string) map[string]gridmap.Grid {
	tb.Helper()
	st, err := postgis.Open(context.Background(), dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	out := map[string]gridmap.Grid{}
	err = st.ListGrids(context.Background(), gridmap.GridFilter{}, func(g gridmap.Grid) error {
		out[g.Code] = g
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// download saves the answer of a GET to dir/name.
func download(tb testing.TB, u, dir, name string) string {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		tb.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		tb.Fatal(err)
	}
	return p
}

// zipFiles zips the files dir/base.* into dir/base.zip.
func zipFiles(tb testing.TB, dir, base string) string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, base+".*"))
	if len(files) < 3 {
		tb.Fatalf("a Shapefile %s has %d files", base, len(files))
	}
	p := filepath.Join(dir, base+".zip")
	out, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		w, _ := zw.Create(filepath.Base(name))
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	out.Close()
	return p
}

// TestGDALRoundTrip: every grid of the demo street exported (GeoJSON and
// CSV with WKT), converted by ogr2ogr to a zipped Shapefile and to a
// GeoPackage, imported with `gridmap import grids` into empty databases:
// identical geometry (exactly, not within a tolerance), names, parents
// and attributes; a second import changes nothing. The CSV and GeoJSON
// exports also import directly, without GDAL.
func TestGDALRoundTrip(t *testing.T) {
	needGDAL(t)
	bin := gridmapCommand(t)
	srcURL := demoDB(t)
	srv, _ := instance(t, srcURL)
	want := currentGrids(t, srcURL)
	if len(want) != postgis.DefaultDemo.Grids() {
		t.Fatalf("the demo street has %d grids", len(want))
	}
	dir := t.TempDir()
	levels := []string{"street", "village", "micro"}
	files := map[string]map[string]string{"shapefile": {}, "geopackage": {}, "csv": {}, "geojson": {}}
	for _, l := range levels {
		gj := download(t, srv.URL+"/api/v1/grids?level="+l+"&format=geojson", dir, l+".geojson")
		csv := download(t, srv.URL+"/api/v1/grids?level="+l+"&format=csv", dir, l+".csv")
		// Shapefile: UTF-8 attributes (GDAL's default is ISO-8859-1).
		gdal(t, "ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, l+"_shp.shp"), gj)
		files["shapefile"][l] = zipFiles(t, dir, l+"_shp")
		// GeoPackage from the CSV export, its WKT column the geometry.
		gpkg := filepath.Join(dir, l+".gpkg")
		gdal(t, "ogr2ogr", "-f", "GPKG", "-oo", "GEOM_POSSIBLE_NAMES=wkt", "-oo", "KEEP_GEOM_COLUMNS=NO", "-a_srs", "EPSG:4326", gpkg, csv)
		files["geopackage"][l] = gpkg
		files["csv"][l] = csv
		files["geojson"][l] = gj
	}
	for _, format := range []string{"shapefile", "geopackage", "csv", "geojson"} {
		t.Run(format, func(t *testing.T) {
			dbURL := testdb.URL(t)
			for i, l := range levels {
				args := []string{"--level", l}
				if i > 0 {
					args = append(args, "--parent-prop", "parent")
				}
				out := importGrids(t, bin, dbURL, files[format][l], args...)
				if !strings.Contains(out, " new, 0 changed") {
					t.Errorf("import %s: %s", l, out)
				}
			}
			got := currentGrids(t, dbURL)
			if len(got) != len(want) {
				t.Fatalf("%d grids imported, want %d", len(got), len(want))
			}
			for code, w := range want {
				g, ok := got[code]
				switch {
				case !ok:
					t.Errorf("%s missing", code)
				case !orb.Equal(g.Boundary, w.Boundary):
					t.Errorf("%s: the boundary changed on the way", code)
				case g.Name != w.Name || g.Parent != w.Parent || g.Level != w.Level:
					t.Errorf("%s: %s %s %s, want %s %s %s", code, g.Name, g.Parent, g.Level, w.Name, w.Parent, w.Level)
				case !reflect.DeepEqual(g.Attributes, w.Attributes):
					t.Errorf("%s: attributes %v, want %v", code, g.Attributes, w.Attributes)
				}
			}
			// The same files again: nothing changes.
			for i, l := range levels {
				args := []string{"--level", l}
				if i > 0 {
					args = append(args, "--parent-prop", "parent")
				}
				if out := importGrids(t, bin, dbURL, files[format][l], args...); !strings.Contains(out, " 0 new, 0 changed") {
					t.Errorf("second import of %s changed something: %s", l, out)
				}
			}
		})
	}
}

// TestGDALImportErrors: files read through GDAL get the same checks and
// clear errors as GeoJSON; projected CGCS2000 is reprojected; GCJ-02 is
// converted.
func TestGDALImportErrors(t *testing.T) {
	needGDAL(t)
	bin := gridmapCommand(t)
	dir := t.TempDir()
	dbURL := testdb.URL(t)
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A bow-tie (self-intersecting) and a good square, in WGS84.
	src := write("src.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"A1","name":"甲"},"geometry":{"type":"Polygon","coordinates":[[[116.80,35.50],[116.81,35.51],[116.81,35.50],[116.80,35.51],[116.80,35.50]]]}},
{"type":"Feature","properties":{"code":"A2","name":"乙"},"geometry":{"type":"Polygon","coordinates":[[[116.82,35.50],[116.83,35.50],[116.83,35.51],[116.82,35.51],[116.82,35.50]]]}}]}`)
	bad := filepath.Join(dir, "bad.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", bad, src)
	cmd := exec.Command(bin, "import", "grids", bad, "--level", "micro")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "A1") || !strings.Contains(string(out), "Self-intersection") || !strings.Contains(string(out), "nothing was imported") {
		t.Errorf("a GeoPackage with a bow-tie: err %v\n%s", err, out)
	}

	// Two layers: --layer is needed, and names them.
	two := filepath.Join(dir, "two.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", "-nln", "first", two, src)
	gdal(t, "ogr2ogr", "-f", "GPKG", "-update", "-nln", "second", two, src)
	cmd = exec.Command(bin, "import", "grids", two, "--level", "micro")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "--layer") || !strings.Contains(string(out), "first, second") {
		t.Errorf("two layers without --layer: err %v\n%s", err, out)
	}

	// Projected CGCS2000 (3-degree Gauss-Krüger zone 39, EPSG:4527) with
	// the good square only: reprojected to degrees; CGCS2000 taken as WGS84.
	good := filepath.Join(dir, "good.geojson")
	gdal(t, "ogr2ogr", "-f", "GeoJSON", "-where", "code='A2'", good, src)
	gk := filepath.Join(dir, "gk.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", "-s_srs", "EPSG:4490", "-t_srs", "EPSG:4527", gk, good)
	importGrids(t, bin, dbURL, gk, "--level", "micro", "--crs", "cgcs2000")
	g := currentGrids(t, dbURL)["A2"]
	if b := g.Boundary.Bound(); abs(b.Min[0]-116.82) > 1e-8 || abs(b.Max[1]-35.51) > 1e-8 {
		t.Errorf("CGCS2000 Gauss-Krüger square came back as %v", b)
	}

	// GCJ-02 coordinates converted to WGS84 (about 500 m west and south
	// of them here).
	gcj := write("gcj.csv", "code,name,wkt\nA3,丙,\"POLYGON((116.84 35.50,116.85 35.50,116.85 35.51,116.84 35.51,116.84 35.50))\"\n")
	importGrids(t, bin, dbURL, gcj, "--level", "micro", "--crs", "gcj02")
	b := currentGrids(t, dbURL)["A3"].Boundary.Bound()
	if d := b.Min[0] - 116.84; d > -0.003 || d < -0.008 {
		t.Errorf("GCJ-02 square: west edge moved by %g degrees", d)
	}
}
