package tests

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap/postgis"
)

func TestGridsAPI(t *testing.T) {
	srv, a := instance(t, demoDB(t))

	counts := map[string]int{"micro": postgis.DefaultDemo.Micro, "village": postgis.DefaultDemo.Villages, "street": 1}
	for level, want := range counts {
		var fc geojson.FeatureCollection
		resp := get(t, srv.URL+"/api/v1/grids?level="+level, &fc)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/geo+json" {
			t.Errorf("level %s: %d %s", level, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if len(fc.Features) != want {
			t.Errorf("level %s: %d features, want %d", level, len(fc.Features), want)
		}
		for _, f := range fc.Features {
			if f.Properties["level"] != level || f.ID == nil || f.Geometry == nil {
				t.Errorf("level %s: bad feature %v", level, f.Properties)
				break
			}
		}
	}

	// Children of a village, by parent.
	var fc geojson.FeatureCollection
	get(t, srv.URL+"/api/v1/grids?parent=370812001001", &fc)
	if len(fc.Features) == 0 {
		t.Error("no children of village 370812001001")
	}
	// bbox around one micro-grid's boundary finds it and not the far ones.
	var one geojson.Feature
	resp := get(t, srv.URL+"/api/v1/grids/37081200100101", &one)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" || one.Properties["name"] == "" {
		t.Fatalf("GET grid: %d etag %q %v", resp.StatusCode, etag, one.Properties)
	}
	b := one.Geometry.Bound()
	var inBox geojson.FeatureCollection
	get(t, srv.URL+"/api/v1/grids?level=micro&bbox="+url.QueryEscape(
		fmtBound(b.Min[0], b.Min[1], b.Max[0], b.Max[1])), &inBox)
	if len(inBox.Features) == 0 || len(inBox.Features) > 20 {
		t.Errorf("bbox of one micro-grid matched %d micro-grids", len(inBox.Features))
	}

	// Paging with limit and cursor covers all micro-grids exactly once.
	seen := map[string]bool{}
	next := srv.URL + "/api/v1/grids?level=micro&limit=100"
	for pages := 0; next != "" && pages < 10; pages++ {
		var page struct {
			Features []struct {
				ID string `json:"id"`
			} `json:"features"`
			NextCursor string `json:"next_cursor"`
			Links      []struct{ Rel, Href string }
		}
		get(t, next, &page)
		for _, f := range page.Features {
			if seen[f.ID] {
				t.Errorf("%s seen twice while paging", f.ID)
			}
			seen[f.ID] = true
		}
		next = ""
		for _, l := range page.Links {
			if l.Rel == "next" {
				next = l.Href
				if u, _ := url.Parse(l.Href); !u.IsAbs() {
					next = srv.URL + l.Href
				}
			}
		}
	}
	if len(seen) != postgis.DefaultDemo.Micro {
		t.Errorf("paging saw %d micro-grids, want %d", len(seen), postgis.DefaultDemo.Micro)
	}

	// ETag: a matching If-None-Match gets 304.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/grids/37081200100101", nil)
	req.Header.Set("If-None-Match", etag)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: status %d, want 304", etag, r2.StatusCode)
	}

	// as_of before the demo existed: not found, as problem+json.
	var p problem
	resp = get(t, srv.URL+"/api/v1/grids/37081200100101?as_of=2000-01-01T00:00:00Z", &p)
	wantProblem(t, resp, p, 404)

	// Bad input is a 400 problem naming the parameter.
	for _, q := range []string{"level=planet", "bbox=1,2,3", "bbox=10,10,5,5", "as_of=yesterday", "limit=0", "limit=x"} {
		var p problem
		resp := get(t, srv.URL+"/api/v1/grids?"+q, &p)
		wantProblem(t, resp, p, 400)
	}
	resp = get(t, srv.URL+"/api/v1/nothing", &p)
	wantProblem(t, resp, p, 404)

	// Health and readiness.
	var ready struct {
		Status string
		Checks map[string]string
	}
	resp = get(t, srv.URL+"/readyz", &ready)
	if resp.StatusCode != 200 || ready.Status != "ready" || ready.Checks["database"] != "ok" || ready.Checks["index"] != "ok" {
		t.Errorf("readyz: %d %+v", resp.StatusCode, ready)
	}
	if resp := get(t, srv.URL+"/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	ix, _ := a.Live.Index()
	if ix.Len() != postgis.DefaultDemo.Grids() {
		t.Errorf("index holds %d grids, want %d", ix.Len(), postgis.DefaultDemo.Grids())
	}
}

func fmtBound(a, b, c, d float64) string {
	return ftoa(a) + "," + ftoa(b) + "," + ftoa(c) + "," + ftoa(d)
}
