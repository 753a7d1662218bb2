package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
)

// gridColumns is the select list every grid query shares; scanGrid reads it.
const gridColumns = `g.id, v.code, v.name, v.level, coalesce(v.parent_code, ''), v.attributes,
	ST_AsBinary(v.boundary), v.version, v.valid_from, v.valid_to`

func scanGrid(row pgx.Row) (gridmap.Grid, error) {
	var g gridmap.Grid
	var wkbBytes []byte
	var level string
	if err := row.Scan(&g.ID, &g.Code, &g.Name, &level, &g.Parent, &g.Attributes,
		&wkbBytes, &g.Version, &g.ValidFrom, &g.ValidTo); err != nil {
		return g, err
	}
	g.Level = gridmap.Level(level)
	mp, err := multiPolygonFromWKB(wkbBytes)
	if err != nil {
		return g, err
	}
	g.Boundary = mp
	return g, nil
}

// listGridsSQL selects the versions valid at $1 (NULL: current). The
// current-only branch hits the partial indexes on valid_to IS NULL.
const listGridsSQL = `
SELECT ` + gridColumns + `
FROM grid_version v JOIN grid g ON g.id = v.grid_id
WHERE (CASE WHEN $1::timestamptz IS NULL THEN v.valid_to IS NULL
            ELSE v.valid_from <= $1 AND (v.valid_to IS NULL OR v.valid_to > $1) END)
  AND ($2 = '' OR v.level = $2)
  AND ($3 = '' OR v.parent_code = $3)
  AND ($4::float8 IS NULL OR v.boundary && ST_MakeEnvelope($4, $5, $6, $7, 4326)
       AND ST_Intersects(v.boundary, ST_MakeEnvelope($4, $5, $6, $7, 4326)))
  AND v.code > $8
ORDER BY v.code
LIMIT CASE WHEN $9 > 0 THEN $9 END`

// ListGrids calls fn for each grid matching f, ordered by code, streaming
// rows from the database. Bounds are EPSG:4326 degrees.
func (s *Store) ListGrids(ctx context.Context, f gridmap.GridFilter, fn func(gridmap.Grid) error) (err error) {
	defer gridmap.Wrap(&err, "postgis.ListGrids")
	var minX, minY, maxX, maxY *float64
	if f.BBox != nil {
		minX, minY, maxX, maxY = &f.BBox.Min[0], &f.BBox.Min[1], &f.BBox.Max[0], &f.BBox.Max[1]
	}
	return s.read(ctx, func(p *pgxpool.Pool) error {
		rows, err := p.Query(ctx, listGridsSQL, f.AsOf, string(f.Level), f.Parent,
			minX, minY, maxX, maxY, f.After, f.Limit)
		if err != nil {
			return mapErr(err, "grids")
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			g, err := scanGrid(rows)
			if err != nil {
				return err
			}
			n++
			if err := fn(g); err != nil {
				return delivered{err: err}
			}
		}
		if err := rows.Err(); err != nil && n > 0 {
			return delivered{err: mapErr(err, "grids")}
		}
		return mapErr(rows.Err(), "grids")
	})
}

// CurrentGrids returns every current grid, with its Members, and the data
// version they belong to (see DataVersion).
func (s *Store) CurrentGrids(ctx context.Context) (grids []gridmap.Grid, version int64, err error) {
	defer gridmap.Wrap(&err, "postgis.CurrentGrids")
	err = s.read(ctx, func(p *pgxpool.Pool) (err error) {
		grids, version, err = loadCurrentGrids(ctx, p)
		return err
	})
	return grids, version, err
}

func loadCurrentGrids(ctx context.Context, p *pgxpool.Pool) (grids []gridmap.Grid, version int64, err error) {
	// One repeatable-read transaction so the grids and the version agree.
	tx, err := p.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, mapErr(err, "grids")
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, dataVersionSQL).Scan(&version); err != nil {
		return nil, 0, mapErr(err, "data version")
	}
	rows, err := tx.Query(ctx, listGridsSQL, nil, "", "", nil, nil, nil, nil, "", 0)
	if err != nil {
		return nil, 0, mapErr(err, "grids")
	}
	defer rows.Close()
	for rows.Next() {
		g, err := scanGrid(rows)
		if err != nil {
			return nil, 0, err
		}
		grids = append(grids, g)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, mapErr(err, "grids")
	}
	mrows, err := tx.Query(ctx, `SELECT grid_code, role, name, contact FROM grid_member WHERE valid_to IS NULL ORDER BY grid_code, role, id`)
	if err != nil {
		return nil, 0, mapErr(err, "members")
	}
	members, err := pgx.CollectRows(mrows, scanMember)
	if err != nil {
		return nil, 0, mapErr(err, "members")
	}
	byCode := make(map[string]int, len(grids))
	for i := range grids {
		byCode[grids[i].Code] = i
	}
	for _, m := range members {
		if i, ok := byCode[m.GridCode]; ok {
			grids[i].Members = append(grids[i].Members, m)
		}
	}
	return grids, version, nil
}

func scanMember(r pgx.CollectableRow) (gridmap.Member, error) {
	var m gridmap.Member
	err := r.Scan(&m.GridCode, &m.Role, &m.Name, &m.Contact)
	return m, err
}

const dataVersionSQL = `SELECT data_version FROM gridmap_state`

// DataVersion returns the data version: a number that grows with every
// change to grids or members (0 for a new database).
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, dataVersionSQL).Scan(&v)
	return v, mapErr(err, "data version")
}

const gridSQL = `
SELECT ` + gridColumns + `
FROM grid_version v JOIN grid g ON g.id = v.grid_id
WHERE v.code = $1
  AND (CASE WHEN $2::timestamptz IS NULL THEN v.valid_to IS NULL
            ELSE v.valid_from <= $2 AND (v.valid_to IS NULL OR v.valid_to > $2) END)`

// Grid returns the version of the grid valid at asOf (nil: the current one).
// Errors: ENOTFOUND when the code is unknown or had no version at asOf.
func (s *Store) Grid(ctx context.Context, code string, asOf *time.Time) (g gridmap.Grid, err error) {
	g, err = scanGrid(s.pool.QueryRow(ctx, gridSQL, code, asOf))
	if err != nil {
		what := "grid " + code
		if asOf != nil {
			what += " at " + asOf.UTC().Format(time.RFC3339)
		}
		return g, mapErr(err, what)
	}
	return g, nil
}

// membersSQL: the people serving grids $1 now ($2 NULL) or at $2 (the
// roster is versioned, migration 00012).
const membersSQL = `
SELECT grid_code, role, name, contact FROM grid_member
WHERE grid_code = ANY($1) AND ` + membersAtSQL + `
ORDER BY grid_code, role, id`

// Members returns the people responsible for the given grid codes, ordered
// by grid code and role. Contact is personal data; callers decide who sees it.
func (s *Store) Members(ctx context.Context, codes []string) (ms []gridmap.Member, err error) {
	defer gridmap.Wrap(&err, "postgis.Members")
	rows, err := s.pool.Query(ctx, membersSQL, codes, nil)
	if err != nil {
		return nil, mapErr(err, "members")
	}
	ms, err = pgx.CollectRows(rows, scanMember)
	return ms, mapErr(err, "members")
}

// Levels returns the configured grid levels, top first.
func (s *Store) Levels(ctx context.Context) ([]gridmap.Level, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM grid_level ORDER BY rank`)
	if err != nil {
		return nil, mapErr(err, "levels")
	}
	ls, err := pgx.CollectRows(rows, pgx.RowTo[gridmap.Level])
	return ls, mapErr(err, "levels")
}
