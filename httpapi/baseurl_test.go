package httpapi

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestBaseURL: one rule for every absolute URL (TileJSON, styles, OGC
// links): X-Forwarded-Proto and -Host count only from a trusted proxy
// (GRIDMAP_TRUSTED_PROXIES), as X-Forwarded-For does for the rate limit.
// (It was TestBaseURL in tiles_test.go and TestExternalBase in ogc_test.go.)
func TestBaseURL(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, peer, host, proto, fwdHost string
		tls                              bool
		proxies                          []netip.Prefix
		want                             string
	}{
		{name: "plain", peer: "192.0.2.1:1", host: "example.cn:8080", proxies: proxies, want: "http://example.cn:8080"},
		{name: "direct TLS", peer: "192.0.2.1:1", host: "example.cn", tls: true, proxies: proxies, want: "https://example.cn"},
		{name: "proxied", peer: "10.0.0.5:1", host: "10.0.0.5:8080", proto: "https", fwdHost: "map.example.cn", proxies: proxies, want: "https://map.example.cn"},
		{name: "proxied, two hosts: the first is the client's", peer: "10.0.0.5:1", host: "10.0.0.5:8080", proto: "HTTPS, http", fwdHost: "gis.example.cn, 10.0.0.1", proxies: proxies, want: "https://gis.example.cn"},
		{name: "bad forwarded host", peer: "10.0.0.5:1", host: "example.cn", fwdHost: `evil"/><script>`, proxies: proxies, want: "http://example.cn"},
		{name: "bad proto", peer: "10.0.0.5:1", host: "example.cn", proto: "javascript", proxies: proxies, want: "http://example.cn"},
		{name: "untrusted peer", peer: "192.0.2.1:1", host: "example.cn", proto: "https", fwdHost: "evil.example", proxies: proxies, want: "http://example.cn"},
		{name: "no proxies configured", peer: "10.0.0.5:1", host: "example.cn", proto: "https", fwdHost: "evil.example", want: "http://example.cn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/tiles/grids.json", nil)
			r.RemoteAddr, r.Host = tt.peer, tt.host
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.fwdHost != "" {
				r.Header.Set("X-Forwarded-Host", tt.fwdHost)
			}
			if got := baseURL(r, tt.proxies); got != tt.want {
				t.Errorf("baseURL = %q, want %q", got, tt.want)
			}
		})
	}
}
