package postgis

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/plan"
)

// publishLock is the advisory lock key that serialises publications and
// direct edits, so each validates against the map the one before it left.
const publishLock = 0x67726d70 // "grmp"

// prepare reads draft id, refuses it when stale, applies its changes to
// the current map and loads the result into topo. lock takes row locks on
// the plan and the grids it touches (for publishing).
func prepare(ctx context.Context, tx pgx.Tx, id int64, lock bool, ifRevision int64) (pl gridmap.Plan, a *plan.Applied, n int, err error) {
	if lock {
		pl, err = lockDraft(ctx, tx, id, ifRevision)
	} else {
		pl, err = loadPlan(ctx, tx, id, false)
		if err == nil && pl.Status != gridmap.PlanDraft {
			err = gridmap.Errorf(gridmap.ECONFLICT, "plan %d is %s; only a draft is validated or assessed", id, pl.Status)
		}
	}
	if err != nil {
		return pl, nil, 0, err
	}
	// The children of grids merged or split come along: they may get
	// another parent (plan.Applied.Apply).
	interior, err := childrenOf(ctx, tx, plan.ReshapedCodes(pl.Changes))
	if err != nil {
		return pl, nil, 0, err
	}
	codes := plan.ReferencedCodes(pl.Changes)
	for code := range interior {
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	cur, err := currentGrids(ctx, tx, codes, lock)
	if err != nil {
		return pl, nil, 0, err
	}
	if c := plan.Conflicts(pl.Changes, cur); len(c) > 0 {
		return pl, nil, 0, staleError(id, c)
	}
	rows, err := tx.Query(ctx, membersSQL, slices.Collect(maps.Keys(cur)), nil)
	if err != nil {
		return pl, nil, 0, mapErr(err, "members")
	}
	members, err := pgx.CollectRows(rows, scanMember)
	if err != nil {
		return pl, nil, 0, mapErr(err, "members")
	}
	a = plan.New(cur, members)
	a.Interior = interior
	for i := range pl.Changes {
		if err := a.Apply(i, &pl.Changes[i]); err != nil {
			return pl, nil, 0, gridmap.Errorf(gridmap.ECONFLICT, "plan %d no longer applies to the current map: %s", id, gridmap.ErrorMessage(err))
		}
	}
	n, err = loadPlanTopo(ctx, tx, a)
	return pl, a, n, err
}

const childrenSQL = `
SELECT code, ST_X(p), ST_Y(p) FROM (
    SELECT code, ST_PointOnSurface(boundary) p FROM grid_version
    WHERE valid_to IS NULL AND parent_code = ANY($1)) s`

// childrenOf returns the current children of the grids codes, each with a
// point inside it.
func childrenOf(ctx context.Context, tx pgx.Tx, codes []string) (map[string]orb.Point, error) {
	out := map[string]orb.Point{}
	if len(codes) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, childrenSQL, codes)
	if err != nil {
		return nil, mapErr(err, "grids")
	}
	var code string
	var p orb.Point
	_, err = pgx.ForEachRow(rows, []any{&code, &p[0], &p[1]}, func() error { out[code] = p; return nil })
	return out, mapErr(err, "grids")
}

// ValidatePlan checks the current map with draft id applied and reports
// the problems that concern the grids it changes (their overlaps with
// neighbours, gaps in their parents, parts outside, slivers, invalid
// geometry, duplicate or malformed codes, broken parents). Zero fields of
// tol take the service's tolerances. Errors: ENOTFOUND; ECONFLICT when the
// plan is stale (Details: conflicts) or not a draft.
func (p *Plans) ValidatePlan(ctx context.Context, id int64, tol gridmap.Tolerances) (r gridmap.TopologyReport, err error) {
	defer gridmap.Wrap(&err, "postgis.ValidatePlan(%d)", id)
	start := time.Now()
	tx, err := p.st.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return r, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	_, a, n, err := prepare(ctx, tx, id, false, 0)
	if err != nil {
		return r, err
	}
	r, err = validateApplied(ctx, tx, a, n, p.tolerances(tol))
	r.Took = time.Since(start)
	return r, err
}

// PlanImpact says what publishing draft id would do: the grids added,
// changed and retired, and the incidents that would move to another grid
// (each incident is located in the new map exactly as a new incident
// would be, through a geo.Index of the map with the plan applied).
// Errors: ENOTFOUND, ECONFLICT (stale, not a draft).
func (p *Plans) PlanImpact(ctx context.Context, id int64) (im gridmap.Impact, err error) {
	defer gridmap.Wrap(&err, "postgis.PlanImpact(%d)", id)
	tx, err := p.st.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return im, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	_, a, _, err := prepare(ctx, tx, id, false, 0)
	if err != nil {
		return im, err
	}
	moves, err := computeMoves(ctx, tx, a)
	if err != nil {
		return im, err
	}
	return impactOf(ctx, tx, a, moves)
}

const candidateCodesSQL = `SELECT coalesce(array_agg(code), '{}') FROM (SELECT code FROM topo UNION SELECT code FROM topo_touched) s`

// The incidents a plan may move: those assigned to a grid it changes or to
// a grid around them (through incident_grid_id), and those outside every
// grid that a planned grid now covers.
const candidatesSQL = `
SELECT i.id, i.external_id, i.category, i.status, coalesce(i.grid_code, ''), ST_X(i.location), ST_Y(i.location)
FROM incident i WHERE i.grid_code = ANY($1)
UNION ALL
SELECT i.id, i.external_id, i.category, i.status, '', ST_X(i.location), ST_Y(i.location)
FROM incident i
WHERE i.grid_code IS NULL
  AND EXISTS (SELECT 1 FROM topo p WHERE p.planned AND p.valid AND p.geom && i.location AND ST_Intersects(p.geom, i.location))`

// newMapSQL reads the current grid tree, with boundaries only where they
// reach into one of the boxes ($1..$4: their west, south, east and north
// edges) around the candidate incidents: found through the boundaries'
// GiST index, so a plan in five counties reads five neighbourhoods, not
// the box that spans them.
const newMapSQL = `
WITH near AS (
    SELECT DISTINCT v.version FROM grid_version v,
           unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[]) b(x0, y0, x1, y1)
    WHERE v.valid_to IS NULL AND v.boundary && ST_MakeEnvelope(b.x0, b.y0, b.x1, b.y1, 4326))
SELECT v.code, v.name, v.level, coalesce(v.parent_code, ''),
       CASE WHEN n.version IS NOT NULL THEN ST_AsBinary(v.boundary) END
FROM grid_version v LEFT JOIN near n ON n.version = v.version
WHERE v.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM topo_touched t WHERE t.code = v.code)
UNION ALL
SELECT code, name, level, parent, CASE WHEN valid THEN ST_AsBinary(geom) END FROM topo WHERE planned`

// computeMoves locates every candidate incident in the map the plan
// leaves and returns those whose grid changes, by id.
func computeMoves(ctx context.Context, tx pgx.Tx, a *plan.Applied) ([]plan.Move, error) {
	var codes []string
	if err := tx.QueryRow(ctx, candidateCodesSQL).Scan(&codes); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, candidatesSQL, codes)
	if err != nil {
		return nil, mapErr(err, "incidents")
	}
	type cand struct {
		plan.Move
		p orb.Point
	}
	var cands []cand
	// A box per grid the candidates are in now (they lie inside it), and
	// one per candidate in no grid: every grid that can hold a candidate
	// reaches into one of them.
	boxes := map[string]orb.Bound{}
	var loose []orb.Bound
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.ID, &c.ExternalID, &c.Category, &c.Status, &c.From, &c.p[0], &c.p[1]); err != nil {
			rows.Close()
			return nil, err
		}
		if c.From == "" {
			loose = append(loose, c.p.Bound())
		} else if b, ok := boxes[c.From]; ok {
			boxes[c.From] = b.Extend(c.p)
		} else {
			boxes[c.From] = c.p.Bound()
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "incidents")
	}
	if len(cands) == 0 {
		return nil, nil
	}
	ix, err := newMapIndex(ctx, tx, append(slices.Collect(maps.Values(boxes)), loose...))
	if err != nil {
		return nil, err
	}
	var moves []plan.Move
	for _, c := range cands {
		to := ""
		if h, ok := ix.Lookup(c.p[0], c.p[1]); ok {
			to = h.Grid().Code
		}
		if to != c.From {
			c.To = to
			moves = append(moves, c.Move)
		}
	}
	sort.Slice(moves, func(i, j int) bool { return moves[i].ID < moves[j].ID })
	return moves, nil
}

// newMapIndex builds the index of the map the plan leaves: the whole grid
// tree (so leaves and depths are those of the real map), with boundaries
// where they reach into one of boxes. A parent that is not a grid is
// dropped (validation reports it).
func newMapIndex(ctx context.Context, tx pgx.Tx, boxes []orb.Bound) (*geo.Index, error) {
	edges := make([][]float64, 4)
	for _, b := range boxes {
		edges[0], edges[1] = append(edges[0], b.Min[0]), append(edges[1], b.Min[1])
		edges[2], edges[3] = append(edges[2], b.Max[0]), append(edges[3], b.Max[1])
	}
	rows, err := tx.Query(ctx, newMapSQL, edges[0], edges[1], edges[2], edges[3])
	if err != nil {
		return nil, mapErr(err, "grids")
	}
	var grids []gridmap.Grid
	for rows.Next() {
		var g gridmap.Grid
		var level string
		var b []byte
		if err := rows.Scan(&g.Code, &g.Name, &level, &g.Parent, &b); err != nil {
			rows.Close()
			return nil, err
		}
		g.Level = gridmap.Level(level)
		if b != nil {
			if g.Boundary, err = multiPolygonFromWKB(b); err != nil {
				rows.Close()
				return nil, err
			}
		}
		grids = append(grids, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "grids")
	}
	known := make(map[string]bool, len(grids))
	for _, g := range grids {
		known[g.Code] = true
	}
	for i := range grids {
		if !known[grids[i].Parent] {
			grids[i].Parent = ""
		}
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "the plan leaves a grid tree that cannot be indexed: %s", gridmap.ErrorMessage(err))
	}
	return ix, nil
}

// reusedSQL finds, among codes the plan adds, those of retired grids.
const reusedSQL = `
SELECT DISTINCT ON (code) code, name, valid_to FROM grid_version
WHERE code = ANY($1) AND valid_to IS NOT NULL ORDER BY code, valid_to DESC`

// impactOf is plan.Impact with the added codes that were grids once.
func impactOf(ctx context.Context, tx pgx.Tx, a *plan.Applied, moves []plan.Move) (gridmap.Impact, error) {
	im := plan.Impact(a, moves)
	if len(im.Added) > 0 {
		rows, err := tx.Query(ctx, reusedSQL, im.Added)
		if err != nil {
			return im, mapErr(err, "grids")
		}
		var u gridmap.ReusedCode
		if _, err := pgx.ForEachRow(rows, []any{&u.Code, &u.Name, &u.RetiredAt}, func() error { im.Reused = append(im.Reused, u); return nil }); err != nil {
			return im, mapErr(err, "grids")
		}
	}
	return im, nil
}

// PublishPlan publishes draft id in one transaction: it locks the plan and
// the grids it touches, refuses a stale plan (ECONFLICT naming the grids
// that changed, Details {"conflicts": […]}), validates it with the
// service's tolerances (ECONFLICT with the TopologyReport as Details when
// problems are found and opts.Force is not set; fatal problems refuse even
// a forced publication), then writes the new grid versions and closes the
// old ones (valid_to), moves the incidents whose grid changes (one
// incident_reassignment row each), writes an audit entry and marks the
// plan published. On commit the grid_version trigger notifies every
// instance. Any failure rolls everything back.
// Errors also: ENOTFOUND, EINVALID (no actor; force without a reason),
// EPRECONDITION (opts.IfRevision is not the plan's revision).
func (p *Plans) PublishPlan(ctx context.Context, id int64, opts gridmap.PublishOptions) (res gridmap.PublishResult, err error) {
	defer gridmap.Wrap(&err, "postgis.PublishPlan(%d)", id)
	if err := checkPublishOptions(opts); err != nil {
		return res, err
	}
	tx, err := p.st.pool.Begin(ctx)
	if err != nil {
		return res, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, publishLock); err != nil {
		return res, mapErr(err, "database")
	}
	if res, err = p.publishTx(ctx, tx, id, opts, "publish"); err != nil {
		return res, err
	}
	return res, mapErr(p.st.commitIncidents(ctx, tx), "publication")
}

func checkPublishOptions(opts gridmap.PublishOptions) error {
	if opts.Actor == "" {
		return gridmap.Errorf(gridmap.EINVALID, "actor is required: say who publishes (the audit log keeps it)")
	}
	if opts.Force && opts.ForceReason == "" {
		return gridmap.Errorf(gridmap.EINVALID, "force needs a force_reason for the audit log")
	}
	return nil
}

const (
	publishCodesSQL = `INSERT INTO grid (code) SELECT code FROM topo WHERE planned ON CONFLICT (code) DO NOTHING`
	// Close the current version of every touched grid that is retired or
	// whose planned version differs.
	publishCloseSQL = `
UPDATE grid_version v SET valid_to = $1
FROM topo_touched t LEFT JOIN topo s ON s.code = t.code AND s.planned
WHERE v.code = t.code AND v.valid_to IS NULL
  AND (s.code IS NULL
       OR (v.name, v.level, coalesce(v.parent_code, ''), v.attributes) IS DISTINCT FROM (s.name, s.level, s.parent, s.attrs)
       OR NOT ST_OrderingEquals(v.boundary, s.geom))
RETURNING v.version, v.code`
	publishInsertSQL = `
INSERT INTO grid_version (grid_id, code, name, level, parent_code, attributes, boundary, valid_from)
SELECT g.id, s.code, s.name, s.level, nullif(s.parent, ''), s.attrs, s.geom, $1
FROM topo s JOIN grid g ON g.code = s.code
WHERE s.planned AND NOT EXISTS (SELECT 1 FROM grid_version v WHERE v.code = s.code AND v.valid_to IS NULL)
RETURNING version, code`
	publishLinkNewSQL    = `INSERT INTO grid_version_plan (version, plan_id) SELECT unnest($1::bigint[]), $2`
	publishLinkClosedSQL = `
INSERT INTO grid_version_plan (version, closed_by_plan) SELECT unnest($1::bigint[]), $2
ON CONFLICT (version) DO UPDATE SET closed_by_plan = EXCLUDED.closed_by_plan`
	createMovesSQL = `CREATE TEMP TABLE plan_moves (id bigint PRIMARY KEY, old text NOT NULL, new text NOT NULL) ON COMMIT DROP`
	// Move the incidents, unless one changed grid meanwhile, logging each.
	publishMovesSQL = `
WITH upd AS (
    UPDATE incident i SET grid_code = nullif(m.new, ''), boundary_version = $1
    FROM plan_moves m
    WHERE i.id = m.id AND coalesce(i.grid_code, '') = m.old
    RETURNING i.id, m.old, m.new)
INSERT INTO incident_reassignment (incident_id, plan_id, old_grid, new_grid, boundary_version, at)
SELECT id, $2, nullif(old, ''), nullif(new, ''), $1, $3 FROM upd`
	publishAuditSQL = `
INSERT INTO grid_audit (at, actor, action, plan_id, forced, reason, detail)
VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7) RETURNING id`
	publishPlanSQL = `
UPDATE plan SET status = 'published', published_at = $2, published_by = $3, data_version = $4,
       forced = $5, force_reason = nullif($6, ''), revision = revision + 1, updated_at = $2
WHERE id = $1`
)

// publishTx publishes draft id inside tx, which holds publishLock.
func (p *Plans) publishTx(ctx context.Context, tx pgx.Tx, id int64, opts gridmap.PublishOptions, action string) (res gridmap.PublishResult, err error) {
	// Before the incidents to move are read: an incident import under way
	// (sharing the data version's lock, migration 00019) commits first and
	// its incidents are moved; one starting later waits, sees the new
	// version and assigns again (ImportIncidentsOptions.BoundaryVersion).
	if _, err := tx.Exec(ctx, `SELECT gridmap_lock_data_version()`); err != nil {
		return res, mapErr(err, "grid data version")
	}
	pl, a, n, err := prepare(ctx, tx, id, true, opts.IfRevision)
	if err != nil {
		return res, err
	}
	if len(pl.Changes) == 0 {
		return res, gridmap.Errorf(gridmap.EINVALID, "plan %d has no changes to publish", id)
	}
	report, err := validateApplied(ctx, tx, a, n, p.tolerances(gridmap.Tolerances{}))
	if err != nil {
		return res, err
	}
	if f := report.Fatal(); f > 0 {
		return res, &gridmap.Error{Code: gridmap.ECONFLICT, Details: report,
			Message: fmt.Sprintf("plan %d has %d fatal problem(s) (%s); they cannot be published, forced or not", id, f, countsText(&report))}
	}
	forced := false
	if !report.Valid() {
		if !opts.Force {
			return res, &gridmap.Error{Code: gridmap.ECONFLICT, Details: report,
				Message: fmt.Sprintf("plan %d fails validation with %d problem(s) (%s); fix them, or have an admin publish with force and a reason", id, len(report.Problems), countsText(&report))}
		}
		forced = true
	}
	moves, err := computeMoves(ctx, tx, a)
	if err != nil {
		return res, err
	}
	im, err := impactOf(ctx, tx, a, moves)
	if err != nil {
		return res, err
	}

	var ts time.Time
	if err := tx.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&ts); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, publishCodesSQL); err != nil {
		return res, mapErr(err, "grid")
	}
	closed, err := versionRows(ctx, tx, publishCloseSQL, ts)
	if err != nil {
		return res, mapErr(err, "grid version")
	}
	written, err := versionRows(ctx, tx, publishInsertSQL, ts)
	if err != nil {
		return res, mapErr(err, "grid version")
	}
	if _, err := tx.Exec(ctx, publishLinkNewSQL, slices.Collect(maps.Values(written)), id); err != nil {
		return res, mapErr(err, "grid version plan")
	}
	if _, err := tx.Exec(ctx, publishLinkClosedSQL, slices.Collect(maps.Values(closed)), id); err != nil {
		return res, mapErr(err, "grid version plan")
	}
	if err := writeMembers(ctx, tx, a, ts, opts.Actor, fmt.Sprintf("plan %d", id)); err != nil {
		return res, err
	}
	if err := tx.QueryRow(ctx, dataVersionSQL).Scan(&res.DataVersion); err != nil {
		return res, err
	}
	if len(moves) > 0 {
		if _, err := tx.Exec(ctx, createMovesSQL); err != nil {
			return res, err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"plan_moves"}, []string{"id", "old", "new"},
			pgx.CopyFromSlice(len(moves), func(i int) ([]any, error) {
				return []any{moves[i].ID, moves[i].From, moves[i].To}, nil
			})); err != nil {
			return res, err
		}
		tag, err := tx.Exec(ctx, publishMovesSQL, res.DataVersion, id, ts)
		if err != nil {
			return res, mapErr(err, "incident reassignment")
		}
		res.Reassigned = int(tag.RowsAffected())
	}

	res.Versions = written
	res.Retired = im.Retired
	detail := map[string]any{
		"added": im.Added, "changed": im.Changed, "retired": im.Retired,
		"versions": written, "closed_versions": closed,
		"incidents_moved": res.Reassigned, "open_cases_moved": im.MovedOpen, "members": im.Members, "reparented": im.Reparented,
		"data_version": res.DataVersion, "tolerances": report.Tolerances,
	}
	if forced {
		res.Problems = len(report.Problems)
		var ps []map[string]any
		for _, pr := range report.Problems {
			ps = append(ps, map[string]any{"kind": pr.Kind, "codes": pr.Codes, "area_m2": pr.AreaM2, "message": pr.Message})
		}
		detail["problems"] = ps
	}
	reason := ""
	if forced {
		reason = opts.ForceReason
	}
	if err := tx.QueryRow(ctx, publishAuditSQL, ts, opts.Actor, action, id, forced, reason, detail).Scan(&res.AuditID); err != nil {
		return res, mapErr(err, "audit")
	}
	if _, err := tx.Exec(ctx, publishPlanSQL, id, ts, opts.Actor, res.DataVersion, forced, reason); err != nil {
		return res, mapErr(err, "plan")
	}
	res.Plan, err = loadPlan(ctx, tx, id, false)
	return res, err
}

// writeMembers replaces the members of every grid whose people the plan
// changes (split parts, merge results, drafts that list them; grids split
// or merged away lose theirs to them). The roster is versioned (migration
// 00012): the old rows are closed at ts, not deleted, and the new ones
// open at ts as new people (a plan's members carry no person id).
func writeMembers(ctx context.Context, tx pgx.Tx, a *plan.Applied, ts time.Time, actor, reason string) error {
	if len(a.Members) == 0 {
		return nil
	}
	codes := slices.Sorted(maps.Keys(a.Members))
	if _, err := tx.Exec(ctx, `UPDATE grid_member SET valid_to = $2, closed_by = $3, close_reason = $4
WHERE grid_code = ANY($1) AND valid_to IS NULL`, codes, ts, actor, reason); err != nil {
		return mapErr(err, "members")
	}
	var rows [][]any
	for _, code := range codes {
		for _, m := range a.Members[code] {
			rows = append(rows, []any{code, m.Role, m.Name, m.Contact, ts, actor, reason})
		}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"grid_member"}, []string{"grid_code", "role", "name", "contact", "valid_from", "changed_by", "reason"}, pgx.CopyFromRows(rows))
	return mapErr(err, "members")
}

// versionRows runs a statement returning (version, code) rows.
func versionRows(ctx context.Context, tx pgx.Tx, sql string, args ...any) (map[string]int64, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var v int64
	var code string
	_, err = pgx.ForEachRow(rows, []any{&v, &code}, func() error { out[code] = v; return nil })
	return out, err
}

func countsText(r *gridmap.TopologyReport) string {
	c := r.Counts()
	kinds := slices.Sorted(maps.Keys(c))
	s := ""
	for i, k := range kinds {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", c[k], k)
	}
	return s
}

// EditGrid changes grid code directly (name, attributes, boundary, parent)
// if ifVersion is still its current version: a one-change plan, created
// and published in one transaction with the same validation, incident
// moves and audit as PublishPlan. A refused edit leaves nothing behind.
// Errors: ENOTFOUND; EPRECONDITION when ifVersion is not current;
// ECONFLICT when validation fails (Details TopologyReport) and not forced;
// EINVALID for an edit that changes nothing, no actor, force without reason.
func (p *Plans) EditGrid(ctx context.Context, code string, ifVersion int64, e gridmap.GridEdit, opts gridmap.PublishOptions) (res gridmap.PublishResult, err error) {
	defer gridmap.Wrap(&err, "postgis.EditGrid(%q)", code)
	if err := checkPublishOptions(opts); err != nil {
		return res, err
	}
	var changes []gridmap.Change
	base := map[string]int64{code: ifVersion}
	if e.Name != nil || e.Attributes != nil || e.Boundary != nil {
		changes = append(changes, gridmap.Change{Kind: gridmap.ChangeReplace, Code: code,
			Name: e.Name, Attributes: e.Attributes, Boundary: e.Boundary, Base: base})
		base = nil
	}
	if e.Parent != nil {
		changes = append(changes, gridmap.Change{Kind: gridmap.ChangeMove, Code: code, Parent: e.Parent, Base: base})
	}
	if len(changes) == 0 {
		return res, gridmap.Errorf(gridmap.EINVALID, "the edit changes nothing: give name, attributes, boundary or parent")
	}
	tx, err := p.st.pool.Begin(ctx)
	if err != nil {
		return res, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, publishLock); err != nil {
		return res, mapErr(err, "database")
	}
	var cur int64
	if err := tx.QueryRow(ctx, `SELECT version FROM grid_version WHERE code = $1 AND valid_to IS NULL FOR UPDATE`, code).Scan(&cur); err != nil {
		return res, mapErr(err, "grid "+code)
	}
	if cur != ifVersion {
		return res, &gridmap.Error{Code: gridmap.EPRECONDITION,
			Message: fmt.Sprintf(`grid %s is at version %d (ETag "g%d"), not %d: it changed since you read it; reload it`, code, cur, cur, ifVersion)}
	}
	var id int64
	if err := tx.QueryRow(ctx, createPlanSQL, "direct edit of "+code, opts.Actor).Scan(&id); err != nil {
		return res, mapErr(err, "plan")
	}
	for i := range changes {
		if err := plan.CheckChange(i, &changes[i]); err != nil {
			return res, err
		}
		if changes[i].Kind == gridmap.ChangeMove && *changes[i].Parent != "" {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM grid_version WHERE code = $1 AND valid_to IS NULL)`, *changes[i].Parent).Scan(&ok); err != nil {
				return res, err
			}
			if !ok {
				return res, gridmap.Errorf(gridmap.EINVALID, "parent %s is not a current grid", *changes[i].Parent)
			}
		}
		body, err := changes[i].MarshalJSON()
		if err != nil {
			return res, err
		}
		if _, err := tx.Exec(ctx, insertChangeSQL, id, i+1, string(changes[i].Kind), body); err != nil {
			return res, mapErr(err, "plan change")
		}
	}
	if res, err = p.publishTx(ctx, tx, id, opts, "edit"); err != nil {
		return res, err
	}
	return res, mapErr(p.st.commitIncidents(ctx, tx), "edit")
}
