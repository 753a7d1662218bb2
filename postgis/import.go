package postgis

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

// ImportOptions controls ImportGrids.
type ImportOptions struct {
	// Level of every imported grid; it must be a row of grid_level.
	Level gridmap.Level
	// MakeValid repairs invalid boundaries with ST_MakeValid instead of
	// refusing them.
	MakeValid bool
}

// ImportResult counts what an import did.
type ImportResult struct {
	Read      int // features read
	Inserted  int // new grid codes
	Updated   int // existing codes given a new version
	Unchanged int // existing codes whose data was identical
	Repaired  int // boundaries repaired by ST_MakeValid
}

// maxListedProblems bounds the problems one error lists; a file with
// thousands of bad features is still refused whole, with the count.
const maxListedProblems = 500

// ImportGrids writes rows as grids of one level in a single transaction:
// new codes get their first version, changed codes a new version (the old
// one closed), identical ones nothing. Ring orientation is normalised
// (exterior counter-clockwise, RFC 7946). Before anything is written every row
// is checked: rows yielding a *gridmap.ItemError, invalid geometry (with its
// location from ST_IsValidDetail) unless MakeValid, duplicate or malformed
// codes, unknown parents. Any problem aborts the import with an EINVALID
// *gridmap.Error whose Details is the []gridmap.ItemError, and nothing is
// written.
func (s *Store) ImportGrids(ctx context.Context, opts ImportOptions, rows iter.Seq2[gridmap.GridRow, error]) (res ImportResult, err error) {
	defer gridmap.Wrap(&err, "postgis.ImportGrids")
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return res, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)

	var known bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM grid_level WHERE name = $1)`, string(opts.Level)).Scan(&known); err != nil {
		return res, err
	}
	if !known {
		levels, _ := s.Levels(ctx)
		return res, gridmap.Errorf(gridmap.EINVALID, "unknown level %q; the levels are %v", opts.Level, levels)
	}
	if _, err := tx.Exec(ctx, createStageSQL); err != nil {
		return res, err
	}

	var problems []gridmap.ItemError
	next, stop := iter.Pull2(rows)
	defer stop()
	var fatal error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for {
			row, err, ok := next()
			if !ok {
				return nil, nil
			}
			var ie *gridmap.ItemError
			switch {
			case errors.As(err, &ie):
				problems = append(problems, *ie)
				res.Read++
				continue
			case err != nil:
				fatal = err
				return nil, err
			}
			res.Read++
			wkbBytes, err := toWKB(row.Boundary)
			if err != nil {
				return nil, err
			}
			return []any{row.Index, row.Code, row.Name, row.Parent, string(opts.Level), row.Attributes, wkbBytes}, nil
		}
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage"}, stageColumns, src); err != nil {
		if fatal != nil {
			return res, fatal
		}
		return res, err
	}

	p, repaired, err := checkStage(ctx, tx, opts.MakeValid)
	if err != nil {
		return res, err
	}
	res.Repaired = repaired
	problems = append(problems, p...)
	if len(problems) > 0 {
		return res, problemsError(problems, res.Read)
	}
	if err := applyStage(ctx, tx, &res); err != nil {
		return res, err
	}
	return res, mapErr(tx.Commit(ctx), "import")
}

var stageColumns = []string{"idx", "code", "name", "parent", "level", "attrs", "wkb"}

// stage holds the rows of one import or demo until they pass every check.
const createStageSQL = `
CREATE TEMP TABLE stage (
    idx    int NOT NULL,
    code   text NOT NULL,
    name   text NOT NULL,
    parent text NOT NULL DEFAULT '',
    level  text NOT NULL,
    attrs  jsonb NOT NULL DEFAULT '{}',
    wkb    bytea,
    geom   geometry
) ON COMMIT DROP`

const (
	stageGeomSQL = `UPDATE stage SET geom = ST_SetSRID(ST_GeomFromWKB(wkb), 4326), wkb = NULL WHERE wkb IS NOT NULL`
	// Keep only the polygonal part of a repair: ST_MakeValid may add lines
	// or points where a ring touched itself.
	stageRepairSQL = `
UPDATE stage SET geom = ST_CollectionExtract(ST_MakeValid(geom), 3)
WHERE NOT ST_IsValid(geom)`
	stageNormaliseSQL = `UPDATE stage SET geom = ST_Multi(ST_ForcePolygonCCW(geom))`
)

// The checks on staged rows; each yields (idx, code, field, message, x, y).
const (
	stageInvalidSQL = `
SELECT idx, code, 'geometry',
       'invalid geometry: ' || (d).reason || ' (repair it, or import with --make-valid)',
       ST_X((d).location), ST_Y((d).location)
FROM (SELECT idx, code, ST_IsValidDetail(geom) AS d FROM stage) s
WHERE NOT (d).valid`
	stageEmptySQL = `
SELECT idx, code, 'geometry', 'the boundary has no area', NULL::float8, NULL::float8
FROM stage WHERE ST_IsEmpty(geom) OR ST_Area(geom) = 0`
	stageBadCodeSQL = `
SELECT idx, code, 'code', 'a code is 1 to 64 letters, digits, ''-'' or ''_''', NULL::float8, NULL::float8
FROM stage WHERE code !~ '^[0-9A-Za-z_-]{1,64}$'`
	stageDupSQL = `
SELECT idx, code, 'code', format('duplicate code: features[%s] has it too', first), NULL::float8, NULL::float8
FROM (SELECT idx, code, min(idx) OVER (PARTITION BY code) AS first FROM stage) s
WHERE idx <> first`
	stageParentSQL = `
SELECT s.idx, s.code, 'parent',
       format('unknown parent %s: it is neither in this file nor a current grid', s.parent),
       NULL::float8, NULL::float8
FROM stage s
WHERE s.parent <> ''
  AND NOT EXISTS (SELECT 1 FROM stage p WHERE p.code = s.parent)
  AND NOT EXISTS (SELECT 1 FROM grid_version v WHERE v.valid_to IS NULL AND v.code = s.parent)`
)

// checkStage converts the staged WKB, repairs or checks validity, normalises
// orientation and runs every check, returning the problems found.
func checkStage(ctx context.Context, tx pgx.Tx, makeValid bool) (problems []gridmap.ItemError, repaired int, err error) {
	if _, err := tx.Exec(ctx, stageGeomSQL); err != nil {
		return nil, 0, err
	}
	checks := []string{stageEmptySQL, stageBadCodeSQL, stageDupSQL, stageParentSQL}
	if makeValid {
		tag, err := tx.Exec(ctx, stageRepairSQL)
		if err != nil {
			return nil, 0, err
		}
		repaired = int(tag.RowsAffected())
	} else {
		checks = append([]string{stageInvalidSQL}, checks...)
	}
	if _, err := tx.Exec(ctx, stageNormaliseSQL); err != nil {
		return nil, 0, err
	}
	for _, q := range checks {
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		for rows.Next() {
			var p gridmap.ItemError
			var x, y *float64
			if err := rows.Scan(&p.Index, &p.Code, &p.Field, &p.Message, &x, &y); err != nil {
				return nil, 0, err
			}
			if x != nil && y != nil {
				p.Location = &[2]float64{*x, *y}
			}
			problems = append(problems, p)
		}
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
	}
	return problems, repaired, nil
}

// problemsError sorts problems by item and wraps them, at most
// maxListedProblems of them, in one EINVALID error.
func problemsError(problems []gridmap.ItemError, read int) error {
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Index < problems[j].Index })
	items := map[int]bool{}
	for _, p := range problems {
		items[p.Index] = true
	}
	msg := fmt.Sprintf("%d of %d features have problems (%d problems); nothing was imported", len(items), read, len(problems))
	if len(problems) > maxListedProblems {
		problems = problems[:maxListedProblems]
		msg += fmt.Sprintf("; the first %d are listed", maxListedProblems)
	}
	return &gridmap.Error{Code: gridmap.EINVALID, Message: msg, Details: problems}
}

// applyStage writes the checked stage as grid versions: new codes inserted,
// changed codes versioned (the old version closed at now()), identical ones
// left alone. All versions of one transaction share now() as valid_from.
func applyStage(ctx context.Context, tx pgx.Tx, res *ImportResult) error {
	tag, err := tx.Exec(ctx, `INSERT INTO grid (code) SELECT code FROM stage ON CONFLICT (code) DO NOTHING`)
	if err != nil {
		return err
	}
	res.Inserted = int(tag.RowsAffected())
	tag, err = tx.Exec(ctx, closeChangedSQL)
	if err != nil {
		return err
	}
	res.Updated = int(tag.RowsAffected())
	tag, err = tx.Exec(ctx, insertVersionsSQL)
	if err != nil {
		return mapErr(err, "grid version")
	}
	res.Unchanged = res.Read - int(tag.RowsAffected())
	return nil
}

const (
	// ST_OrderingEquals is exact and cheap: orientation was normalised, so
	// re-importing the same file compares equal.
	closeChangedSQL = `
UPDATE grid_version v SET valid_to = now()
FROM stage s
WHERE v.code = s.code AND v.valid_to IS NULL
  AND ((v.name, v.level, coalesce(v.parent_code, ''), v.attributes)
       IS DISTINCT FROM (s.name, s.level, s.parent, s.attrs)
       OR NOT ST_OrderingEquals(v.boundary, s.geom))`
	insertVersionsSQL = `
INSERT INTO grid_version (grid_id, code, name, level, parent_code, attributes, boundary, valid_from)
SELECT g.id, s.code, s.name, s.level, nullif(s.parent, ''), s.attrs, s.geom, now()
FROM stage s JOIN grid g ON g.code = s.code
WHERE NOT EXISTS (SELECT 1 FROM grid_version v WHERE v.code = s.code AND v.valid_to IS NULL)`
)
