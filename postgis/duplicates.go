package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// duplicatesSQL lists the cases related to case $1: the open ones of its
// category within $2 metres and $3 of its report (possible duplicates),
// and those linked to it either way, whatever their place and status.
// location is geometry(4326): the && box (0.001° of latitude is 111 m, of
// longitude at least 50 m below 63° N) uses the GiST index, ST_DWithin on
// geography then measures on the ellipsoid. Linked rows come first, then
// the nearest.
const duplicatesSQL = `
WITH c AS (SELECT id, category, location, reported_at FROM incident WHERE id = $1),
near AS (
    SELECT i.id FROM incident i, c
    WHERE i.id <> c.id AND i.category = c.category AND i.status IN ` + openStatuses + `
      AND i.location && ST_Expand(c.location, 0.001)
      AND ST_DWithin(i.location::geography, c.location::geography, $2)
      AND i.reported_at BETWEEN c.reported_at - $3::interval AND c.reported_at + $3::interval
),
linked AS (
    SELECT main_id AS id, 'main' AS link FROM incident_duplicate WHERE duplicate_id = $1
    UNION ALL
    SELECT duplicate_id, 'duplicate' FROM incident_duplicate WHERE main_id = $1
)
SELECT i.id, i.category, i.status, coalesce(i.grid_code, ''), i.reported_at,
       ST_Distance(i.location::geography, c.location::geography), coalesce(l.link, '')
FROM c, incident i LEFT JOIN linked l ON l.id = i.id
WHERE i.id IN (SELECT id FROM near UNION SELECT id FROM linked)
ORDER BY l.link IS NULL, 6, i.id`

// linkedSQL lists the cases linked to case $1 either way, with their
// distance from it.
const linkedSQL = `
WITH linked AS (
    SELECT main_id AS id, 'main' AS link FROM incident_duplicate WHERE duplicate_id = $1
    UNION ALL
    SELECT duplicate_id, 'duplicate' FROM incident_duplicate WHERE main_id = $1
)
SELECT i.id, i.category, i.status, coalesce(i.grid_code, ''), i.reported_at,
       ST_Distance(i.location::geography, c.location::geography), l.link
FROM linked l JOIN incident i ON i.id = l.id, incident c
WHERE c.id = $1
ORDER BY 6, i.id`

// LinkedCases returns the cases linked to case id: its main case (link
// "main") and its duplicates ("duplicate"), nearest first. An unknown id
// has none.
func (s *Store) LinkedCases(ctx context.Context, id int64) (ds []caseflow.Duplicate, err error) {
	defer gridmap.Wrap(&err, "postgis.LinkedCases(%d)", id)
	rows, err := s.pool.Query(ctx, linkedSQL, id)
	if err != nil {
		return nil, mapErr(err, "duplicates")
	}
	ds, err = pgx.CollectRows(rows, scanDuplicate)
	return ds, mapErr(err, "duplicates")
}

func scanDuplicate(r pgx.CollectableRow) (caseflow.Duplicate, error) {
	var d caseflow.Duplicate
	var cat, st string
	err := r.Scan(&d.ID, &cat, &st, &d.GridCode, &d.ReportedAt, &d.DistanceM, &d.Link)
	d.Category, d.Status = gridmap.Category(cat), gridmap.Status(st)
	return d, err
}

// Duplicates returns the possible duplicates of case id (open cases of its
// category within caseflow.DuplicateRadiusM metres and DuplicateWindow of
// its report) and the cases linked to it, all in SQL. The API finds the
// possible ones in the in-memory aggregate instead (heat.Aggregate.Near):
// with no index on incident locations this reads every open case of the
// window (670–880 ms on 1M incidents), and a GiST index, which made it 4–16
// ms, cost bulk imports 29–43% of their rate (BenchmarkDuplicates). It stays
// as the reference the tests check the API against. Errors: ENOTFOUND.
func (s *Store) Duplicates(ctx context.Context, id int64) (ds []caseflow.Duplicate, err error) {
	defer gridmap.Wrap(&err, "postgis.Duplicates(%d)", id)
	var one int
	if err := s.pool.QueryRow(ctx, `SELECT 1 FROM incident WHERE id = $1`, id).Scan(&one); err != nil {
		return nil, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	rows, err := s.pool.Query(ctx, duplicatesSQL, id, float64(caseflow.DuplicateRadiusM), caseflow.DuplicateWindow)
	if err != nil {
		return nil, mapErr(err, "duplicates")
	}
	ds, err = pgx.CollectRows(rows, scanDuplicate)
	if ds == nil {
		ds = []caseflow.Duplicate{}
	}
	return ds, mapErr(err, "duplicates")
}

// linkDuplicateSQL links $1 to main case $2, or moves an existing link.
const linkDuplicateSQL = `
INSERT INTO incident_duplicate (duplicate_id, main_id, linked_by, token_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (duplicate_id) DO UPDATE SET main_id = EXCLUDED.main_id, linked_at = now(),
    linked_by = EXCLUDED.linked_by, token_id = EXCLUDED.token_id`

// LinkDuplicate links case id to its main case main (relinking moves it),
// by who. A main case is not itself a duplicate, nor a duplicate a main
// case: chains would be counted neither once nor together. Errors:
// ENOTFOUND for either case, EINVALID for a case linked to itself, ECONFLICT
// for a chain.
func (s *Store) LinkDuplicate(ctx context.Context, id, main int64, by gridmap.Actor) (err error) {
	defer gridmap.Wrap(&err, "postgis.LinkDuplicate(%d, %d)", id, main)
	if id == main {
		return gridmap.Errorf(gridmap.EINVALID, "a case cannot be its own duplicate: main must be another case's id")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	// Lock both rows in id order, so two links at once cannot make a chain.
	rows, err := tx.Query(ctx, `SELECT id FROM incident WHERE id = ANY($1) ORDER BY id FOR UPDATE`, []int64{id, main})
	if err != nil {
		return mapErr(err, "incidents")
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return mapErr(err, "incidents")
	}
	for _, want := range []int64{id, main} {
		if !containsID(found, want) {
			return gridmap.Errorf(gridmap.ENOTFOUND, "incident %d not found", want)
		}
	}
	var mainOf int64
	err = tx.QueryRow(ctx, `SELECT main_id FROM incident_duplicate WHERE duplicate_id = $1`, main).Scan(&mainOf)
	switch {
	case err == nil:
		return gridmap.Errorf(gridmap.ECONFLICT, "case %d is itself a duplicate of case %d: link to %d instead", main, mainOf, mainOf)
	case err != pgx.ErrNoRows:
		return mapErr(err, "duplicates")
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM incident_duplicate WHERE main_id = $1`, id).Scan(&n); err != nil {
		return mapErr(err, "duplicates")
	}
	if n > 0 {
		return gridmap.Errorf(gridmap.ECONFLICT, "case %d is the main case of %d duplicate(s): unlink them first, or link case %d to this one", id, n, main)
	}
	if _, err := tx.Exec(ctx, linkDuplicateSQL, id, main, by.Name, tokenArg(by)); err != nil {
		return mapErr(err, "duplicates")
	}
	// Touch the duplicate's row: the change feed brings it to the
	// indicators (duplicates counted), as it does every write.
	if _, err := tx.Exec(ctx, `UPDATE incident SET updated_at = now() WHERE id = $1`, id); err != nil {
		return mapErr(err, "duplicates")
	}
	return mapErr(tx.Commit(ctx), "duplicates")
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// UnlinkDuplicate removes case id's link to its main case. Errors:
// ENOTFOUND when it is not linked.
func (s *Store) UnlinkDuplicate(ctx context.Context, id int64) (err error) {
	defer gridmap.Wrap(&err, "postgis.UnlinkDuplicate(%d)", id)
	// The row is touched, as LinkDuplicate does, for the change feed.
	tag, err := s.pool.Exec(ctx, `
WITH d AS (DELETE FROM incident_duplicate WHERE duplicate_id = $1 RETURNING duplicate_id)
UPDATE incident SET updated_at = now() WHERE id IN (SELECT duplicate_id FROM d)`, id)
	if err != nil {
		return mapErr(err, "duplicates")
	}
	if tag.RowsAffected() == 0 {
		return gridmap.Errorf(gridmap.ENOTFOUND, "incident %d is not linked as a duplicate", id)
	}
	return nil
}
