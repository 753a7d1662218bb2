// Package tests holds end-to-end tests: real PostGIS, the real wiring of
// internal/app, real HTTP over loopback.
package tests

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// demoDB returns the URL of a fresh database holding the demo street.
func demoDB(tb testing.TB) string {
	tb.Helper()
	url := testdb.URL(tb)
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	outline, err := demodata.Yanzhou()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Demo(context.Background(), outline, postgis.DefaultDemo); err != nil {
		tb.Fatal(err)
	}
	return url
}

// instance starts one server on the database at url, with its index loaded.
func instance(tb testing.TB, url string) (*httptest.Server, *app.App) {
	tb.Helper()
	return instanceWith(tb, url, httpapi.Config{})
}

// instanceWith is instance with HTTP settings.
func instanceWith(tb testing.TB, url string, cfg httpapi.Config) (*httptest.Server, *app.App) {
	tb.Helper()
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	a := app.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go a.Run(ctx)
	// Requests without a token act as an admin here (asAdmin in
	// auth_test.go); the auth tests use their own instances.
	srv := httptest.NewServer(asAdmin(tb, st, a.Handler))
	tb.Cleanup(func() { srv.Close(); cancel(); st.Close() })
	select {
	case <-a.Live.Loaded():
	case <-time.After(30 * time.Second):
		tb.Fatal("index not loaded within 30 s")
	}
	select { // so /readyz is ready (it waits for the incident statistics too)
	case <-a.Incidents.Loaded():
	case <-time.After(30 * time.Second):
		tb.Fatal("incident statistics not loaded within 30 s")
	}
	select { // the indicators' cases, loaded beside them
	case <-a.Cases.Loaded():
	case <-time.After(30 * time.Second):
		tb.Fatal("indicator cases not loaded within 30 s")
	}
	return srv, a
}

// get fetches url and decodes a JSON body into v (when v is non-nil).
func get(tb testing.TB, url string, v any) *http.Response {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			tb.Fatalf("GET %s: decoding: %v", url, err)
		}
	}
	return resp
}

type problem struct {
	Type, Title, Detail, RequestID string
	Status                         int
	Errors                         []map[string]any
	Extra                          map[string]any
}

// wantProblem checks that resp is an application/problem+json with status.
func wantProblem(tb testing.TB, resp *http.Response, p problem, status int) {
	tb.Helper()
	if resp.StatusCode != status {
		tb.Errorf("%s: status %d, want %d (%+v)", resp.Request.URL, resp.StatusCode, status, p)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Errorf("%s: content type %q, want application/problem+json", resp.Request.URL, ct)
	}
	if p.Status != status || p.Detail == "" || p.Title == "" {
		tb.Errorf("%s: problem body %+v lacks status, title or detail", resp.Request.URL, p)
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// routeOf is one method of a route the router serves.
type routeOf struct{ method, tmpl string }

// walkRoutes lists every method and path template of the router's routes
// that have a handler, HEAD and OPTIONS left out; anyMethod stands for a
// route that names no methods.
func walkRoutes(tb testing.TB, r *mux.Router, anyMethod string) []routeOf {
	tb.Helper()
	var out []routeOf
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if route.GetHandler() == nil {
			return nil
		}
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			methods = []string{anyMethod}
		}
		for _, m := range methods {
			if m != http.MethodHead && m != http.MethodOptions {
				out = append(out, routeOf{m, tmpl})
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
