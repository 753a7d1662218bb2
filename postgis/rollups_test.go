package postgis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/indicators"
)

// TestRefreshRollups: the instance's refresh rolls up every month before
// the window that has cases, once (a second call within fresh does
// nothing), not while another holds the lock, and never an archived
// month; MonthRollups reads them back filtered.
func TestRefreshRollups(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	p := centre(t, ix)
	var recs []map[string]any
	for i := range 12 {
		r := rec(fmt.Sprintf("R-%02d", i), p)
		// Three months in China time: the last minutes of January UTC+8
		// fall in January, not February.
		r["reported_at"] = time.Date(2026, time.Month(1+i%3), 1+i, 0, 30, 0, 0, gridmap.ChinaTime).Format(time.RFC3339)
		if i%4 == 0 {
			r["category"] = "hazard"
		}
		recs = append(recs, r)
	}
	if _, err := postRecords(t, st, ix, version, recs, false); err != nil {
		t.Fatal(err)
	}
	month := func(m time.Month) time.Time { return time.Date(2026, m, 1, 0, 0, 0, 0, gridmap.ChinaTime) }

	// Another session holds the lock: nothing is done.
	conn, err := st.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(1735552368, 18)`); err != nil {
		t.Fatal(err)
	}
	if months, ran, err := st.RefreshRollups(ctx, month(3), time.Hour); err != nil || ran || len(months) != 0 {
		t.Errorf("with the lock held elsewhere: %v, ran %v, %v", months, ran, err)
	}
	tx.Rollback(ctx)
	conn.Release()

	// March is archived (as P2's archive records it): frozen, not refreshed.
	if _, err := st.Pool().Exec(ctx, `INSERT INTO incident_archive (month, archived_at, incidents) VALUES ('2026-03-01', now(), 4)`); err != nil {
		t.Fatal(err)
	}
	months, ran, err := st.RefreshRollups(ctx, month(4), time.Hour)
	if err != nil || !ran || fmt.Sprint(months) != fmt.Sprint([]time.Time{month(1), month(2)}) {
		t.Fatalf("refresh before April: %v, ran %v, %v", months, ran, err)
	}
	if months, _, err := st.RefreshRollups(ctx, month(4), time.Hour); err != nil || len(months) != 0 {
		t.Errorf("a second refresh within an hour did %v, %v", months, err)
	}
	r, err := st.MonthRollups(ctx, gridmap.RollupQuery{From: month(1), To: month(4), Categories: []gridmap.Category{"dispute"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Months) != 2 || !r.Months[0].Month.Equal(month(1)) || r.Months[0].Incidents != 4 || r.Months[0].RefreshedAt.IsZero() {
		t.Fatalf("months %+v", r.Months)
	}
	// Disputes: i%4 != 0; January holds i = 0, 3, 6, 9 (3 disputes),
	// February 1, 4, 7, 10 (3).
	got := map[string]int64{}
	for _, c := range r.Counts {
		got[c.Month.Format("2006-01")+" "+c.GridCode] += c.Incidents
	}
	if want := fmt.Sprint(map[string]int64{"2026-01 37081200100101": 3, "2026-02 37081200100101": 3}); fmt.Sprint(got) != want {
		t.Errorf("dispute counts %v, want %s", got, want)
	}

	// The windowed change feeds leave out the older cases in SQL, in the
	// first load and in the changes after it.
	var ids []int64
	next, err := st.IncidentChangesFrom(ctx, "", month(2), func(in gridmap.Incident) error { ids = append(ids, in.ID); return nil })
	if err != nil || len(ids) != 8 {
		t.Fatalf("incidents from February: %d, %v; want 8", len(ids), err)
	}
	var cases int
	nextCases, err := st.CaseChangesFrom(ctx, "", month(2), func(indicators.Case) error { cases++; return nil })
	if err != nil || cases != 8 {
		t.Fatalf("cases from February: %d, %v; want 8", cases, err)
	}
	late := []map[string]any{rec("R-jan", p), rec("R-mar", p)}
	late[0]["reported_at"] = "2026-01-20T09:00:00+08:00"
	late[1]["reported_at"] = "2026-03-20T09:00:00+08:00"
	if _, err := postRecords(t, st, ix, version, late, false); err != nil {
		t.Fatal(err)
	}
	var fed []string
	if _, err := st.IncidentChangesFrom(ctx, next, month(2), func(in gridmap.Incident) error { fed = append(fed, in.ExternalID); return nil }); err != nil || fmt.Sprint(fed) != "[R-mar]" {
		t.Errorf("incident changes from February: %v, %v; want R-mar alone", fed, err)
	}
	cases = 0
	if _, err := st.CaseChangesFrom(ctx, nextCases, month(2), func(indicators.Case) error { cases++; return nil }); err != nil || cases != 1 {
		t.Errorf("case changes from February: %d, %v; want 1", cases, err)
	}
}
