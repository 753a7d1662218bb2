package postgis

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/plan"
)

// Topology checks run in PostGIS over the temporary table topo: the grids
// of the map to check, each flagged with whether its problems are reported
// (scope) and whether the gaps among its children are (gap_scope). For the
// whole map every grid is in scope. For a plan, topo holds the grids the
// plan leaves (planned, in scope) and the current grids around them that
// the checks need: parents, children, siblings and same-level neighbours;
// problems are reported where a changed grid takes part, so problems
// elsewhere on the map do not block a plan.

const createTopoSQL = `
SET LOCAL jit = off; -- PostGIS costs make JIT compile for longer than the checks run
CREATE TEMP TABLE topo (
    code      text NOT NULL,
    name      text NOT NULL DEFAULT '',
    level     text NOT NULL,
    parent    text NOT NULL DEFAULT '',
    attrs     jsonb NOT NULL DEFAULT '{}',
    wkb       bytea,
    geom      geometry,
    scope     boolean NOT NULL DEFAULT false,
    gap_scope boolean NOT NULL DEFAULT false,
    planned   boolean NOT NULL DEFAULT false,
    valid     boolean NOT NULL DEFAULT true
) ON COMMIT DROP;
-- Indexes before any row: an index built after the UPDATEs below would be
-- unusable in this transaction (broken HOT chains set indcheckxmin).
CREATE INDEX ON topo USING gist (geom);
CREATE INDEX ON topo (code);
CREATE INDEX ON topo (parent);
CREATE TEMP TABLE topo_touched (code text PRIMARY KEY) ON COMMIT DROP;
-- The pieces of the polygonal part of g at least min_width wide (mean
-- width 2·area/perimeter, metres on the spheroid), with area (m²).
CREATE OR REPLACE FUNCTION pg_temp.topo_pieces(g geometry, min_width float8)
RETURNS TABLE (piece geometry, area float8, width float8) LANGUAGE sql IMMUTABLE AS $$
    SELECT d.geom, m.a, CASE WHEN m.p > 0 THEN 2 * m.a / m.p ELSE 0 END
    FROM ST_Dump(ST_CollectionExtract(g, 3)) d,
         LATERAL (SELECT ST_Area(d.geom::geography) AS a, ST_Perimeter(d.geom::geography) AS p) m
    WHERE m.a > 0 AND (m.p = 0 OR 2 * m.a / m.p >= min_width)
$$`

// topoMapSQL loads the current map, or one level of it ($1) with the
// parents of its grids (out of scope but in gap scope: the gaps among
// their children of the level are reported, and parts outside them).
const topoMapSQL = `
INSERT INTO topo (code, name, level, parent, geom, scope, gap_scope)
SELECT v.code, v.name, v.level, coalesce(v.parent_code, ''), v.boundary, $1 = '' OR v.level = $1, $1 <> '' AND v.level <> $1
FROM grid_version v
WHERE v.valid_to IS NULL
  AND ($1 = '' OR v.level = $1
       OR v.code IN (SELECT c.parent_code FROM grid_version c WHERE c.valid_to IS NULL AND c.level = $1))`

// topoGeomSQL converts the staged WKB of planned grids.
const topoGeomSQL = `UPDATE topo SET geom = ST_SetSRID(ST_GeomFromWKB(wkb), 4326), wkb = NULL WHERE wkb IS NOT NULL`

// topoFinishSQL marks validity, normalises the orientation of what a plan
// writes, and gathers statistics for the planner.
const topoFinishSQL = `
UPDATE topo SET valid = ST_IsValid(geom);
UPDATE topo SET geom = ST_Multi(ST_ForcePolygonCCW(geom)) WHERE planned;
ANALYZE topo`

// Loading the neighbourhood of a plan's grids. First the parents (new and
// old) of what the plan changes, whose gaps are reported; then children,
// siblings and same-level neighbours. The neighbours query starts from
// the few planned grids and walks grid_version's GiST index.
const (
	topoParentsSQL = `
INSERT INTO topo (code, name, level, parent, geom, gap_scope)
SELECT v.code, v.name, v.level, coalesce(v.parent_code, ''), v.boundary, true
FROM grid_version v
WHERE v.valid_to IS NULL
  AND NOT EXISTS (SELECT 1 FROM topo_touched t WHERE t.code = v.code)
  AND (v.code IN (SELECT parent FROM topo WHERE planned)
       OR v.code IN (SELECT o.parent_code FROM grid_version o JOIN topo_touched t ON t.code = o.code
                     WHERE o.valid_to IS NULL))`
	topoAroundSQL = `
INSERT INTO topo (code, name, level, parent, geom)
SELECT v.code, v.name, v.level, coalesce(v.parent_code, ''), v.boundary
FROM grid_version v
WHERE v.version IN (
        SELECT n.version FROM topo p
        JOIN grid_version n ON n.boundary && p.geom AND n.level = p.level
        WHERE p.planned AND n.valid_to IS NULL
        UNION
        SELECT c.version FROM grid_version c
        WHERE c.valid_to IS NULL
          AND (c.parent_code IN (SELECT code FROM topo WHERE scope OR gap_scope)
               OR c.parent_code IN (SELECT code FROM topo_touched)))
  AND NOT EXISTS (SELECT 1 FROM topo_touched t WHERE t.code = v.code)
  AND NOT EXISTS (SELECT 1 FROM topo x WHERE x.code = v.code)`
)

// topoCheck is one check: a query yielding (kind, codes, level, detail,
// area, width, sliver, x, y, geometry WKB) rows, and whether it takes
// the tolerances ($1 width in metres, $2 sliver area in m²).
type topoCheck struct {
	sql      string
	tolArgs  bool
	planOnly bool
}

var topoChecks = []topoCheck{
	{sql: `
SELECT 'invalid_geometry', ARRAY[code], level, (d).reason, 0::float8, 0::float8, false,
       ST_X((d).location), ST_Y((d).location), ST_AsBinary((d).location)
FROM (SELECT code, level, ST_IsValidDetail(geom) AS d FROM topo WHERE scope AND NOT valid) s`},
	{sql: `
SELECT 'empty', ARRAY[code], level, '', 0::float8, 0::float8, false, NULL::float8, NULL::float8, NULL::bytea
FROM topo WHERE scope AND valid AND (ST_IsEmpty(geom) OR ST_Area(geom) = 0)`},
	{sql: `
SELECT 'malformed_code', ARRAY[code], level, '', 0::float8, 0::float8, false, NULL::float8, NULL::float8, NULL::bytea
FROM topo WHERE scope AND code !~ '^[0-9A-Za-z_-]{1,64}$'`},
	{sql: `
SELECT 'duplicate_code', ARRAY[code], min(level), count(*)::text, 0::float8, 0::float8, false, NULL::float8, NULL::float8, NULL::bytea
FROM topo WHERE scope GROUP BY code HAVING count(*) > 1`},
	{sql: `
SELECT 'unknown_level', ARRAY[t.code], t.level, (SELECT string_agg(name, ', ' ORDER BY rank) FROM grid_level),
       0::float8, 0::float8, false, NULL::float8, NULL::float8, NULL::bytea
FROM topo t WHERE t.scope AND NOT EXISTS (SELECT 1 FROM grid_level l WHERE l.name = t.level)`},
	{sql: `
SELECT 'unknown_parent', ARRAY[t.code, t.parent], t.level,
       CASE WHEN EXISTS (SELECT 1 FROM topo_touched x WHERE x.code = t.parent) THEN 'retired' ELSE 'unknown' END,
       0::float8, 0::float8, false, NULL::float8, NULL::float8, NULL::bytea
FROM topo t
WHERE t.parent <> ''
  AND (t.scope OR EXISTS (SELECT 1 FROM topo_touched x WHERE x.code = t.parent))
  AND NOT EXISTS (SELECT 1 FROM topo p WHERE p.code = t.parent)`},
	{sql: `
SELECT 'parent_level', ARRAY[t.code, p.code], t.level, p.level,
       0::float8, 0::float8, false, NULL::float8, NULL::float8, NULL::bytea
FROM topo t JOIN topo p ON p.code = t.parent
JOIN grid_level lc ON lc.name = t.level JOIN grid_level lp ON lp.name = p.level
WHERE (t.scope OR p.scope) AND lp.rank >= lc.rank`},
	// Overlaps: every pair of intersecting grids of one level, at least
	// one in scope; the pieces of their intersection wider than the
	// tolerance, collected per pair (inside the LATERAL, so no sort).
	{tolArgs: true, sql: `
SELECT 'overlap', ARRAY[a.code, b.code], a.level, '', x.area, x.width, x.area < $2,
       NULL::float8, NULL::float8, ST_AsBinary(x.geom)
FROM topo a
-- LATERAL, so each grid's neighbours come from the GiST index on topo
-- (OFFSET 0 keeps the planner from flattening it into a join on level).
CROSS JOIN LATERAL (SELECT b.code, b.geom FROM topo b
                    WHERE b.geom && a.geom AND b.level = a.level AND b.code > a.code AND b.valid
                      AND (a.scope OR b.scope) OFFSET 0) b
CROSS JOIN LATERAL (SELECT sum(p.area) AS area, max(p.width) AS width, ST_Collect(p.piece) AS geom
                    FROM pg_temp.topo_pieces(ST_Intersection(a.geom, b.geom), $1) p) x
WHERE a.valid AND ST_Intersects(a.geom, b.geom) AND x.geom IS NOT NULL`},
	// Gaps: each piece of a parent that the union of its children leaves
	// uncovered.
	{tolArgs: true, sql: `
SELECT 'gap', ARRAY[p.code], p.child_level, '', x.area, x.width, x.area < $2,
       NULL::float8, NULL::float8, ST_AsBinary(x.piece)
FROM (SELECT t.code, t.geom,
             (SELECT min(c.level) FROM topo c WHERE c.parent = t.code) AS child_level,
             (SELECT ST_Union(c.geom) FROM topo c WHERE c.parent = t.code AND c.valid) AS u
      FROM topo t
      WHERE (t.scope OR t.gap_scope) AND t.valid
        AND EXISTS (SELECT 1 FROM topo c WHERE c.parent = t.code)) p
CROSS JOIN LATERAL pg_temp.topo_pieces(CASE WHEN p.u IS NULL THEN p.geom ELSE ST_Difference(p.geom, p.u) END, $1) x`},
	// Parts outside the parent, per grid.
	{tolArgs: true, sql: `
SELECT 'outside_parent', ARRAY[c.code, p.code], c.level, '', x.area, x.width, x.area < $2,
       NULL::float8, NULL::float8, ST_AsBinary(x.geom)
FROM topo c JOIN topo p ON p.code = c.parent
CROSS JOIN LATERAL (SELECT sum(q.area) AS area, max(q.width) AS width, ST_Collect(q.piece) AS geom
                    FROM pg_temp.topo_pieces(ST_Difference(c.geom, p.geom), $1) q) x
WHERE (c.scope OR p.scope) AND c.valid AND p.valid AND NOT ST_CoveredBy(c.geom, p.geom) AND x.geom IS NOT NULL`},
	// Slivers: polygon parts of a grid under the minimum area. A square
	// degree is at least 3e9 m² below latitude 76°, so parts larger than
	// $2 / 3e9 square degrees skip the (costly) spheroid area.
	{tolArgs: true, sql: `
SELECT 'sliver', ARRAY[t.code], t.level, '', s.a, CASE WHEN s.p > 0 THEN 2 * s.a / s.p ELSE 0 END, true,
       NULL::float8, NULL::float8, ST_AsBinary(s.geom)
FROM topo t
CROSS JOIN LATERAL (SELECT d.geom, ST_Area(d.geom::geography) AS a, ST_Perimeter(d.geom::geography) AS p
                    FROM ST_Dump(t.geom) d
                    WHERE ST_Area(d.geom) < $2 / 3e9 OR abs(ST_YMax(d.geom)) > 76 OR abs(ST_YMin(d.geom)) > 76) s
WHERE t.scope AND t.valid AND s.a < $2 AND $1::float8 IS NOT NULL`},
}

// runChecks runs every check over topo and returns the problems, sorted.
func runChecks(ctx context.Context, tx pgx.Tx, tol gridmap.Tolerances) ([]gridmap.Problem, error) {
	var out []gridmap.Problem
	for _, c := range topoChecks {
		var args []any
		if c.tolArgs {
			args = []any{tol.WidthM, tol.SliverM2}
		}
		rows, err := tx.Query(ctx, c.sql, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p gridmap.Problem
			var kind, level, detail string
			var x, y *float64
			var geomWKB []byte
			if err := rows.Scan(&kind, &p.Codes, &level, &detail, &p.AreaM2, &p.WidthM, &p.Sliver, &x, &y, &geomWKB); err != nil {
				rows.Close()
				return nil, err
			}
			p.Kind, p.Level = gridmap.ProblemKind(kind), gridmap.Level(level)
			if geomWKB != nil {
				g, err := wkb.Unmarshal(geomWKB)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("topology check %s: %w", kind, err)
				}
				p.Geometry = g
			}
			if x != nil && y != nil {
				p.Location = &[2]float64{*x, *y}
			} else if p.Geometry != nil {
				p.Location = representative(p.Geometry)
			}
			p.AreaM2 = math.Round(p.AreaM2*100) / 100
			p.WidthM = math.Round(p.WidthM*1000) / 1000
			p.Message = problemMessage(&p, detail, tol)
			out = append(out, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// representative returns a point of g to print or to zoom to: the centre
// of the bounds of its largest polygon.
func representative(g orb.Geometry) *[2]float64 {
	var best orb.Bound
	area := -1.0
	consider := func(p orb.Polygon) {
		if len(p) == 0 {
			return
		}
		b := p.Bound()
		if a := (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]); a > area {
			best, area = b, a
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		consider(g)
	case orb.MultiPolygon:
		for _, p := range g {
			consider(p)
		}
	case orb.Point:
		return &[2]float64{g[0], g[1]}
	}
	if area < 0 {
		return nil
	}
	c := best.Center()
	return &[2]float64{math.Round(c[0]*1e7) / 1e7, math.Round(c[1]*1e7) / 1e7}
}

func problemMessage(p *gridmap.Problem, detail string, tol gridmap.Tolerances) string {
	code := p.Codes[0]
	second := ""
	if len(p.Codes) > 1 {
		second = p.Codes[1]
	}
	sliver := ""
	if p.Sliver && p.Kind != gridmap.ProblemSliver {
		sliver = fmt.Sprintf(" (a sliver: under %g m²)", tol.SliverM2)
	}
	switch p.Kind {
	case gridmap.ProblemInvalidGeometry:
		return fmt.Sprintf("grid %s has an invalid boundary: %s", code, detail)
	case gridmap.ProblemEmpty:
		return fmt.Sprintf("grid %s has a boundary with no area", code)
	case gridmap.ProblemMalformedCode:
		return fmt.Sprintf("code %q is malformed: a code is 1 to 64 letters, digits, '-' or '_'", code)
	case gridmap.ProblemDuplicateCode:
		return fmt.Sprintf("code %s is used by %s grids", code, detail)
	case gridmap.ProblemUnknownLevel:
		return fmt.Sprintf("grid %s has the unknown level %q; the levels are %s", code, p.Level, detail)
	case gridmap.ProblemUnknownParent:
		if detail == "retired" {
			return fmt.Sprintf("grid %s has the parent %s, which this plan retires: move it to another parent", code, second)
		}
		return fmt.Sprintf("grid %s has the parent %s, which is not a current grid", code, second)
	case gridmap.ProblemParentLevel:
		return fmt.Sprintf("grid %s (level %s) has the parent %s of level %s, which is not above it", code, p.Level, second, detail)
	case gridmap.ProblemOverlap:
		return fmt.Sprintf("grids %s and %s (level %s) overlap by %.2f m²%s", code, second, p.Level, p.AreaM2, sliver)
	case gridmap.ProblemGap:
		return fmt.Sprintf("grid %s has a gap of %.2f m² that none of its children covers%s", code, p.AreaM2, sliver)
	case gridmap.ProblemOutsideParent:
		return fmt.Sprintf("grid %s has %.2f m² outside its parent %s%s", code, p.AreaM2, second, sliver)
	case gridmap.ProblemSliver:
		return fmt.Sprintf("grid %s has a part of %.2f m², under the minimum of %g m²", code, p.AreaM2, tol.SliverM2)
	}
	return string(p.Kind)
}

// ValidateMap checks the current map, or one level of it (with the
// parents of its grids, for gaps and parts outside): every kind of
// problem, each with its area and geometry. Errors: EINVALID for an
// unknown level.
func (p *Plans) ValidateMap(ctx context.Context, level gridmap.Level, tol gridmap.Tolerances) (r gridmap.TopologyReport, err error) {
	defer gridmap.Wrap(&err, "postgis.ValidateMap")
	start := time.Now()
	r.Tolerances = p.tolerances(tol)
	tx, err := p.st.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return r, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	if level != "" {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM grid_level WHERE name = $1)`, string(level)).Scan(&ok); err != nil {
			return r, mapErr(err, "levels")
		}
		if !ok {
			levels, _ := p.st.Levels(ctx)
			return r, gridmap.Errorf(gridmap.EINVALID, "unknown level %q; the levels are %v", level, levels)
		}
	}
	if _, err := tx.Exec(ctx, createTopoSQL); err != nil {
		return r, err
	}
	if _, err := tx.Exec(ctx, topoMapSQL, string(level)); err != nil {
		return r, mapErr(err, "grids")
	}
	if _, err := tx.Exec(ctx, topoFinishSQL); err != nil {
		return r, err
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM topo WHERE scope`).Scan(&r.Grids); err != nil {
		return r, err
	}
	if r.Problems, err = runChecks(ctx, tx, r.Tolerances); err != nil {
		return r, mapErr(err, "topology")
	}
	r.Sort()
	r.Took = time.Since(start)
	return r, nil
}

var topoColumns = []string{"code", "name", "level", "parent", "attrs", "wkb", "scope", "planned"}

// loadPlanTopo fills topo with the grids a plan leaves and the current
// grids around them, and returns the number of planned grids.
func loadPlanTopo(ctx context.Context, tx pgx.Tx, a *plan.Applied) (int, error) {
	if _, err := tx.Exec(ctx, createTopoSQL); err != nil {
		return 0, err
	}
	grids, touched := a.Planned()
	rows := make([][]any, 0, len(grids))
	for _, g := range grids {
		b, err := toWKB(g.Boundary)
		if err != nil {
			return 0, err
		}
		attrs := g.Attributes
		if attrs == nil {
			attrs = map[string]any{}
		}
		rows = append(rows, []any{g.Code, g.Name, string(g.Level), g.Parent, attrs, b, true, true})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"topo"}, topoColumns, pgx.CopyFromRows(rows)); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, topoGeomSQL); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO topo_touched SELECT DISTINCT unnest($1::text[])`, touched); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, topoParentsSQL); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, topoAroundSQL); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, topoFinishSQL); err != nil {
		return 0, err
	}
	return len(grids), nil
}

// validateApplied checks a plan's result loaded into topo: the problems
// the checks find plus the duplicate codes found while applying it.
func validateApplied(ctx context.Context, tx pgx.Tx, a *plan.Applied, n int, tol gridmap.Tolerances) (gridmap.TopologyReport, error) {
	r := gridmap.TopologyReport{Grids: n, Tolerances: tol}
	ps, err := runChecks(ctx, tx, tol)
	if err != nil {
		return r, mapErr(err, "topology")
	}
	r.Problems = append(append(r.Problems, a.Dups...), ps...)
	r.Sort()
	return r, nil
}
