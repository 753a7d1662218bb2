package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/postgis"
)

// testClock is a clock the test moves (app.Window.Now).
type testClock struct{ ns atomic.Int64 }

func (c *testClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *testClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }

// windowInstance starts an instance holding months of cases in memory,
// on clock.
func windowInstance(tb testing.TB, url string, months int, clock *testClock) (*httptest.Server, *app.App) {
	tb.Helper()
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	a := app.NewWith(st, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{},
		app.Window{CaseMonths: months, Now: clock.now})
	ctx, cancel := context.WithCancel(context.Background())
	go a.Run(ctx)
	srv := httptest.NewServer(asAdmin(tb, st, a.Handler))
	tb.Cleanup(func() { srv.Close(); cancel(); st.Close() })
	for _, ch := range []<-chan struct{}{a.Live.Loaded(), a.Incidents.Loaded(), a.Cases.Loaded()} {
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			tb.Fatal("the windowed instance did not load within 30 s")
		}
	}
	return srv, a
}

type windowCounts struct {
	Counts []struct {
		Code  string
		Count int
	}
	Total, Unassigned, Elsewhere int
	MemoryFrom                   time.Time            `json:"memory_from"`
	RollupMonths                 []string             `json:"rollup_months"`
	RefreshedAt                  map[string]time.Time `json:"rollups_refreshed_at"`
}

func (w windowCounts) byCode() map[string]int {
	m := map[string]int{}
	for _, c := range w.Counts {
		if c.Count > 0 {
			m[c.Code] = c.Count
		}
	}
	return m
}

// TestMemoryWindow: an instance with GRIDMAP_CASE_MONTHS=2 on a fake clock,
// over cases of 5 months: it holds only the window; counts inside the
// window equal those of an instance holding everything; counts reaching
// before it add whole months from the rollups and equal SQL counts over
// incident; what rollups cannot answer is a 400 naming the window's
// start; and a new month drops a month from memory, whose counts then
// come from the rollups.
func TestMemoryWindow(t *testing.T) {
	url := demoDB(t)
	full, fa := instance(t, url)
	base := full.URL + "/api/v1"

	// 5 months, February to June 2026, China time: 3 grids, two
	// categories, some cases outside every grid.
	var (
		items   []any
		inMem   int // May and June
		inJune  int
		codes   = []string{"37081200100101", "37081200100102", "37081200100201"}
		outside = orb.Point{100, 30}
	)
	fix, _ := fa.Live.Index()
	pts := make([]orb.Point, len(codes))
	for i, c := range codes {
		pts[i] = inside(t, fix, c)
	}
	for i := range 150 {
		at := time.Date(2026, time.Month(2+i%5), 1+(i*7)%28, (i*5)%24, i%60, 0, 0, gridmap.ChinaTime)
		p, cat := pts[i%3], "dispute"
		if i%4 == 0 {
			cat = "hazard"
		}
		if i%11 == 0 {
			p = outside
		}
		it := incident(fmt.Sprintf("W-%03d", i), p, cat)
		it["reported_at"] = at.Format(time.RFC3339)
		items = append(items, it)
		if at.Month() >= time.May {
			inMem++
		}
		if at.Month() == time.June {
			inJune++
		}
	}
	if resp := send(t, "POST", base+"/incidents", map[string]any{"incidents": items}, nil); resp.StatusCode != 201 {
		t.Fatalf("batch: %d", resp.StatusCode)
	}
	waitTotal(t, base, 150)

	clock := &testClock{}
	clock.set(time.Date(2026, 6, 20, 10, 0, 0, 0, gridmap.ChinaTime))
	win, wa := windowInstance(t, url, 2, clock)
	wbase := win.URL + "/api/v1"
	if n := wa.Incidents.Aggregate().Len(); n != inMem {
		t.Fatalf("the windowed aggregate holds %d cases, want the %d of May and June", n, inMem)
	}
	if n := wa.Cases.Set().Len(); n != inMem {
		t.Fatalf("the windowed indicator cases hold %d, want %d", n, inMem)
	}
	// The window as the wall map reads it: null on an instance holding
	// every month, May 1st on this one.
	var fw, ww map[string]any
	get(t, base+"/stats/window", &fw)
	get(t, wbase+"/stats/window", &ww)
	mf, _ := ww["memory_from"].(string)
	at, err := time.Parse(time.RFC3339, mf)
	if fw["memory_from"] != nil || ww["memory_from_date"] != "2026-05-01" || err != nil ||
		!at.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, gridmap.ChinaTime)) {
		t.Errorf("stats/window: %v on the full instance, %v on the windowed one", fw, ww)
	}

	// Inside the window: the same answers as the instance holding all.
	for _, q := range []string{"from=2026-05-01", "from=2026-05-10&to=2026-06-20&category=dispute", "from=2026-06-01&level=village",
		"from=2026-05-01&grid=370812001001", "from=2026-05-03T10:00:00%2B08:00&overdue=false"} {
		var a, b windowCounts
		get(t, base+"/stats/grids?"+q, &a)
		get(t, wbase+"/stats/grids?"+q, &b)
		if a.Total == 0 || a.Total != b.Total || a.Unassigned != b.Unassigned || fmt.Sprint(a.byCode()) != fmt.Sprint(b.byCode()) {
			t.Errorf("%s: windowed %d (%v), full %d (%v)", q, b.Total, b.byCode(), a.Total, a.byCode())
		}
		if b.RollupMonths != nil {
			t.Errorf("%s: rollup months %v inside the window", q, b.RollupMonths)
		}
	}

	// Reaching before it: whole months from the rollups (refreshed by the
	// instance at start), equal to SQL over incident.
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sqlCounts := func(from, to time.Time, cat string) (map[string]int, int, int) {
		t.Helper()
		q := `SELECT coalesce(grid_code, ''), count(*) FROM incident
WHERE ($1::timestamptz IS NULL OR reported_at >= $1) AND ($2::timestamptz IS NULL OR reported_at < $2)
  AND ($3 = '' OR category = $3) GROUP BY 1`
		var f, tt any
		if !from.IsZero() {
			f = from
		}
		if !to.IsZero() {
			tt = to
		}
		rows, err := st.Pool().Query(context.Background(), q, f, tt, cat)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m, total, out := map[string]int{}, 0, 0
		for rows.Next() {
			var code string
			var n int
			if err := rows.Scan(&code, &n); err != nil {
				t.Fatal(err)
			}
			total += n
			if code == "" {
				out = n
			} else {
				m[code] = n
			}
		}
		return m, total, out
	}
	month := func(m time.Month) time.Time { return time.Date(2026, m, 1, 0, 0, 0, 0, gridmap.ChinaTime) }
	waitRollups := func(q string, want []string) windowCounts {
		t.Helper()
		var c windowCounts
		for range 300 {
			c = windowCounts{}
			get(t, wbase+"/stats/grids?"+q, &c)
			if slices.Equal(c.RollupMonths, want) {
				return c
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: rollup months %v, want %v", q, c.RollupMonths, want)
		return c
	}
	for _, tc := range []struct {
		q        string
		from, to time.Time
		cat      string
		months   []string
	}{
		{"from=2026-02-01", month(2), time.Time{}, "", []string{"2026-02", "2026-03", "2026-04"}},
		{"from=2026-03-01&to=2026-06-10T12:00:00%2B08:00&category=hazard", month(3), time.Date(2026, 6, 10, 12, 0, 0, 0, gridmap.ChinaTime), "hazard", []string{"2026-03", "2026-04"}},
		{"from=2026-02-01&to=2026-04-01", month(2), month(4), "", []string{"2026-02", "2026-03"}},
		{"category=dispute", time.Time{}, time.Time{}, "dispute", []string{"2026-02", "2026-03", "2026-04"}},
	} {
		c := waitRollups("level=micro&"+tc.q, tc.months)
		want, total, out := sqlCounts(tc.from, tc.to, tc.cat)
		if c.Total != total || c.Unassigned != out || fmt.Sprint(c.byCode()) != fmt.Sprint(want) {
			t.Errorf("%s: windowed %d (%d outside) %v; SQL %d (%d outside) %v", tc.q, c.Total, c.Unassigned, c.byCode(), total, out, want)
		}
		if !c.MemoryFrom.Equal(month(5)) || len(c.RefreshedAt) != len(tc.months) {
			t.Errorf("%s: memory from %s, refreshed %v", tc.q, c.MemoryFrom, c.RefreshedAt)
		}
	}
	// The monthly series agrees with the instance holding everything.
	type series struct {
		Series []struct {
			Start time.Time
			Count int
		}
		RollupMonths []string `json:"rollup_months"`
	}
	var sa, sb series
	q := "/stats/timeseries?bucket=month&from=2026-02-01&to=2026-07-01&grid=370812001001"
	get(t, base+q, &sa)
	get(t, wbase+q, &sb)
	if len(sa.Series) != 5 || fmt.Sprint(sa.Series) != fmt.Sprint(sb.Series) || len(sb.RollupMonths) != 3 {
		t.Errorf("monthly series: windowed %v (rollups %v), full %v", sb.Series, sb.RollupMonths, sa.Series)
	}

	// The incident-count collections (OGC) too: every property of every
	// micro-grid as the instance holding all, over the whole range.
	for _, dt := range []string{"", "&datetime=2026-02-01/2026-06-30", "&datetime=2026-03-01T00:00:00%2B08:00/.."} {
		var pa, pb ogcPage
		ogcGet(t, full.URL+"/ogc/collections/incident-counts-micro/items?limit=1000"+dt, &pa)
		ogcGet(t, win.URL+"/ogc/collections/incident-counts-micro/items?limit=1000"+dt, &pb)
		if len(pa.Features) == 0 || len(pa.Features) != len(pb.Features) {
			t.Fatalf("OGC counts %s: %d and %d features", dt, len(pa.Features), len(pb.Features))
		}
		sum := 0
		for i := range pa.Features {
			a, b := pa.Features[i].Properties, pb.Features[i].Properties
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("OGC counts %s, %v: windowed %v, full %v", dt, pa.Features[i].ID, b, a)
			}
			sum += int(a["incidents"].(float64))
		}
		if sum == 0 {
			t.Errorf("OGC counts %s: none", dt)
		}
	}
	var po problem
	wantProblem(t, get(t, win.URL+"/ogc/collections/incident-counts-micro/items?datetime=2026-02-15/..", &po), po, 400)

	// What rollups cannot answer, before the window: 400s saying where it starts.
	for _, q := range []string{
		"/stats/grids?from=2026-02-15",
		"/stats/grids?from=2026-02-01&to=2026-03-10",
		"/stats/grids?from=2026-02-01&overdue=true",
		"/stats/timeseries?bucket=day&from=2026-04-20",
		"/stats/indicators?from=2026-04-01",
		"/events/recent?from=2026-03-01",
	} {
		var p problem
		resp := get(t, win.URL+"/api/v1"+q, &p)
		wantProblem(t, resp, p, 400)
		if !strings.Contains(p.Detail, "2026-05-01") {
			t.Errorf("%s: %q does not say where the window starts", q, p.Detail)
		}
	}
	var p problem
	tl := maptile.At(pts[0], 10)
	tile := fmt.Sprintf("/tiles/heat/10/%d/%d.mvt?from=2026-03-01", tl.X, tl.Y)
	wantProblem(t, get(t, win.URL+tile, &p), p, 400)

	// Possible duplicates: those of a February case say memory starts in May.
	for ext, reaches := range map[string]bool{"W-000": true, "W-004": false} {
		var id int64
		if err := st.Pool().QueryRow(context.Background(), `SELECT id FROM incident WHERE external_id = $1`, ext).Scan(&id); err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		get(t, fmt.Sprintf("%s/incidents/%d/duplicates", wbase, id), &d)
		if _, ok := d["nearby_from"]; ok != reaches || reaches && d["nearby_from"] != "2026-05-01T00:00:00+08:00" {
			t.Errorf("duplicates of %s: nearby_from %v", ext, d["nearby_from"])
		}
	}

	// July: May leaves memory and is counted from its rollup.
	clock.set(time.Date(2026, 7, 1, 0, 0, 1, 0, gridmap.ChinaTime))
	it := incident("W-july", pts[0], "dispute")
	it["reported_at"] = time.Date(2026, 7, 1, 8, 0, 0, 0, gridmap.ChinaTime).Format(time.RFC3339)
	if resp := send(t, "POST", wbase+"/incidents", map[string]any{"incidents": []any{it}}, nil); resp.StatusCode != 201 {
		t.Fatalf("July's case: %d", resp.StatusCode)
	}
	for i := 0; wa.Incidents.Aggregate().Len() != inJune+1 || wa.Cases.Set().Len() != inJune+1; i++ {
		if i == 300 {
			t.Fatalf("after the month: aggregate %d, cases %d; want June's %d and July's 1", wa.Incidents.Aggregate().Len(), wa.Cases.Set().Len(), inJune)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := waitRollups("from=2026-02-01", []string{"2026-02", "2026-03", "2026-04", "2026-05"})
	want, total, out := sqlCounts(month(2), time.Time{}, "")
	if c.Total != total || c.Unassigned != out || fmt.Sprint(c.byCode()) != fmt.Sprint(want) || !c.MemoryFrom.Equal(month(6)) {
		t.Errorf("after the month: windowed %d %v from %s; SQL %d %v", c.Total, c.byCode(), c.MemoryFrom, total, want)
	}
	var pm problem
	resp := get(t, wbase+"/stats/grids?from=2026-05-20", &pm)
	wantProblem(t, resp, pm, 400)
	if !strings.Contains(pm.Detail, "2026-06-01") {
		t.Errorf("after the month: %q does not name the new window start", pm.Detail)
	}
}
