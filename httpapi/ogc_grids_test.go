package httpapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
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

// latticeGrids returns cols × rows micro-grids on a lattice whose corners
// are jittered from a fixed seed (neighbours share their corners exactly),
// listed in a shuffled order with codes that do not follow it, so neither
// the index's order nor the input's is code order by luck.
func latticeGrids(cols, rows int, seed uint64) []gridmap.Grid {
	r := rand.New(rand.NewPCG(seed, 1))
	const x0, y0, d = 116.7, 35.5, 0.005
	corner := make([][]orb.Point, cols+1)
	for i := range corner {
		corner[i] = make([]orb.Point, rows+1)
		for j := range corner[i] {
			corner[i][j] = orb.Point{x0 + (float64(i)+0.3*(r.Float64()-0.5))*d, y0 + (float64(j)+0.3*(r.Float64()-0.5))*d}
		}
	}
	var gs []gridmap.Grid
	for i := range cols {
		for j := range rows {
			ring := orb.Ring{corner[i][j], corner[i+1][j], corner[i+1][j+1], corner[i][j+1], corner[i][j]}
			gs = append(gs, gridmap.Grid{
				ID: int64(len(gs) + 1), Code: fmt.Sprintf("m%02d%02d", (j*7+i)%rows, i), Level: gridmap.LevelMicro,
				Boundary: orb.MultiPolygon{{ring}},
			})
		}
	}
	r.Shuffle(len(gs), func(a, b int) { gs[a], gs[b] = gs[b], gs[a] })
	return gs
}

// ogcTestServer serves /ogc over grids, both from the index and as the
// database (fakeGrids) a server reads while its index loads.
func ogcTestServer(tb testing.TB, grids []gridmap.Grid) *Server {
	tb.Helper()
	ix, err := geo.NewIndex(grids)
	if err != nil {
		tb.Fatal(err)
	}
	return New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Grids: fakeGrids{grids: grids}, Index: func() (*geo.Index, int64) { return ix, 1 }})
}

type itemsAnswer struct {
	NumberMatched  int
	NumberReturned int
	Features       []struct{ ID string }
	Links          []ogcLink
}

func getItems(tb testing.TB, s *Server, u string) itemsAnswer {
	tb.Helper()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", u, nil))
	if w.Code != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", u, w.Code, w.Body)
	}
	var a itemsAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	return a
}

func (a itemsAnswer) codes() []string {
	var cs []string
	for _, f := range a.Features {
		cs = append(cs, f.ID)
	}
	return cs
}

func (a itemsAnswer) link(rel string) string {
	for _, l := range a.Links {
		if l.Rel == rel {
			// The test server's links are absolute; ServeHTTP takes the path.
			u, _ := url.Parse(l.Href)
			return u.RequestURI()
		}
	}
	return ""
}

// scanMatching is the reference for items?bbox=: every grid of the level
// tested with geo.IntersectsBound, in code order (what the handler did
// before it asked the index's R-tree).
func scanMatching(grids []gridmap.Grid, level gridmap.Level, b orb.Bound) []string {
	var cs []string
	for _, g := range grids {
		if g.Level == level && geo.IntersectsBound(g.Boundary, b) {
			cs = append(cs, g.Code)
		}
	}
	slices.SortFunc(cs, cmp.Compare)
	return cs
}

func bboxParam(b orb.Bound) string {
	return url.QueryEscape(strings.Join([]string{
		fmt.Sprint(b.Min[0]), fmt.Sprint(b.Min[1]), fmt.Sprint(b.Max[0]), fmt.Sprint(b.Max[1])}, ","))
}

// TestOGCItemsBBoxMatchesScan: items?bbox= from the index's R-tree gives
// the grids a scan of every grid gives, in the same (code) order, for
// boxes of many sizes, boxes touching the grids at a corner, and boxes
// outside them.
func TestOGCItemsBBoxMatchesScan(t *testing.T) {
	grids := latticeGrids(12, 8, 11)
	s := ogcTestServer(t, grids)
	var ext orb.Bound
	for i, g := range grids {
		if i == 0 {
			ext = g.Boundary.Bound()
		}
		ext = ext.Union(g.Boundary.Bound())
	}
	w, h := ext.Max[0]-ext.Min[0], ext.Max[1]-ext.Min[1]
	r := rand.New(rand.NewPCG(12, 2))
	boxes := []orb.Bound{ext, ext.Pad(1), {Min: orb.Point{ext.Max[0] + 0.1, ext.Min[1]}, Max: orb.Point{ext.Max[0] + 0.2, ext.Max[1]}}}
	for i := range 120 {
		x, y := ext.Min[0]+r.Float64()*w, ext.Min[1]+r.Float64()*h
		f := []float64{0, 0.01, 0.1, 0.3, 0.8}[i%5]
		boxes = append(boxes, orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + f*w*r.Float64(), y + f*h*r.Float64()}})
	}
	for _, g := range grids[:20] { // a box with its max corner on a vertex
		p := g.Boundary[0][0][0]
		boxes = append(boxes, orb.Bound{Min: orb.Point{p[0] - 0.001, p[1] - 0.001}, Max: p})
	}
	nonEmpty := 0
	for _, b := range boxes {
		want := scanMatching(grids, gridmap.LevelMicro, b)
		a := getItems(t, s, "/ogc/collections/grids-micro/items?limit=1000&bbox="+bboxParam(b))
		if got := a.codes(); !slices.Equal(got, want) || a.NumberMatched != len(want) {
			t.Fatalf("bbox %v: numberMatched %d, codes %v; the scan finds %v", b, a.NumberMatched, got, want)
		}
		if len(want) > 0 && len(want) < len(grids) {
			nonEmpty++
		}
	}
	if nonEmpty < len(boxes)/2 {
		t.Errorf("only %d of %d boxes select some but not all grids", nonEmpty, len(boxes))
	}
}

// TestOGCItemsBBoxPaging: the pages of a bbox answer, by next links with
// offsets and by cursor, join to the one-page answer; each says the whole
// numberMatched; prev links go back by a page.
func TestOGCItemsBBoxPaging(t *testing.T) {
	grids := latticeGrids(12, 8, 11)
	s := ogcTestServer(t, grids)
	b := grids[0].Boundary.Bound().Pad(0.006)
	want := scanMatching(grids, gridmap.LevelMicro, b)
	if len(want) < 10 {
		t.Fatalf("the box selects %d grids; the test wants at least 10", len(want))
	}
	base := "/ogc/collections/grids-micro/items?bbox=" + bboxParam(b)
	for _, mode := range []string{"offset", "cursor"} {
		t.Run(mode, func(t *testing.T) {
			next := base + "&limit=3"
			if mode == "cursor" {
				next += "&cursor="
			}
			var got []string
			for page := 0; next != ""; page++ {
				if page > len(want) {
					t.Fatal("the pages do not end")
				}
				a := getItems(t, s, next)
				if a.NumberMatched != len(want) || a.NumberReturned != len(a.Features) || len(a.Features) > 3 {
					t.Fatalf("page %d: numberMatched %d, numberReturned %d, %d features", page, a.NumberMatched, a.NumberReturned, len(a.Features))
				}
				if mode == "offset" && (page > 0) != (a.link("prev") != "") {
					t.Errorf("page %d: prev link %q", page, a.link("prev"))
				}
				if prev := a.link("prev"); mode == "offset" && prev != "" {
					p := getItems(t, s, prev)
					if !slices.Equal(p.codes(), want[(page-1)*3:page*3]) {
						t.Errorf("page %d: prev gives %v", page, p.codes())
					}
				}
				got = append(got, a.codes()...)
				next = a.link("next")
			}
			if !slices.Equal(got, want) {
				t.Errorf("paged %v, want %v", got, want)
			}
		})
	}
}
