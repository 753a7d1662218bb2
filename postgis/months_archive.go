package postgis

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

// ArchiveFile is one file of an archived month, as its manifest lists it.
type ArchiveFile struct {
	Name   string `json:"name"`
	Table  string `json:"table"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// ArchiveManifest is manifest.json of an archived month's directory.
type ArchiveManifest struct {
	Month         string        `json:"month"`
	SchemaVersion int64         `json:"schema_version"`
	CreatedAt     time.Time     `json:"created_at"`
	Files         []ArchiveFile `json:"files"`
}

// ArchiveResult says what ArchiveMonth did with a month.
type ArchiveResult struct {
	Month Month
	// Done: archived before; nothing was done (ArchivedAt, Dir say when
	// and where).
	Done       bool
	ArchivedAt time.Time
	Dir        string
	Incidents  int64
	Steps      int64
	Manifest   ArchiveManifest
	// Exclusive is how long incident and incident_step were locked
	// against every reader (the detach, the drops and the commit).
	Exclusive time.Duration
}

// ArchiveDirName is the directory, under the archive target, of month m's
// files.
func ArchiveDirName(m Month) string { return "gridmap-incidents-" + m.String() }

// archiveTables are the files of an archived month, in restore order
// (parents before what refers to them). %[1]s is the month's incident
// partition, %[2]s its step partition. Rows are ordered so two exports of
// the same rows are the same bytes.
var archiveTables = []struct{ file, table, query, delete string }{
	{"incidents.csv.gz", "incident", `SELECT * FROM %[1]s ORDER BY id`, ""},
	{"steps.csv.gz", "incident_step", `SELECT * FROM %[2]s ORDER BY incident_id, seq`, ""},
	{"changes.csv.gz", "incident_change",
		`SELECT c.* FROM incident_change c WHERE c.incident_id IN (SELECT id FROM %[1]s) ORDER BY c.id`,
		`DELETE FROM incident_change WHERE incident_id IN (SELECT id FROM %[1]s)`},
	{"incident_attachments.csv.gz", "incident_attachment",
		`SELECT a.* FROM incident_attachment a WHERE a.incident_id IN (SELECT id FROM %[1]s) ORDER BY a.incident_id, a.position, a.sha256`,
		`DELETE FROM incident_attachment WHERE incident_id IN (SELECT id FROM %[1]s)`},
	{"step_attachments.csv.gz", "step_attachment",
		`SELECT a.* FROM step_attachment a WHERE a.incident_id IN (SELECT id FROM %[1]s) ORDER BY a.incident_id, a.seq, a.position, a.sha256`,
		`DELETE FROM step_attachment WHERE incident_id IN (SELECT id FROM %[1]s)`},
	// A link with either end in the month: the other end, in a month still
	// held, is then counted alone.
	{"duplicates.csv.gz", "incident_duplicate",
		`SELECT d.* FROM incident_duplicate d WHERE d.duplicate_id IN (SELECT id FROM %[1]s) OR d.main_id IN (SELECT id FROM %[1]s) ORDER BY d.duplicate_id`,
		`DELETE FROM incident_duplicate WHERE duplicate_id IN (SELECT id FROM %[1]s) OR main_id IN (SELECT id FROM %[1]s)`},
}

// ArchiveMonth writes month m's cases to dir/ArchiveDirName(m) and then
// removes them from the database (see README, "Partitions"). In one
// transaction: the month's partitions are locked against writes (reads go
// on), its rollup is refreshed, every table is copied out as gzipped CSV
// with a header, each file written to a temporary name, synced and
// renamed, read back and its rows counted against the database, then
// manifest.json; only then the month is recorded in incident_archive, the
// rows of its cases in the unpartitioned tables deleted (their counts
// checked against the files) and its two partitions detached and
// dropped. incident_key keeps its cases' ids and external ids. Any failure
// rolls all of it back. A month archived before is left as it is (Done).
// The current month (by now, in China time) and the one before it are
// refused. Errors: EINVALID for those months or a month with no
// partition, EUNAVAILABLE when the partitions stay locked by others.
func (s *Store) ArchiveMonth(ctx context.Context, m Month, dir string, now time.Time) (res ArchiveResult, err error) {
	defer gridmap.Wrap(&err, "postgis.ArchiveMonth(%s)", m)
	res.Month = m
	if cur := MonthOf(now); !m.Before(cur.Add(-1)) {
		return res, gridmap.Errorf(gridmap.EINVALID, "month %s is not archived: the current month (%s) and the one before it are never archived; the latest month that can be is %s", m, cur, cur.Add(-2))
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return res, gridmap.Errorf(gridmap.EINVALID, "archive directory %s: %v", dir, err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return res, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	// One archive at a time; then the month's state cannot change under us.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(1735552368, 20)`); err != nil {
		return res, mapErr(err, "archive")
	}
	err = tx.QueryRow(ctx, `SELECT archived_at, coalesce(location, ''), coalesce(incidents, 0), coalesce(steps, 0) FROM incident_archive WHERE month = $1::date`, m.date()).
		Scan(&res.ArchivedAt, &res.Dir, &res.Incidents, &res.Steps)
	if err == nil {
		res.Done = true
		return res, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return res, mapErr(err, "archive")
	}
	parted, err := incidentPartitioned(ctx, tx)
	if err != nil {
		return res, mapErr(err, "incident")
	}
	if !parted {
		return res, gridmap.Errorf(gridmap.EINVALID, "incident is not partitioned by month: run gridmap migrate first")
	}
	ip, sp := m.IncidentPartition(), m.StepPartition()
	var have int
	if err := tx.QueryRow(ctx, `
SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE (i.inhparent = 'incident'::regclass AND c.relname = $1) OR (i.inhparent = 'incident_step'::regclass AND c.relname = $2)`, ip, sp).Scan(&have); err != nil {
		return res, mapErr(err, "partitions")
	}
	if have != 2 {
		return res, gridmap.Errorf(gridmap.EINVALID, "month %s has no partitions %s and %s to archive", m, ip, sp)
	}
	ipq, spq := pgx.Identifier{ip}.Sanitize(), pgx.Identifier{sp}.Sanitize()
	// Writes to the month's cases wait (each touches its case's row or
	// step partition); reads go on. A lock held long by others fails the
	// archive rather than queueing every writer behind it.
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
		return res, mapErr(err, "archive")
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE `+ipq+`, `+spq+` IN EXCLUSIVE MODE`); err != nil {
		return res, lockErr(err, m)
	}
	if _, err := tx.Exec(ctx, `SELECT gridmap_rollup_month($1::date)`, m.date()); err != nil {
		return res, mapErr(err, "rollups")
	}
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM `+ipq+`), (SELECT count(*) FROM `+spq+`)`).Scan(&res.Incidents, &res.Steps); err != nil {
		return res, mapErr(err, "partitions")
	}
	man := ArchiveManifest{Month: m.String(), CreatedAt: now.UTC().Truncate(time.Second)}
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&man.SchemaVersion); err != nil {
		return res, mapErr(err, "schema version")
	}
	res.Dir = filepath.Join(abs, ArchiveDirName(m))
	if err := os.MkdirAll(res.Dir, 0o750); err != nil {
		return res, gridmap.Errorf(gridmap.EINVALID, "archive directory: %v; nothing was archived", err)
	}
	for _, t := range archiveTables {
		f, err := s.exportTable(ctx, tx, res.Dir, t.file, t.table, fmt.Sprintf(t.query, ipq, spq))
		if err != nil {
			return res, err
		}
		man.Files = append(man.Files, f)
	}
	// The files hold what the partitions hold.
	if got := man.Files[0].Rows; got != res.Incidents {
		return res, fmt.Errorf("incidents.csv.gz holds %d rows, %s %d; nothing was archived", got, ip, res.Incidents)
	}
	if got := man.Files[1].Rows; got != res.Steps {
		return res, fmt.Errorf("steps.csv.gz holds %d rows, %s %d; nothing was archived", got, sp, res.Steps)
	}
	mb, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return res, err
	}
	sum := sha256.Sum256(append(mb, '\n'))
	if err := writeFileSynced(res.Dir, "manifest.json", func(w io.Writer) error { _, err := w.Write(append(mb, '\n')); return err }); err != nil {
		return res, err
	}
	if err := syncDir(res.Dir); err != nil {
		return res, err
	}
	res.Manifest = man

	// The files are complete: now the database. The deletes run under the
	// partitions' lock alone (they may take long for a large month); only
	// DETACH, which takes an ACCESS EXCLUSIVE lock on incident and
	// incident_step (PostgreSQL 15, outside DETACH CONCURRENTLY, which
	// cannot run in a transaction), stops every reader, briefly. A photo
	// link added to one of the month's cases between the deletes and the
	// detach (AttachToIncident takes no lock on the case) would stay
	// behind, a link to an archived case: kept, though not in the files.
	for i, t := range archiveTables {
		if t.delete == "" {
			continue
		}
		tag, err := tx.Exec(ctx, fmt.Sprintf(t.delete, ipq))
		if err != nil {
			return res, mapErr(err, t.table)
		}
		if n := tag.RowsAffected(); n != man.Files[i].Rows {
			return res, gridmap.Errorf(gridmap.EUNAVAILABLE, "%s of month %s changed during the archive (%d rows written, %d found); nothing was archived: run it again", t.table, m, man.Files[i].Rows, n)
		}
	}
	// A reader queued behind a waiting ACCESS EXCLUSIVE lock waits too:
	// wait little, and fail (run again) rather than stall the service.
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '3s'`); err != nil {
		return res, mapErr(err, "archive")
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE incident, incident_step IN ACCESS EXCLUSIVE MODE`); err != nil {
		return res, lockErr(err, m)
	}
	locked := time.Now()
	if _, err := tx.Exec(ctx, `
INSERT INTO incident_archive (month, archived_at, incidents, steps, location, sha256)
VALUES ($1::date, $2, $3, $4, $5, $6)`, m.date(), now, res.Incidents, res.Steps, res.Dir, hex.EncodeToString(sum[:])); err != nil {
		return res, mapErr(err, "archive")
	}
	for _, q := range []string{
		`ALTER TABLE incident_step DETACH PARTITION ` + spq,
		`ALTER TABLE incident DETACH PARTITION ` + ipq,
		`DROP TABLE ` + spq,
		`DROP TABLE ` + ipq,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return res, lockErr(err, m)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return res, mapErr(err, "archive")
	}
	res.Exclusive = time.Since(locked)
	res.ArchivedAt = now
	return res, nil
}

// lockErr is err of a lock not granted in time (55P03) or a deadlock as EUNAVAILABLE,
// else mapErr's.
func lockErr(err error, m Month) error {
	var pgErr interface{ SQLState() string }
	// 40P01: a writer to the month's cases held incident and waited for
	// the partition this transaction holds.
	if errors.As(err, &pgErr) && (pgErr.SQLState() == "55P03" || pgErr.SQLState() == "40P01") {
		return gridmap.Errorf(gridmap.EUNAVAILABLE, "month %s's partitions are held by other sessions (lock timeout); nothing was archived: run it again", m)
	}
	return mapErr(err, "partitions")
}

// exportTable copies query's rows through COPY ... TO STDOUT (FORMAT csv,
// HEADER) into dir/name, gzipped, then reads the file back: its sha256
// and its rows (CSV records after the header) must equal what was
// written and what COPY counted.
func (s *Store) exportTable(ctx context.Context, tx pgx.Tx, dir, name, table, query string) (f ArchiveFile, err error) {
	f = ArchiveFile{Name: name, Table: table}
	var copied int64
	var h hash.Hash
	err = writeFileSynced(dir, name, func(w io.Writer) error {
		h = sha256.New()
		gz := gzip.NewWriter(io.MultiWriter(w, h))
		tag, err := tx.Conn().PgConn().CopyTo(ctx, gz, `COPY (`+query+`) TO STDOUT (FORMAT csv, HEADER)`)
		if err != nil {
			return mapErr(err, table)
		}
		copied = tag.RowsAffected()
		return gz.Close()
	})
	if err != nil {
		return f, fmt.Errorf("%s: %w; nothing was archived", filepath.Join(dir, name), err)
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	sum, rows, err := ReadArchiveFile(filepath.Join(dir, name))
	switch {
	case err != nil:
		return f, fmt.Errorf("reading back %s: %w; nothing was archived", name, err)
	case sum != f.SHA256:
		return f, fmt.Errorf("%s reads back with sha256 %s, written %s; nothing was archived", name, sum, f.SHA256)
	case rows != copied:
		return f, fmt.Errorf("%s reads back with %d rows, COPY wrote %d; nothing was archived", name, rows, copied)
	}
	f.Rows = rows
	return f, nil
}

// ReadArchiveFile returns the sha256 (hex) of an archive file's bytes and
// the rows of the gzipped CSV it holds (records after the header).
func ReadArchiveFile(path string) (sum string, rows int64, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer fh.Close()
	h := sha256.New()
	gz, err := gzip.NewReader(bufio.NewReader(io.TeeReader(fh, h)))
	if err != nil {
		return "", 0, err
	}
	r := csv.NewReader(gz)
	r.FieldsPerRecord = 0 // every record as wide as the header
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return "", 0, fmt.Errorf("no CSV header: %w", err)
	}
	for {
		if _, err := r.Read(); err == io.EOF {
			break
		} else if err != nil {
			return "", 0, err
		}
		rows++
	}
	if err := gz.Close(); err != nil {
		return "", 0, err
	}
	// The gzip reader may stop before the file's end: hash the rest too.
	if _, err := io.Copy(h, fh); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), rows, nil
}

// writeFileSynced writes dir/name through a temporary file in dir that is
// synced and then renamed over name, so name is either absent, an older
// complete file, or the new complete one.
func writeFileSynced(dir, name string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
