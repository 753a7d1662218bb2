package tests

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// BenchmarkOpen311Post posts single service requests, form-encoded with an
// api_key, one after another over loopback, beside the same incident
// posted as JSON to /api/v1/incidents in the same run: what the Open311
// layer adds to a post (both go through intake and one insert).
func BenchmarkOpen311Post(b *testing.B) {
	srv, a, _ := authInstance(b, demoDB(b), httpapi.Config{})
	key := mint(b, a, gridmap.RoleReporter, "bench", "")
	ix, _ := a.Live.Index()
	pt := inside(b, ix, "37081200100101")
	lat, lon := ftoa(pt[1]), ftoa(pt[0])
	post := func(b *testing.B, u, ctype, body string, auth bool) {
		req, _ := http.NewRequest("POST", u, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if auth {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			b.Fatalf("POST %s: %d", u, resp.StatusCode)
		}
	}
	b.Run("open311 form", func(b *testing.B) {
		body := url.Values{"api_key": {key}, "service_code": {"hazard"}, "lat": {lat}, "long": {lon},
			"description": {"路灯不亮"}, "first_name": {"小明"}, "last_name": {"王"}, "phone": {"199-0537-0000"}}.Encode()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			post(b, srv.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", body, false)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
	})
	b.Run("api v1 JSON", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			m := incident("BENCH-"+strconv.Itoa(i)+"-"+strconv.Itoa(b.N), pt, "hazard")
			post(b, srv.URL+"/api/v1/incidents", "application/json", mustJSON(b, m), true)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
	})
}
