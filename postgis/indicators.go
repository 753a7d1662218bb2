package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/indicators"
)

// caseColumns are what indicators.Case needs of an incident row and its
// stored steps (kind, time and outcome, oldest first; empty arrays for a
// case whose steps are implied by its status). The lateral subquery is one
// probe of incident_step's primary key per row, in the case's month (the
// partition it shares with the case, migration 00020).
const caseColumns = `i.id, i.reported_at, i.source, coalesce(i.grid_code, ''), i.department,
	CASE WHEN i.source = 'grid_worker' THEN coalesce(i.created_by_token, 0) ELSE 0 END,
	i.deadline, i.status, i.accepted_at, i.in_progress_at, i.resolved_at, i.replied_at, i.closed_at,
	EXISTS (SELECT 1 FROM incident_duplicate d WHERE d.duplicate_id = i.id),
	coalesce(s.kinds, '{}'), coalesce(s.ats, '{}'), coalesce(s.outcomes, '{}')
FROM incident i
LEFT JOIN LATERAL (
    SELECT array_agg(st.step ORDER BY st.seq) AS kinds, array_agg(st.at ORDER BY st.seq) AS ats,
           array_agg(coalesce(st.payload->>'outcome', '') ORDER BY st.seq) AS outcomes
    FROM incident_step st WHERE st.incident_id = i.id AND st.reported_at = i.reported_at) s ON true`

const (
	allCasesSQL     = `SELECT ` + caseColumns + ` ORDER BY i.id`
	casesChangedSQL = `SELECT ` + caseColumns + `
WHERE i.txid >= pg_snapshot_xmin($1::pg_snapshot)
  AND NOT pg_visible_in_snapshot(i.txid, $1::pg_snapshot)
ORDER BY i.id`
)

// CaseChanges calls fn, in id order, with the indicators' summary of every
// incident written after the snapshot since (every incident when since is
// ""), and returns the snapshot to pass next time: the change feed of
// IncidentChanges, read for the indicators (package live keeps them).
// Steps implied by a stored status (caseflow.Implied) are summarised as
// steps. Linking or unlinking a duplicate touches the incident row, so it
// is read again. fn's error stops the read and is returned.
func (s *Store) CaseChanges(ctx context.Context, since string, fn func(indicators.Case) error) (next string, err error) {
	defer gridmap.Wrap(&err, "postgis.CaseChanges")
	return s.caseChanges(ctx, since, time.Time{}, fn)
}

// caseChanges is CaseChanges; a non-zero from leaves out the cases
// reported before it, in SQL (CaseChangesFrom).
func (s *Store) caseChanges(ctx context.Context, since string, from time.Time, fn func(indicators.Case) error) (next string, err error) {
	var tx pgx.Tx
	var rows pgx.Rows
	if from.IsZero() {
		tx, rows, next, err = openChanges(ctx, s.pool, since, allCasesSQL, casesChangedSQL)
	} else {
		tx, rows, next, err = openChanges(ctx, s.pool, since, allCasesFromSQL, casesChangedFromSQL, from)
	}
	if err != nil {
		return since, err
	}
	defer tx.Rollback(ctx)
	defer rows.Close()
	var (
		c        indicators.Case
		source   string
		status   string
		t        caseflow.StoredTimes
		kinds    []string
		ats      []time.Time
		outcomes []string
		history  []caseflow.Step
	)
	for rows.Next() {
		c = indicators.Case{}
		t = caseflow.StoredTimes{}
		if err := rows.Scan(&c.ID, &c.ReportedAt, &source, &c.GridCode, &c.Department, &c.RaisedBy,
			&c.Deadline, &status, &t.Accepted, &t.InProgress, &t.Resolved, &t.Replied, &t.Closed,
			&c.Duplicate, &kinds, &ats, &outcomes); err != nil {
			return since, err
		}
		c.Source = gridmap.Source(source)
		if len(kinds) == 0 {
			t.Reported = c.ReportedAt
			history = caseflow.Implied(gridmap.Status(status), t)
		} else {
			history = history[:0]
			for k := range kinds {
				history = append(history, caseflow.Step{Kind: caseflow.Kind(kinds[k]), At: ats[k], Outcome: outcomes[k]})
			}
		}
		indicators.Summarize(&c, history)
		if err := fn(c); err != nil {
			return since, err
		}
	}
	if err := rows.Err(); err != nil {
		return since, mapErr(err, "incidents")
	}
	return next, mapErr(tx.Commit(ctx), "incidents")
}

// workDaysSQL sums each worker's days from the work logs: whether a log
// was filed, the metres of the tracks not flagged as untrusted, and the
// micro-grids they passed through. day is a China date.
const workDaysSQL = `
SELECT w.token_id, w.day,
       coalesce(sum(t.metres) FILTER (WHERE cardinality(t.flags) = 0), 0),
       coalesce((SELECT array_agg(DISTINCT g) FROM worklog_track t2, unnest(t2.grids) g
                 WHERE t2.worklog_id = w.id AND cardinality(t2.flags) = 0), '{}')
FROM worklog w LEFT JOIN worklog_track t ON t.worklog_id = w.id
WHERE w.day >= $1::date AND w.day < $2::date
GROUP BY w.id, w.token_id, w.day
ORDER BY w.token_id, w.day`

// WorkDays returns every worker's days with a work log from the China
// day of from to the day before to's (from, to: China midnights).
func (s *Store) WorkDays(ctx context.Context, from, to time.Time) (days []indicators.WorkDay, err error) {
	defer gridmap.Wrap(&err, "postgis.WorkDays")
	f, e := from.In(gridmap.ChinaTime).Format(time.DateOnly), to.In(gridmap.ChinaTime).Format(time.DateOnly)
	rows, err := s.pool.Query(ctx, workDaysSQL, f, e)
	if err != nil {
		return nil, mapErr(err, "work logs")
	}
	days, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (indicators.WorkDay, error) {
		var d indicators.WorkDay
		var day time.Time
		err := r.Scan(&d.Worker, &day, &d.Metres, &d.Grids)
		y, m, dd := day.Date()
		d.Day, d.Logged = time.Date(y, m, dd, 0, 0, 0, 0, gridmap.ChinaTime), true
		return d, err
	})
	return days, mapErr(err, "work logs")
}
