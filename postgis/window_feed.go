package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/indicators"
)

// The change feeds of an instance with a memory window (issue 17): the
// incidents reported before the window are left out in SQL, so with
// monthly partitions a load reads only the window's months.
const (
	allChangesFromSQL   = `SELECT ` + incidentColumns + ` FROM incident i WHERE i.reported_at >= $1 ORDER BY i.id`
	changesSinceFromSQL = `
SELECT ` + incidentColumns + ` FROM incident i
WHERE i.txid >= pg_snapshot_xmin($1::pg_snapshot)
  AND NOT pg_visible_in_snapshot(i.txid, $1::pg_snapshot)
  AND i.reported_at >= $2
ORDER BY i.id`
	allCasesFromSQL     = `SELECT ` + caseColumns + ` WHERE i.reported_at >= $1 ORDER BY i.id`
	casesChangedFromSQL = `SELECT ` + caseColumns + `
WHERE i.txid >= pg_snapshot_xmin($1::pg_snapshot)
  AND NOT pg_visible_in_snapshot(i.txid, $1::pg_snapshot)
  AND i.reported_at >= $2
ORDER BY i.id`
)

// IncidentChangesFrom is IncidentChanges leaving out the incidents
// reported before from.
func (s *Store) IncidentChangesFrom(ctx context.Context, since string, from time.Time, fn func(gridmap.Incident) error) (next string, err error) {
	defer gridmap.Wrap(&err, "postgis.IncidentChangesFrom")
	next = since
	err = s.read(ctx, func(p *pgxpool.Pool) (err error) {
		next, err = incidentChanges(ctx, p, since, from, fn)
		return err
	})
	return next, err
}

// CaseChangesFrom is CaseChanges leaving out the cases reported before
// from.
func (s *Store) CaseChangesFrom(ctx context.Context, since string, from time.Time, fn func(indicators.Case) error) (next string, err error) {
	defer gridmap.Wrap(&err, "postgis.CaseChangesFrom")
	return s.caseChanges(ctx, since, from, fn)
}
