package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/migrations"
)

// TestRosterVersions: every change closes a row and opens the next under
// the same person; the roster of any time reads back; a stale IfVersion
// and a change racing another are refused, never both applied; migrating
// 00012 down and up keeps the people serving now.
func TestRosterVersions(t *testing.T) {
	st, _, _ := demoStreet(t)
	ctx := context.Background()
	const m1, m2, m3 = "37081200100107", "37081200100201", "37081200100301"
	added, v1, err := st.AddMember(ctx, gridmap.RosterEdit{GridCode: m1, Role: "worker", Name: "赵测试", Contact: "13900000001", Actor: "t", Reason: "招聘"})
	if err != nil || added.ID == 0 || added.ValidTo != nil {
		t.Fatalf("add: %+v %v", added, err)
	}
	tAdd := time.Now()
	time.Sleep(2 * time.Millisecond)
	moved, v2, err := st.ChangeMember(ctx, added.ID, gridmap.RosterEdit{GridCode: m2, Actor: "t", Reason: "调整", IfVersion: added.Version})
	if err != nil || moved.ID != added.ID || moved.GridCode != m2 || moved.Contact != "13900000001" || v2 <= v1 {
		t.Fatalf("move: %+v %v (data versions %d → %d)", moved, err, v1, v2)
	}
	if _, _, err := st.ChangeMember(ctx, added.ID, gridmap.RosterEdit{Contact: "13900000002", IfVersion: added.Version}); gridmap.ErrorCode(err) != gridmap.EPRECONDITION {
		t.Errorf("a change on a stale version: %v, want %s", err, gridmap.EPRECONDITION)
	}
	if _, _, err := st.ChangeMember(ctx, added.ID, gridmap.RosterEdit{GridCode: m2}); gridmap.ErrorCode(err) != gridmap.ECONFLICT {
		t.Errorf("a change that changes nothing: %v, want %s", err, gridmap.ECONFLICT)
	}

	// A move racing another writer's: the other holds the person's row
	// (closed, a new one opened, not yet committed); ours waits on it and,
	// once the other commits, is refused rather than applied on top.
	tx, err := st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE grid_member SET valid_to = now() WHERE member_id = $1 AND valid_to IS NULL`, added.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO grid_member (member_id, grid_code, role, name, contact) VALUES ($1, $2, 'worker', '赵测试', '13900000001')`, added.ID, m3); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := st.ChangeMember(ctx, added.ID, gridmap.RosterEdit{GridCode: m1})
		done <- err
	}()
	waiting := false
	for range 500 { // until our move waits on the lock (bounded)
		var n int
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE grid_member%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if waiting = n > 0; waiting {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !waiting {
		t.Fatal("the racing move never waited on the other writer's row")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; gridmap.ErrorCode(err) != gridmap.ECONFLICT {
		t.Errorf("the move that lost the race: %v, want %s", err, gridmap.ECONFLICT)
	}

	hist, err := st.Roster(ctx, gridmap.RosterFilter{History: true})
	if err != nil {
		t.Fatal(err)
	}
	var rows []gridmap.RosterEntry
	for _, e := range hist {
		if e.ID == added.ID {
			rows = append(rows, e)
		}
	}
	current := 0
	for _, r := range rows {
		if r.ValidTo == nil {
			current++
		}
	}
	if len(rows) != 3 || current != 1 {
		t.Fatalf("rows of the person: %+v, want 3 with one current", rows)
	}
	then, err := st.Roster(ctx, gridmap.RosterFilter{Grid: m1, AsOf: &tAdd})
	if err != nil {
		t.Fatal(err)
	}
	if !hasPerson(then, added.ID, m1) {
		t.Errorf("the roster of %s at %v lacks the person: %+v", m1, tAdd, then)
	}
	// The members of lookups as of then agree (GridsAt).
	grids, _, err := st.GridsAt(ctx, tAdd)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range grids {
		for _, m := range g.Members {
			found = found || (g.Code == m1 && m.Name == "赵测试")
		}
	}
	if !found {
		t.Error("GridsAt(then) lacks the person in their grid of then")
	}

	if _, _, err := st.RetireMember(ctx, added.ID, gridmap.RosterEdit{Reason: "离职"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.RetireMember(ctx, added.ID, gridmap.RosterEdit{}); gridmap.ErrorCode(err) != gridmap.ENOTFOUND {
		t.Errorf("retiring twice: %v, want %s", err, gridmap.ENOTFOUND)
	}
	now, err := st.Roster(ctx, gridmap.RosterFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if hasPerson(now, added.ID, "") {
		t.Error("the retired person is still on the roster")
	}

	// 00012 down and up: the people serving now stay, each their own person.
	db := stdlib.OpenDBFromPool(st.Pool())
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := st.Roster(ctx, gridmap.RosterFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(now) {
		t.Errorf("people serving after 00012 down and up: %d, were %d", len(after), len(now))
	}
	for _, e := range after {
		if e.ID != e.Version {
			t.Errorf("after 00012 down and up, person %d has row %d", e.ID, e.Version)
			break
		}
	}
	if _, _, err := st.AddMember(ctx, gridmap.RosterEdit{GridCode: m1, Role: "leader", Name: "钱测试"}); err != nil {
		t.Errorf("adding after 00012 down and up: %v", err)
	}
}

func hasPerson(es []gridmap.RosterEntry, id int64, grid string) bool {
	for _, e := range es {
		if e.ID == id && (grid == "" || e.GridCode == grid) {
			return true
		}
	}
	return false
}
