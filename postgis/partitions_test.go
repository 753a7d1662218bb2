package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/migrations"
)

// Migration 00020 moves the incidents of a database at 00019 (across
// several months, with every table that points at them) into the monthly
// partitions: the same rows under the same ids, each in its month's
// partition; keys and foreign keys still hold; posts into a month without
// a partition make it; the id sequence goes on. Then down and up again.
func TestPartitionMigration(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	db := stdlib.OpenDBFromPool(st.Pool())
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	pool := st.Pool()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The 00019 schema: one incident table. Times straddle month ends in
	// China time (16:00 UTC is midnight there).
	times := []string{
		"2025-01-31 15:59:59+00", // January in China
		"2025-01-31 16:00:00+00", // February
		"2025-06-15 08:00:00+00",
		"2026-02-28 23:00:00+00", // March
		"2026-03-31 16:30:00+00", // April
		"2026-11-30 10:00:00+00", // November
	}
	for i, at := range times {
		exec(`INSERT INTO incident (external_id, category, source, status, reported_at, location, grid_code, boundary_version, description)
VALUES ($1, 'dispute', 'hotline', 'accepted', $2, ST_SetSRID(ST_MakePoint(116.8, 35.5), 4326), '37081200100101', $3, 'old')`,
			fmt.Sprintf("OLD-%d", i), at, version)
	}
	exec(`INSERT INTO incident_step (incident_id, seq, step, at, actor_person, actor_role)
SELECT id, s, CASE s WHEN 1 THEN 'register' ELSE 'dispatch' END, reported_at + s * interval '1 hour', 'p', 'dispatcher'
FROM incident, generate_series(1, 2) s`)
	exec(`INSERT INTO attachment (sha256, media_type, bytes, size) VALUES (sha256('x'), 'text/plain', 'x', 1)`)
	exec(`INSERT INTO step_attachment (incident_id, seq, sha256, position) SELECT id, 2, sha256('x'), 1 FROM incident`)
	exec(`INSERT INTO incident_attachment (incident_id, sha256, position) SELECT id, sha256('x'), 1 FROM incident`)
	exec(`INSERT INTO incident_change (incident_id, actor, change) SELECT id, 'test', '{"department": {"from": "", "to": "x"}}' FROM incident`)
	exec(`INSERT INTO incident_duplicate (duplicate_id, main_id, linked_by)
SELECT d.id, m.id, 'test' FROM incident d, incident m WHERE d.external_id = 'OLD-1' AND m.external_id = 'OLD-0'`)
	exec(`INSERT INTO plan (title, base_data_version) VALUES ('moves', 1)`)
	exec(`INSERT INTO incident_reassignment (incident_id, plan_id, old_grid, new_grid, boundary_version)
SELECT id, (SELECT max(id) FROM plan), grid_code, grid_code, 1 FROM incident WHERE external_id = 'OLD-2'`)

	const rowsSQL = `SELECT string_agg(i::text, E'\n' ORDER BY id) FROM incident i`
	const stepsSQL = `SELECT string_agg((to_jsonb(s) - 'reported_at')::text, E'\n' ORDER BY incident_id, seq) FROM incident_step s`
	const othersSQL = `SELECT (SELECT count(*) FROM step_attachment), (SELECT count(*) FROM incident_attachment),
       (SELECT count(*) FROM incident_change), (SELECT count(*) FROM incident_duplicate), (SELECT count(*) FROM incident_reassignment)`
	snapshot := func() (rows, steps string, others [5]int) {
		t.Helper()
		if err := pool.QueryRow(ctx, rowsSQL).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, stepsSQL).Scan(&steps); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, othersSQL).Scan(&others[0], &others[1], &others[2], &others[3], &others[4]); err != nil {
			t.Fatal(err)
		}
		return rows, steps, others
	}
	rows0, steps0, others0 := snapshot()
	var maxID int64
	if err := pool.QueryRow(ctx, `SELECT max(id) FROM incident`).Scan(&maxID); err != nil {
		t.Fatal(err)
	}

	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	rows1, steps1, others1 := snapshot()
	if rows1 != rows0 || steps1 != steps0 || others1 != others0 {
		t.Fatalf("the migration changed the data:\nrows\n%s\nthen\n%s\nsteps\n%s\nthen\n%s\nothers %v then %v", rows0, rows1, steps0, steps1, others0, others1)
	}
	checkPartitions(t, st.Pool(), len(times))

	// The keys hold across partitions, and the foreign keys point at them.
	var pgErr *pgconn.PgError
	_, err = pool.Exec(ctx, `INSERT INTO incident_step (incident_id, seq, step, at, actor_person, actor_role, reported_at)
VALUES ($1, 1, 'register', now(), 'p', 'dispatcher', now())`, maxID+1000)
	if !errors.As(err, &pgErr) || pgErr.Code != "23503" {
		t.Errorf("a step of no case: %v, want a foreign key violation", err)
	}
	_, err = pool.Exec(ctx, `INSERT INTO incident_change (incident_id, actor, change) VALUES ($1, 'x', '{}')`, maxID+1000)
	if !errors.As(err, &pgErr) || pgErr.Code != "23503" {
		t.Errorf("a change of no case: %v, want a foreign key violation", err)
	}
	// A re-post of OLD-1 (February 2025) reported in another month is
	// still the same case.
	pt := centre(t, ix)
	again := rec("OLD-1", pt)
	again["reported_at"] = "2026-11-25T09:30:00+08:00"
	res, err := postRecords(t, st, ix, version, []map[string]any{again}, false)
	if err != nil || res.Created != 0 || res.Existing != 1 || len(res.Items) != 1 ||
		!res.Items[0].Incident.ReportedAt.Equal(time.Date(2025, 1, 31, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("re-post of OLD-1: %+v, %v", res, err)
	}
	// A single post and a batch into months that have no partition.
	one := rec("NEW-1", pt)
	one["reported_at"] = "2019-05-20T09:30:00+08:00"
	res, err = postRecords(t, st, ix, version, []map[string]any{one}, false)
	if err != nil || res.Created != 1 || res.Items[0].Incident.ID <= maxID {
		t.Fatalf("post into May 2019: %+v, %v (ids so far up to %d)", res, err, maxID)
	}
	newID := res.Items[0].Incident.ID
	var batch []map[string]any
	for i, at := range []string{"2018-01-31T23:59:59+08:00", "2018-02-01T00:00:00+08:00", "2018-02-01T00:00:00+08:00", "2026-11-30T12:00:00+08:00"} {
		r := rec(fmt.Sprintf("NEW-B%d", i), pt)
		r["reported_at"] = at
		batch = append(batch, r)
	}
	batch = append(batch, rec("OLD-5", pt)) // stored before
	res, err = postRecords(t, st, ix, version, batch, false)
	if err != nil || res.Created != 4 || res.Existing != 1 {
		t.Fatalf("batch into January and February 2018: %+v, %v", res, err)
	}
	for _, it := range res.Items[:4] {
		if it.Incident.ID <= newID || !it.Created {
			t.Errorf("batch item %d: id %d created %v, want a new id after %d", it.Index, it.Incident.ID, it.Created, newID)
		}
	}
	checkPartitions(t, st.Pool(), len(times)+5)
	// A step appended to a moved case lands in its month.
	var id0 int64
	if err := pool.QueryRow(ctx, `SELECT id FROM incident_key WHERE external_id = 'OLD-0'`).Scan(&id0); err != nil {
		t.Fatal(err)
	}
	var where string
	if err := pool.QueryRow(ctx, `SELECT tableoid::regclass::text FROM incident_step WHERE incident_id = $1 AND seq = 2`, id0).Scan(&where); err != nil || where != "incident_step_y2025m01" {
		t.Errorf("OLD-0's step is in %q (%v), want incident_step_y2025m01", where, err)
	}

	// Deleting a case still removes what hangs on it.
	exec(`DELETE FROM incident WHERE id = $1`, id0)
	var left int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM incident_key WHERE id = $1) + (SELECT count(*) FROM incident_step WHERE incident_id = $1)
  + (SELECT count(*) FROM step_attachment WHERE incident_id = $1) + (SELECT count(*) FROM incident_change WHERE incident_id = $1)
  + (SELECT count(*) FROM incident_duplicate WHERE main_id = $1)`, id0).Scan(&left); err != nil || left != 0 {
		t.Errorf("after deleting OLD-0: %d rows left (%v)", left, err)
	}

	// An archived month (incident_archive comes with migration 00021) is
	// refused, not made again.
	exec(`CREATE TABLE IF NOT EXISTS incident_archive (month date PRIMARY KEY, archived_at timestamptz NOT NULL)`)
	exec(`INSERT INTO incident_archive (month, archived_at) VALUES ('2017-03-01', now())`)
	if _, err := pool.Exec(ctx, `SELECT gridmap_ensure_incident_month('2017-03-01')`); err == nil || !errors.As(err, &pgErr) ||
		pgErr.Code != "P0001" || pgErr.Message != "month 2017-03 is archived" {
		t.Errorf("ensure an archived month: %v", err)
	}
	arch := rec("NEW-ARCH", pt)
	arch["reported_at"] = "2017-03-10T09:30:00+08:00"
	if _, err := postRecords(t, st, ix, version, []map[string]any{arch}, false); gridmap.ErrorCode(err) != gridmap.ECONFLICT {
		t.Errorf("post into an archived month: %v, want a conflict", err)
	}
	exec(`DELETE FROM incident_archive WHERE month = '2017-03-01'`)

	// Down (one table again, the rows kept) and up.
	rows2, steps2, others2 := snapshot()
	if _, err := p.DownTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	if r, s, o := snapshot(); r != rows2 || s != steps2 || o != others2 {
		t.Fatalf("migrating down changed the data")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if r, s, o := snapshot(); r != rows2 || s != steps2 || o != others2 {
		t.Fatalf("migrating up again changed the data")
	}
	checkPartitions(t, st.Pool(), len(times)+4)
}

// checkPartitions checks that every incident and step is in its month's
// partition (China time), and that there are want incidents.
func checkPartitions(t *testing.T, pool *pgxpool.Pool, want int) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT 'incident', tableoid::regclass::text, id, reported_at FROM incident
UNION ALL SELECT 'incident_step', tableoid::regclass::text, incident_id, reported_at FROM incident_step
UNION ALL SELECT 'incident_step', 'case ' || k.reported_at, s.incident_id, s.reported_at
          FROM incident_step s JOIN incident_key k ON k.id = s.incident_id WHERE k.reported_at <> s.reported_at`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var table, part string
		var id int64
		var at time.Time
		if err := rows.Scan(&table, &part, &id, &at); err != nil {
			t.Fatal(err)
		}
		if w := table + at.In(gridmap.ChinaTime).Format("_y2006m01"); part != w {
			t.Errorf("%s of %d reported at %s is in %s, want %s", table, id, at, part, w)
		}
		if table == "incident" {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("%d incidents, want %d", n, want)
	}
	var keys, orphans int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM incident i WHERE i.id = k.id AND i.reported_at = k.reported_at AND i.external_id = k.external_id)) FROM incident_key k`).Scan(&keys, &orphans); err != nil || keys != want || orphans != 0 {
		t.Errorf("%d keys, %d without their incident (%v), want %d and 0", keys, orphans, err, want)
	}
}
