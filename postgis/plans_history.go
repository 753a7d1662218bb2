package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
)

// gridHistorySQL lists every version of a grid, oldest first, with the
// plan that wrote it and the plan that closed it, where plans did.
const gridHistorySQL = `
SELECT ` + gridColumns + `,
       coalesce(gp.plan_id, 0), coalesce(p.title, ''), coalesce(p.published_by, ''), coalesce(p.forced, false),
       coalesce(gp.closed_by_plan, 0)
FROM grid_version v JOIN grid g ON g.id = v.grid_id
LEFT JOIN grid_version_plan gp ON gp.version = v.version
LEFT JOIN plan p ON p.id = gp.plan_id
WHERE v.code = $1
ORDER BY v.valid_from, v.version`

// GridHistory returns every version of grid code, oldest first: each
// version's data and validity, and the plan (with who published it) that
// wrote and closed it. Errors: ENOTFOUND when the code never existed.
func (p *Plans) GridHistory(ctx context.Context, code string) (vs []gridmap.GridVersion, err error) {
	defer gridmap.Wrap(&err, "postgis.GridHistory(%q)", code)
	rows, err := p.st.pool.Query(ctx, gridHistorySQL, code)
	if err != nil {
		return nil, mapErr(err, "grid history")
	}
	defer rows.Close()
	for rows.Next() {
		var gv gridmap.GridVersion
		var wkbBytes []byte
		var level string
		if err := rows.Scan(&gv.ID, &gv.Code, &gv.Name, &level, &gv.Parent, &gv.Attributes,
			&wkbBytes, &gv.Version, &gv.ValidFrom, &gv.ValidTo,
			&gv.PlanID, &gv.PlanTitle, &gv.PublishedBy, &gv.Forced, &gv.RetiredByPlan); err != nil {
			return nil, err
		}
		gv.Level = gridmap.Level(level)
		if gv.Boundary, err = multiPolygonFromWKB(wkbBytes); err != nil {
			return nil, err
		}
		vs = append(vs, gv)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "grid history")
	}
	if len(vs) == 0 {
		return nil, gridmap.Errorf(gridmap.ENOTFOUND, "grid %s not found: it has no version, current or past", code)
	}
	return vs, nil
}

// mapKeySQL counts the grid versions and roster rows begun and ended by
// $1. All only grow with time, so two times with equal counts have the
// same versions and people valid.
const mapKeySQL = `
SELECT (SELECT count(*) FILTER (WHERE valid_from <= $1) FROM grid_version),
       (SELECT count(*) FILTER (WHERE valid_to <= $1) FROM grid_version),
       (SELECT count(*) FILTER (WHERE valid_from <= $1) FROM grid_member),
       (SELECT count(*) FILTER (WHERE valid_to <= $1) FROM grid_member)`

// MapKeyAt returns a key of the map as it was at t: equal for two times
// exactly when the same grid versions were valid at both. It reads the
// validity columns of every version (small: one row per change).
func (s *Store) MapKeyAt(ctx context.Context, t time.Time) (key string, err error) {
	err = s.read(ctx, func(p *pgxpool.Pool) (err error) {
		key, err = mapKey(ctx, p, t)
		return err
	})
	return key, err
}

func mapKey(ctx context.Context, q querier, t time.Time) (string, error) {
	var begun, ended, mBegun, mEnded int64
	if err := q.QueryRow(ctx, mapKeySQL, t).Scan(&begun, &ended, &mBegun, &mEnded); err != nil {
		return "", mapErr(err, "grid versions")
	}
	return fmt.Sprintf("%d.%d.%d.%d", begun, ended, mBegun, mEnded), nil
}

// GridsAt returns the grids valid at t with the members who served them
// then (the roster is versioned, migration 00012),
// ordered by code, and the map's key (see MapKeyAt), read in one snapshot.
func (s *Store) GridsAt(ctx context.Context, t time.Time) (grids []gridmap.Grid, key string, err error) {
	defer gridmap.Wrap(&err, "postgis.GridsAt")
	err = s.read(ctx, func(p *pgxpool.Pool) (err error) {
		grids, key, err = gridsAt(ctx, p, t)
		return err
	})
	return grids, key, err
}

func gridsAt(ctx context.Context, p *pgxpool.Pool, t time.Time) (grids []gridmap.Grid, key string, err error) {
	tx, err := p.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, "", mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	if key, err = mapKey(ctx, tx, t); err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, listGridsSQL, t, "", "", nil, nil, nil, nil, "", 0)
	if err != nil {
		return nil, "", mapErr(err, "grids")
	}
	grids, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridmap.Grid, error) { return scanGrid(r) })
	if err != nil {
		return nil, "", mapErr(err, "grids")
	}
	codes := make([]string, len(grids))
	byCode := make(map[string]int, len(grids))
	for i, g := range grids {
		codes[i] = g.Code
		byCode[g.Code] = i
	}
	mrows, err := tx.Query(ctx, membersSQL, codes, t)
	if err != nil {
		return nil, "", mapErr(err, "members")
	}
	members, err := pgx.CollectRows(mrows, scanMember)
	if err != nil {
		return nil, "", mapErr(err, "members")
	}
	for _, m := range members {
		grids[byCode[m.GridCode]].Members = append(grids[byCode[m.GridCode]].Members, m)
	}
	return grids, key, nil
}
