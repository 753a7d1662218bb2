package report_test

import (
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/report"
)

// street is a village with two micro grids side by side, each with people.
func street(tb testing.TB) *geo.Index {
	tb.Helper()
	sq := func(x0, x1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, 35}, {x1, 35}, {x1, 35.01}, {x0, 35.01}, {x0, 35}}}}
	}
	ix, err := geo.NewIndex([]gridmap.Grid{
		{Code: "S", Name: "街道", Level: gridmap.LevelStreet, Boundary: sq(116, 116.02)},
		{Code: "V", Name: "东村", Level: gridmap.LevelVillage, Parent: "S", Boundary: sq(116, 116.02),
			Members: []gridmap.Member{{GridCode: "V", Role: "police_assistant", Name: "警甲", Contact: "13900000001"}}},
		{Code: "V1", Name: "一网格", Level: gridmap.LevelMicro, Parent: "V", Boundary: sq(116, 116.01),
			Members: []gridmap.Member{{GridCode: "V1", Role: "legal_adviser", Name: "法乙"}}},
		{Code: "V2", Name: "二网格", Level: gridmap.LevelMicro, Parent: "V", Boundary: sq(116.01, 116.02)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, gridmap.ChinaTime)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func TestBuildDaily(t *testing.T) {
	ix := street(t)
	day := cst("2026-12-02 00:00")
	incs := []gridmap.Incident{
		// 23:59:59 the day before is not the day (midnight CST, not UTC).
		{ID: 1, Category: gridmap.CategoryDispute, Source: gridmap.SourceHotline, Status: gridmap.StatusReported, GridCode: "V1",
			ReportedAt: day.Add(-time.Second)},
		// 00:00 is the day; a dispute; overdue by the day's end.
		{ID: 2, Category: gridmap.CategoryDispute, Source: gridmap.SourceVisit, Status: gridmap.StatusAccepted, GridCode: "V2",
			ReportedAt: day, Deadline: ptr(cst("2026-12-02 23:00"))},
		// Due exactly at the next midnight: not overdue on the day.
		{ID: 3, Category: gridmap.CategoryHazard, Source: gridmap.SourceGridWorker, Status: gridmap.StatusInProgress, GridCode: "V1",
			ReportedAt: cst("2026-12-02 08:00"), Deadline: ptr(cst("2026-12-03 00:00")), Supervised: 1},
		// Resolved on the day, reported weeks before: closed, not new.
		{ID: 4, Category: gridmap.CategoryPetition, Source: gridmap.SourceVisit, Status: gridmap.StatusClosed, GridCode: "V2",
			ReportedAt: cst("2026-11-01 10:00"), StepAt: map[gridmap.Status]time.Time{gridmap.StatusResolved: cst("2026-12-02 16:00"), gridmap.StatusClosed: cst("2026-12-02 17:00")}},
		// The same weekday a week before, outside every grid.
		{ID: 5, Category: gridmap.CategoryOther, Source: gridmap.SourceOther, Status: gridmap.StatusReported, ReportedAt: cst("2026-11-25 12:00")},
		// The next day: nothing.
		{ID: 6, Category: gridmap.CategoryPetition, Source: gridmap.SourceVisit, Status: gridmap.StatusReported, GridCode: "V1", ReportedAt: cst("2026-12-03 00:00")},
	}
	incs = append(incs, incs[1]) // listings overlap: counted once
	d := report.BuildDaily(day, incs, ix, day)
	if d.New.Total != 2 || d.New.BySource["visit"] != 1 || d.New.BySource["grid_worker"] != 1 || d.New.BySource["hotline"] != 0 {
		t.Errorf("new: %+v", d.New)
	}
	if d.PreviousDay.Total != 1 || d.PreviousDay.BySource["hotline"] != 1 || d.LastWeek.Total != 1 || d.LastWeek.BySource["other"] != 1 {
		t.Errorf("previous day %+v, last week %+v", d.PreviousDay, d.LastWeek)
	}
	if d.Resolved != 1 || d.Closed != 1 || len(d.ClosedCases) != 1 || d.ClosedCases[0].ID != 4 {
		t.Errorf("resolved %d closed %d %+v", d.Resolved, d.Closed, d.ClosedCases)
	}
	if d.Disputes != 1 || d.Petitions != 0 || d.Supervised != 1 || d.Overdue != 1 {
		t.Errorf("key counts: disputes %d petitions %d supervised %d overdue %d", d.Disputes, d.Petitions, d.Supervised, d.Overdue)
	}
	if d.KeyCasesTotal != 2 || d.KeyCases[0].ID != 2 || !slices.Equal(d.KeyCases[0].Reasons, []string{"dispute", "overdue"}) || d.KeyCases[0].VillageName != "东村" {
		t.Errorf("key cases: %+v", d.KeyCases)
	}
	if len(d.ByVillage) != 1 || d.ByVillage[0].New != 2 || d.ByVillage[0].PreviousDay != 1 || d.ByVillage[0].LastWeek != 0 {
		t.Errorf("by village: %+v", d.ByVillage)
	}
}

func TestBuildWednesday(t *testing.T) {
	ix := street(t)
	day := cst("2026-12-02 00:00")
	incs := []gridmap.Incident{
		{ID: 1, Category: gridmap.CategoryDispute, Status: gridmap.StatusInProgress, GridCode: "V1", Department: "justice", ReportedAt: cst("2026-11-30 10:00")},
		// A petition of 30 days exactly is old; of 29 days not.
		{ID: 2, Category: gridmap.CategoryPetition, Status: gridmap.StatusAccepted, GridCode: "V2", ReportedAt: day.Add(-report.OldPetitionAge)},
		{ID: 3, Category: gridmap.CategoryPetition, Status: gridmap.StatusAccepted, GridCode: "V2", ReportedAt: day.Add(-29 * 24 * time.Hour)},
		// Consulted, supervised, overdue; resolved (not open); reported on the day.
		{ID: 4, Category: gridmap.CategoryHazard, Status: gridmap.StatusInProgress, GridCode: "V2", ReportedAt: cst("2026-11-20 10:00"), LastStep: gridmap.StepMark{Kind: "consult"}},
		{ID: 5, Category: gridmap.CategoryHazard, Status: gridmap.StatusInProgress, ReportedAt: cst("2026-11-20 11:00"), Supervised: 2},
		{ID: 6, Category: gridmap.CategoryHazard, Status: gridmap.StatusReported, GridCode: "V1", ReportedAt: cst("2026-11-20 12:00"), Deadline: ptr(day.Add(-time.Minute))},
		{ID: 7, Category: gridmap.CategoryDispute, Status: gridmap.StatusResolved, GridCode: "V1", ReportedAt: cst("2026-11-20 12:00")},
		{ID: 8, Category: gridmap.CategoryDispute, Status: gridmap.StatusReported, GridCode: "V1", ReportedAt: day},
	}
	w := report.BuildWednesday(day, incs, ix, func(c string) string { return "masked" }, day)
	if w.Total != 5 || len(w.Outside) != 1 || w.Outside[0].ID != 5 {
		t.Fatalf("agenda: total %d, outside %+v", w.Total, w.Outside)
	}
	want := map[string]int{"dispute": 1, "consult": 1, "old_petition": 1, "supervised": 1, "overdue": 1}
	for r, n := range want {
		if w.ByReason[r] != n {
			t.Errorf("%s: %d, want %d", r, w.ByReason[r], n)
		}
	}
	v := w.Villages[0]
	var ids []int64
	for _, c := range v.Cases {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []int64{2, 4, 6, 1}) { // oldest first
		t.Errorf("village cases %v", ids)
	}
	var who []string
	for _, iv := range v.Invitees {
		who = append(who, iv.Role+":"+iv.Name+":"+iv.Contact)
	}
	// The micro grid's own legal adviser, the village's police assistant
	// for both micro grids (once), contacts through the mask.
	if !slices.Equal(who, []string{"department:justice:", "legal_adviser:法乙:", "police_assistant:警甲:masked"}) {
		t.Errorf("invitees %v", who)
	}
}
