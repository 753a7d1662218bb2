package postgis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/plan"
)

// Plans is the PostGIS implementation of gridmap.PlanService: drafts and
// their changes in the plan tables (migration 00004), topology checks in
// SQL (topology.go), impact and publication (plans_publish.go). It is safe
// for concurrent use; publications are serialised by an advisory lock.
type Plans struct {
	st *Store
	// Tolerances are the topology tolerances a publication is checked
	// with, and the defaults for zero fields of a validation request.
	Tolerances gridmap.Tolerances
}

var _ gridmap.PlanService = (*Plans)(nil)

// NewPlans returns the plan service on st with the default tolerances.
func NewPlans(st *Store) *Plans {
	return &Plans{st: st, Tolerances: gridmap.DefaultTolerances}
}

// tolerances fills the zero fields of t from the service's tolerances.
func (p *Plans) tolerances(t gridmap.Tolerances) gridmap.Tolerances {
	if t.WidthM <= 0 {
		t.WidthM = p.Tolerances.WidthM
	}
	if t.SliverM2 <= 0 {
		t.SliverM2 = p.Tolerances.SliverM2
	}
	return t.WithDefaults()
}

// planColumns is the select list of a plan (alias p); scanPlan reads it.
const planColumns = `p.id, p.title, p.status, p.revision, p.created_by, p.created_at, p.updated_at,
	p.base_data_version, p.published_at, coalesce(p.published_by, ''), coalesce(p.data_version, 0),
	p.forced, coalesce(p.force_reason, ''), p.discarded_at, coalesce(p.discarded_by, ''),
	(SELECT count(*) FROM plan_change c WHERE c.plan_id = p.id)`

func scanPlan(row pgx.Row) (gridmap.Plan, error) {
	var pl gridmap.Plan
	var status string
	err := row.Scan(&pl.ID, &pl.Title, &status, &pl.Revision, &pl.CreatedBy, &pl.CreatedAt, &pl.UpdatedAt,
		&pl.BaseDataVersion, &pl.PublishedAt, &pl.PublishedBy, &pl.DataVersion,
		&pl.Forced, &pl.ForceReason, &pl.DiscardedAt, &pl.DiscardedBy, &pl.ChangeCount)
	pl.Status = gridmap.PlanStatus(status)
	return pl, err
}

// querier is what a pool and a transaction share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const createPlanSQL = `
INSERT INTO plan (title, created_by, base_data_version)
VALUES ($1, $2, (SELECT data_version FROM gridmap_state))
RETURNING id`

// CreatePlan starts an empty draft titled title by actor.
func (p *Plans) CreatePlan(ctx context.Context, title, actor string) (pl gridmap.Plan, err error) {
	defer gridmap.Wrap(&err, "postgis.CreatePlan")
	if len(title) > 500 {
		return pl, gridmap.Errorf(gridmap.EINVALID, "title is %d bytes; at most 500", len(title))
	}
	var id int64
	if err := p.st.pool.QueryRow(ctx, createPlanSQL, title, actor).Scan(&id); err != nil {
		return pl, mapErr(err, "plan")
	}
	return p.Plan(ctx, id)
}

// Plan returns the plan with its changes. Errors: ENOTFOUND.
func (p *Plans) Plan(ctx context.Context, id int64) (pl gridmap.Plan, err error) {
	defer gridmap.Wrap(&err, "postgis.Plan(%d)", id)
	return loadPlan(ctx, p.st.pool, id, false)
}

// loadPlan reads a plan and its changes; forUpdate locks the plan row.
func loadPlan(ctx context.Context, q querier, id int64, forUpdate bool) (gridmap.Plan, error) {
	sql := `SELECT ` + planColumns + ` FROM plan p WHERE p.id = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	pl, err := scanPlan(q.QueryRow(ctx, sql, id))
	if err != nil {
		return pl, mapErr(err, fmt.Sprintf("plan %d", id))
	}
	rows, err := q.Query(ctx, `SELECT body FROM plan_change WHERE plan_id = $1 ORDER BY seq`, id)
	if err != nil {
		return pl, mapErr(err, "plan changes")
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return pl, mapErr(err, "plan changes")
	}
	pl.Changes = make([]gridmap.Change, len(bodies))
	for i, b := range bodies {
		if err := json.Unmarshal(b, &pl.Changes[i]); err != nil {
			return pl, fmt.Errorf("plan %d change %d: %w", id, i+1, err)
		}
	}
	return pl, nil
}

// ListPlans returns the plans with status ("" for all), newest first,
// without their changes (ChangeCount says how many). Errors: EINVALID for
// an unknown status.
func (p *Plans) ListPlans(ctx context.Context, status gridmap.PlanStatus) (pls []gridmap.Plan, err error) {
	defer gridmap.Wrap(&err, "postgis.ListPlans")
	if status != "" && !status.Valid() {
		return nil, gridmap.Errorf(gridmap.EINVALID, "status=%q is not a plan status; use draft, published or discarded", status)
	}
	rows, err := p.st.pool.Query(ctx, `SELECT `+planColumns+` FROM plan p WHERE ($1 = '' OR p.status = $1) ORDER BY p.id DESC`, string(status))
	if err != nil {
		return nil, mapErr(err, "plans")
	}
	pls, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridmap.Plan, error) { return scanPlan(r) })
	return pls, mapErr(err, "plans")
}

// lockDraft locks plan id for an edit: it must be a draft at revision
// ifRevision (when non-zero).
func lockDraft(ctx context.Context, tx pgx.Tx, id, ifRevision int64) (gridmap.Plan, error) {
	pl, err := loadPlan(ctx, tx, id, true)
	if err != nil {
		return pl, err
	}
	if ifRevision != 0 && pl.Revision != ifRevision {
		return pl, &gridmap.Error{Code: gridmap.EPRECONDITION,
			Message: fmt.Sprintf("plan %d is at revision %d (ETag %s), not %d: reload it", id, pl.Revision, pl.ETag(), ifRevision)}
	}
	if pl.Status != gridmap.PlanDraft {
		return pl, gridmap.Errorf(gridmap.ECONFLICT, "plan %d is %s; only a draft can change", id, pl.Status)
	}
	return pl, nil
}

const insertChangeSQL = `INSERT INTO plan_change (plan_id, seq, kind, body) VALUES ($1, $2, $3, $4)`

const bumpPlanSQL = `UPDATE plan SET revision = revision + 1, updated_at = now() WHERE id = $1`

// AddChanges appends changes to draft id. Each change is checked against
// the current map with the plan's earlier changes applied: the grids it
// names must exist there (EINVALID naming the change otherwise); a merge
// without a boundary gets the union of the merged boundaries; Base is
// completed with the current versions of the grids it touches. A Base
// version a client sent that is no longer current is an ECONFLICT whose
// Details are the []gridmap.Conflict, as is a plan already stale.
// Duplicate and malformed codes are not refused here: validation reports
// them. Errors also: ENOTFOUND, ECONFLICT (not a draft), EPRECONDITION
// (ifRevision is not the plan's revision).
func (p *Plans) AddChanges(ctx context.Context, id, ifRevision int64, changes []gridmap.Change) (pl gridmap.Plan, err error) {
	defer gridmap.Wrap(&err, "postgis.AddChanges(%d)", id)
	if len(changes) == 0 {
		return pl, gridmap.Errorf(gridmap.EINVALID, "no changes given")
	}
	if len(changes) > 1000 {
		return pl, gridmap.Errorf(gridmap.EINVALID, "%d changes in one request; at most 1000", len(changes))
	}
	tx, err := p.st.pool.Begin(ctx)
	if err != nil {
		return pl, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	pl, err = lockDraft(ctx, tx, id, ifRevision)
	if err != nil {
		return pl, err
	}
	all := append(pl.Changes, changes...)
	cur, err := currentGrids(ctx, tx, plan.ReferencedCodes(all), false)
	if err != nil {
		return pl, err
	}
	if c := plan.Conflicts(pl.Changes, cur); len(c) > 0 {
		return pl, staleError(id, c)
	}
	a := plan.New(cur, nil) // members play no part in adding changes
	for i := range pl.Changes {
		if err := a.Apply(i, &pl.Changes[i]); err != nil {
			return pl, gridmap.Errorf(gridmap.ECONFLICT, "plan %d no longer applies to the current map: %s", id, gridmap.ErrorMessage(err))
		}
	}
	var stale []gridmap.Conflict
	for k := range changes {
		i := len(pl.Changes) + k
		c := &changes[k]
		if err := plan.CheckChange(i, c); err != nil {
			return pl, err
		}
		stale = append(stale, a.FillBase(c)...)
		if err := a.CheckRefs(i, c); err != nil {
			return pl, err
		}
		if c.Kind == gridmap.ChangeMerge && c.Grid != nil && c.Grid.Boundary == nil {
			if c.Grid.Boundary, err = unionOf(ctx, tx, a, c.Codes); err != nil {
				return pl, err
			}
		}
		if err := a.Apply(i, c); err != nil {
			return pl, err
		}
	}
	if len(stale) > 0 {
		return pl, staleError(id, stale)
	}
	for k := range changes {
		body, err := json.Marshal(changes[k])
		if err != nil {
			return pl, err
		}
		if _, err := tx.Exec(ctx, insertChangeSQL, id, len(pl.Changes)+k+1, string(changes[k].Kind), body); err != nil {
			return pl, mapErr(err, "plan change")
		}
	}
	if _, err := tx.Exec(ctx, bumpPlanSQL, id); err != nil {
		return pl, mapErr(err, "plan")
	}
	if err := tx.Commit(ctx); err != nil {
		return pl, mapErr(err, "plan")
	}
	return p.Plan(ctx, id)
}

// RemoveChange removes change seq (1-based) of draft id; the later changes
// move up one place. Errors: ENOTFOUND, ECONFLICT (not a draft),
// EPRECONDITION.
func (p *Plans) RemoveChange(ctx context.Context, id, ifRevision int64, seq int) (pl gridmap.Plan, err error) {
	defer gridmap.Wrap(&err, "postgis.RemoveChange(%d, %d)", id, seq)
	tx, err := p.st.pool.Begin(ctx)
	if err != nil {
		return pl, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	if pl, err = lockDraft(ctx, tx, id, ifRevision); err != nil {
		return pl, err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM plan_change WHERE plan_id = $1 AND seq = $2`, id, seq)
	if err != nil {
		return pl, mapErr(err, "plan change")
	}
	if tag.RowsAffected() == 0 {
		return pl, gridmap.Errorf(gridmap.ENOTFOUND, "plan %d has no change %d (it has %d)", id, seq, len(pl.Changes))
	}
	// Two steps so the primary key never sees two rows with one seq.
	if _, err := tx.Exec(ctx, `UPDATE plan_change SET seq = -seq WHERE plan_id = $1 AND seq > $2`, id, seq); err != nil {
		return pl, mapErr(err, "plan change")
	}
	if _, err := tx.Exec(ctx, `UPDATE plan_change SET seq = -seq - 1 WHERE plan_id = $1 AND seq < 0`, id); err != nil {
		return pl, mapErr(err, "plan change")
	}
	if _, err := tx.Exec(ctx, bumpPlanSQL, id); err != nil {
		return pl, mapErr(err, "plan")
	}
	if err := tx.Commit(ctx); err != nil {
		return pl, mapErr(err, "plan")
	}
	return p.Plan(ctx, id)
}

// DiscardPlan ends draft id unpublished. Errors: ENOTFOUND, ECONFLICT (not
// a draft), EPRECONDITION.
func (p *Plans) DiscardPlan(ctx context.Context, id int64, actor string, ifRevision int64) (pl gridmap.Plan, err error) {
	defer gridmap.Wrap(&err, "postgis.DiscardPlan(%d)", id)
	tx, err := p.st.pool.Begin(ctx)
	if err != nil {
		return pl, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	if _, err = lockDraft(ctx, tx, id, ifRevision); err != nil {
		return pl, err
	}
	if _, err := tx.Exec(ctx, `
UPDATE plan SET status = 'discarded', discarded_at = now(), discarded_by = $2,
       revision = revision + 1, updated_at = now()
WHERE id = $1`, id, actor); err != nil {
		return pl, mapErr(err, "plan")
	}
	if err := tx.Commit(ctx); err != nil {
		return pl, mapErr(err, "plan")
	}
	return p.Plan(ctx, id)
}

// staleError is the ECONFLICT of a plan drafted against grids that have
// changed since, naming them.
func staleError(id int64, cs []gridmap.Conflict) error {
	msg := fmt.Sprintf("plan %d is stale: %d grid(s) changed since it was drafted:", id, len(cs))
	for i, c := range cs {
		if i == 10 {
			msg += " …"
			break
		}
		if c.CurrentVersion == 0 {
			msg += fmt.Sprintf(" %s (version %d, retired since)", c.Code, c.BaseVersion)
		} else {
			msg += fmt.Sprintf(" %s (version %d, now %d)", c.Code, c.BaseVersion, c.CurrentVersion)
		}
	}
	msg += "; remove the changes to those grids and draft them again on the current map"
	return &gridmap.Error{Code: gridmap.ECONFLICT, Message: msg, Details: map[string]any{"conflicts": cs}}
}
