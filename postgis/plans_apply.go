package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/plan"
)

// Applying a plan: the plan engine (package plan) turns the current
// versions of the grids a plan touches into the grids it leaves; this
// file reads those versions and joins boundaries for it. The topology
// checks then run in PostGIS on the result (topology.go).

const currentByCodeSQL = `
SELECT ` + gridColumns + `
FROM grid_version v JOIN grid g ON g.id = v.grid_id
WHERE v.valid_to IS NULL AND v.code = ANY($1)
ORDER BY v.code`

// currentGrids returns the current versions of codes (those that have
// one), by code; forUpdate locks them until the transaction ends.
func currentGrids(ctx context.Context, q querier, codes []string, forUpdate bool) (map[string]gridmap.Grid, error) {
	sql := currentByCodeSQL
	if forUpdate {
		sql += ` FOR UPDATE OF v`
	}
	rows, err := q.Query(ctx, sql, codes)
	if err != nil {
		return nil, mapErr(err, "grids")
	}
	defer rows.Close()
	out := make(map[string]gridmap.Grid, len(codes))
	for rows.Next() {
		g, err := scanGrid(rows)
		if err != nil {
			return nil, err
		}
		out[g.Code] = g
	}
	return out, mapErr(rows.Err(), "grids")
}

// unionSQL joins boundaries into one MultiPolygon, exterior rings
// counter-clockwise.
const unionSQL = `
SELECT ST_AsBinary(ST_Multi(ST_ForcePolygonCCW(ST_CollectionExtract(
    ST_Union(ARRAY(SELECT ST_SetSRID(ST_GeomFromWKB(w), 4326) FROM unnest($1::bytea[]) w)), 3))))`

// unionOf returns the union of the boundaries codes have at this point of
// the plan. Errors: EINVALID when they cannot be joined (invalid input).
func unionOf(ctx context.Context, tx pgx.Tx, a *plan.Applied, codes []string) (orb.MultiPolygon, error) {
	wkbs := make([][]byte, 0, len(codes))
	for _, code := range codes {
		g := a.Live(code)
		if g == nil {
			return nil, gridmap.Errorf(gridmap.EINVALID, "merge: %s is not a current grid", code)
		}
		b, err := toWKB(g.Boundary)
		if err != nil {
			return nil, err
		}
		wkbs = append(wkbs, b)
	}
	// A savepoint, so a GEOS error on bad input does not end the transaction.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer sp.Rollback(ctx)
	var out []byte
	if err := sp.QueryRow(ctx, unionSQL, wkbs).Scan(&out); err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "merge: the boundaries of %v cannot be joined (is one invalid?); send the merged boundary", codes)
	}
	if err := sp.Commit(ctx); err != nil {
		return nil, err
	}
	return multiPolygonFromWKB(out)
}
