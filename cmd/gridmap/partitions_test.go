package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// TestPartitionsCommand lists, rolls up and archives months through the
// CLI: months too recent are refused before the database is touched,
// January and February of 2024 go to files and out of the database, a
// second run says they are archived already, and list shows them so.
func TestPartitionsCommand(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	// 90 cases a day apart from 2024-01-01 (China time), one step each.
	if _, err := c.Exec(ctx, `
SELECT gridmap_ensure_incident_month(m::date) FROM unnest(ARRAY['2024-01-01', '2024-02-01', '2024-03-01']) AS m;
INSERT INTO incident_key (external_id, reported_at)
SELECT 'C-' || g, timestamptz '2024-01-01 00:00+08' + (g - 1) * interval '1 day' FROM generate_series(1, 90) AS g;
INSERT INTO incident (id, external_id, category, source, reported_at, location, grid_code, boundary_version)
SELECT id, external_id, 'hazard', 'visit', reported_at, ST_SetSRID(ST_MakePoint(116.8, 35.5), 4326), 'G1', 1 FROM incident_key;
INSERT INTO incident_step (incident_id, seq, step, at, actor_person, actor_role, reported_at)
SELECT id, 1, 'register', reported_at, '王五', 'reporter', reported_at FROM incident_key;
SELECT pg_stat_force_next_flush();`); err != nil {
		t.Fatal(err)
	}
	// Never analyzed: the estimate is the rows written (the statistics
	// were flushed as the batch ended).
	out, errOut, err := runCmd(t, "partitions", "list")
	if err != nil || !regexp.MustCompile(`2024-01\s+incident_y2024m01\s+~31\s`).MatchString(out) {
		t.Fatalf("list: %v\n%s%s", err, out, errOut)
	}
	out, errOut, err = runCmd(t, "partitions", "list", "--exact")
	if err != nil || !regexp.MustCompile(`2024-01\s+incident_y2024m01\s+31\s`).MatchString(out) || !strings.Contains(out, "incident_y2024m03") {
		t.Fatalf("list: %v\n%s%s", err, out, errOut)
	}
	if out, errOut, err := runCmd(t, "partitions", "rollup", "--month", "2024-03"); err != nil || !strings.Contains(out, "2024-03: rolled up, 30 cases") {
		t.Fatalf("rollup: %v\n%s%s", err, out, errOut)
	}
	// Every month held up to now: 2024-01 … 2024-03 and the current one,
	// not the two ahead that migrate made.
	out, errOut, err = runCmd(t, "partitions", "rollup")
	cur := postgis.MonthOf(time.Now())
	if err != nil || !strings.Contains(out, "2024-01: rolled up, 31 cases") || !strings.Contains(out, cur.String()+": rolled up, 0 cases") || strings.Contains(out, cur.Add(1).String()) {
		t.Errorf("rollup: %v\n%s%s", err, out, errOut)
	}
	if _, _, err := runCmd(t, "partitions", "archive", "--before", cur.String(), "--to", t.TempDir()); err == nil || !strings.Contains(err.Error(), "never archived") {
		t.Errorf("archive --before the current month: %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"archive", "--before", "2024-03"}, "--to"},
		{[]string{"archive", "--before", "2024/03", "--to", "x"}, "YYYY-MM"},
		{[]string{"rollup", "--month", "2024-03", "--before", "2024-04"}, "not both"},
		{[]string{"shred"}, "unknown"},
	} {
		if _, _, err := runCmd(t, append([]string{"partitions"}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("partitions %v: %v, want an error naming %s", c.args, err, c.want)
		}
	}
	// A target that is not a directory: refused, nothing archived.
	notDir := write(t, "not-a-dir", "x")
	if _, _, err := runCmd(t, "partitions", "archive", "--before", "2024-03", "--to", notDir); err == nil || !strings.Contains(err.Error(), "nothing was archived") {
		t.Errorf("archive to a file: %v", err)
	}
	if out, _, _ := runCmd(t, "partitions", "list"); !strings.Contains(out, "incident_y2024m01") || strings.Contains(out, "steps at") {
		t.Errorf("list after the failed archive:\n%s", out)
	}
	dir := t.TempDir()
	out, errOut, err = runCmd(t, "partitions", "archive", "--before", "2024-03", "--to", dir)
	if err != nil || !strings.Contains(out, "2024-01: archived 31 cases, 31 steps") || !strings.Contains(out, "2024-02: archived 29 cases, 29 steps") {
		t.Fatalf("archive: %v\n%s%s", err, out, errOut)
	}
	for _, m := range []string{"2024-01", "2024-02"} {
		if _, err := os.Stat(filepath.Join(dir, "gridmap-incidents-"+m, "manifest.json")); err != nil {
			t.Error(err)
		}
	}
	out, errOut, err = runCmd(t, "partitions", "archive", "--before", "2024-03", "--to", dir)
	if err != nil || !strings.Contains(out, "2024-01: archived already") || !strings.Contains(out, "no month before 2024-03 left to archive") {
		t.Errorf("archive again: %v\n%s%s", err, out, errOut)
	}
	out, _, err = runCmd(t, "partitions", "list")
	if err != nil || !regexp.MustCompile(`2024-02\s+-\s+-\s+.*29 cases, 29 steps at`).MatchString(out) {
		t.Errorf("list after the archive: %v\n%s", err, out)
	}
}
