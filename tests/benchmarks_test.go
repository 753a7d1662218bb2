package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/postgis"
)

// benchSet is a dataset with an instance serving it and fixed-seed points.
type benchSet struct {
	name  string
	leaf  string // the level whose grids answer lookups
	st    *postgis.Store
	pts   []orb.Point
	jsonB []byte
	csvB  []byte
}

func newBenchSet(b *testing.B, name, leaf string, st *postgis.Store, n int) *benchSet {
	b.Helper()
	grids, _, err := st.CurrentGrids(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		b.Fatal(err)
	}
	pts := randomPoints(ix, n, 7)
	arr := make([][2]float64, n)
	var csv bytes.Buffer
	csv.WriteString("lon,lat\n")
	for i, p := range pts {
		arr[i] = [2]float64{p[0], p[1]}
		fmt.Fprintf(&csv, "%s,%s\n", ftoa(p[0]), ftoa(p[1]))
	}
	js, _ := json.Marshal(map[string]any{"points": arr})
	return &benchSet{name: name, leaf: leaf, st: st, pts: pts, jsonB: js, csvB: csv.Bytes()}
}

// BenchmarkLookupBatchHTTP posts 100,000-point batches to a server on
// loopback, request parsing and answer encoding included, beside the same
// points joined with ST_Contains in PostGIS (warm), in the same run.
func BenchmarkLookupBatchHTTP(b *testing.B) {
	const n = 100_000
	demo := demoDB(b)
	demoSt, err := postgis.Open(context.Background(), demo)
	if err != nil {
		b.Fatal(err)
	}
	defer demoSt.Close()
	sets := []*benchSet{newBenchSet(b, "demo-street", "micro", demoSt, n), newBenchSet(b, "counties", "county", countiesStore(b), n)}
	for _, set := range sets {
		srv, a := instance(b, set.st.Pool().Config().ConnString())
		// The tile set is cut in the background after the index is up (3 s
		// of CPU for the counties); wait for it so it does not share the run.
		if _, _, err := a.Live.TileSet(context.Background(), 0); err != nil {
			b.Fatal(err)
		}
		for _, enc := range []struct {
			name, ct string
			body     []byte
		}{{"json", "application/json", set.jsonB}, {"csv", "text/csv", set.csvB}} {
			b.Run(set.name+"/http-"+enc.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(enc.body)))
				b.ResetTimer()
				for range b.N {
					resp, err := http.Post(srv.URL+"/api/v1/lookup", enc.ct, bytes.NewReader(enc.body))
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "points/s")
			})
		}
		b.Run(set.name+"/postgis-st_contains", func(b *testing.B) {
			ctx := context.Background()
			conn, err := set.st.Pool().Acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Release()
			if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS bxy, bpts; CREATE TEMP TABLE bxy (i int, x float8, y float8)`); err != nil {
				b.Fatal(err)
			}
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{"bxy"}, []string{"i", "x", "y"}, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
				return []any{i, set.pts[i][0], set.pts[i][1]}, nil
			})); err != nil {
				b.Fatal(err)
			}
			if _, err := conn.Exec(ctx, `CREATE TEMP TABLE bpts AS SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS g FROM bxy;
CREATE INDEX ON bpts USING gist (g); ANALYZE bpts`); err != nil {
				b.Fatal(err)
			}
			// The same question, answered in the database: each point's grid
			// (the smallest code where polygons overlap), leaf level only.
			const q = `
SELECT count(code) FROM (
  SELECT DISTINCT ON (p.i) p.i, v.code FROM bpts p
  LEFT JOIN grid_version v ON v.valid_to IS NULL AND v.level = $1 AND ST_Contains(v.boundary, p.g)
  ORDER BY p.i, v.code) s`
			var warm int
			if err := conn.QueryRow(ctx, q, set.leaf).Scan(&warm); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if err := conn.QueryRow(ctx, q, set.leaf).Scan(&warm); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// BenchmarkLookupHandler is one single-point lookup through the whole
// handler stack (routing, parsing, lookup, near-boundary, encoding), without
// the network: the server-side cost of GET /api/v1/lookup.
func BenchmarkLookupHandler(b *testing.B) {
	_, a := instance(b, demoDB(b))
	ix, _ := a.Live.Index()
	pts := randomPoints(ix, 1000, 3)
	reqs := make([]*http.Request, len(pts))
	for i, p := range pts {
		reqs[i] = httptest.NewRequest("GET", lookupURL("", p, ""), nil)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		clear(w.h)
		a.Handler.ServeHTTP(w, reqs[i%len(reqs)])
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkTileHandler is one cached grid tile (versioned URL, gzip)
// through the whole handler stack without the network: the server-side
// cost of GET /tiles/grids/{z}/{x}/{y}.mvt once the tile is cut.
func BenchmarkTileHandler(b *testing.B) {
	_, a := instance(b, demoDB(b))
	ix, ver := a.Live.Index()
	var reqs []*http.Request
	w := &discardWriter{h: http.Header{}}
	for _, p := range randomPoints(ix, 200, 5) {
		t := maptile.At(p, 14)
		r := httptest.NewRequest("GET", fmt.Sprintf("/tiles/grids/%d/%d/%d.mvt?v=%d", t.Z, t.X, t.Y, ver), nil)
		r.Header.Set("Accept-Encoding", "gzip")
		reqs = append(reqs, r)
		a.Handler.ServeHTTP(w, r) // warm the cache
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		clear(w.h)
		a.Handler.ServeHTTP(w, reqs[i%len(reqs)])
	}
}
