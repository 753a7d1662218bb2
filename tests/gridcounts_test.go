package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/heat"
)

// TestGridCountsAnswer: GET /api/v1/stats/grids answers byte for byte as
// encoding/json of the plain count (Aggregate.CountByGrid, heat.ByLevel:
// the answer before the level cache and block counts) on the demo street's
// year of cases, on random filters: every level, categories, statuses,
// windows, overdue at a fixed time, a grid and its descendants.
func TestGridCountsAnswer(t *testing.T) {
	a, stop := startInstance(t, demoIncidentsDB(t))
	defer stop()
	ix, version := a.Live.Index()
	agg := a.Incidents.Aggregate()
	levels := []gridmap.Level{gridmap.LevelMicro, gridmap.LevelVillage, gridmap.LevelStreet}
	cats := []gridmap.Category{"dispute", "hazard", "environment", "public_request"}
	villages := ix.OfLevel(gridmap.LevelVillage)
	now := time.Now()
	rng := rand.New(rand.NewPCG(17, 3))
	day := func() time.Time {
		return now.AddDate(0, 0, -rng.IntN(400)).Add(-time.Duration(rng.IntN(86400)) * time.Second).Truncate(time.Second)
	}
	for i := range 120 {
		q := url.Values{}
		f := heat.Filter{Now: now}
		level := levels[rng.IntN(len(levels))]
		if i%5 != 0 {
			q.Set("level", string(level))
		} else {
			level = gridmap.LevelMicro // the default
		}
		if rng.IntN(4) == 0 {
			f.Categories = []gridmap.Category{cats[rng.IntN(len(cats))], cats[rng.IntN(len(cats))]}
			q.Set("category", string(f.Categories[0])+","+string(f.Categories[1]))
		}
		if rng.IntN(4) == 0 {
			f.Statuses = []gridmap.Status{gridmap.Statuses[rng.IntN(len(gridmap.Statuses))]}
			q.Set("status", string(f.Statuses[0]))
		}
		if rng.IntN(3) != 0 {
			f.From = day()
			q.Set("from", f.From.Format(time.RFC3339))
			if rng.IntN(2) == 0 {
				f.To = f.From.Add(time.Duration(1+rng.IntN(120*86400)) * time.Second)
				q.Set("to", f.To.Format(time.RFC3339))
			}
		}
		if rng.IntN(5) == 0 {
			over := rng.IntN(2) == 0
			f.Overdue, f.Now = &over, day()
			q.Set("overdue", fmt.Sprint(over))
			q.Set("at", f.Now.Format(time.RFC3339))
		}
		if rng.IntN(6) == 0 {
			v := villages[rng.IntN(len(villages))].Code
			f.Grids, _ = ix.Descendants(v)
			q.Set("grid", v)
		}
		r := httptest.NewRequest("GET", "/api/v1/stats/grids?"+q.Encode(), nil)
		w := httptest.NewRecorder()
		a.Handler.ServeHTTP(w, r)
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("%s: %d %s %s", q.Encode(), w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		gc := agg.CountByGrid(f)
		counts, elsewhere := heat.ByLevel(ix, level, gc.ByCode)
		var want bytes.Buffer
		_ = json.NewEncoder(&want).Encode(map[string]any{
			"level": level, "counts": counts,
			"total": gc.Total, "unassigned": gc.Unassigned, "elsewhere": elsewhere,
			"data_version": version,
		})
		if got := w.Body.String(); got != want.String() {
			t.Fatalf("%s:\n got %.300s…\nwant %.300s…", q.Encode(), got, want.String())
		}
		if i == 0 && !strings.Contains(want.String(), `"name":"`) {
			t.Fatalf("no names in %.300s", want.String())
		}
	}
}
