package postgis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridmap/gridmap"
)

// incident and incident_step are partitioned by calendar month in China
// time (migration 00020); a month's partitions are made by
// gridmap_ensure_incident_month, ahead of time for the current and next
// two months (the migration, Migrate) and on demand for any other.

// incidentMonth is the month t falls in (China time), as the date of its
// first day ('YYYY-MM-01').
func incidentMonth(t time.Time) string {
	return t.In(gridmap.ChinaTime).Format("2006-01") + "-01"
}

// monthKey numbers the month t falls in (China time), year*12 + month-1:
// no allocation per imported row.
func monthKey(t time.Time) int {
	c := t.In(gridmap.ChinaTime)
	return c.Year()*12 + int(c.Month()) - 1
}

// aheadMonths are the current month and the next two.
func aheadMonths(now time.Time) []string {
	c := now.In(gridmap.ChinaTime)
	first := time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, gridmap.ChinaTime)
	return []string{incidentMonth(first), incidentMonth(first.AddDate(0, 1, 0)), incidentMonth(first.AddDate(0, 2, 0))}
}

// isNoPartition reports whether err is an insert into incident or
// incident_step whose month has no partition.
func isNoPartition(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.HasPrefix(pgErr.Message, "no partition of relation")
}

// ensureIncidentMonths makes the partitions of months ('YYYY-MM-01')
// that are missing. It runs on a connection of its own, outside any
// transaction of the caller: attaching a partition of incident_step
// clones its foreign key to incident_key, which waits for every
// transaction that inserted keys and holds back new ones while it waits,
// so it must not be held until a long import commits. A connection of
// its own, not the pool's: an import holding a pooled connection must not
// wait for another one. Months that exist cost one query. An archived
// month is ECONFLICT.
func (s *Store) ensureIncidentMonths(ctx context.Context, months []string) error {
	if len(months) == 0 {
		return nil
	}
	var missing []string
	if err := s.pool.QueryRow(ctx, `
SELECT coalesce(array_agg(m::text ORDER BY m), '{}') FROM unnest($1::date[]) AS m
WHERE (SELECT count(*) FROM pg_inherits
       WHERE inhparent IN ('incident'::regclass, 'incident_step'::regclass)
         AND inhrelid IN (to_regclass(to_char(m, '"incident_y"YYYY"m"MM')),
                          to_regclass(to_char(m, '"incident_step_y"YYYY"m"MM')))) < 2`, months).Scan(&missing); err != nil {
		return mapErr(err, "incident partitions")
	}
	if len(missing) == 0 {
		return nil
	}
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return mapErr(err, "incident partitions")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, m := range missing {
		if _, err := conn.Exec(ctx, `SELECT gridmap_ensure_incident_month($1::date)`, m); err != nil {
			if a := archivedErr(err); a != nil {
				return a // says where its cases went
			}
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "P0001" {
				return gridmap.Errorf(gridmap.ECONFLICT, "incidents reported in %s cannot be stored: %s", m[:7], pgErr.Message)
			}
			return mapErr(err, fmt.Sprintf("incident partitions of %s", m[:7]))
		}
	}
	return nil
}

// EnsureIncidentMonthsAhead makes the partitions of the current month
// and the next two when missing (Migrate calls it).
func (s *Store) EnsureIncidentMonthsAhead(ctx context.Context) (err error) {
	defer gridmap.Wrap(&err, "postgis.EnsureIncidentMonthsAhead")
	return s.ensureIncidentMonths(ctx, aheadMonths(time.Now()))
}
