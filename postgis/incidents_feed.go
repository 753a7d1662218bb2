package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
)

// IncidentsChannel is the NOTIFY channel on which every write to incidents
// is announced, once per statement (see migration 00003). The payload is
// empty: listeners read the change feed (IncidentChanges).
const IncidentsChannel = gridmap.IncidentsChannel

// The store is the source live keeps its grids and incident aggregate from.
var (
	_ gridmap.GridSource     = (*Store)(nil)
	_ gridmap.IncidentSource = (*Store)(nil)
)

// The change feed. Every incident row carries the id of the transaction
// that last wrote it (txid, set on insert by default and on update by a
// trigger). A reader keeps the snapshot of its previous read; the rows
// written since are exactly those whose transaction is not visible in that
// snapshot and is visible now. Unlike a sequence number, this cannot skip a
// transaction that took its number early and committed late.
const (
	snapshotSQL   = `SELECT pg_current_snapshot()::text`
	allChangesSQL = `SELECT ` + incidentColumns + ` FROM incident i ORDER BY i.id`
	// txid >= xmin of the old snapshot uses incident_txid; everything
	// below it was visible then.
	changesSinceSQL = `
SELECT ` + incidentColumns + ` FROM incident i
WHERE i.txid >= pg_snapshot_xmin($1::pg_snapshot)
  AND NOT pg_visible_in_snapshot(i.txid, $1::pg_snapshot)
ORDER BY i.id`
)

// IncidentChanges calls fn, in id order, for every incident inserted or
// updated after the snapshot since (every incident when since is ""), with
// public fields only, and returns the snapshot to pass next time. It reads
// in one repeatable-read transaction, so nothing written meanwhile is
// missed or seen twice. fn's error stops the read and is returned.
func (s *Store) IncidentChanges(ctx context.Context, since string, fn func(gridmap.Incident) error) (next string, err error) {
	defer gridmap.Wrap(&err, "postgis.IncidentChanges")
	next = since
	err = s.read(ctx, func(p *pgxpool.Pool) (err error) {
		next, err = incidentChanges(ctx, p, since, time.Time{}, fn)
		return err
	})
	return next, err
}

// openChanges begins a read-only repeatable-read transaction on p, reads
// its snapshot (where the next read starts) and runs allSQL, or sinceSQL
// with since, each with args after since (the window's start, as $1 of
// allSQL and $2 of sinceSQL). The caller closes the rows and ends the
// transaction.
func openChanges(ctx context.Context, p *pgxpool.Pool, since, allSQL, sinceSQL string, args ...any) (tx pgx.Tx, rows pgx.Rows, next string, err error) {
	tx, err = p.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, nil, "", mapErr(err, "incidents")
	}
	if err = tx.QueryRow(ctx, snapshotSQL).Scan(&next); err == nil {
		if since == "" {
			rows, err = tx.Query(ctx, allSQL, args...)
		} else {
			rows, err = tx.Query(ctx, sinceSQL, append([]any{since}, args...)...)
		}
	}
	if err != nil {
		tx.Rollback(ctx)
		return nil, nil, "", mapErr(err, "incidents")
	}
	return tx, rows, next, nil
}

// incidentChanges is IncidentChanges on p. A failure after fn saw rows
// is not retried at once on the primary (delivered): the feed reads again
// from since at its next turn, as after any broken read.
// A non-zero from leaves out the incidents reported before it, in SQL
// (IncidentChangesFrom).
func incidentChanges(ctx context.Context, p *pgxpool.Pool, since string, from time.Time, fn func(gridmap.Incident) error) (next string, err error) {
	var tx pgx.Tx
	var rows pgx.Rows
	if from.IsZero() {
		tx, rows, next, err = openChanges(ctx, p, since, allChangesSQL, changesSinceSQL)
	} else {
		tx, rows, next, err = openChanges(ctx, p, since, allChangesFromSQL, changesSinceFromSQL, from)
	}
	if err != nil {
		return since, err
	}
	defer tx.Rollback(ctx)
	defer rows.Close()
	var sc incidentScan
	dest := sc.dest()
	n := 0
	for rows.Next() {
		sc = incidentScan{}
		if err := rows.Scan(dest...); err != nil {
			return since, err
		}
		n++
		if err := fn(sc.incident()); err != nil {
			return since, delivered{err: err}
		}
	}
	if err := rows.Err(); err != nil {
		if n > 0 {
			return since, delivered{err: mapErr(err, "incidents")}
		}
		return since, mapErr(err, "incidents")
	}
	return next, mapErr(tx.Commit(ctx), "incidents")
}

// CountIncidents returns the number of incidents stored (an estimate from
// the planner's statistics when exact is false, for sizing a load).
func (s *Store) CountIncidents(ctx context.Context, exact bool) (n int64, err error) {
	q := `SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'incident'::regclass`
	if exact {
		q = `SELECT count(*) FROM incident`
	}
	err = s.read(ctx, func(p *pgxpool.Pool) error {
		return mapErr(p.QueryRow(ctx, q).Scan(&n), "incidents")
	})
	return n, err
}
