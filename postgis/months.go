package postgis

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridmap/gridmap"
)

// Month is a calendar month in China time (gridmap.ChinaTime): month M
// covers [M-01 00:00+08, next month 00:00+08). Commands and APIs name it
// "YYYY-MM"; SQL takes the date of its first day.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads "YYYY-MM". Errors: EINVALID.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Month{}, gridmap.Errorf(gridmap.EINVALID, "month %q: write it as YYYY-MM, such as 2024-03", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// MonthOf is the month t falls in, in China time.
func MonthOf(t time.Time) Month {
	t = t.In(gridmap.ChinaTime)
	return Month{t.Year(), t.Month()}
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Start is the instant the month begins (00:00 China time on its first day).
func (m Month) Start() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, gridmap.ChinaTime) }

// Add is the month n months later (earlier for a negative n).
func (m Month) Add(n int) Month { return MonthOf(m.Start().AddDate(0, n, 0)) }

// Before reports whether m is earlier than o.
func (m Month) Before(o Month) bool { return m.Year < o.Year || m.Year == o.Year && m.Month < o.Month }

// IsZero reports whether m is the zero Month (no month given).
func (m Month) IsZero() bool { return m.Year == 0 }

// date is the SQL date of the month's first day, as text for a ::date cast.
func (m Month) date() string { return m.String() + "-01" }

// IncidentPartition and StepPartition name the month's partitions of
// incident and incident_step (migration 00020).
func (m Month) IncidentPartition() string {
	return fmt.Sprintf("incident_y%04dm%02d", m.Year, int(m.Month))
}

// StepPartition: see IncidentPartition.
func (m Month) StepPartition() string {
	return fmt.Sprintf("incident_step_y%04dm%02d", m.Year, int(m.Month))
}

var monthPartitionName = regexp.MustCompile(`^incident_(step_)?y(\d{4})m(\d{2})$`)

// MonthInfo is what `gridmap partitions list` shows of one month.
type MonthInfo struct {
	Month Month
	// Partition is the incident partition's name, "" when the month has
	// none (incident not partitioned, or the month archived).
	Partition string
	// Incidents is the month's incident count: an estimate (the
	// statistics' live rows, else pg_class.reltuples) unless Exact; -1
	// when unknown.
	Incidents int64
	Exact     bool
	// Bytes is the size on disk of the month's incident and step
	// partitions with their indexes and TOAST.
	Bytes int64
	// RollupAt is when the month's rollup was made (zero: none), counting
	// RollupIncidents.
	RollupAt        time.Time
	RollupIncidents int64
	// ArchivedAt is when the month was archived (zero: it was not), to
	// ArchiveLocation, with ArchivedIncidents and ArchivedSteps.
	ArchivedAt        time.Time
	ArchiveLocation   string
	ArchivedIncidents int64
	ArchivedSteps     int64
}

// incidentPartitioned reports whether incident is a partitioned table
// (migration 00020) rather than a plain one.
func incidentPartitioned(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (bool, error) {
	var kind string
	err := q.QueryRow(ctx, `SELECT relkind::text FROM pg_class WHERE oid = 'incident'::regclass`).Scan(&kind)
	return kind == "p", err
}

// partitionsSQL lists the partitions of incident and incident_step with
// their estimated rows and total size. The estimate is the statistics'
// live rows, kept as rows are written, or the planner's (reltuples) when
// those say none: a month loaded since the last ANALYZE is counted, one
// never written to is 0, and only one the statistics do not know and
// never analyzed is unknown (-1).
const partitionsSQL = `
SELECT c.relname,
       CASE WHEN s.n_live_tup > 0 OR c.reltuples < 0 THEN coalesce(s.n_live_tup, -1) ELSE c.reltuples::bigint END,
       pg_total_relation_size(c.oid)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE i.inhparent IN ('incident'::regclass, 'incident_step'::regclass)`

// monthsOfPlainSQL counts a plain (unpartitioned) incident table by month.
const monthsOfPlainSQL = `
SELECT to_char((reported_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM'), count(*)
FROM incident GROUP BY 1`

// Months lists every month that has a partition, a rollup or an archive,
// oldest first. exact counts each partition's rows instead of taking the
// planner's estimate (a scan of each).
func (s *Store) Months(ctx context.Context, exact bool) (ms []MonthInfo, err error) {
	defer gridmap.Wrap(&err, "postgis.Months")
	by := map[Month]*MonthInfo{}
	get := func(m Month) *MonthInfo {
		if by[m] == nil {
			by[m] = &MonthInfo{Month: m, Incidents: -1}
		}
		return by[m]
	}
	parted, err := incidentPartitioned(ctx, s.pool)
	if err != nil {
		return nil, mapErr(err, "incident")
	}
	if parted {
		rows, err := s.pool.Query(ctx, partitionsSQL)
		if err != nil {
			return nil, mapErr(err, "partitions")
		}
		type part struct {
			name       string
			tuples, sz int64
		}
		parts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (p part, err error) {
			err = r.Scan(&p.name, &p.tuples, &p.sz)
			return p, err
		})
		if err != nil {
			return nil, mapErr(err, "partitions")
		}
		for _, p := range parts {
			sm := monthPartitionName.FindStringSubmatch(p.name)
			if sm == nil {
				continue // a partition named otherwise (a default one) is not a month
			}
			y, _ := strconv.Atoi(sm[2])
			mo, _ := strconv.Atoi(sm[3])
			mi := get(Month{y, time.Month(mo)})
			mi.Bytes += p.sz
			if sm[1] != "" {
				continue
			}
			mi.Partition = p.name
			if exact {
				if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{p.name}.Sanitize()).Scan(&mi.Incidents); err != nil {
					return nil, mapErr(err, "partitions")
				}
				mi.Exact = true
			} else if p.tuples >= 0 {
				mi.Incidents = p.tuples
			}
		}
	} else {
		rows, err := s.pool.Query(ctx, monthsOfPlainSQL)
		if err != nil {
			return nil, mapErr(err, "incidents")
		}
		var name string
		var n int64
		if _, err := pgx.ForEachRow(rows, []any{&name, &n}, func() error {
			m, err := ParseMonth(name)
			get(m).Incidents, get(m).Exact = n, true
			return err
		}); err != nil {
			return nil, mapErr(err, "incidents")
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT to_char(month, 'YYYY-MM'), refreshed_at, incidents FROM incident_month_rollup_state`)
	if err != nil {
		return nil, mapErr(err, "rollups")
	}
	var name, loc string
	var at time.Time
	var n, steps int64
	if _, err := pgx.ForEachRow(rows, []any{&name, &at, &n}, func() error {
		m, err := ParseMonth(name)
		get(m).RollupAt, get(m).RollupIncidents = at, n
		return err
	}); err != nil {
		return nil, mapErr(err, "rollups")
	}
	rows, err = s.pool.Query(ctx, `SELECT to_char(month, 'YYYY-MM'), archived_at, coalesce(incidents, 0), coalesce(steps, 0), coalesce(location, '') FROM incident_archive`)
	if err != nil {
		return nil, mapErr(err, "archive")
	}
	if _, err := pgx.ForEachRow(rows, []any{&name, &at, &n, &steps, &loc}, func() error {
		m, err := ParseMonth(name)
		mi := get(m)
		mi.ArchivedAt, mi.ArchivedIncidents, mi.ArchivedSteps, mi.ArchiveLocation = at, n, steps, loc
		return err
	}); err != nil {
		return nil, mapErr(err, "archive")
	}
	for _, mi := range by {
		ms = append(ms, *mi)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Month.Before(ms[j].Month) })
	return ms, nil
}

// RollupResult is one month's refreshed rollup: the incidents it counts,
// and whether it was frozen (an archived month, not recounted).
type RollupResult struct {
	Month     Month
	Incidents int64
	Frozen    bool
}

// RollupMonths remakes the rollups of months (gridmap_rollup_month),
// each in its own transaction, in the order given. An archived month's
// rollup is frozen: it is left as archived.
func (s *Store) RollupMonths(ctx context.Context, months []Month) (rs []RollupResult, err error) {
	defer gridmap.Wrap(&err, "postgis.RollupMonths")
	for _, m := range months {
		r := RollupResult{Month: m}
		if err := s.pool.QueryRow(ctx, `SELECT gridmap_rollup_month($1::date), gridmap_month_archived($1::date)`, m.date()).Scan(&r.Incidents, &r.Frozen); err != nil {
			return rs, mapErr(err, "rollups")
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// archivedMonthMessage is the problem detail of a write into an archived
// month, and of the database's refusal (gridmap_ensure_incident_month's
// 'month YYYY-MM is archived').
func archivedMonthMessage(month string) string {
	return fmt.Sprintf("month %s is archived; its cases are in the archive files (gridmap partitions list says where)", month)
}

var archivedRefusal = regexp.MustCompile(`^month (\d{4}-\d{2}) is archived`)

// archivedErr is the ECONFLICT error for the database's refusal of a
// write into an archived month (P0001 'month YYYY-MM is archived' from
// gridmap_ensure_incident_month), or nil when err is not one.
func archivedErr(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "P0001" {
		return nil
	}
	if sm := archivedRefusal.FindStringSubmatch(pgErr.Message); sm != nil {
		return gridmap.Errorf(gridmap.ECONFLICT, "%s", archivedMonthMessage(sm[1]))
	}
	return nil
}

// isArchivedMonth reports whether err is archivedErr's refusal.
func isArchivedMonth(err error) bool {
	return gridmap.ErrorCode(err) == gridmap.ECONFLICT && archivedRefusal.MatchString(gridmap.ErrorMessage(err))
}

// newKeyMonthsSQL: the months ('YYYY-MM-DD') of the staged rows whose
// external id is new to incident_key.
const newKeyMonthsSQL = `
SELECT coalesce(array_agg(DISTINCT gridmap_incident_month(s.reported_at)::text), '{}') FROM incident_stage s
WHERE NOT EXISTS (SELECT 1 FROM incident_key k WHERE k.external_id = s.external_id)`

// ensureStagedMonths is ensureIncidentMonths for the months of a staged
// import (ImportIncidents). When one of them is archived, only the rows
// new to incident_key need a partition (a re-import of an archived case
// is a duplicate, left alone as any case stored before), so the months of
// those alone are made. A new case in an archived month is a row problem
// before this (incidentStageArchivedSQL); here it is still refused whole
// when its month was archived since.
func (s *Store) ensureStagedMonths(ctx context.Context, tx pgx.Tx, months []string) error {
	err := s.ensureIncidentMonths(ctx, months)
	if !isArchivedMonth(err) {
		return err
	}
	var fresh []string
	if err := tx.QueryRow(ctx, newKeyMonthsSQL).Scan(&fresh); err != nil {
		return mapErr(err, "incidents")
	}
	return s.ensureIncidentMonths(ctx, fresh)
}

// archivedExternalSQL finds a case kept only in incident_key by its
// external id, when its month is archived.
const archivedExternalSQL = `
SELECT k.id, to_char(a.month, 'YYYY-MM') FROM incident_key k
JOIN incident_archive a ON a.month = gridmap_incident_month(k.reported_at)
WHERE k.external_id = $1`

// archivedExternalID is the ECONFLICT error of a re-post of external id
// ext whose case was archived with its month (a duplicate: the id is
// never given again), or nil when it was not.
func (s *Store) archivedExternalID(ctx context.Context, ext string) error {
	var id int64
	var month string
	if err := s.pool.QueryRow(ctx, archivedExternalSQL, ext).Scan(&id, &month); err != nil {
		return nil // not archived (or no incident_key): the caller's own answer stands
	}
	return gridmap.Errorf(gridmap.ECONFLICT, "incident %s was stored before as case %d, reported in %s: %s", ext, id, month, archivedMonthMessage(month))
}

// archivedCaseSQL finds the month of a case kept only in incident_key,
// when that month is archived.
const archivedCaseSQL = `
SELECT to_char(a.month, 'YYYY-MM') FROM incident_key k
JOIN incident_archive a ON a.month = gridmap_incident_month(k.reported_at)
WHERE k.id = $1`

// goneIfArchivedCase turns *errp, when it is ENOTFOUND for case id, into
// EGONE when the case was archived with its month. Methods on one case
// defer it (after their gridmap.Wrap, so it runs first).
func (s *Store) goneIfArchivedCase(ctx context.Context, id int64, errp *error) {
	if gridmap.ErrorCode(*errp) == gridmap.ENOTFOUND && gridmap.ErrorMessage(*errp) == fmt.Sprintf("incident %d not found", id) {
		*errp = s.goneIfArchived(ctx, id, *errp)
	}
}

// goneIfArchived returns EGONE naming the month when case id was archived
// with its month, and notFound otherwise.
func (s *Store) goneIfArchived(ctx context.Context, id int64, notFound error) error {
	var month string
	err := s.pool.QueryRow(ctx, archivedCaseSQL, id).Scan(&month)
	if errors.Is(err, pgx.ErrNoRows) || err != nil && !isConnErr(err) {
		return notFound // no incident_key (before migration 00020) reads as not found too
	}
	if err != nil {
		return mapErr(err, "incident")
	}
	return gridmap.Errorf(gridmap.EGONE, "incident %d was archived with month %s; its record is in the archive files (gridmap partitions list says where)", id, month)
}
