package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
)

// overdueSQL counts, straight from the incident table, the incidents that
// are open with a deadline before $1, by the current village their grid
// is under; $2 categories (NULL for all), $3 reported since (NULL for all).
const overdueSQL = `
SELECT v.code, count(i.id)
FROM grid_version v
LEFT JOIN grid_version m ON m.parent_code = v.code AND m.valid_to IS NULL
LEFT JOIN incident i ON i.grid_code = m.code
    AND i.status IN ('reported', 'accepted', 'in_progress') AND i.deadline < $1
    AND ($2::text[] IS NULL OR i.category = ANY($2))
    AND ($3::timestamptz IS NULL OR i.reported_at >= $3)
WHERE v.level = 'village' AND v.valid_to IS NULL
GROUP BY v.code`

// TestStatsOverdue: /stats/grids?overdue=true counts what SQL counts as
// overdue, before and after PATCHes move deadlines and statuses; the time
// series and the heat tiles agree with it; bad values are 400.
func TestStatsOverdue(t *testing.T) {
	srv, a := instance(t, demoIncidentsDB(t))
	base := srv.URL + "/api/v1"
	ctx := context.Background()
	pool := a.Store.Pool()
	at := time.Now().Truncate(time.Second)
	atQ := "&at=" + url.QueryEscape(at.Format(time.RFC3339))

	sqlCounts := func(cats []string, from *time.Time) (map[string]int, int) {
		t.Helper()
		rows, err := pool.Query(ctx, overdueSQL, at, cats, from)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out, total := map[string]int{}, 0
		for rows.Next() {
			var code string
			var n int
			if err := rows.Scan(&code, &n); err != nil {
				t.Fatal(err)
			}
			out[code] = n
			total += n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out, total
	}
	type stats struct {
		Counts []struct {
			Code  string
			Count int
		}
		Total, Unassigned, Elsewhere int
	}
	apiCounts := func(q string) (map[string]int, stats) {
		t.Helper()
		var st stats
		if resp := get(t, base+"/stats/grids?"+q, &st); resp.StatusCode != 200 {
			t.Fatalf("/stats/grids?%s: %d", q, resp.StatusCode)
		}
		out := map[string]int{}
		for _, c := range st.Counts {
			out[c.Code] = c.Count
		}
		return out, st
	}
	equal := func(got, want map[string]int) bool {
		if len(got) != len(want) {
			return false
		}
		for code, n := range want {
			if got[code] != n {
				return false
			}
		}
		return true
	}
	same := func(name string, got, want map[string]int) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d villages, SQL %d", name, len(got), len(want))
		}
		for code, n := range want {
			if got[code] != n {
				t.Errorf("%s: village %s has %d overdue, SQL %d", name, code, got[code], n)
			}
		}
	}

	// Every category, every time.
	want, wantTotal := sqlCounts(nil, nil)
	got, st := apiCounts("level=village&overdue=true" + atQ)
	same("all", got, want)
	if st.Total != wantTotal || st.Unassigned != 0 || st.Elsewhere != 0 {
		t.Errorf("total %d (unassigned %d, elsewhere %d), SQL %d", st.Total, st.Unassigned, st.Elsewhere, wantTotal)
	}
	if wantTotal == 0 {
		t.Fatal("the demo incidents have none overdue: the filter would show nothing")
	}
	var all stats
	get(t, base+"/stats/grids?level=micro", &all)
	_, notOverdue := apiCounts("level=micro&overdue=false" + atQ)
	if notOverdue.Total+wantTotal != all.Total {
		t.Errorf("overdue %d + not overdue %d != all %d", wantTotal, notOverdue.Total, all.Total)
	}

	// The wall map's default view: disputes and hazards of the last 30
	// days, open, overdue.
	from30 := time.Date(at.In(gridmap.ChinaTime).Year(), at.In(gridmap.ChinaTime).Month(), at.In(gridmap.ChinaTime).Day()-29, 0, 0, 0, 0, gridmap.ChinaTime)
	wallQ := "level=village&category=dispute,hazard&status=open&from=" + from30.Format("2006-01-02")
	want, wallTotal := sqlCounts([]string{"dispute", "hazard"}, &from30)
	got, _ = apiCounts(wallQ + "&overdue=true" + atQ)
	same("wall map view", got, want)
	_, open := apiCounts(wallQ)
	t.Logf("demo street at %s: %d overdue of %d, %d in the wall map's default view of %d open", at.Format(time.RFC3339), wantTotal, all.Total, wallTotal, open.Total)
	if wallTotal == 0 || wallTotal >= open.Total {
		t.Errorf("the wall map's default view has %d overdue of %d open: want some, not all", wallTotal, open.Total)
	}

	// PATCHes: an overdue incident gets a later deadline, another is
	// resolved, and an open one not yet due gets a deadline passed.
	var over1, over2, notDue int64
	if err := pool.QueryRow(ctx, `SELECT
		(SELECT min(id) FROM incident WHERE status IN ('reported', 'accepted', 'in_progress') AND deadline < $1),
		(SELECT max(id) FROM incident WHERE status IN ('reported', 'accepted', 'in_progress') AND deadline < $1),
		(SELECT max(id) FROM incident WHERE status IN ('reported', 'accepted', 'in_progress') AND deadline >= $1)`, at).Scan(&over1, &over2, &notDue); err != nil {
		t.Fatalf("choosing incidents to change (the demo needs two overdue and one open not yet due): %v", err)
	}
	patch := func(id int64, body map[string]any) {
		t.Helper()
		if resp := send(t, "PATCH", fmt.Sprintf("%s/incidents/%d", base, id), body, nil); resp.StatusCode != 200 {
			t.Fatalf("PATCH %d %v: %d", id, body, resp.StatusCode)
		}
	}
	patch(over1, map[string]any{"deadline": at.AddDate(0, 0, 10).Format(time.RFC3339)})
	patch(over2, map[string]any{"status": "resolved"})
	patch(notDue, map[string]any{"deadline": at.Add(-time.Hour).Format(time.RFC3339)})
	want, wantTotal2 := sqlCounts(nil, nil)
	if wantTotal2 != wantTotal-1 {
		t.Fatalf("SQL: %d overdue after the PATCHes, want %d", wantTotal2, wantTotal-1)
	}
	// The change feed carries them to the aggregate within moments.
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, _ = apiCounts("level=village&overdue=true" + atQ)
		if equal(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	same("after the PATCHes", got, want)

	// The time series and the heat tiles count the same incidents.
	var ts struct {
		Series []struct{ Count int }
	}
	get(t, base+"/stats/timeseries?bucket=month&from=2000-01-01&to="+at.AddDate(0, 0, 1).Format("2006-01-02")+"&overdue=true"+atQ, &ts)
	sum := 0
	for _, p := range ts.Series {
		sum += p.Count
	}
	if sum != wantTotal2 {
		t.Errorf("time series: %d overdue, want %d", sum, wantTotal2)
	}
	ix, _ := a.Live.Index()
	var bound orb.Bound
	for i := range ix.Len() {
		if g := ix.At(i); i == 0 {
			bound = g.Boundary.Bound()
		} else {
			bound = bound.Union(g.Boundary.Bound())
		}
	}
	const z = 11
	lo, hi := maptile.At(bound.LeftTop(), z), maptile.At(bound.RightBottom(), z)
	inTiles := 0
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			inTiles += heatCount(t, fmt.Sprintf("%s/tiles/heat/%d/%d/%d.mvt?overdue=true%s", srv.URL, z, x, y, atQ))
		}
	}
	if inTiles != wantTotal2 {
		t.Errorf("heat tiles at zoom %d: %d overdue, want %d", z, inTiles, wantTotal2)
	}

	// Bad values: 400 problem+json naming the parameter.
	for _, u := range []string{
		base + "/stats/grids?overdue=maybe",
		base + "/stats/grids?overdue=true&at=yesterday",
		base + "/stats/grids?at=2026-11-25",
		base + "/stats/timeseries?overdue=yes",
		srv.URL + "/tiles/heat/11/1688/824.mvt?overdue=2",
	} {
		var p problem
		resp := get(t, u, &p)
		wantProblem(t, resp, p, 400)
		if !strings.Contains(p.Detail, "overdue") && !strings.Contains(p.Detail, "at=") {
			t.Errorf("%s: detail %q names neither overdue nor at", u, p.Detail)
		}
	}
}

// heatCount returns the sum of the counts of a heat tile (0 for 204).
func heatCount(tb testing.TB, u string) int {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return 0
	}
	if resp.StatusCode != 200 {
		tb.Fatalf("%s: %d", u, resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		tb.Fatalf("%s: %v", u, err)
	}
	n := 0
	for _, l := range layers {
		for _, f := range l.Features {
			c, _ := f.Properties["count"].(float64)
			n += int(c)
		}
	}
	return n
}
