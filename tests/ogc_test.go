package tests

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap/geo"
)

// ogcPage is an items answer of /ogc.
type ogcPage struct {
	Type           string
	NumberMatched  *int
	NumberReturned int
	Features       []*geojson.Feature
	Links          []ogcLinkT
}

type ogcLinkT struct{ Href, Rel, Type string }

func linkOf(links []ogcLinkT, rel string) string {
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// ogcCodes returns the feature ids of an items page, in order.
func ogcCodes(p ogcPage) []string {
	var cs []string
	for _, f := range p.Features {
		cs = append(cs, f.ID.(string))
	}
	return cs
}

// ogcGet fetches an /ogc JSON answer into v, failing on any status but 200.
func ogcGet(tb testing.TB, u string, v any) *http.Response {
	tb.Helper()
	resp := get(tb, u, v)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return resp
}

// TestOGCFeatures walks the OGC API – Features of the demo street as a
// client does: landing page, conformance, collections, every micro-grid by
// following next links, prev links, cursor paging, bbox, datetime, one
// feature, and the errors.
func TestOGCFeatures(t *testing.T) {
	srv, _ := instance(t, demoDB(t))
	base := srv.URL + "/ogc"

	var landing struct{ Links []ogcLinkT }
	ogcGet(t, base, &landing)
	for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
		if linkOf(landing.Links, rel) == "" {
			t.Errorf("landing page has no %s link: %+v", rel, landing.Links)
		}
	}
	var conf struct{ ConformsTo []string }
	ogcGet(t, base+"/conformance", &conf)
	for _, c := range []string{"core", "geojson", "html", "oas30"} {
		if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"+c) {
			t.Errorf("conformance lacks %s: %v", c, conf.ConformsTo)
		}
	}
	resp, err := http.Get(base + "/api")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.oai.openapi+json;version=3.0" {
		t.Errorf("/ogc/api: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	var colls struct {
		Collections []struct {
			ID     string
			Links  []ogcLinkT
			Extent struct{ Spatial struct{ BBox [][]float64 } }
		}
	}
	ogcGet(t, base+"/collections", &colls)
	var ids []string
	for _, c := range colls.Collections {
		ids = append(ids, c.ID)
		if linkOf(c.Links, "items") == "" || len(c.Extent.Spatial.BBox) != 1 {
			t.Errorf("collection %s lacks an items link or its extent: %+v", c.ID, c)
		}
	}
	for _, id := range []string{"grids-street", "grids-village", "grids-micro", "incident-counts-street", "incident-counts-village", "incident-counts-micro"} {
		if !slices.Contains(ids, id) {
			t.Errorf("no collection %s among %v", id, ids)
		}
	}

	// All 242 micro-grids, exactly once, by following next links; every
	// page says numberMatched 242, and a page after the first has prev.
	var codes []string
	next := base + "/collections/grids-micro/items?limit=50"
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("more than 10 pages of 50")
		}
		var p ogcPage
		resp := ogcGet(t, next, &p)
		if ct := resp.Header.Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("items content type %q", ct)
		}
		if p.Type != "FeatureCollection" || p.NumberMatched == nil || *p.NumberMatched != 242 || p.NumberReturned != len(p.Features) {
			t.Fatalf("page %d: type %q numberMatched %v numberReturned %d of %d features", pages, p.Type, p.NumberMatched, p.NumberReturned, len(p.Features))
		}
		if (pages > 0) != (linkOf(p.Links, "prev") != "") {
			t.Errorf("page %d: prev link %q", pages, linkOf(p.Links, "prev"))
		}
		for _, f := range p.Features {
			codes = append(codes, f.ID.(string))
			if f.Properties["level"] != "micro" || f.Geometry.GeoJSONType() != "MultiPolygon" {
				t.Errorf("feature %v: %v %s", f.ID, f.Properties["level"], f.Geometry.GeoJSONType())
			}
		}
		next = linkOf(p.Links, "next")
	}
	if len(codes) != 242 || !slices.IsSorted(codes) || len(slices.Compact(slices.Clone(codes))) != 242 {
		t.Fatalf("paging gave %d codes (sorted %v), want 242 distinct", len(codes), slices.IsSorted(codes))
	}

	// Cursor paging (a gridmap extension) gives the same sequence.
	var cursorCodes []string
	next = base + "/collections/grids-micro/items?limit=100&cursor="
	for next != "" {
		var p ogcPage
		ogcGet(t, next, &p)
		for _, f := range p.Features {
			cursorCodes = append(cursorCodes, f.ID.(string))
		}
		next = linkOf(p.Links, "next")
	}
	if !slices.Equal(codes, cursorCodes) {
		t.Errorf("cursor paging gave %d codes, offset paging %d", len(cursorCodes), len(codes))
	}

	// bbox: numberMatched from memory agrees with PostGIS ST_Intersects
	// (GET /api/v1/grids?bbox=) for boxes of several sizes.
	var one geojson.Feature
	get(t, srv.URL+"/api/v1/grids/37081200100101", &one)
	b := one.Geometry.Bound()
	for _, grow := range []float64{-0.4, 0, 0.5, 3} {
		bb := b.Pad(grow * min(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]))
		box := fmtBound(bb.Min[0], bb.Min[1], bb.Max[0], bb.Max[1])
		var p ogcPage
		ogcGet(t, base+"/collections/grids-micro/items?limit=1000&bbox="+url.QueryEscape(box), &p)
		var fc geojson.FeatureCollection
		get(t, srv.URL+"/api/v1/grids?level=micro&bbox="+url.QueryEscape(box), &fc)
		if *p.NumberMatched != len(fc.Features) || len(p.Features) != len(fc.Features) {
			t.Errorf("bbox %s: numberMatched %d, %d features; PostGIS finds %d", box, *p.NumberMatched, len(p.Features), len(fc.Features))
		}
	}

	// bbox goes through the index's R-tree: for each level, the answer is
	// what testing every grid of the collection with geo.IntersectsBound
	// gives, in code order, and its pages (offset and cursor) join to it.
	for _, level := range []string{"micro", "village"} {
		coll := base + "/collections/grids-" + level + "/items"
		var every ogcPage
		ogcGet(t, coll+"?limit=1000", &every)
		for _, grow := range []float64{-0.4, 0, 0.5, 3, 12} {
			bb := b.Pad(grow * min(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]))
			box := url.QueryEscape(fmtBound(bb.Min[0], bb.Min[1], bb.Max[0], bb.Max[1]))
			var want []string
			for _, f := range every.Features {
				if geo.IntersectsBound(f.Geometry.(orb.MultiPolygon), bb) {
					want = append(want, f.ID.(string))
				}
			}
			var p ogcPage
			ogcGet(t, coll+"?limit=1000&bbox="+box, &p)
			if got := ogcCodes(p); !slices.Equal(got, want) || *p.NumberMatched != len(want) {
				t.Errorf("%s bbox %s: numberMatched %d, %v; a scan finds %v", level, box, *p.NumberMatched, got, want)
			}
			for _, start := range []string{coll + "?limit=5&bbox=" + box, coll + "?limit=5&cursor=&bbox=" + box} {
				var paged []string
				for next, pages := start, 0; next != ""; pages++ {
					if pages > len(want) {
						t.Fatalf("%s: the pages do not end", start)
					}
					var pg ogcPage
					ogcGet(t, next, &pg)
					if *pg.NumberMatched != len(want) {
						t.Errorf("%s page %d: numberMatched %d, want %d", start, pages, *pg.NumberMatched, len(want))
					}
					paged = append(paged, ogcCodes(pg)...)
					next = linkOf(pg.Links, "next")
				}
				if !slices.Equal(paged, want) {
					t.Errorf("%s: paged %v, want %v", start, paged, want)
				}
			}
		}
	}

	// datetime: an instant before the demo existed has no grids (read
	// from the database); now has all.
	var past ogcPage
	ogcGet(t, base+"/collections/grids-village/items?datetime=2020-01-01T00:00:00Z", &past)
	if *past.NumberMatched != 0 || len(past.Features) != 0 {
		t.Errorf("datetime 2020: %d matched", *past.NumberMatched)
	}
	var now ogcPage
	ogcGet(t, base+"/collections/grids-village/items?limit=10&offset=10&datetime="+url.QueryEscape(time.Now().Add(time.Minute).Format(time.RFC3339)), &now)
	if *now.NumberMatched != 31 || len(now.Features) != 10 || now.Features[0].ID != "370812001011" || linkOf(now.Links, "next") == "" {
		t.Errorf("datetime now, offset 10: %d matched, %d features from %v", *now.NumberMatched, len(now.Features), now.Features[0].ID)
	}

	// A limit above the maximum is served as the maximum.
	var all ogcPage
	ogcGet(t, base+"/collections/grids-micro/items?limit=99999", &all)
	if len(all.Features) != 242 || linkOf(all.Links, "next") != "" {
		t.Errorf("limit=99999: %d features, next %q", len(all.Features), linkOf(all.Links, "next"))
	}

	// One feature, with its links.
	var f struct {
		ID         string
		Properties struct{ Code, Level, Parent string }
		Links      []ogcLinkT
	}
	ogcGet(t, base+"/collections/grids-micro/items/37081200100101", &f)
	if f.ID != "37081200100101" || f.Properties.Code != f.ID || f.Properties.Parent != "370812001001" || linkOf(f.Links, "collection") == "" {
		t.Errorf("feature: %+v", f)
	}

	// HTML for a browser.
	req, _ := http.NewRequest("GET", base+"/collections/grids-village/items", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "370812001031") {
		t.Errorf("HTML items: %s, %d bytes", resp.Header.Get("Content-Type"), len(page))
	}
	for _, u := range []string{"", "/conformance", "/collections", "/collections/grids-micro", "/collections/grids-micro/items/37081200100101"} {
		body := getBody(t, base+u+"?f=html")
		if !strings.Contains(body, "<html") {
			t.Errorf("%s?f=html is not HTML: %.100s", u, body)
		}
	}

	// Errors are problems that say what to change.
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{"/collections/nope", 404, "grids-micro"},
		{"/collections/grids-micro/items?bbox=1,2,3", 400, "bbox"},
		{"/collections/grids-micro/items?limit=0", 400, "limit"},
		{"/collections/grids-micro/items?frobnicate=1", 400, "frobnicate"},
		{"/collections/grids-micro/items?offset=5&cursor=1", 400, "cursor"},
		{"/collections/grids-micro/items?datetime=2026-01-01/2026-02-01", 400, "instant"},
		{"/collections/grids-micro/items?datetime=yesterday", 400, "RFC 3339"},
		{"/collections/grids-micro/items?f=xml", 400, "json and html"},
		{"/collections/grids-micro/items/370812001001", 404, "village"},
		{"/collections/grids-micro/items/nope", 404, "nope"},
		{"/collections/incident-counts-micro/items?status=lost", 400, "status"},
	} {
		var p problem
		resp := get(t, base+c.path, &p)
		wantProblem(t, resp, p, c.status)
		if !strings.Contains(p.Detail, c.want) {
			t.Errorf("%s: detail %q does not mention %q", c.path, p.Detail, c.want)
		}
	}
}

// TestOGCIncidentCounts checks the incident-count collections against the
// statistics endpoint: the same counts per grid, for all time and for a
// window, and no personal data.
func TestOGCIncidentCounts(t *testing.T) {
	srv, a := instance(t, demoIncidentsDB(t))
	select {
	case <-a.Incidents.Loaded():
	case <-time.After(30 * time.Second):
		t.Fatal("incident statistics not loaded")
	}
	base := srv.URL + "/ogc/collections/"
	from := time.Now().AddDate(0, -2, 0).Format("2006-01-02")
	to := time.Now().AddDate(0, -1, 0).Format("2006-01-02")
	// An OGC interval ending on a date includes that day; the statistics'
	// to= is exclusive, so the same window ends at the next midnight there.
	statsTo := time.Now().AddDate(0, -1, 1).Format("2006-01-02")
	for _, c := range []struct {
		name, ogc, stats string
	}{
		{"all time", "", ""},
		{"window and category", "&category=dispute&datetime=" + from + "/" + to, "&category=dispute&from=" + from + "&to=" + statsTo},
		{"open hazards", "&category=hazard&status=open", "&category=hazard&status=open"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, level := range []string{"village", "micro"} {
				var st struct {
					Counts []struct {
						Code  string
						Count int
					}
				}
				get(t, srv.URL+"/api/v1/stats/grids?level="+level+c.stats, &st)
				var p ogcPage
				ogcGet(t, base+"incident-counts-"+level+"/items?limit=1000"+c.ogc, &p)
				if len(p.Features) != len(st.Counts) || *p.NumberMatched != len(st.Counts) {
					t.Fatalf("%s: %d features, statistics have %d grids", level, len(p.Features), len(st.Counts))
				}
				sum := 0
				for i, f := range p.Features {
					n := int(f.Properties["incidents"].(float64))
					sum += n
					if f.ID != st.Counts[i].Code || n != st.Counts[i].Count {
						t.Errorf("%s %v: %d incidents, statistics say %s %d", level, f.ID, n, st.Counts[i].Code, st.Counts[i].Count)
					}
					for k := range f.Properties {
						if k == "description" || k == "reporter" || strings.Contains(k, "phone") {
							t.Errorf("personal data %q in %v", k, f.ID)
						}
					}
				}
				if c.name == "all time" && sum < 1000 {
					t.Errorf("%s: only %d incidents in all", level, sum)
				}
			}
		})
	}
	// One grid's counts: the categories add up to the total.
	var f geojson.Feature
	ogcGet(t, base+"incident-counts-village/items/370812001001", &f)
	total, byCat := int(f.Properties["incidents"].(float64)), 0
	for _, cat := range []string{"dispute", "hazard", "public_request", "service_request", "petition", "environment", "public_security", "other"} {
		byCat += int(f.Properties[cat].(float64))
	}
	if total == 0 || total != byCat {
		t.Errorf("village 370812001001: %d incidents, categories add to %d", total, byCat)
	}
}
