package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// Fuzz tests of what clients send: lookup batches (CSV and JSON) and query
// parameters. Whatever arrives, the answer is a result or a clear
// EINVALID/ETOOLARGE error, never a panic. Seeds: testdata/fuzz/Fuzz*.

// wantClear fails unless err is nil or an EINVALID or ETOOLARGE
// *gridmap.Error with a message.
func wantClear(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *gridmap.Error
	if !errors.As(err, &e) || e.Message == "" || (e.Code != gridmap.EINVALID && e.Code != gridmap.ETOOLARGE) {
		t.Fatalf("%s: not a clear error: %T %v", what, err, err)
	}
}

func FuzzBatchCSV(f *testing.F) {
	f.Add([]byte("lon,lat\n116.3,35.3\n116.25,35.25,extra\n"))
	f.Add([]byte("116.3,35.3\r\n\r\n-181,95\n"))
	f.Add([]byte("x,y\nNaN,Inf\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := parseBatchCSV(body, 1000)
		wantClear(t, "parseBatchCSV", err)
		if err != nil {
			return
		}
		wantClear(t, "check", b.check())
		if len(b.pts) != len(b.raw) || len(b.pts) != len(b.lines) {
			t.Fatalf("%d points, %d offsets, %d lines", len(b.pts), len(b.raw), len(b.lines))
		}
		for _, r := range b.raw {
			if r[0] < 0 || r[1] < r[0] || int(r[1]) > len(body) || r[2] < 0 || r[3] < r[2] || int(r[3]) > len(body) {
				t.Fatalf("offsets %v outside the body of %d bytes", r, len(body))
			}
		}
	})
}

func FuzzBatchJSON(f *testing.F) {
	f.Add([]byte(`{"points":[[116.3,35.3],[116.25,35.25]],"crs":"gcj02"}`))
	f.Add([]byte(`{"crs":"wgs84","points":[]}`))
	f.Add([]byte(`{"points":[[1e400,-0],[1,2,3]]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := parseBatchJSON(body, 1000)
		wantClear(t, "parseBatchJSON", err)
		if err == nil {
			wantClear(t, "check", b.check())
			if len(b.pts) > 1000 {
				t.Fatalf("%d points past the limit", len(b.pts))
			}
		}
	})
}

// fuzzServer serves lookups over a two-grid index, anonymous access as
// by default.
func fuzzServer(tb testing.TB) *Server {
	tb.Helper()
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	ix, err := geo.NewIndex([]gridmap.Grid{
		{ID: 1, Code: "s", Name: "街道", Level: gridmap.LevelStreet, Boundary: sq(116, 35, 117, 36)},
		{ID: 2, Code: "m", Name: "微网格", Level: gridmap.LevelMicro, Parent: "s", Boundary: sq(116.2, 35.2, 116.4, 35.4),
			Members: []gridmap.Member{{GridCode: "m", Role: "worker", Name: "王演示07", Contact: "199-0537-0007"}}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return New(Config{MaxBatchPoints: 1000}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Index: func() (*geo.Index, int64) { return ix, 1 }})
}

// FuzzQueryParams feeds a query string to every query-parameter parser
// and to the lookup endpoints through the whole handler (routing, auth,
// limits): errors are clear, answers are never 5xx, errors are
// problem+json, and no answer shows a member's contact to anonymous.
func FuzzQueryParams(f *testing.F) {
	f.Add("lon=116.3&lat=35.3&crs=gcj02")
	f.Add("bbox=116,35,117,36&as_of=2026-01-31T08:00:00%2B08:00&limit=10")
	f.Add("from=2026-01-01&to=2026-02-01&status=open,closed&overdue=true&v=3&levels=street,micro&format=csv")
	f.Add("lon=35.3&lat=116.3")
	f.Add("lat=%zz&lon=;;&limit=-1&bbox=nan,1,2,3")
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 4096 {
			return
		}
		q, _ := url.ParseQuery(raw)
		_, err := parseLonLat(q)
		wantClear(t, "parseLonLat", err)
		_, err = paramCRS(q.Get("crs"))
		wantClear(t, "paramCRS", err)
		_, err = paramBBox(q)
		wantClear(t, "paramBBox", err)
		_, err = paramAsOf(q)
		wantClear(t, "paramAsOf", err)
		_, err = paramInt(q, "limit", 100, 1, 1000)
		wantClear(t, "paramInt", err)
		_, _, err = paramWindow(q)
		wantClear(t, "paramWindow", err)
		_, err = paramStatuses(q)
		wantClear(t, "paramStatuses", err)
		_, err = paramBool(q, "overdue")
		wantClear(t, "paramBool", err)
		_, err = parseTileParams(q)
		wantClear(t, "parseTileParams", err)
		_, err = paramExportFormat(q)
		wantClear(t, "paramExportFormat", err)
		// checkQuery (input.go) decodes on its own, without allocating:
		// it must agree with url.ParseQuery on what a good query is.
		ru := &rule{query: []string{"lon", "lat", "crs", "as_of", "limit"}}
		err = checkQuery(raw, ru, "GET", "/api/v1/lookup")
		wantClear(t, "checkQuery", err)
		if vals, perr := url.ParseQuery(raw); perr == nil {
			good := true
			for k, vs := range vals {
				good = good && slices.Contains(ru.query, k)
				for _, v := range vs {
					good = good && paramProblem(v) == ""
				}
			}
			if good != (err == nil) {
				t.Fatalf("checkQuery(%q) = %v, but url.ParseQuery reads %q", raw, err, vals)
			}
		}
		ix, _ := s.index()
		_, err = paramGrid(q, ix)
		wantClear(t, "paramGrid", err)
		_, err = ParseOpen(q.Get("open"))
		wantClear(t, "ParseOpen", err)

		for _, req := range []*http.Request{
			httptest.NewRequest("GET", "/api/v1/lookup?"+url.PathEscape(raw), nil),
			httptest.NewRequest("POST", "/api/v1/lookup?"+url.PathEscape(raw), strings.NewReader("116.3,35.3\n")),
		} {
			if req.Method == "POST" {
				req.Header.Set("Content-Type", "text/csv")
			}
			req.URL.RawQuery = raw
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("%s ?%s: %d %s", req.Method, raw, w.Code, w.Body)
			}
			if w.Code >= 400 && (w.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(w.Body.String(), `"detail":"`)) {
				t.Fatalf("%s ?%s: %d is not problem+json: %s", req.Method, raw, w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), "199-0537") {
				t.Fatalf("%s ?%s: anonymous sees a contact: %s", req.Method, raw, w.Body)
			}
		}
	})
}
