package postgis

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
)

// The monthly rollups of incidents (migration 00021) as the statistics of
// an instance with a memory window read them, and their refresh.

// rollupLock is the advisory lock one instance of many holds while it
// refreshes rollups (gridmap_rollup_month takes (1735552368, 17) per call).
const rollupLockA, rollupLockB = 1735552368, 18

// monthDate is t's month as the SQL date of its first day (China time).
func monthDate(t time.Time) string { return MonthOf(t).date() }

// monthTime is a SQL date (a month's first day) as its first instant in
// China time.
func monthTime(d time.Time) time.Time { return Month{d.Year(), d.Month()}.Start() }

func optMonth(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	d := monthDate(t)
	return &d
}

// MonthRollups returns the months with rollups that begin in [q.From,
// q.To) and their counts matching q by month and grid, read in one
// snapshot from a standby when one is current (Store.read), else the
// primary.
func (s *Store) MonthRollups(ctx context.Context, q gridmap.RollupQuery) (out gridmap.Rollups, err error) {
	defer gridmap.Wrap(&err, "postgis.MonthRollups")
	var cats, sts []string
	if q.Categories != nil {
		cats = make([]string, len(q.Categories))
		for i, c := range q.Categories {
			cats[i] = string(c)
		}
	}
	if q.Statuses != nil {
		sts = make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			sts[i] = string(st)
		}
	}
	from, to := optMonth(q.From), optMonth(q.To)
	err = s.read(ctx, func(p *pgxpool.Pool) error {
		out = gridmap.Rollups{}
		return pgx.BeginTxFunc(ctx, p, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `
SELECT month, refreshed_at, incidents FROM incident_month_rollup_state
WHERE ($1::text IS NULL OR month >= $1::text::date) AND ($2::text IS NULL OR month < $2::text::date)
ORDER BY month`, from, to)
			if err != nil {
				return mapErr(err, "rollups")
			}
			for rows.Next() {
				var m gridmap.RollupMonth
				if err := rows.Scan(&m.Month, &m.RefreshedAt, &m.Incidents); err != nil {
					return mapErr(err, "rollups")
				}
				m.Month = monthTime(m.Month)
				out.Months = append(out.Months, m)
			}
			if err := rows.Err(); err != nil {
				return mapErr(err, "rollups")
			}
			rows, err = tx.Query(ctx, `
SELECT month, grid_code, sum(incidents)::bigint FROM incident_month_rollup
WHERE ($1::text IS NULL OR month >= $1::text::date) AND ($2::text IS NULL OR month < $2::text::date)
  AND ($3::text[] IS NULL OR category = ANY($3)) AND ($4::text[] IS NULL OR status = ANY($4))
GROUP BY 1, 2 ORDER BY 1, 2`, from, to, cats, sts)
			if err != nil {
				return mapErr(err, "rollups")
			}
			for rows.Next() {
				var c gridmap.RollupCount
				if err := rows.Scan(&c.Month, &c.GridCode, &c.Incidents); err != nil {
					return mapErr(err, "rollups")
				}
				c.Month = monthTime(c.Month)
				out.Counts = append(out.Counts, c)
			}
			return mapErr(rows.Err(), "rollups")
		})
	})
	return out, err
}

// RefreshRollups refreshes the rollups (gridmap_rollup_month) of every
// month before the month of before that still has incidents in the
// database (a partition of incident, or rows of an unpartitioned one),
// skipping months archived (frozen) and months refreshed less than fresh
// ago (by another instance). It runs under an advisory lock, so of many
// instances one does it at a time: ran is false when another holds it.
func (s *Store) RefreshRollups(ctx context.Context, before time.Time, fresh time.Duration) (months []time.Time, ran bool, err error) {
	defer gridmap.Wrap(&err, "postgis.RefreshRollups")
	end := monthDate(before)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, $2)`, rollupLockA, rollupLockB).Scan(&ran); err != nil || !ran {
			return mapErr(err, "rollups")
		}
		partitioned, err := incidentPartitioned(ctx, tx)
		if err != nil {
			return mapErr(err, "rollups")
		}
		var candidates []string
		if partitioned {
			rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'incident'::regclass`)
			if err != nil {
				return mapErr(err, "rollups")
			}
			names, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return mapErr(err, "rollups")
			}
			for _, n := range names {
				if m := monthPartitionName.FindStringSubmatch(n); m != nil && m[1] == "" {
					y, _ := strconv.Atoi(m[2])
					mo, _ := strconv.Atoi(m[3])
					candidates = append(candidates, Month{y, time.Month(mo)}.date())
				}
			}
		} else {
			// Without partitions: the months of the rows (China time).
			rows, err := tx.Query(ctx, `
SELECT DISTINCT date_trunc('month', (reported_at AT TIME ZONE 'UTC') + interval '8 hours')::date::text
FROM incident WHERE reported_at < gridmap_month_start($1::text::date)`, end)
			if err != nil {
				return mapErr(err, "rollups")
			}
			if candidates, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return mapErr(err, "rollups")
			}
		}
		rows, err := tx.Query(ctx, `
SELECT m FROM (SELECT DISTINCT t::date AS m FROM unnest($1::text[]) t) c
WHERE m < $2::text::date
  AND NOT EXISTS (SELECT 1 FROM incident_archive a WHERE a.month = m)
  AND NOT EXISTS (SELECT 1 FROM incident_month_rollup_state r WHERE r.month = m AND r.refreshed_at > now() - make_interval(secs => $3))
ORDER BY m`, candidates, end, fresh.Seconds())
		if err != nil {
			return mapErr(err, "rollups")
		}
		due, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
		if err != nil {
			return mapErr(err, "rollups")
		}
		for _, m := range due {
			if _, err := tx.Exec(ctx, `SELECT gridmap_rollup_month($1::date)`, m); err != nil {
				return mapErr(err, "rollups")
			}
			months = append(months, monthTime(m))
		}
		return nil
	})
	return months, ran, err
}

// rollupCheckEvery is how often KeepRollups looks whether the window has
// moved (no query).
const rollupCheckEvery = time.Second

// KeepRollups refreshes the rollups of the months before windowStart()
// (RefreshRollups) at once, whenever the window moves on (a new month)
// and every every, until ctx ends. A failed refresh is tried again after
// a minute (or every, when shorter).
func (s *Store) KeepRollups(ctx context.Context, every time.Duration, windowStart func() time.Time) {
	t := time.NewTicker(rollupCheckEvery)
	defer t.Stop()
	var win time.Time
	// next: the next periodic refresh; retry: no attempt before it.
	var next, retry time.Time
	for {
		w, now := windowStart(), time.Now()
		if !w.IsZero() && !now.Before(retry) && (!w.Equal(win) || !now.Before(next)) {
			months, ran, err := s.RefreshRollups(ctx, w, every/2)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Error("refreshing the monthly rollups failed; retrying", "error", err.Error())
				retry = time.Now().Add(min(every, time.Minute))
			case err == nil:
				win, next = w, time.Now().Add(every)
				if ran && len(months) > 0 {
					s.log.Info("monthly rollups refreshed", "months", len(months), "before", w.Format(time.DateOnly))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
