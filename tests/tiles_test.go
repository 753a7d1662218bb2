package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/gridio"
	"github.com/gridmap/gridmap/postgis"
)

// tileClient asks for gzip itself, so responses arrive as sent.
var tileClient = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second}

// tileResp is one tile answer: status, headers and body as sent.
type tileResp struct {
	status int
	header http.Header
	body   []byte
}

// tileFetch GETs url with the given request headers (name, value pairs).
func tileFetch(tb testing.TB, url string, headers ...string) tileResp {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := tileClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return tileResp{resp.StatusCode, resp.Header, body}
}

// tileJSONDoc is what /tiles/grids.json answers.
type tileJSONDoc struct {
	TileJSON     string     `json:"tilejson"`
	Tiles        []string   `json:"tiles"`
	MinZoom      uint32     `json:"minzoom"`
	MaxZoom      uint32     `json:"maxzoom"`
	Bounds       [4]float64 `json:"bounds"`
	Center       [3]float64 `json:"center"`
	DataVersion  int64      `json:"data_version"`
	AsOf         string     `json:"as_of"`
	VectorLayers []struct {
		ID     string            `json:"id"`
		Fields map[string]string `json:"fields"`
	} `json:"vector_layers"`
}

// tileURL fills a TileJSON tile template.
func tileURL(tmpl string, t maptile.Tile) string {
	r := strings.NewReplacer("{z}", strconv.Itoa(int(t.Z)), "{x}", strconv.Itoa(int(t.X)), "{y}", strconv.Itoa(int(t.Y)))
	return r.Replace(tmpl)
}

// tilesOver lists the tiles of zoom z that cover b (EPSG:4326).
func tilesOver(b orb.Bound, z maptile.Zoom) []maptile.Tile {
	lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z)
	hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
	var out []maptile.Tile
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			out = append(out, maptile.New(x, y, z))
		}
	}
	return out
}

// mvtDecode decodes a tile body (gzipped or not) with orb's decoder.
func mvtDecode(tb testing.TB, body []byte) mvt.Layers {
	tb.Helper()
	var ls mvt.Layers
	var err error
	if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b {
		ls, err = mvt.UnmarshalGzipped(body)
	} else {
		ls, err = mvt.Unmarshal(body)
	}
	if err != nil {
		tb.Fatalf("decoding tile: %v", err)
	}
	return ls
}

// mvtCheckPolygon checks one decoded polygon as MVT 2.1 wants it: closed
// rings of at least four points with no repeated consecutive point, the
// exterior of positive area by the surveyor's formula (orb: CCW in tile
// coordinates) and holes negative, no ring crossing itself or another.
func mvtCheckPolygon(p orb.Polygon) string {
	for i, r := range p {
		if len(r) < 4 || r[0] != r[len(r)-1] {
			return "ring " + strconv.Itoa(i) + " is not closed or has under four points"
		}
		for k := 1; k < len(r); k++ {
			if r[k] == r[k-1] {
				return "ring " + strconv.Itoa(i) + " repeats a point"
			}
		}
		a := ringArea(r)
		if a == 0 || (i == 0) != (a > 0) {
			return "ring " + strconv.Itoa(i) + " has the wrong orientation or no area"
		}
	}
	// Proper crossings between any two edges of the polygon.
	type seg struct{ a, b orb.Point }
	var segs []seg
	for _, r := range p {
		for k := 1; k < len(r); k++ {
			segs = append(segs, seg{r[k-1], r[k]})
		}
	}
	for i := range segs {
		for j := i + 1; j < len(segs); j++ {
			if segsCross(segs[i].a, segs[i].b, segs[j].a, segs[j].b) {
				return "edges cross"
			}
		}
	}
	return ""
}

func ringArea(r orb.Ring) float64 {
	a := 0.0
	for k := 1; k < len(r); k++ {
		a += r[k-1][0]*r[k][1] - r[k][0]*r[k-1][1]
	}
	return a / 2
}

// segsCross reports a proper crossing: each segment strictly separates the
// other's endpoints.
func segsCross(a, b, c, d orb.Point) bool {
	o := func(p, q, r orb.Point) float64 { return (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0]) }
	d1, d2, d3, d4 := o(c, d, a), o(c, d, b), o(a, b, c), o(a, b, d)
	return (d1 > 0 && d2 < 0 || d1 < 0 && d2 > 0) && (d3 > 0 && d4 < 0 || d3 < 0 && d4 > 0)
}

// gridIDs maps each current grid code to its grid_id and level, from the
// GeoJSON API.
func gridIDs(tb testing.TB, base string) map[string]struct {
	id    uint64
	level string
} {
	tb.Helper()
	var fc geojson.FeatureCollection
	get(tb, base+"/api/v1/grids", &fc)
	out := map[string]struct {
		id    uint64
		level string
	}{}
	for _, f := range fc.Features {
		id, _ := f.Properties["grid_id"].(float64)
		out[f.Properties["code"].(string)] = struct {
			id    uint64
			level string
		}{uint64(id), f.Properties["level"].(string)}
	}
	return out
}

// TestTilesHTTP: the grid tiles of the demo street over HTTP, decoded with
// orb's MVT decoder: layers and properties as documented, ids equal to the
// grids' stable ids, every polygon valid, every grid of a level drawn from
// its zoom; gzip, strong ETag and 304, caching by version, 204 for an empty
// tile, 400 for a bad address; TileJSON.
func TestTilesHTTP(t *testing.T) {
	srv, _ := instance(t, demoDB(t))
	ids := gridIDs(t, srv.URL)
	if len(ids) != postgis.DefaultDemo.Grids() {
		t.Fatalf("%d grids, want %d", len(ids), postgis.DefaultDemo.Grids())
	}

	var tj tileJSONDoc
	resp := get(t, srv.URL+"/tiles/grids.json", &tj)
	if resp.StatusCode != 200 || tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.DataVersion == 0 {
		t.Fatalf("TileJSON: %d %+v", resp.StatusCode, tj)
	}
	if !strings.HasPrefix(tj.Tiles[0], srv.URL+"/tiles/grids/{z}/{x}/{y}.mvt?v="+strconv.FormatInt(tj.DataVersion, 10)) {
		t.Errorf("TileJSON tile URL %q does not carry data version %d", tj.Tiles[0], tj.DataVersion)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("TileJSON Cache-Control %q, want no-cache", cc)
	}
	var layerIDs []string
	for _, l := range tj.VectorLayers {
		layerIDs = append(layerIDs, l.ID)
		for _, f := range []string{"code", "name", "level"} {
			if l.Fields[f] == "" {
				t.Errorf("TileJSON layer %s does not document field %s", l.ID, f)
			}
		}
	}
	if !slices.Equal(layerIDs, []string{"grids", "labels"}) {
		t.Errorf("vector_layers %v, want grids, labels", layerIDs)
	}
	bound := orb.Bound{Min: orb.Point{tj.Bounds[0], tj.Bounds[1]}, Max: orb.Point{tj.Bounds[2], tj.Bounds[3]}}
	if !bound.Contains(orb.Point{tj.Center[0], tj.Center[1]}) || bound.Max[0]-bound.Min[0] > 0.5 || bound.Min[0] < 116 {
		t.Errorf("TileJSON bounds %v, center %v: not the demo street", tj.Bounds, tj.Center)
	}

	// Every tile over the street from zoom 8 to 15.
	levelFrom := map[string]maptile.Zoom{"street": 0, "village": 11, "micro": 13}
	for z := maptile.Zoom(8); z <= 15; z++ {
		seen := map[string]bool{}
		n, bytesTotal, biggest := 0, 0, 0
		for _, tl := range tilesOver(bound, z) {
			r := tileFetch(t, tileURL(tj.Tiles[0], tl), "Accept-Encoding", "gzip")
			if r.status == http.StatusNoContent {
				continue
			}
			if r.status != 200 || r.header.Get("Content-Encoding") != "gzip" ||
				r.header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
				t.Fatalf("tile %v: %d %v", tl, r.status, r.header)
			}
			if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
				t.Errorf("versioned tile %v: Cache-Control %q, want long-lived", tl, cc)
			}
			n, bytesTotal, biggest = n+1, bytesTotal+len(r.body), max(biggest, len(r.body))
			for _, l := range mvtDecode(t, r.body) {
				if l.Name != "grids" && l.Name != "labels" {
					t.Errorf("tile %v: layer %q", tl, l.Name)
				}
				if l.Version != 2 || l.Extent != 4096 {
					t.Errorf("tile %v layer %s: version %d extent %d", tl, l.Name, l.Version, l.Extent)
				}
				for _, f := range l.Features {
					code, _ := f.Properties["code"].(string)
					want, ok := ids[code]
					fid, _ := f.ID.(float64)
					if !ok || uint64(fid) != want.id || f.Properties["level"] != want.level || f.Properties["name"] == "" {
						t.Fatalf("tile %v layer %s: feature id %v properties %v; want id %d", tl, l.Name, f.ID, f.Properties, want.id)
					}
					if _, hasParent := f.Properties["parent"]; l.Name == "grids" && hasParent != (want.level != "street") {
						t.Errorf("tile %v: %s parent %v", tl, code, f.Properties["parent"])
					}
					if z < levelFrom[want.level] {
						t.Errorf("tile %v: %s grid %s drawn before zoom %d", tl, want.level, code, levelFrom[want.level])
					}
					switch g := f.Geometry.(type) {
					case orb.Polygon:
						if l.Name != "grids" {
							t.Errorf("polygon in layer %s", l.Name)
						}
						if msg := mvtCheckPolygon(g); msg != "" {
							t.Errorf("tile %v grid %s: %s", tl, code, msg)
						}
					case orb.MultiPolygon:
						for _, p := range g {
							if msg := mvtCheckPolygon(p); msg != "" {
								t.Errorf("tile %v grid %s: %s", tl, code, msg)
							}
						}
					case orb.Point:
						if l.Name != "labels" || g[0] < 0 || g[0] >= 4096 || g[1] < 0 || g[1] >= 4096 {
							t.Errorf("tile %v: label %s at %v in layer %s", tl, code, g, l.Name)
						}
					default:
						t.Errorf("tile %v: %s geometry %T", tl, code, g)
					}
					if l.Name == "grids" {
						seen[code] = true
					}
				}
			}
		}
		// Every grid of every level shown at this zoom is in some tile.
		missing := 0
		for code, g := range ids {
			if z >= levelFrom[g.level] && !seen[code] {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("zoom %d: %d grids in no tile", z, missing)
		}
		t.Logf("demo street zoom %2d: %3d tiles, %6d B mean, %6d B biggest (gzip), %3d grids drawn", z, n, bytesTotal/max(n, 1), biggest, len(seen))
	}

	// One tile in detail.
	center := maptile.At(orb.Point{tj.Center[0], tj.Center[1]}, 13)
	versioned := tileURL(tj.Tiles[0], center)
	plain := srv.URL + "/tiles/grids/13/" + strconv.Itoa(int(center.X)) + "/" + strconv.Itoa(int(center.Y)) + ".mvt"
	r1 := tileFetch(t, versioned, "Accept-Encoding", "gzip")
	etag := r1.header.Get("ETag")
	if r1.status != 200 || !strings.HasPrefix(etag, `"`) || r1.header.Get("X-Data-Version") != strconv.FormatInt(tj.DataVersion, 10) {
		t.Fatalf("tile: %d etag %q version %q", r1.status, etag, r1.header.Get("X-Data-Version"))
	}
	if !strings.Contains(r1.header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("tile Vary %q", r1.header.Get("Vary"))
	}
	if r := tileFetch(t, versioned, "Accept-Encoding", "gzip", "If-None-Match", etag); r.status != http.StatusNotModified || len(r.body) != 0 || r.header.Get("ETag") != etag {
		t.Errorf("If-None-Match: %d, %d bytes, etag %q", r.status, len(r.body), r.header.Get("ETag"))
	}
	r2 := tileFetch(t, plain, "Accept-Encoding", "gzip")
	if r2.header.Get("ETag") != etag || !bytes.Equal(r2.body, r1.body) {
		t.Errorf("unversioned tile differs from the versioned one")
	}
	if cc := r2.header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("unversioned tile: Cache-Control %q, want no-cache", cc)
	}
	if cc := tileFetch(t, plain+"?v=1", "Accept-Encoding", "gzip").header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("tile of another version: Cache-Control %q, want no-cache", cc)
	}
	// Without gzip: the plain MVT, under another strong ETag.
	r3 := tileFetch(t, versioned)
	if r3.status != 200 || r3.header.Get("Content-Encoding") != "" || r3.header.Get("ETag") == etag || len(mvtDecode(t, r3.body)) == 0 {
		t.Errorf("identity tile: %d encoding %q etag %q", r3.status, r3.header.Get("Content-Encoding"), r3.header.Get("ETag"))
	}
	// HEAD.
	if req, _ := http.NewRequest(http.MethodHead, versioned, nil); true {
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := tileClient.Do(req)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("ETag") != etag {
			t.Errorf("HEAD: %v %v", resp, err)
		}
		resp.Body.Close()
	}

	// levels= draws exactly the listed levels at every zoom.
	low := maptile.At(orb.Point{tj.Center[0], tj.Center[1]}, 10)
	lowURL := srv.URL + "/tiles/grids/10/" + strconv.Itoa(int(low.X)) + "/" + strconv.Itoa(int(low.Y)) + ".mvt"
	r4 := tileFetch(t, lowURL+"?levels=micro", "Accept-Encoding", "gzip")
	micro := 0
	for _, l := range mvtDecode(t, r4.body) {
		for _, f := range l.Features {
			if f.Properties["level"] != "micro" {
				t.Errorf("levels=micro: a %v grid", f.Properties["level"])
			}
			if l.Name == "grids" {
				micro++
			}
		}
	}
	if r4.status != 200 || micro == 0 {
		t.Errorf("levels=micro at zoom 10: %d, %d micro-grids", r4.status, micro)
	}

	// An empty tile is 204, with no body.
	if r := tileFetch(t, srv.URL+"/tiles/grids/10/0/0.mvt", "Accept-Encoding", "gzip"); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("empty tile: %d, %d bytes", r.status, len(r.body))
	}
	// Bad addresses and parameters: 400 problem+json.
	for _, path := range []string{
		"/tiles/grids/a/0/0.mvt", "/tiles/grids/3/x/0.mvt", "/tiles/grids/3/0/1.5.mvt", "/tiles/grids/-1/0/0.mvt",
		"/tiles/grids/19/0/0.mvt", "/tiles/grids/3/8/0.mvt", "/tiles/grids/3/0/8.mvt", "/tiles/grids/99999999999/0/0.mvt",
		"/tiles/grids/10/0/0.mvt?v=x", "/tiles/grids/10/0/0.mvt?levels=planet", "/tiles/grids/10/0/0.mvt?levels=",
		"/tiles/grids/10/0/0.mvt?as_of=yesterday", "/tiles/grids.json?levels=planet",
	} {
		var p problem
		resp := get(t, srv.URL+path, &p)
		wantProblem(t, resp, p, 400)
	}
}

// TestTilesStaleNeverServed: two instances on one database. A grid renamed
// through one is in the other's tiles as soon as that instance says it has
// the new version, a tile is never long-cached under a version it does not
// show, unchanged tiles stay cached and only touched ones are recut; as_of
// still shows the old name.
func TestTilesStaleNeverServed(t *testing.T) {
	dbURL := demoDB(t)
	srvA, a := instance(t, dbURL)
	srvB, b := instance(t, dbURL)
	ctx := context.Background()
	var tj tileJSONDoc
	get(t, srvB.URL+"/tiles/grids.json", &tj)
	bound := orb.Bound{Min: orb.Point{tj.Bounds[0], tj.Bounds[1]}, Max: orb.Point{tj.Bounds[2], tj.Bounds[3]}}

	// Warm B's cache with every tile over the street at zoom 13 and 14.
	plainURL := func(base string, tl maptile.Tile) string {
		return base + "/tiles/grids/" + strconv.Itoa(int(tl.Z)) + "/" + strconv.Itoa(int(tl.X)) + "/" + strconv.Itoa(int(tl.Y)) + ".mvt"
	}
	var warm []maptile.Tile
	etags := map[maptile.Tile]string{}
	for _, z := range []maptile.Zoom{13, 14} {
		for _, tl := range tilesOver(bound, z) {
			r := tileFetch(t, plainURL(srvB.URL, tl), "Accept-Encoding", "gzip")
			if r.status == 200 {
				warm = append(warm, tl)
				etags[tl] = r.header.Get("ETag")
			}
		}
	}
	before := b.Live.TileCacheStats()

	// The grid to rename, and the tiles that show it.
	g, err := a.Store.Grid(ctx, "37081200100107", nil)
	if err != nil {
		t.Fatal(err)
	}
	showsName := func(body []byte, code, name string) bool {
		for _, l := range mvtDecode(t, body) {
			for _, f := range l.Features {
				if f.Properties["code"] == code && f.Properties["name"] == name {
					return true
				}
			}
		}
		return false
	}
	touched := tilesOver(g.Boundary.Bound(), 14)[0]
	if r := tileFetch(t, plainURL(srvB.URL, touched), "Accept-Encoding", "gzip"); !showsName(r.body, g.Code, g.Name) {
		t.Fatalf("tile %v does not show %s before the change", touched, g.Name)
	}
	asOf := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(10 * time.Millisecond)

	const newName = "改名后的网格"
	doc, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{
		"type": "Feature", "geometry": map[string]any{"type": "MultiPolygon", "coordinates": g.Boundary},
		"properties": map[string]any{"code": g.Code, "name": newName, "parent": g.Parent, "synthetic": true, "households": g.Attributes["households"]},
	}}})
	res, err := a.Store.ImportGrids(ctx, postgis.ImportOptions{Level: gridmap.LevelMicro},
		gridio.ReadGeoJSON(strings.NewReader(string(doc)), gridio.Props{Code: "code", Name: "name", Parent: "parent"}))
	if err != nil || res.Updated != 1 {
		t.Fatalf("rename: %+v %v", res, err)
	}
	newVersion, err := a.Store.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()

	// From the commit on, each instance's answers are either the new tile,
	// or an older one that says so and is not cached for long.
	converge := func(name, base string) {
		t.Helper()
		versioned := plainURL(base, touched) + "?v=" + strconv.FormatInt(newVersion, 10)
		for {
			r := tileFetch(t, versioned, "Accept-Encoding", "gzip")
			v, _ := strconv.ParseInt(r.header.Get("X-Data-Version"), 10, 64)
			fresh := showsName(r.body, g.Code, newName)
			switch {
			case v >= newVersion && !fresh:
				t.Fatalf("instance %s served the old name under data version %d (new version %d)", name, v, newVersion)
			case v < newVersion && strings.Contains(r.header.Get("Cache-Control"), "immutable"):
				t.Fatalf("instance %s cached a tile of version %d for long under v=%d", name, v, newVersion)
			case v < newVersion && fresh:
				t.Fatalf("instance %s: tile says version %d but shows the change of %d", name, v, newVersion)
			}
			if fresh {
				t.Logf("instance %s served the renamed grid %v after the commit", name, time.Since(start))
				if !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
					t.Errorf("tile of the requested version: Cache-Control %q", r.header.Get("Cache-Control"))
				}
				return
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("instance %s did not serve the renamed grid within 5 s", name)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	converge("B", srvB.URL)
	converge("A", srvA.URL)
	// Once B has the version, no tile of it shows the old name, and the
	// tiles far from the grid kept their bytes.
	kept := 0
	for _, tl := range warm {
		r := tileFetch(t, plainURL(srvB.URL, tl), "Accept-Encoding", "gzip")
		if showsName(r.body, g.Code, g.Name) {
			t.Errorf("tile %v still shows the old name", tl)
		}
		if r.header.Get("ETag") == etags[tl] {
			kept++
		}
	}
	after := b.Live.TileCacheStats()
	dropped := after.Invalidated - before.Invalidated
	t.Logf("B's cache: %d warm tiles; the change dropped %d; %d kept their bytes; hits %d → %d",
		len(warm), dropped, kept, before.Hits, after.Hits)
	if dropped == 0 || dropped >= int64(len(warm)) {
		t.Errorf("the change dropped %d of %d cached tiles: want only the touched ones", dropped, len(warm))
	}
	if kept == 0 || kept == len(warm) {
		t.Errorf("%d of %d tiles unchanged after renaming one micro-grid", kept, len(warm))
	}

	// as_of: the map as it was before the change; before the demo: empty.
	asOfURL := plainURL(srvB.URL, touched) + "?as_of=" + asOf
	r := tileFetch(t, asOfURL, "Accept-Encoding", "gzip")
	if r.status != 200 || !showsName(r.body, g.Code, g.Name) {
		t.Errorf("as_of=%s: %d; old name shown: %v", asOf, r.status, showsName(r.body, g.Code, g.Name))
	}
	if r2 := tileFetch(t, asOfURL, "Accept-Encoding", "gzip", "If-None-Match", r.header.Get("ETag")); r2.status != http.StatusNotModified {
		t.Errorf("as_of tile If-None-Match: %d", r2.status)
	}
	if r := tileFetch(t, plainURL(srvB.URL, touched)+"?as_of=2000-01-01T00:00:00Z", "Accept-Encoding", "gzip"); r.status != http.StatusNoContent {
		t.Errorf("as_of before any grid: %d, want 204", r.status)
	}
	var old tileJSONDoc
	get(t, srvB.URL+"/tiles/grids.json?as_of="+asOf, &old)
	if old.AsOf == "" || !strings.Contains(old.Tiles[0], "as_of=") || old.DataVersion != 0 {
		t.Errorf("TileJSON as_of: %+v", old)
	}
}

// TestTilesSnapshotConsistent: the tile set and the lookup index come from
// one snapshot (same version, same grids), and a tile asked for a version
// the change feed never announced is answered at once from the current
// version, saying so and not cached for long.
func TestTilesSnapshotConsistent(t *testing.T) {
	srv, a := instance(t, demoDB(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	set, ver, err := a.Live.TileSet(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	ix, ixVer := a.Live.Index()
	if ver != ixVer || set.Len() != ix.Len() {
		t.Errorf("tile set of version %d with %d grids, index of version %d with %d", ver, set.Len(), ixVer, ix.Len())
	}
	// A version nobody announced is not waited for.
	start := time.Now()
	r := tileFetch(t, srv.URL+"/tiles/grids/12/0/0.mvt?v="+strconv.FormatInt(ver+1000, 10))
	if took := time.Since(start); took > time.Second || r.status != http.StatusNoContent || r.header.Get("X-Data-Version") != strconv.FormatInt(ver, 10) {
		t.Errorf("unknown version: %d in %v, version %q", r.status, took, r.header.Get("X-Data-Version"))
	}
	if cc := r.header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("tile of an unknown version cached for long: %q", cc)
	}
}
