package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Security headers and CORS (issue 7).
//
// Every answer says nosniff and no-referrer, and carries a CSP that lets it
// do nothing as a page: an API answer or an OGC HTML page needs no script.
// The web pages (rule.page) get pageCSP instead: scripts, styles, fonts,
// images and connections from this origin only (plus the site's base-map
// host when GRIDMAP_BASEMAP_STYLE names one), and workers from blob:, which
// MapLibre GL JS builds its workers from. Pages may be framed only by this
// origin.
//
// CORS is closed unless TrustConfig.CORSOrigins names origins: then their
// pages may call the API with a bearer token (no cookies are used, so no
// credentials mode), preflights are answered here, and the headers a client
// needs (ETag, Location, Retry-After, X-Request-Id, X-Data-Version) are
// exposed.

// apiCSP is the policy of everything that is not a page. Inline styles
// only: the OGC HTML pages style themselves with a <style> element.
const apiCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// pageCSP is the policy of the web pages; basemap is the base-map style
// URL, whose origin may be fetched from (style, tiles, sprites, glyphs).
func pageCSP(basemap string) string {
	extra := ""
	if u, err := url.Parse(basemap); err == nil && u.Scheme != "" && u.Host != "" {
		extra = " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self' data:" +
		"; img-src 'self' data: blob:" + extra +
		"; connect-src 'self'" + extra +
		"; worker-src 'self' blob:; child-src 'self' blob:" +
		"; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
}

func (s *Server) securityHeaders(h http.Header) {
	h["X-Content-Type-Options"] = nosniff
	h["Referrer-Policy"] = noReferrer
	h["Content-Security-Policy"] = apiCSPValue
}

// pageHeaders gives a page its CSP and framing rule.
func (s *Server) pageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Frame-Options", "SAMEORIGIN")
}

var (
	nosniff     = []string{"nosniff"}
	noReferrer  = []string{"no-referrer"}
	apiCSPValue = []string{apiCSP}
)

// CORS answers.
const (
	corsAllowHeaders  = "Authorization, Content-Type, If-Match, If-None-Match, Last-Event-ID, X-Request-Id"
	corsAllowMethods  = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsExposeHeaders = "ETag, Location, Retry-After, X-Request-Id, X-Data-Version, Link"
)

// cors adds the CORS headers for an allowed Origin and answers a
// preflight (true: the answer is written). With no allowed origins it
// does nothing, and the browser refuses cross-origin calls.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.corsOrigins) == 0 {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if !slices.Contains(s.corsOrigins, "*") && !slices.ContainsFunc(s.corsOrigins, func(o string) bool {
		return strings.EqualFold(strings.TrimSuffix(o, "/"), origin)
	}) {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	return false
}

// ParseOrigins parses a comma-separated list of CORS origins ("" for none).
func ParseOrigins(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, strings.TrimSuffix(o, "/"))
		}
	}
	return out
}
