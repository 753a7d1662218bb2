package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
)

// incidentStageColumns are the columns ImportIncidents copies into its
// stage table, in the order incidentStageRow writes them.
var incidentStageColumns = []string{
	"idx", "line", "external_id", "category", "source", "status", "reported_at",
	"accepted_at", "in_progress_at", "resolved_at", "replied_at", "closed_at",
	"department", "deadline", "lon", "lat", "grid_code", "boundary_version",
	"description", "reporter_name", "reporter_phone",
}

// createIncidentStageSQL holds one import's rows until they are checked.
const createIncidentStageSQL = `
CREATE TEMP TABLE incident_stage (
    idx int NOT NULL, line int NOT NULL,
    -- The id the row gets if its external id is new (migration 00020).
    id bigint NOT NULL DEFAULT nextval('incident_id_seq'),
    external_id text NOT NULL, category text NOT NULL, source text NOT NULL, status text NOT NULL,
    reported_at timestamptz NOT NULL,
    accepted_at timestamptz, in_progress_at timestamptz, resolved_at timestamptz,
    replied_at timestamptz, closed_at timestamptz,
    department text NOT NULL, deadline timestamptz,
    lon float8 NOT NULL, lat float8 NOT NULL, grid_code text, boundary_version bigint NOT NULL,
    description text NOT NULL, reporter_name text NOT NULL, reporter_phone text NOT NULL
) ON COMMIT DROP`

// Checks on the staged rows; each yields (idx, line, external_id, field, message).
const (
	// The duplicates are found by a hash aggregate first (no sort of the
	// whole stage), then their items listed.
	incidentStageDupSQL = `
WITH d AS (SELECT external_id, min(idx) AS first FROM incident_stage
           GROUP BY external_id HAVING count(*) > 1)
SELECT s.idx, s.line, s.external_id, 'external_id',
       format('duplicate external_id: item %s of this batch has it too', d.first)
FROM incident_stage s JOIN d ON d.external_id = s.external_id
WHERE s.idx <> d.first`
	// NOT IN over the small category table is one hashed subplan.
	incidentStageCategorySQL = `
SELECT s.idx, s.line, s.external_id, 'category', format('unknown category %s', s.category)
FROM incident_stage s
WHERE s.category NOT IN (SELECT name FROM incident_category)`
)

// incidentStageArchivedSQL finds the new cases of a stage reported in an
// archived month whose partition is gone, the months
// gridmap_ensure_incident_month refuses to make again (a re-import of an
// archived case is a duplicate, as any stored before); nothing is read
// while no month is archived.
var incidentStageArchivedSQL = `
SELECT s.idx, s.line, s.external_id, 'reported_at', format('` + archivedMonthMessage("%s") + `', to_char(a.month, 'YYYY-MM'))
FROM incident_stage s JOIN incident_archive a ON a.month = gridmap_incident_month(s.reported_at)
WHERE EXISTS (SELECT 1 FROM incident_archive)
  AND to_regclass('incident_' || to_char(a.month, '"y"YYYY"m"MM')) IS NULL
  AND NOT EXISTS (SELECT 1 FROM incident_key k WHERE k.external_id = s.external_id)`

// insertKeysSQL stores the keys of the checked stage (migration 00020:
// incident_key keeps external ids unique across the monthly partitions);
// an external id stored already is left alone (the idempotent re-post).
const insertKeysSQL = `
INSERT INTO incident_key (id, external_id, reported_at)
SELECT id, external_id, reported_at FROM incident_stage
ON CONFLICT (external_id) DO NOTHING`

// insertIncidentsSQL moves the checked stage into incident (in the order
// COPY wrote it: a sort would spill to disk for large imports), with the
// ids insertKeysSQL stored. When it stored a key for every row (a new
// batch: no join at all) the rows are taken whole, else (%s) only those
// whose key it stored.
const insertIncidentsSQL = `
WITH ins AS (
    INSERT INTO incident (id, external_id, category, source, status, reported_at,
        accepted_at, in_progress_at, resolved_at, replied_at, closed_at,
        department, deadline, location, grid_code, boundary_version,
        description, reporter_name, reporter_phone, created_by_token, created_by)
    SELECT id, external_id, category, source, status, reported_at,
        accepted_at, in_progress_at, resolved_at, replied_at, closed_at,
        department, deadline, ST_SetSRID(ST_MakePoint(lon, lat), 4326), grid_code, boundary_version,
        description, reporter_name, reporter_phone, $1, $2
    FROM incident_stage s %s
    RETURNING grid_code)
SELECT count(*), count(*) FILTER (WHERE grid_code IS NULL) FROM ins`

// stagedItemsSQL lists every staged row with the incident now stored under
// its external id: the new one, or the one stored before.
const stagedItemsSQL = `
SELECT s.idx, i.txid = pg_current_xact_id(), ` + incidentColumns + `
FROM incident_stage s JOIN incident_key k ON k.external_id = s.external_id
    JOIN incident i ON i.id = k.id AND i.reported_at = k.reported_at
ORDER BY s.idx`

// ImportIncidents stores rows in one transaction: COPY into a temporary
// stage, checks (rows yielding a *gridmap.ItemError, duplicate external
// ids within the batch, unknown categories), then one INSERT … ON CONFLICT
// (external_id) DO NOTHING, so an external id stored before is left as it
// is and counted as existing. Each new incident records opts.By as who
// created it.
//
// Without opts.Partial any problem refuses the whole batch: an EINVALID
// *gridmap.Error whose Details is the []gridmap.ItemError (at most 500),
// nothing written. With it the good rows are stored and the problems are
// returned in the result. With opts.Items the result lists every good row's
// stored incident (public fields), in input order. An error that is not an
// ItemError from rows aborts the import.
func (s *Store) ImportIncidents(ctx context.Context, opts gridmap.ImportIncidentsOptions, rows iter.Seq2[gridmap.IncidentRow, error]) (res gridmap.ImportIncidentsResult, err error) {
	defer gridmap.Wrap(&err, "postgis.ImportIncidents")
	var problems []gridmap.ItemError
	bad := map[int]bool{}
	seen := -1 // the highest item index seen
	// The rows are read, checked and assigned on their own goroutine, a
	// batch at a time, while this one feeds COPY: two cores, not one.
	pctx, cancel := context.WithCancel(ctx)
	batches := make(chan stageBatch, 4)
	go produceStage(pctx, rows, batches)
	defer func() {
		cancel()
		for range batches { // let the producer finish
		}
	}()
	// A batch of one good row (a single post, a field report) is one
	// round trip (insertOne): no transaction block, stage or COPY. The
	// producer sends its first batch when it has stageBatchRows rows or
	// the input ends, so a second receive tells whether that was all.
	var pending []stageBatch // received before COPY, fed to it first
	if first, ok := <-batches; ok {
		pending = append(pending, first)
		if first.err == nil && len(first.problems) == 0 && len(first.rows) == 1 {
			second, ok := <-batches
			if !ok {
				return res, s.insertOne(ctx, opts, first, &res)
			}
			pending = append(pending, second)
		}
	}
	// With a data version, the transaction begins with a share lock on it
	// and its check, in one round trip (migration 00013): a publication
	// takes it for update before it moves incidents (publishTx), so either
	// it waits for these rows and moves them, or they wait for it and are
	// assigned again under its map.
	var txo pgx.TxOptions
	if opts.BoundaryVersion > 0 {
		txo.BeginQuery = fmt.Sprintf("BEGIN; SELECT gridmap_check_data_version(%d)", opts.BoundaryVersion)
	}
	tx, err := s.pool.BeginTx(ctx, txo)
	if err != nil {
		return res, staleOrMapped(err, opts.BoundaryVersion)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, createIncidentStageSQL); err != nil {
		return res, mapErr(err, "incidents")
	}
	// Room for the hash aggregate of the duplicate check.
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
		return res, mapErr(err, "incidents")
	}
	var cur stageBatch
	var fatal error
	months := map[int]bool{} // of the rows copied (monthKey), for their partitions
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for len(cur.rows) == 0 {
			var b stageBatch
			ok := len(pending) > 0
			if ok {
				b, pending = pending[0], pending[1:]
			} else {
				b, ok = <-batches
			}
			if !ok {
				return nil, nil
			}
			problems = append(problems, b.problems...)
			for _, p := range b.problems {
				bad[p.Index] = true
			}
			seen = max(seen, b.maxIndex)
			if b.err != nil {
				fatal = b.err
				return nil, b.err
			}
			cur = b
		}
		row := cur.rows[0]
		cur.rows = cur.rows[1:]
		months[monthKey(row[6].(time.Time))] = true
		return row, nil
	})
	stageRows, err := tx.CopyFrom(ctx, pgx.Identifier{"incident_stage"}, incidentStageColumns, src)
	if err != nil {
		if fatal != nil {
			return res, fatal
		}
		return res, mapErr(err, "incidents")
	}
	// Readers number items densely from 0, bad ones included.
	res.Read = seen + 1
	for _, q := range []string{incidentStageDupSQL, incidentStageCategorySQL, incidentStageArchivedSQL} {
		p, err := stageProblems(ctx, tx, q)
		if err != nil {
			return res, mapErr(err, "incidents")
		}
		for _, it := range p {
			bad[it.Index] = true
		}
		problems = append(problems, p...)
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Index < problems[j].Index })
	if len(problems) > 0 && !opts.Partial {
		return res, refusedBatch(len(bad), res.Read, problems)
	}
	if len(bad) > 0 {
		idx := make([]int32, 0, len(bad))
		for i := range bad {
			idx = append(idx, int32(i))
		}
		tag, err := tx.Exec(ctx, `DELETE FROM incident_stage WHERE idx = ANY($1)`, idx)
		if err != nil {
			return res, mapErr(err, "incidents")
		}
		stageRows -= tag.RowsAffected()
	}
	if len(problems) > maxListedProblems {
		problems = problems[:maxListedProblems]
	}
	res.Errors = problems
	staged := res.Read - len(bad)
	ms := make([]string, 0, len(months))
	for m := range months {
		ms = append(ms, fmt.Sprintf("%04d-%02d-01", m/12, m%12+1))
	}
	if err := s.ensureStagedMonths(ctx, tx, ms); err != nil {
		return res, err
	}
	tag, err := tx.Exec(ctx, insertKeysSQL)
	if err != nil {
		return res, mapErr(err, "incidents")
	}
	only := ""
	if tag.RowsAffected() != stageRows {
		only = "WHERE EXISTS (SELECT 1 FROM incident_key k WHERE k.id = s.id)"
	}
	if err := tx.QueryRow(ctx, fmt.Sprintf(insertIncidentsSQL, only), tokenArg(opts.By), opts.By.Name).Scan(&res.Created, &res.Unassigned); err != nil {
		return res, mapErr(err, "incidents")
	}
	res.Existing = staged - res.Created
	if opts.Items {
		rows, err := tx.Query(ctx, stagedItemsSQL)
		if err != nil {
			return res, mapErr(err, "incidents")
		}
		res.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridmap.ItemResult, error) {
			var it gridmap.ItemResult
			var sc incidentScan
			err := r.Scan(append([]any{&it.Index, &it.Created}, sc.dest()...)...)
			it.Incident = sc.incident()
			return it, err
		})
		if err != nil {
			return res, mapErr(err, "incidents")
		}
	}
	return res, mapErr(s.commitIncidents(ctx, tx), "incidents")
}

// refusedBatch is the error of an import refused for its problems (bad
// of read items have them): nothing stored, the first maxListedProblems
// listed.
func refusedBatch(bad, read int, problems []gridmap.ItemError) error {
	msg := fmt.Sprintf("%d of %d incidents have problems (%d problems); nothing was stored (send ?partial=true to store the good ones)", bad, read, len(problems))
	if len(problems) > maxListedProblems {
		problems = problems[:maxListedProblems]
		msg += fmt.Sprintf("; the first %d are listed", maxListedProblems)
	}
	return &gridmap.Error{Code: gridmap.EINVALID, Message: msg, Details: problems}
}

// insertOneSQL stores one row of incidentStageColumns (from external_id
// on) when its category exists, leaving an external id stored
// before alone, and returns it (created: it is new).
// The key first, as insertIncidentsSQL: one statement, so still one
// round trip.
const insertOneSQL = `
WITH k AS (
    INSERT INTO incident_key (external_id, reported_at)
    SELECT $1, $5 WHERE EXISTS (SELECT 1 FROM incident_category WHERE name = $2)
    ON CONFLICT (external_id) DO NOTHING
    RETURNING id)
INSERT INTO incident AS i (id, external_id, category, source, status, reported_at,
    accepted_at, in_progress_at, resolved_at, replied_at, closed_at,
    department, deadline, location, grid_code, boundary_version,
    description, reporter_name, reporter_phone, created_by_token, created_by)
SELECT k.id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ST_SetSRID(ST_MakePoint($13, $14), 4326), $15, $16,
    $17, $18, $19, $20, $21
FROM k
RETURNING ` + incidentColumns

// insertOne stores the one row of b (ImportIncidents' single-row path):
// the same outcome as the stage for one row. The data version check and
// the INSERT go in one pipeline ending in one Sync: one round trip, one
// implicit transaction (PostgreSQL commits at the Sync, and a failed
// check skips the INSERT), so the check's share lock is held until the
// row is committed, as in the batch path's transaction.
func (s *Store) insertOne(ctx context.Context, opts gridmap.ImportIncidentsOptions, b stageBatch, res *gridmap.ImportIncidentsResult) error {
	row := b.rows[0]
	idx, ext, cat := int(row[0].(int32)), row[2].(string), row[3].(string)
	res.Read = b.maxIndex + 1
	sc, created, err := s.sendOne(ctx, opts, row)
	if isNoPartition(err) {
		// The first case of its month: make the month, then once more.
		if err := s.ensureIncidentMonths(ctx, []string{incidentMonth(row[6].(time.Time))}); err != nil {
			return err
		}
		sc, created, err = s.sendOne(ctx, opts, row)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		// Stored before, or an unknown category.
		err = s.pool.QueryRow(ctx, `SELECT `+incidentColumns+` FROM incident_key k
JOIN incident i ON i.id = k.id AND i.reported_at = k.reported_at
WHERE k.external_id = $1`, ext).Scan(sc.dest()...)
		if errors.Is(err, pgx.ErrNoRows) {
			if a := s.archivedExternalID(ctx, ext); a != nil {
				return a // stored before, in a month archived since
			}
		}
		if errors.Is(err, pgx.ErrNoRows) {
			p := gridmap.ItemError{Index: idx, Line: int(row[1].(int32)), Code: ext, Field: "category", Message: fmt.Sprintf("unknown category %s", cat)}
			if !opts.Partial {
				return refusedBatch(1, res.Read, []gridmap.ItemError{p})
			}
			res.Errors = []gridmap.ItemError{p}
			return nil
		}
	}
	if err != nil {
		return staleOrMapped(err, opts.BoundaryVersion)
	}
	in := sc.incident()
	if created {
		s.notifyIncidents()
		res.Created = 1
		if in.GridCode == "" {
			res.Unassigned = 1
		}
	} else {
		res.Existing = 1
	}
	if opts.Items {
		res.Items = []gridmap.ItemResult{{Index: idx, Created: created, Incident: in}}
	}
	return nil
}

// sendOne is insertOne's round trip: the row stored (created), or
// pgx.ErrNoRows when it was not (stored before, or an unknown category).
func (s *Store) sendOne(ctx context.Context, opts gridmap.ImportIncidentsOptions, row []any) (sc incidentScan, created bool, err error) {
	var batch pgx.Batch
	if opts.BoundaryVersion > 0 {
		batch.Queue(`SELECT gridmap_check_data_version($1)`, opts.BoundaryVersion)
	}
	batch.Queue(insertOneSQL, append(row[2:len(row):len(row)], tokenArg(opts.By), opts.By.Name)...)
	br := s.pool.SendBatch(ctx, &batch)
	if opts.BoundaryVersion > 0 {
		_, err = br.Exec()
	}
	if err == nil {
		err = br.QueryRow().Scan(sc.dest()...)
	}
	if cerr := br.Close(); err == nil || errors.Is(err, pgx.ErrNoRows) && cerr != nil {
		err = cerr // the commit's own error
	}
	return sc, err == nil, err
}

// staleOrMapped is err of an import assigned under data version have:
// the retryable stale-grids error when gridmap_check_data_version
// refused it (GM001, the current version in its detail), else mapErr's.
func staleOrMapped(err error, have int64) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "GM001" {
		cur, _ := strconv.ParseInt(pgErr.Detail, 10, 64)
		return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Details: gridmap.StaleGrids{Have: have, Current: cur},
			Message: fmt.Sprintf("the grids changed (data version %d, assigned under %d) while the incidents were being assigned; retry", cur, have)}
	}
	return mapErr(err, "incidents")
}

// stageBatch is a run of rows ready for COPY, with the problems found
// among them; err is a fatal error of the input, after which nothing more
// comes.
type stageBatch struct {
	rows     [][]any
	problems []gridmap.ItemError
	maxIndex int
	err      error
}

const stageBatchRows = 2048

// produceStage reads rows into batches on out, until rows end, a fatal
// error, or ctx ends; it closes out.
func produceStage(ctx context.Context, rows iter.Seq2[gridmap.IncidentRow, error], out chan<- stageBatch) {
	defer close(out)
	b := stageBatch{maxIndex: -1}
	send := func() bool {
		select {
		case out <- b:
			full := len(b.rows) == stageBatchRows
			b = stageBatch{maxIndex: b.maxIndex}
			if full { // more may come: room for a whole batch at once
				b.rows = make([][]any, 0, stageBatchRows)
			}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for row, err := range rows {
		var ie *gridmap.ItemError
		switch {
		case errors.As(err, &ie):
			b.problems = append(b.problems, *ie)
			b.maxIndex = max(b.maxIndex, ie.Index)
			continue
		case err != nil:
			b.err = err
			send()
			return
		}
		b.maxIndex = max(b.maxIndex, row.Index)
		b.rows = append(b.rows, incidentStageRow(row))
		if len(b.rows) == stageBatchRows && !send() {
			return
		}
	}
	if len(b.rows) > 0 || len(b.problems) > 0 || b.maxIndex >= 0 {
		send()
	}
}

func incidentStageRow(r gridmap.IncidentRow) []any {
	in := &r.Incident
	step := func(s gridmap.Status) any {
		if t, ok := in.StepAt[s]; ok {
			return t
		}
		return nil
	}
	var grid any
	if in.GridCode != "" {
		grid = in.GridCode
	}
	var name, phone string
	if in.Reporter != nil {
		name, phone = in.Reporter.Name, in.Reporter.Phone
	}
	status := in.Status
	if status == "" {
		status = gridmap.StatusReported
	}
	return []any{
		int32(r.Index), int32(r.Line), in.ExternalID, string(in.Category), string(in.Source), string(status), in.ReportedAt,
		step(gridmap.StatusAccepted), step(gridmap.StatusInProgress), step(gridmap.StatusResolved),
		step(gridmap.StatusReplied), step(gridmap.StatusClosed),
		in.Department, in.Deadline, in.Location[0], in.Location[1], grid, in.BoundaryVersion,
		in.Description, name, phone,
	}
}

func stageProblems(ctx context.Context, tx pgx.Tx, q string) ([]gridmap.ItemError, error) {
	rows, err := tx.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridmap.ItemError, error) {
		var p gridmap.ItemError
		err := r.Scan(&p.Index, &p.Line, &p.Code, &p.Field, &p.Message)
		return p, err
	})
}

// incidentColumns is the select list of the public fields of an incident
// (alias i); incidentScan reads it. It holds no personal data: listings,
// the change feed and import results use it.
const incidentColumns = `i.id, i.external_id, i.category, i.source, i.status,
	ST_X(i.location), ST_Y(i.location), coalesce(i.grid_code, ''), i.boundary_version,
	i.department, i.deadline, i.reported_at,
	i.accepted_at, i.in_progress_at, i.resolved_at, i.replied_at, i.closed_at,
	i.created_at, i.updated_at,
	i.person, i.supervised, i.step_seq, i.step_kind, i.step_status, coalesce(i.step_txid = i.txid, false)`

type incidentScan struct {
	in                     gridmap.Incident
	category, source, stat string
	lon, lat               float64
	steps                  [5]*time.Time
}

func (sc *incidentScan) dest() []any {
	in := &sc.in
	return []any{&in.ID, &in.ExternalID, &sc.category, &sc.source, &sc.stat,
		&sc.lon, &sc.lat, &in.GridCode, &in.BoundaryVersion,
		&in.Department, &in.Deadline, &in.ReportedAt,
		&sc.steps[0], &sc.steps[1], &sc.steps[2], &sc.steps[3], &sc.steps[4],
		&in.CreatedAt, &in.UpdatedAt,
		&in.Person, &in.Supervised, &in.LastStep.Seq, &in.LastStep.Kind, &in.LastStep.CaseStatus, &in.LastStep.Fresh}
}

func (sc *incidentScan) incident() gridmap.Incident {
	in := sc.in
	in.Category = gridmap.Category(sc.category)
	in.Source = gridmap.Source(sc.source)
	in.Status = gridmap.Status(sc.stat)
	in.Location[0], in.Location[1] = sc.lon, sc.lat
	for k, t := range sc.steps {
		if t != nil {
			if in.StepAt == nil {
				in.StepAt = map[gridmap.Status]time.Time{}
			}
			in.StepAt[gridmap.Statuses[k+1]] = *t
		}
	}
	return in
}

// incidentSQL selects one incident with its personal data and who
// created it.
const incidentSQL = `
SELECT ` + incidentColumns + `, i.description, i.reporter_name, i.reporter_phone,
       coalesce(i.created_by_token, 0), i.created_by
FROM incident i WHERE i.id = $1`

// incidentChangesSQL lists an incident's change log, oldest first.
const incidentChangesSQL = `
SELECT at, coalesce(token_id, 0), actor, change FROM incident_change
WHERE incident_id = $1 ORDER BY id`

// Incident returns the incident with the id, personal data included
// (Description, Reporter), with who created it and its change log.
// Errors: ENOTFOUND.
func (s *Store) Incident(ctx context.Context, id int64) (in gridmap.Incident, err error) {
	defer gridmap.Wrap(&err, "postgis.Incident(%d)", id)
	defer s.goneIfArchivedCase(ctx, id, &err)
	var sc incidentScan
	var name, phone string
	var by gridmap.Actor
	if err := s.pool.QueryRow(ctx, incidentSQL, id).Scan(append(sc.dest(), &sc.in.Description, &name, &phone, &by.TokenID, &by.Name)...); err != nil {
		return in, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	in = sc.incident()
	in.CreatedBy = by
	if name != "" || phone != "" {
		in.Reporter = &gridmap.Reporter{Name: name, Phone: phone}
	}
	rows, err := s.pool.Query(ctx, incidentChangesSQL, id)
	if err != nil {
		return in, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	in.Changes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridmap.IncidentChange, error) {
		var c gridmap.IncidentChange
		var fields []byte
		if err := r.Scan(&c.At, &c.By.TokenID, &c.By.Name, &fields); err != nil {
			return c, err
		}
		err := json.Unmarshal(fields, &c)
		return c, err
	})
	return in, mapErr(err, fmt.Sprintf("incident %d", id))
}

// tokenArg is the token id of an actor as a query argument: NULL for none.
func tokenArg(a gridmap.Actor) any {
	if a.TokenID == 0 {
		return nil
	}
	return a.TokenID
}

// openStatuses is the SQL list of gridmap statuses before resolved.
const openStatuses = `('reported', 'accepted', 'in_progress')`

// incidentWhere builds the WHERE clause of f over incident i: only the
// conditions f sets are in it, so each shape of query gets a plan for its
// index (incident_grid_id for a grid, the primary key walked backwards for
// paging, BRIN on reported_at for a narrow window). Values travel as $n.
func incidentWhere(f gridmap.IncidentFilter) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.GridCodes != nil {
		where = append(where, "i.grid_code = ANY("+arg(f.GridCodes)+")")
	}
	if f.Unassigned {
		where = append(where, "i.grid_code IS NULL")
	}
	if f.Categories != nil {
		where = append(where, "i.category = ANY("+arg(categoryStrings(f.Categories))+")")
	}
	if f.Statuses != nil {
		where = append(where, "i.status = ANY("+arg(statusStrings(f.Statuses))+")")
	}
	if f.Sources != nil {
		src := make([]string, len(f.Sources))
		for i, x := range f.Sources {
			src[i] = string(x)
		}
		where = append(where, "i.source = ANY("+arg(src)+")")
	}
	if f.Departments != nil {
		where = append(where, "i.department = ANY("+arg(f.Departments)+")")
	}
	if f.Supervised != nil {
		if *f.Supervised {
			where = append(where, "i.supervised > 0")
		} else {
			where = append(where, "i.supervised = 0")
		}
	}
	if f.ExternalID != "" {
		// Through incident_key: the partitions have no index on
		// external_id, and the key's reported_at prunes them to one.
		where = append(where, "(i.id, i.reported_at) = (SELECT id, reported_at FROM incident_key WHERE external_id = "+arg(f.ExternalID)+")")
	}
	if f.IDs != nil {
		where = append(where, "i.id = ANY("+arg(f.IDs)+")")
	}
	if f.From != nil {
		where = append(where, "i.reported_at >= "+arg(*f.From))
	}
	if f.To != nil {
		where = append(where, "i.reported_at < "+arg(*f.To))
	}
	if f.Overdue != nil {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		overdue := "(i.deadline IS NOT NULL AND i.status IN " + openStatuses + " AND i.deadline < " + arg(now) + ")"
		if *f.Overdue {
			where = append(where, overdue)
		} else {
			where = append(where, "NOT "+overdue)
		}
	}
	if f.BeforeID > 0 {
		where = append(where, "i.id < "+arg(f.BeforeID))
	}
	if f.Limit > 0 {
		arg(f.Limit) // the last argument, for LIMIT
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// ListIncidents calls fn for each incident matching f, newest id first,
// public fields only (no personal data).
func (s *Store) ListIncidents(ctx context.Context, f gridmap.IncidentFilter, fn func(gridmap.Incident) error) (err error) {
	defer gridmap.Wrap(&err, "postgis.ListIncidents")
	// A page (a bounded limit) is read whole before fn sees it, so a
	// standby that fails in the middle of it is retried on the primary
	// (Store.read) and fails no request. An export streams: one that a
	// standby fails after rows were handed on goes on from the primary
	// after the last id delivered (ids are the order).
	var page []gridmap.Incident
	if f.Limit > 0 && f.Limit <= maxBufferedPage {
		err = s.read(ctx, func(p *pgxpool.Pool) error {
			page = page[:0]
			return listIncidents(ctx, p, f, func(in gridmap.Incident) error {
				page = append(page, in)
				return nil
			})
		})
		if err != nil {
			return err
		}
		for _, in := range page {
			if err := fn(in); err != nil {
				return err
			}
		}
		return nil
	}
	return s.read(ctx, func(p *pgxpool.Pool) error { return streamIncidents(ctx, p, f, fn) })
}

// streamIncidents is listIncidents for a stream: an error after rows were
// delivered is marked so (not to be run again from the start) and says how
// to go on from the next row.
func streamIncidents(ctx context.Context, p *pgxpool.Pool, f gridmap.IncidentFilter, fn func(gridmap.Incident) error) error {
	var n int
	var last int64
	err := listIncidents(ctx, p, f, func(in gridmap.Incident) error {
		if err := fn(in); err != nil {
			return delivered{err: err}
		}
		n, last = n+1, in.ID
		return nil
	})
	var d delivered
	if err == nil || n == 0 || errors.As(err, &d) {
		return err
	}
	rest := f
	rest.BeforeID = last
	if rest.Limit > 0 {
		rest.Limit -= n
	}
	return delivered{err: err, resume: func(p *pgxpool.Pool) error { return streamIncidents(ctx, p, rest, fn) }}
}

// listIncidents runs the listing query of f on p and calls fn per row.
func listIncidents(ctx context.Context, p *pgxpool.Pool, f gridmap.IncidentFilter, fn func(gridmap.Incident) error) error {
	where, args := incidentWhere(f)
	q := "SELECT " + incidentColumns + " FROM incident i" + where + " ORDER BY i.id DESC"
	if f.Limit > 0 {
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	rows, err := p.Query(ctx, q, args...)
	if err != nil {
		return mapErr(err, "incidents")
	}
	defer rows.Close()
	var sc incidentScan
	dest := sc.dest()
	for rows.Next() {
		sc = incidentScan{}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(sc.incident()); err != nil {
			return err
		}
	}
	return mapErr(rows.Err(), "incidents")
}

// maxBufferedPage is the largest limit ListIncidents reads whole before
// handing the rows on (about 300 bytes each).
const maxBufferedPage = 10_000

// CountIncidentsByGrid counts the incidents matching f (GridCodes,
// Categories, Statuses, From, To) by assigned grid with a plain SQL GROUP
// BY; unassigned incidents are counted under "". It is the baseline the
// in-memory aggregate (heat/) is measured and checked against.
func (s *Store) CountIncidentsByGrid(ctx context.Context, f gridmap.IncidentFilter) (counts map[string]int, err error) {
	defer gridmap.Wrap(&err, "postgis.CountIncidentsByGrid")
	f.Limit, f.BeforeID = 0, 0
	where, args := incidentWhere(f)
	err = s.read(ctx, func(p *pgxpool.Pool) error {
		rows, err := p.Query(ctx, "SELECT coalesce(i.grid_code, ''), count(*) FROM incident i"+where+" GROUP BY 1", args...)
		if err != nil {
			return mapErr(err, "incidents")
		}
		counts = map[string]int{}
		var code string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&code, &n}, func() error {
			counts[code] = n
			return nil
		})
		return mapErr(err, "incidents")
	})
	return counts, err
}

func categoryStrings(cs []gridmap.Category) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func statusStrings(ss []gridmap.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// updateIncidentSQL applies a PATCH. A new status stamps its own step time
// only; steps skipped on the way keep no time.
const updateIncidentSQL = `
UPDATE incident SET
    status         = coalesce($2, status),
    accepted_at    = CASE WHEN $2 = 'accepted'    AND status <> $2 THEN $3 ELSE accepted_at END,
    in_progress_at = CASE WHEN $2 = 'in_progress' AND status <> $2 THEN $3 ELSE in_progress_at END,
    resolved_at    = CASE WHEN $2 = 'resolved'    AND status <> $2 THEN $3 ELSE resolved_at END,
    replied_at     = CASE WHEN $2 = 'replied'     AND status <> $2 THEN $3 ELSE replied_at END,
    closed_at      = CASE WHEN $2 = 'closed'      AND status <> $2 THEN $3 ELSE closed_at END,
    department     = coalesce($4, department),
    deadline       = CASE WHEN $5 THEN NULL ELSE coalesce($6, deadline) END
WHERE id = $1`

// insertIncidentChangeSQL appends to an incident's change log.
const insertIncidentChangeSQL = `
INSERT INTO incident_change (incident_id, token_id, actor, change) VALUES ($1, $2, $3, $4)`

// UpdateIncident applies u to the incident: a status moved forward (with
// the time of the step, u.At or now), the department, the deadline. A new
// status also appends the case steps that reach it, taken by the system
// role on behalf of u.By (see caseflow.LegacySteps), so the history holds
// every status change; the department and deadline fields are written
// directly, as before the steps (a dispatch step sets them in the loop). What
// actually changed is appended to the incident's change log with u.By (a
// PATCH that changes nothing logs nothing). It returns the incident after,
// public fields only.
// Errors: ENOTFOUND, EINVALID for an unknown status, ECONFLICT for a status
// moved backwards or out of closed, and u.Check's error.
func (s *Store) UpdateIncident(ctx context.Context, id int64, u gridmap.IncidentUpdate) (in gridmap.Incident, err error) {
	defer gridmap.Wrap(&err, "postgis.UpdateIncident(%d)", id)
	defer s.goneIfArchivedCase(ctx, id, &err)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return in, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	row, err := lockCase(ctx, tx, id)
	if err != nil {
		return in, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	cur, dept, deadline := row.status, row.department, row.deadline
	if u.Check != nil {
		if err := u.Check(row.grid); err != nil {
			return in, err
		}
	}
	at := u.At
	if at.IsZero() {
		at = time.Now()
	}
	at = at.Truncate(time.Second)
	var ch gridmap.IncidentChange
	var status *string
	if u.Status != nil {
		if err := gridmap.Status(cur).CheckTransition(*u.Status); err != nil {
			return in, err
		}
		st := string(*u.Status)
		status = &st
		if st != cur {
			ch.Status = &gridmap.StatusChange{From: gridmap.Status(cur), To: *u.Status, At: at}
			// The steps that reach the new status go into the history.
			if err := legacySteps(ctx, tx, id, row, *u.Status, at, u.By); err != nil {
				return in, mapErr(err, fmt.Sprintf("incident %d", id))
			}
		}
	}
	if u.Department != nil && *u.Department != dept {
		ch.Department = &gridmap.TextChange{From: dept, To: *u.Department}
	}
	switch {
	case u.ClearDeadline && deadline != nil:
		ch.Deadline = &gridmap.DeadlineChange{From: deadline}
	case u.Deadline != nil && (deadline == nil || !deadline.Equal(*u.Deadline)):
		ch.Deadline = &gridmap.DeadlineChange{From: deadline, To: u.Deadline}
	}
	if ch.Status != nil || ch.Department != nil || ch.Deadline != nil {
		if _, err := tx.Exec(ctx, updateIncidentSQL, id, status, at, u.Department, u.ClearDeadline, u.Deadline); err != nil {
			return in, mapErr(err, fmt.Sprintf("incident %d", id))
		}
		fields, err := json.Marshal(changeFields{ch.Status, ch.Department, ch.Deadline})
		if err != nil {
			return in, err
		}
		if _, err := tx.Exec(ctx, insertIncidentChangeSQL, id, tokenArg(u.By), u.By.Name, fields); err != nil {
			return in, mapErr(err, fmt.Sprintf("incident %d", id))
		}
	}
	var sc incidentScan
	if err := tx.QueryRow(ctx, `SELECT `+incidentColumns+` FROM incident i WHERE i.id = $1`, id).Scan(sc.dest()...); err != nil {
		return in, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	return sc.incident(), mapErr(s.commitIncidents(ctx, tx), fmt.Sprintf("incident %d", id))
}

// changeFields is the change column of incident_change: what a write
// changed (who and when are columns of their own).
type changeFields struct {
	Status     *gridmap.StatusChange   `json:"status,omitempty"`
	Department *gridmap.TextChange     `json:"department,omitempty"`
	Deadline   *gridmap.DeadlineChange `json:"deadline,omitempty"`
}

// Categories returns the category table in its order, with each
// category's default deadline (deadline_days).
func (s *Store) Categories(ctx context.Context) (cs []gridmap.CategoryInfo, err error) {
	rows, err := s.pool.Query(ctx, `SELECT name, label_zh, label_en, deadline_days FROM incident_category ORDER BY rank`)
	if err != nil {
		return nil, mapErr(err, "categories")
	}
	cs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridmap.CategoryInfo, error) {
		var c gridmap.CategoryInfo
		err := r.Scan(&c.Name, &c.LabelZh, &c.LabelEn, &c.DeadlineDays)
		return c, err
	})
	return cs, mapErr(err, "categories")
}
