package httpapi

import (
	"net/http"
	"net/netip"
	"strings"
)

// baseURL is the scheme and host the client reached this server by, for
// absolute URLs (TileJSON and styles: MapLibre resolves tile URLs in a
// worker, where relative URLs do not work; OGC links). Behind a trusted
// proxy (GRIDMAP_TRUSTED_PROXIES) it follows the first X-Forwarded-Proto
// and X-Forwarded-Host, the ones the client-facing proxy wrote; from
// anyone else those headers are ignored, as X-Forwarded-For is.
func baseURL(r *http.Request, proxies []netip.Prefix) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if _, ok := peer(r, proxies); ok {
		if p := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); validHost(h) {
			host = h
		}
	}
	return scheme + "://" + host
}

// baseURL is baseURL with the server's trusted proxies.
func (s *Server) baseURL(r *http.Request) string { return baseURL(r, s.cfg.Trust.TrustedProxies) }

func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}
