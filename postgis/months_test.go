package postgis_test

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// monthsFixtureSQL fills months 2024-01 … 2024-04 (China time) with 240
// cases 11 hours apart, the first at 2024-01-01 00:00+08 and two on the
// edge of January and February; 1–3 steps each, changes, report photos
// and step photos (one photo shared by a January and a March case), and
// duplicate links inside January and across January and February.
// Descriptions carry commas, quotes, newlines and Chinese, for the CSV.
const monthsFixtureSQL = `
SELECT gridmap_ensure_incident_month(m::date) FROM unnest(ARRAY['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01']) AS m;
CREATE TEMP TABLE fx AS
SELECT g, 'T-' || g AS ext,
    CASE g WHEN 239 THEN timestamptz '2024-01-31 23:59:59.999+08' WHEN 240 THEN timestamptz '2024-02-01 00:00+08'
        ELSE timestamptz '2024-01-01 00:00+08' + (g - 1) * interval '11 hours' END AS at
FROM generate_series(1, 240) AS g;
INSERT INTO incident_key (external_id, reported_at) SELECT ext, at FROM fx ORDER BY g;
INSERT INTO incident (id, external_id, category, source, status, reported_at, location, grid_code, boundary_version,
    description, reporter_name, reporter_phone)
SELECT k.id, k.external_id, (ARRAY['dispute', 'hazard', 'petition'])[1 + g % 3], 'hotline',
    (ARRAY['reported', 'accepted', 'closed', 'in_progress'])[1 + g % 4], k.reported_at,
    ST_SetSRID(ST_MakePoint(116.8 + g * 0.0001, 35.5), 4326), (ARRAY['G1', 'G2', NULL])[1 + g % 5 % 3], 1,
    '楼道堆物, "消防" 通道' || E'\n第二行 ' || g, '张三', '139-0000-' || lpad(g::text, 4, '0')
FROM fx JOIN incident_key k ON k.external_id = fx.ext;
INSERT INTO incident_step (incident_id, seq, step, at, actor_person, actor_role, note, reported_at)
SELECT k.id, s, (ARRAY['register', 'dispatch', 'resolve'])[s], k.reported_at + s * interval '1 hour', '李四', 'dispatcher',
    'note, "quoted"' || E'\n' || s, k.reported_at
FROM incident_key k, generate_series(1, 3) AS s WHERE s <= 1 + k.id % 3;
INSERT INTO incident_change (incident_id, actor, change)
SELECT id, 'desk', jsonb_build_object('status', jsonb_build_object('from', 'reported', 'to', 'accepted')) FROM incident_key WHERE id % 4 = 0;
INSERT INTO attachment (sha256, media_type, bytes, size)
SELECT sha256(b), 'image/jpeg', b, octet_length(b) FROM (VALUES ('photo one'::bytea), ('photo two'::bytea)) AS v(b);
INSERT INTO incident_attachment (incident_id, sha256, position)
SELECT id, sha256('photo one'::bytea), 1 FROM incident_key WHERE id % 7 = 0;
INSERT INTO step_attachment (incident_id, seq, sha256, position)
SELECT incident_id, seq, sha256('photo two'::bytea), 1 FROM incident_step WHERE seq = 2 AND incident_id % 2 = 0;
INSERT INTO incident_duplicate (duplicate_id, main_id, linked_by)
SELECT k.id, k.id - 1, 'desk' FROM incident_key k WHERE k.id IN (3, 10, 20);
INSERT INTO incident_duplicate (duplicate_id, main_id, linked_by)
SELECT (SELECT id FROM incident_key WHERE external_id = 'T-240'), (SELECT id FROM incident_key WHERE external_id = 'T-5'), 'desk';
`

// monthCountsSQL: every month's cases by grid, category and status, as
// the rollup keys them.
const monthCountsSQL = `
SELECT to_char(gridmap_incident_month(reported_at), 'YYYY-MM') || '|' || coalesce(grid_code, '') || '|' || category || '|' || status, count(*)
FROM incident GROUP BY 1`

// dependentsSQL: rows of the tables that point at cases, by table and
// the month of their case.
const dependentsSQL = `
SELECT t || '|' || coalesce(to_char(gridmap_incident_month(k.reported_at), 'YYYY-MM'), '-'), count(*)
FROM (SELECT 'incident_step' AS t, incident_id AS id FROM incident_step
      UNION ALL SELECT 'incident_change', incident_id FROM incident_change
      UNION ALL SELECT 'incident_attachment', incident_id FROM incident_attachment
      UNION ALL SELECT 'step_attachment', incident_id FROM step_attachment
      UNION ALL SELECT 'incident_duplicate', duplicate_id FROM incident_duplicate
      UNION ALL SELECT 'attachment', NULL FROM attachment) AS d
LEFT JOIN incident_key k ON k.id = d.id GROUP BY 1`

func countsBy(t *testing.T, c *pgx.Conn, q string) map[string]int64 {
	t.Helper()
	rows, err := c.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	var k string
	var n int64
	if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error { m[k] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

// onlyMonth keeps the entries of counts whose key's month (the field
// after the first "|" for dependents, the first field for counts) is or
// is not month.
func onlyMonth(counts map[string]int64, field int, month string, keep bool) map[string]int64 {
	out := map[string]int64{}
	for k, n := range counts {
		if (strings.Split(k, "|")[field] == month) == keep {
			out[k] = n
		}
	}
	return out
}

// monthsDB is a test database holding monthsFixtureSQL, with a connection
// and a store on it, closed at the end of the test.
func monthsDB(t *testing.T) (string, *pgx.Conn, *postgis.Store) {
	t.Helper()
	ctx := context.Background()
	url := testdb.URL(t)
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	if _, err := c.Exec(ctx, monthsFixtureSQL); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return url, c, st
}

// TestArchiveMonth archives 2024-01 of four months of cases: the files
// hold, row for row, what the database held (read back from the gzipped
// CSV against the manifest's counts and sha256), the month's partitions
// are gone, its rollup keeps its counts by grid, category and status,
// the other months and the shared photos are untouched, the case reads
// as gone and its month refuses new partitions, and a second run does
// nothing. A failure half-way (a file that cannot be renamed into place)
// changes nothing in the database.
func TestArchiveMonth(t *testing.T) {
	ctx := context.Background()
	url, c, st := monthsDB(t)
	jan, feb := postgis.Month{Year: 2024, Month: time.January}, postgis.Month{Year: 2024, Month: time.February}
	now := time.Date(2024, 5, 20, 10, 0, 0, 0, gridmap.ChinaTime)
	before := countsBy(t, c, monthCountsSQL)
	deps := countsBy(t, c, dependentsSQL)
	var janIDs []int64
	if rows, err := c.Query(ctx, `SELECT id FROM incident WHERE reported_at < '2024-02-01 00:00+08' ORDER BY id`); err == nil {
		janIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil || len(janIDs) < 60 {
			t.Fatalf("January's cases: %d, %v", len(janIDs), err)
		}
	}
	// The fixture is what it says: January's edge case in January, the
	// cross-month link there, photos in several months.
	if deps["incident_duplicate|2024-02"] != 1 || deps["incident_attachment|2024-03"] == 0 || deps["step_attachment|2024-01"] == 0 {
		t.Fatalf("fixture dependents: %v", deps)
	}

	// The current month and the one before it are refused.
	for _, m := range []postgis.Month{postgis.MonthOf(now), postgis.MonthOf(now).Add(-1)} {
		if _, err := st.ArchiveMonth(ctx, m, t.TempDir(), now); gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(err.Error(), "never archived") {
			t.Errorf("archive %s in %s: %v, want EINVALID saying it is never archived", m, postgis.MonthOf(now), err)
		}
	}

	// A failure half-way: February's changes.csv.gz cannot be renamed into
	// place (a directory holds its name); its incidents and steps files are
	// written by then.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, postgis.ArchiveDirName(feb), "changes.csv.gz"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ArchiveMonth(ctx, feb, dir, now); err == nil {
		t.Fatal("archive of February with changes.csv.gz blocked: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, postgis.ArchiveDirName(feb), "steps.csv.gz")); err != nil {
		t.Errorf("the failure was not half-way: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, postgis.ArchiveDirName(feb), "manifest.json")); err == nil {
		t.Error("manifest.json written for a failed archive")
	}
	if got := countsBy(t, c, monthCountsSQL); !reflect.DeepEqual(got, before) {
		t.Errorf("cases after the failed archive differ from before")
	}
	if got := countsBy(t, c, dependentsSQL); !reflect.DeepEqual(got, deps) {
		t.Errorf("dependents after the failed archive: %v, want %v", got, deps)
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT (SELECT count(*) FROM incident_archive) + (SELECT count(*) FROM incident_month_rollup_state)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("archive and rollup rows after the failed archive: %d, %v", n, err)
	}

	// January.
	res, err := st.ArchiveMonth(ctx, jan, dir, now)
	if err != nil {
		t.Fatalf("archive January: %v", err)
	}
	janCases := sum(onlyMonth(before, 0, "2024-01", true))
	if res.Done || res.Incidents != janCases || res.Steps != deps["incident_step|2024-01"] {
		t.Errorf("result %+v, want %d cases, %d steps", res, janCases, deps["incident_step|2024-01"])
	}
	wantRows := map[string]int64{
		"incident": janCases, "incident_step": deps["incident_step|2024-01"], "incident_change": deps["incident_change|2024-01"],
		"incident_attachment": deps["incident_attachment|2024-01"], "step_attachment": deps["step_attachment|2024-01"],
		// Links with either end in January: three inside it, one from February.
		"incident_duplicate": deps["incident_duplicate|2024-01"] + 1,
	}
	mdir := filepath.Join(dir, postgis.ArchiveDirName(jan))
	mb, err := os.ReadFile(filepath.Join(mdir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man postgis.ArchiveManifest
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatal(err)
	}
	if man.Month != "2024-01" || man.SchemaVersion < 21 || len(man.Files) != len(wantRows) {
		t.Errorf("manifest %+v", man)
	}
	for _, f := range man.Files {
		sum, rows, err := postgis.ReadArchiveFile(filepath.Join(mdir, f.Name))
		if err != nil || sum != f.SHA256 || rows != f.Rows || rows != wantRows[f.Table] {
			t.Errorf("%s: sha256 %s rows %d (%v); manifest %s rows %d; the database held %d", f.Name, sum, rows, err, f.SHA256, f.Rows, wantRows[f.Table])
		}
	}
	// The cases themselves, read back: January's ids, personal data whole.
	recs := readCSV(t, filepath.Join(mdir, "incidents.csv.gz"))
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var gotIDs []int64
	for _, r := range recs[1:] {
		var id int64
		if err := json.Unmarshal([]byte(r[col["id"]]), &id); err != nil {
			t.Fatal(err)
		}
		gotIDs = append(gotIDs, id)
		if !strings.HasPrefix(r[col["description"]], "楼道堆物, \"消防\" 通道\n第二行 ") || r[col["reporter_name"]] != "张三" {
			t.Fatalf("case %d read back as %q", id, r[col["description"]])
		}
	}
	if !reflect.DeepEqual(gotIDs, janIDs) {
		t.Errorf("incidents.csv.gz ids %v, want %v", gotIDs, janIDs)
	}
	var manSum string
	if err := c.QueryRow(ctx, `SELECT sha256 FROM incident_archive WHERE month = '2024-01-01'`).Scan(&manSum); err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(mb); hex.EncodeToString(h[:]) != manSum {
		t.Errorf("incident_archive.sha256 %s is not the manifest's", manSum)
	}

	// The partitions are gone; the keys stay.
	if err := c.QueryRow(ctx, `
SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname LIKE '%y2024m01'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("January's partitions in pg_inherits: %d, %v", n, err)
	}
	if err := c.QueryRow(ctx, `SELECT (to_regclass('incident_y2024m01') IS NOT NULL)::int + (to_regclass('incident_step_y2024m01') IS NOT NULL)::int`).Scan(&n); err != nil || n != 0 {
		t.Errorf("January's tables left: %d, %v", n, err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM incident_key WHERE id = ANY($1)`, janIDs).Scan(&n); err != nil || n != len(janIDs) {
		t.Errorf("January's keys: %d of %d, %v", n, len(janIDs), err)
	}

	// January's counts live on in its rollup; the other months are as they were.
	rolled := countsBy(t, c, `SELECT to_char(month, 'YYYY-MM') || '|' || grid_code || '|' || category || '|' || status, incidents FROM incident_month_rollup WHERE month = '2024-01-01'`)
	if want := onlyMonth(before, 0, "2024-01", true); !reflect.DeepEqual(rolled, want) {
		t.Errorf("January's rollup %v, want %v", rolled, want)
	}
	if got, want := countsBy(t, c, monthCountsSQL), onlyMonth(before, 0, "2024-01", false); !reflect.DeepEqual(got, want) {
		t.Errorf("other months after the archive %v, want %v", got, want)
	}
	afterDeps := countsBy(t, c, dependentsSQL)
	wantDeps := onlyMonth(deps, 1, "2024-01", false)
	wantDeps["incident_duplicate|2024-02"]-- // its main case was January's
	if wantDeps["incident_duplicate|2024-02"] == 0 {
		delete(wantDeps, "incident_duplicate|2024-02")
	}
	if !reflect.DeepEqual(afterDeps, wantDeps) {
		t.Errorf("dependents after the archive %v, want %v", afterDeps, wantDeps)
	}
	// A refresh leaves an archived month's rollup alone.
	if rs, err := st.RollupMonths(ctx, []postgis.Month{jan}); err != nil || len(rs) != 1 || !rs[0].Frozen || rs[0].Incidents != janCases {
		t.Errorf("refresh January: %+v, %v", rs, err)
	}

	// An archived case is gone, naming its month; its month takes no partitions.
	if _, err := st.Incident(ctx, janIDs[0]); gridmap.ErrorCode(err) != gridmap.EGONE || !strings.Contains(gridmap.ErrorMessage(err), "2024-01") {
		t.Errorf("Incident(%d) of January: %v, want EGONE naming 2024-01", janIDs[0], err)
	}
	if _, err := c.Exec(ctx, `SELECT gridmap_ensure_incident_month('2024-01-01')`); err == nil || !strings.Contains(err.Error(), "month 2024-01 is archived") {
		t.Errorf("ensure January: %v", err)
	}

	// Again: nothing to do.
	res2, err := st.ArchiveMonth(ctx, jan, t.TempDir(), now)
	if err != nil || !res2.Done || res2.Dir != mdir {
		t.Errorf("archive January again: %+v, %v", res2, err)
	}
	ms, err := st.Months(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, mi := range ms {
		s := mi.Month.String()
		if !mi.ArchivedAt.IsZero() {
			s += " archived"
		}
		if mi.Partition != "" {
			s += " " + mi.Partition
		}
		listed = append(listed, s)
		if mi.Partition != "" && mi.Incidents != sum(onlyMonth(before, 0, mi.Month.String(), true)) {
			t.Errorf("%s: %d cases listed, want %d", mi.Month, mi.Incidents, sum(onlyMonth(before, 0, mi.Month.String(), true)))
		}
	}
	if len(listed) < 5 || listed[0] != "2024-01 archived" || listed[1] != "2024-02 incident_y2024m02" {
		t.Errorf("months listed: %v", listed)
	}

	// The README's restore, as written, brings January back whole.
	restoreFromReadme(t, url, "2024-01", mdir)
	if got := countsBy(t, c, monthCountsSQL); !reflect.DeepEqual(got, before) {
		t.Errorf("cases after the restore %v, want %v", got, before)
	}
	if got := countsBy(t, c, dependentsSQL); !reflect.DeepEqual(got, deps) {
		t.Errorf("dependents after the restore %v, want %v", got, deps)
	}
	if in, err := st.Incident(ctx, janIDs[0]); err != nil || in.Reporter == nil || in.Reporter.Name != "张三" {
		t.Errorf("Incident(%d) after the restore: %+v, %v", janIDs[0], in, err)
	}
	rolled = countsBy(t, c, `SELECT to_char(month, 'YYYY-MM') || '|' || grid_code || '|' || category || '|' || status, incidents FROM incident_month_rollup WHERE month = '2024-01-01'`)
	if want := onlyMonth(before, 0, "2024-01", true); !reflect.DeepEqual(rolled, want) {
		t.Errorf("January's rollup after the restore %v, want %v", rolled, want)
	}
}

// restoreFromReadme runs README.md's commands that restore a month (the
// sh block after "To restore a month"), with M, D and DATABASE_URL set
// instead of the example's first line.
func restoreFromReadme(t *testing.T, url, month, dir string) {
	t.Helper()
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql is needed to run the README's restore")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "To restore a month")
	_, rest, ok2 := strings.Cut(rest, "```sh\n")
	block, _, ok3 := strings.Cut(rest, "```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no restore commands")
	}
	_, script, _ := strings.Cut(block, "\n") // M=… D=…: from the environment here
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Env = append(os.Environ(), "M="+month, "D="+dir, "DATABASE_URL="+url)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's restore: %v\n%s", err, out)
	}
}

func sum(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(gz).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestArchiveWaitsForWriters: a transaction writing to a case of the
// month holds the archive back until it commits, and its step is in the
// files, not lost between the copy and the detach.
func TestArchiveWaitsForWriters(t *testing.T) {
	ctx := context.Background()
	url, c, st := monthsDB(t)
	var id, steps int64
	if err := c.QueryRow(ctx, `SELECT min(id), (SELECT count(*) FROM incident_step WHERE reported_at < '2024-02-01 00:00+08') FROM incident WHERE reported_at < '2024-02-01 00:00+08'`).Scan(&id, &steps); err != nil {
		t.Fatal(err)
	}
	w, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	tx, err := w.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `
INSERT INTO incident_step (incident_id, seq, step, at, actor_person, actor_role, reported_at)
SELECT id, 9, 'close', reported_at + interval '2 days', '李四', 'dispatcher', reported_at FROM incident WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	done := make(chan error, 1)
	var res postgis.ArchiveResult
	go func() {
		var err error
		res, err = st.ArchiveMonth(ctx, postgis.Month{Year: 2024, Month: time.January}, dir, time.Date(2024, 6, 1, 0, 0, 0, 0, gridmap.ChinaTime))
		done <- err
	}()
	// Until the archive waits for the writer's lock, or ends without
	// (bounded: 6,000 looks, generous for a busy machine).
	waiting := false
	for i := 0; i < 6000 && !waiting; i++ {
		select {
		case err := <-done:
			t.Fatalf("the archive ended (%v) without waiting for the writer", err)
		default:
		}
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class r ON r.oid = l.relation WHERE NOT l.granted AND r.relname = 'incident_step_y2024m01')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if !waiting {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !waiting {
		t.Fatal("the archive never waited for the writer")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("archive: %v", err)
	}
	_, rows, err := postgis.ReadArchiveFile(filepath.Join(res.Dir, "steps.csv.gz"))
	if err != nil || rows != steps+1 || res.Steps != steps+1 {
		t.Errorf("steps.csv.gz holds %d steps (%v), result %d; want %d with the writer's", rows, err, res.Steps, steps+1)
	}
}
