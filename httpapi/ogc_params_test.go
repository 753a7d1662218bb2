package httpapi

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
)

func TestParseDatetime(t *testing.T) {
	at := func(s string) *time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &tm
	}
	day := func(y, m, d int) *time.Time {
		tm := time.Date(y, time.Month(m), d, 0, 0, 0, 0, gridmap.ChinaTime)
		return &tm
	}
	for _, c := range []struct {
		name, v    string
		start, end *time.Time
		instant    bool
		bad        bool
	}{
		{name: "instant", v: "2026-01-31T08:00:00+08:00", start: at("2026-01-31T08:00:00+08:00"), end: at("2026-01-31T08:00:00.000000001+08:00"), instant: true},
		{name: "date", v: "2026-01-31", start: day(2026, 1, 31), end: day(2026, 2, 1), instant: true},
		{name: "interval of dates, end day included", v: "2026-01-01/2026-01-31", start: day(2026, 1, 1), end: day(2026, 2, 1)},
		{name: "open start", v: "../2026-01-31T00:00:00Z", end: at("2026-01-31T00:00:00.000000001Z")},
		{name: "open end, empty", v: "2026-01-01T00:00:00Z/", start: at("2026-01-01T00:00:00Z")},
		{name: "both open", v: "../.."},
		{name: "end before start", v: "2026-02-01/2026-01-01", bad: true},
		{name: "garbage", v: "yesterday", bad: true},
		{name: "open instant", v: "..", bad: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, e, inst, err := parseDatetime(c.v)
			if (err != nil) != c.bad {
				t.Fatalf("err %v, want bad=%v", err, c.bad)
			}
			if c.bad {
				return
			}
			eq := func(a, b *time.Time) bool { return a == nil && b == nil || a != nil && b != nil && a.Equal(*b) }
			if !eq(s, c.start) || !eq(e, c.end) || inst != c.instant {
				t.Errorf("got %v %v %v, want %v %v %v", s, e, inst, c.start, c.end, c.instant)
			}
		})
	}
}

func TestOGCFormat(t *testing.T) {
	for _, c := range []struct {
		name, f, accept string
		html, bad       bool
	}{
		{name: "default json"},
		{name: "browser", accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", html: true},
		{name: "GDAL", accept: "application/geo+json, application/json"},
		{name: "json before html", accept: "application/json, text/html"},
		{name: "f=html wins", f: "html", accept: "application/json", html: true},
		{name: "f=json wins", f: "json", accept: "text/html"},
		{name: "unknown f", f: "xml", bad: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/ogc?f="+url.QueryEscape(c.f), nil)
			if c.f == "" {
				r = httptest.NewRequest("GET", "/ogc", nil)
			}
			if c.accept != "" {
				r.Header.Set("Accept", c.accept)
			}
			html, err := ogcFormat(r)
			if (err != nil) != c.bad || html != c.html {
				t.Errorf("html %v err %v, want %v bad=%v", html, err, c.html, c.bad)
			}
		})
	}
}
