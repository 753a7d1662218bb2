package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// Departments returns the department table in its order.
func (s *Store) Departments(ctx context.Context) (ds []caseflow.Department, err error) {
	rows, err := s.pool.Query(ctx, `SELECT code, name_zh, name_en, kind FROM department ORDER BY rank`)
	if err != nil {
		return nil, mapErr(err, "departments")
	}
	ds, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (caseflow.Department, error) {
		var d caseflow.Department
		err := r.Scan(&d.Code, &d.NameZh, &d.NameEn, &d.Kind)
		return d, err
	})
	return ds, mapErr(err, "departments")
}

// stepPayload is the payload column of incident_step: the step's own
// fields and what it set (who, when, which step and the note are columns).
type stepPayload struct {
	Reason     string            `json:"reason,omitempty"`
	Department string            `json:"department,omitempty"`
	Person     string            `json:"person,omitempty"`
	Deadline   *time.Time        `json:"deadline,omitempty"`
	Decision   string            `json:"decision,omitempty"`
	Agenda     *time.Time        `json:"agenda,omitempty"`
	Outcome    string            `json:"outcome,omitempty"`
	Changes    *caseflow.Changes `json:"changes,omitempty"`
}

// stepsSQL lists a case's steps, oldest first, each with its attachment
// ids in the order given.
const stepsSQL = `
SELECT s.seq, s.step, s.at, s.actor_person, s.actor_role, coalesce(s.actor_token, 0), s.actor_department,
       s.note, s.payload,
       coalesce((SELECT array_agg(encode(a.sha256, 'hex') ORDER BY a.position)
                 FROM step_attachment a WHERE a.incident_id = s.incident_id AND a.seq = s.seq), '{}')
FROM incident_step s WHERE s.incident_id = $1 ORDER BY s.seq`

// impliedSQL reads what caseflow.Implied derives a case's steps from.
const impliedSQL = `
SELECT status, reported_at, accepted_at, in_progress_at, resolved_at, replied_at, closed_at FROM incident WHERE id = $1`

// readSteps returns incident id's steps, oldest first. A case stored with
// a status and no steps of its own (an import, the demo) has them implied
// (caseflow.Implied), not stored: implied says so, and a caller appending
// a step stores them first (storeImplied).
func readSteps(ctx context.Context, q pgx.Tx, id int64) (steps []caseflow.Step, implied bool, err error) {
	rows, err := q.Query(ctx, stepsSQL, id)
	if err != nil {
		return nil, false, err
	}
	steps, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (caseflow.Step, error) {
		var st caseflow.Step
		var payload []byte
		var p stepPayload
		if err := r.Scan(&st.Seq, &st.Kind, &st.At, &st.Actor.Person, &st.Actor.Role, &st.Actor.TokenID,
			&st.Actor.Department, &st.Note, &payload, &st.Attachments); err != nil {
			return st, err
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			return st, err
		}
		st.Reason, st.Department, st.Person, st.Deadline = p.Reason, p.Department, p.Person, p.Deadline
		st.Decision, st.Agenda, st.Outcome = p.Decision, p.Agenda, p.Outcome
		if len(st.Attachments) == 0 {
			st.Attachments = nil
		}
		return st, nil
	})
	if err != nil || len(steps) > 0 {
		return steps, false, err
	}
	var status string
	var t caseflow.StoredTimes
	if err := q.QueryRow(ctx, impliedSQL, id).Scan(&status, &t.Reported, &t.Accepted, &t.InProgress, &t.Resolved, &t.Replied, &t.Closed); err != nil {
		return nil, false, err
	}
	steps = caseflow.Implied(gridmap.Status(status), t)
	return steps, len(steps) > 0, nil
}

// storeImplied stores the implied steps readSteps returned, before a step
// is appended after them.
func storeImplied(ctx context.Context, tx pgx.Tx, id int64, steps []caseflow.Step) error {
	for _, st := range steps {
		if err := insertStep(ctx, tx, id, caseflow.Result{Step: st}); err != nil {
			return err
		}
	}
	return nil
}

// Steps returns the steps of incident id, oldest first. Errors: ENOTFOUND.
func (s *Store) Steps(ctx context.Context, id int64) (steps []caseflow.Step, err error) {
	defer gridmap.Wrap(&err, "postgis.Steps(%d)", id)
	defer s.goneIfArchivedCase(ctx, id, &err)
	err = s.read(ctx, func(p *pgxpool.Pool) (err error) {
		steps, err = readCaseSteps(ctx, p, id)
		return err
	})
	return steps, err
}

func readCaseSteps(ctx context.Context, p *pgxpool.Pool, id int64) (steps []caseflow.Step, err error) {
	tx, err := p.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM incident WHERE id = $1`, id).Scan(&one); err != nil {
		return nil, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	steps, _, err = readSteps(ctx, tx, id)
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	return steps, mapErr(tx.Commit(ctx), fmt.Sprintf("incident %d", id))
}

// The step is stored in its case's month (migration 00020), so reported_at
// is copied from the case's key.
const insertStepSQL = `
INSERT INTO incident_step (incident_id, seq, step, at, actor_person, actor_role, actor_token, actor_department, note, payload, reported_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, k.reported_at FROM incident_key k WHERE k.id = $1`

const insertStepAttachmentsSQL = `
INSERT INTO step_attachment (incident_id, seq, sha256, position)
SELECT $1, $2, decode(h, 'hex'), o FROM unnest($3::text[]) WITH ORDINALITY AS u (h, o)`

// missingAttachmentsSQL names the ids of a step that are not uploaded.
const missingAttachmentsSQL = `
SELECT h FROM unnest($1::text[]) AS h
WHERE NOT EXISTS (SELECT 1 FROM attachment a WHERE a.sha256 = decode(h, 'hex'))`

// stepRow is the incident_step row of a step Apply returned, in the
// order of insertStepSQL's arguments.
func stepRow(id int64, r caseflow.Result) []any {
	st := r.Step
	p := stepPayload{Reason: st.Reason, Department: st.Department, Person: st.Person, Deadline: st.Deadline,
		Decision: st.Decision, Agenda: st.Agenda, Outcome: st.Outcome}
	if r.Changes != (caseflow.Changes{}) {
		p.Changes = &r.Changes
	}
	payload, _ := json.Marshal(p) // times, strings and a struct of them: cannot fail
	var token any
	if st.Actor.TokenID != 0 {
		token = st.Actor.TokenID
	}
	return []any{id, int32(st.Seq), string(st.Kind), st.At, st.Actor.Person, string(st.Actor.Role),
		token, st.Actor.Department, st.Note, payload}
}

// insertStep appends the step Apply returned.
func insertStep(ctx context.Context, tx pgx.Tx, id int64, r caseflow.Result) error {
	st := r.Step
	if _, err := tx.Exec(ctx, insertStepSQL, stepRow(id, r)...); err != nil {
		return err
	}
	if len(st.Attachments) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, missingAttachmentsSQL, st.Attachments)
	if err != nil {
		return err
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return gridmap.Errorf(gridmap.EINVALID, "attachments not uploaded: %s; upload each file first, then name it by its id", strings.Join(missing, ", "))
	}
	_, err = tx.Exec(ctx, insertStepAttachmentsSQL, id, st.Seq, st.Attachments)
	return err
}

// caseRow is the part of an incident row a step reads, locked.
type caseRow struct {
	status, department, person, grid string
	deadline                         *time.Time
}

const lockCaseSQL = `
SELECT status, department, person, deadline, coalesce(grid_code, '') FROM incident WHERE id = $1 FOR UPDATE`

func lockCase(ctx context.Context, tx pgx.Tx, id int64) (c caseRow, err error) {
	err = tx.QueryRow(ctx, lockCaseSQL, id).Scan(&c.status, &c.department, &c.person, &c.deadline, &c.grid)
	return c, err
}

// applyStepSQL writes what a step set into the incident row (the derived
// cache, see migration 00007). A new public status stamps its time, as a
// status PATCH does; a move back (a send-back, a reopening) clears the
// times of the statuses after it. Every step updates the row, so every
// step reaches the change feed and NOTIFY (migration 00003's triggers).
const applyStepSQL = `
UPDATE incident SET
    status         = $2,
    accepted_at    = CASE WHEN $2 = 'accepted'    AND status <> $2 THEN $3 WHEN $4 < 1 THEN NULL ELSE accepted_at END,
    in_progress_at = CASE WHEN $2 = 'in_progress' AND status <> $2 THEN $3 WHEN $4 < 2 THEN NULL ELSE in_progress_at END,
    resolved_at    = CASE WHEN $2 = 'resolved'    AND status <> $2 THEN $3 WHEN $4 < 3 THEN NULL ELSE resolved_at END,
    replied_at     = CASE WHEN $2 = 'replied'     AND status <> $2 THEN $3 WHEN $4 < 4 THEN NULL ELSE replied_at END,
    closed_at      = CASE WHEN $2 = 'closed'      AND status <> $2 THEN $3 WHEN $4 < 5 THEN NULL ELSE closed_at END,
    department     = coalesce($5, department),
    person         = coalesce($6, person),
    deadline       = coalesce($7, deadline),
    supervised     = supervised + $8,
    satisfaction   = coalesce($9, satisfaction),
    step_seq       = $10,
    step_kind      = $11,
    step_status    = $12,
    step_txid      = pg_current_xact_id()
WHERE id = $1`

// markStepSQL records a case's newest step on its row (migration 00008):
// the status PATCH's steps, whose row update is the PATCH's own.
const markStepSQL = `
UPDATE incident SET step_seq = $2, step_kind = $3, step_status = $4, step_txid = pg_current_xact_id() WHERE id = $1`

// AddStep appends step to incident id's history in one short transaction:
// it locks the incident row, reads the steps, checks the step with
// caseflow.Apply (at the current time), checks a dispatch's department
// and the step's attachments exist, inserts the step, writes what it set
// into the incident row, and logs the changes of status, department and
// deadline in incident_change as a status PATCH does. check, when not
// nil, is called with the incident's grid code ("" when unassigned) before
// anything is written (a grid-scoped token). It returns Apply's result
// (the step as stored, the statuses before and after, what it set).
// Errors: ENOTFOUND; Apply's EINVALID, ECONFLICT and EFORBIDDEN; EINVALID
// for an unknown department or an attachment not uploaded; check's error.
// Nothing is written when it fails.
func (s *Store) AddStep(ctx context.Context, id int64, step caseflow.Step, check func(gridCode string) error) (res caseflow.Result, err error) {
	defer gridmap.Wrap(&err, "postgis.AddStep(%d, %s)", id, step.Kind)
	defer s.goneIfArchivedCase(ctx, id, &err)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return res, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	row, err := lockCase(ctx, tx, id)
	if err != nil {
		return res, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	if check != nil {
		if err := check(row.grid); err != nil {
			return res, err
		}
	}
	history, implied, err := readSteps(ctx, tx, id)
	if err != nil {
		return res, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	res, err = caseflow.Apply(caseflow.Case{Department: row.department, Person: row.person, Deadline: row.deadline}, history, step, time.Now())
	if err != nil {
		return res, err
	}
	if res.Step.Kind == caseflow.StepDispatch {
		if err := checkDepartment(ctx, tx, res.Step.Department); err != nil {
			return res, err
		}
	}
	if implied {
		if err := storeImplied(ctx, tx, id, history); err != nil {
			return res, mapErr(err, fmt.Sprintf("incident %d", id))
		}
	}
	if err := insertStep(ctx, tx, id, res); err != nil {
		return res, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	if err := writeStep(ctx, tx, id, row, res, res.Step.Actor); err != nil {
		return res, mapErr(err, fmt.Sprintf("incident %d", id))
	}
	return res, mapErr(s.commitIncidents(ctx, tx), fmt.Sprintf("incident %d", id))
}

// checkDepartment refuses a department code that is not in the table,
// listing those that are.
func checkDepartment(ctx context.Context, tx pgx.Tx, code string) error {
	var codes []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(code ORDER BY rank), '{}') FROM department`).Scan(&codes); err != nil {
		return mapErr(err, "departments")
	}
	for _, c := range codes {
		if c == code {
			return nil
		}
	}
	return gridmap.Errorf(gridmap.EINVALID, "dispatch: unknown department %q; the departments are %s", code, strings.Join(codes, ", "))
}

// writeStep updates the incident row with what step r set and logs the
// change of status, department and deadline in incident_change (nothing
// when none changed), as a status PATCH does.
func writeStep(ctx context.Context, tx pgx.Tx, id int64, row caseRow, r caseflow.Result, by caseflow.Actor) error {
	to := r.Status.Public()
	var supervised int
	if r.Changes.Supervised {
		supervised = 1
	}
	var satisfaction *string
	if r.Changes.Satisfaction != nil {
		s := string(*r.Changes.Satisfaction)
		satisfaction = &s
	}
	if _, err := tx.Exec(ctx, applyStepSQL, id, string(to), r.Step.At, to.Rank(), r.Changes.Department, r.Changes.Person,
		r.Changes.Deadline, supervised, satisfaction, int32(r.Step.Seq), string(r.Step.Kind), string(r.Status)); err != nil {
		return err
	}
	var ch changeFields
	if string(to) != row.status {
		ch.Status = &gridmap.StatusChange{From: gridmap.Status(row.status), To: to, At: r.Step.At}
	}
	if d := r.Changes.Department; d != nil && *d != row.department {
		ch.Department = &gridmap.TextChange{From: row.department, To: *d}
	}
	if d := r.Changes.Deadline; d != nil && (row.deadline == nil || !row.deadline.Equal(*d)) {
		ch.Deadline = &gridmap.DeadlineChange{From: row.deadline, To: d}
	}
	if ch.Status == nil && ch.Department == nil && ch.Deadline == nil {
		return nil
	}
	fields, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, insertIncidentChangeSQL, id, tokenArg(gridmap.Actor{TokenID: by.TokenID}), by.Person, fields)
	return err
}

// legacySteps appends, for a status PATCH that moves incident id from
// its status to to, the steps that reach it (caseflow.LegacySteps), taken
// by RoleSystem on behalf of by at time at: the PATCH keeps its behaviour
// (any forward move, steps skipped) and the history records it. The
// caller then writes the row as before.
func legacySteps(ctx context.Context, tx pgx.Tx, id int64, row caseRow, to gridmap.Status, at time.Time, by gridmap.Actor) error {
	history, implied, err := readSteps(ctx, tx, id)
	if err != nil {
		return err
	}
	kinds := caseflow.LegacySteps(caseflow.StatusOf(history), to)
	if len(kinds) == 0 {
		return nil
	}
	if implied {
		if err := storeImplied(ctx, tx, id, history); err != nil {
			return err
		}
	}
	person := by.Name
	if person == "" {
		person = "gridmap"
	}
	c := caseflow.Case{Department: row.department, Person: row.person, Deadline: row.deadline}
	now := time.Now()
	if at.After(now) {
		now = at
	}
	for _, k := range kinds {
		r, err := caseflow.Apply(c, history, caseflow.Step{Kind: k, At: at,
			Actor: caseflow.Actor{TokenID: by.TokenID, Person: person, Role: caseflow.RoleSystem}}, now)
		if err != nil {
			return err
		}
		if err := insertStep(ctx, tx, id, r); err != nil {
			return err
		}
		history = append(history, r.Step)
	}
	last := history[len(history)-1]
	_, err = tx.Exec(ctx, markStepSQL, id, int32(last.Seq), string(last.Kind), string(caseflow.StatusOf(history)))
	return err
}
