package httpapi

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

func TestIntersectsBound(t *testing.T) {
	// A square with a square hole: (0,0)-(10,10), hole (4,4)-(6,6).
	sq := orb.MultiPolygon{{
		{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		{{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}},
	}}
	box := func(a, b, c, d float64) orb.Bound { return orb.Bound{Min: orb.Point{a, b}, Max: orb.Point{c, d}} }
	for _, c := range []struct {
		name string
		b    orb.Bound
		want bool
	}{
		{"box inside", box(1, 1, 2, 2), true},
		{"box around", box(-1, -1, 11, 11), true},
		{"box in the hole", box(4.5, 4.5, 5.5, 5.5), false},
		{"box over the hole's edge", box(4.5, 4.5, 7, 5.5), true},
		{"box outside, bounds overlap", box(11, 1, 12, 2), false},
		{"edge crossing, no vertex inside", box(-1, 4, 11, 5), true},
		{"touching the boundary", box(10, 2, 11, 3), true},
		{"a point box inside", box(2, 2, 2, 2), true},
		{"far away", box(50, 50, 51, 51), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := intersectsBound(sq, c.b); got != c.want {
				t.Errorf("intersectsBound(%v) = %v, want %v", c.b, got, c.want)
			}
		})
	}
	// A triangle whose bound overlaps a box it does not touch.
	tri := orb.MultiPolygon{{{{0, 0}, {10, 0}, {0, 10}, {0, 0}}}}
	if intersectsBound(tri, box(8, 8, 9, 9)) {
		t.Error("triangle: a box beyond the hypotenuse intersects")
	}
}

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
