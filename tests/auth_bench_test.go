package tests

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// BenchmarkAuthLookup is BenchmarkLookupHandler (one lookup through the
// whole handler stack, no network) without a token, with a viewer token
// (SHA-256 of the secret, constant-time compare, masked contacts), and with
// a token and a rate limit in the path: what authentication adds to the
// hottest route.
func BenchmarkAuthLookup(b *testing.B) {
	url := demoDB(b)
	for _, c := range []struct {
		name  string
		cfg   httpapi.Config
		token bool
	}{
		{"anonymous", httpapi.Config{}, false},
		{"token", httpapi.Config{}, true},
		{"token+ratelimit", httpapi.Config{Trust: httpapi.TrustConfig{RatePerToken: 1e9}}, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			_, a := instanceWith(b, url, c.cfg) // a.Handler itself: no token injected, log discarded
			ix, _ := a.Live.Index()
			pts := randomPoints(ix, 1000, 3)
			tok := ""
			if c.token {
				tok = mint(b, a, gridmap.RoleViewer, "bench", "")
			}
			reqs := make([]*http.Request, len(pts))
			for i, p := range pts {
				reqs[i] = httptest.NewRequest("GET", lookupURL("", p, ""), nil)
				if tok != "" {
					reqs[i].Header.Set("Authorization", "Bearer "+tok)
				}
			}
			a.Handler.ServeHTTP(&discardWriter{h: http.Header{}}, reqs[0]) // loads the token
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				clear(w.h)
				a.Handler.ServeHTTP(w, reqs[i%len(reqs)])
			}
		})
	}
}
