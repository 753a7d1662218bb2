package postgis

import (
	"context"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// DemoSteps gives demo incidents their full step histories (see
// demodata.Steps), by external id, in one transaction. An import records
// for each incident stored with a status the system steps that reach it;
// this replaces those, for the incidents whose history has nothing else
// (so loading the demo twice changes nothing), with the history given.
// Each history is checked step by step with caseflow.Apply and must lead
// to the incident's status; the incident row then holds what it set
// (department, person, deadline, supervised, satisfaction). attachments
// are stored first (id: the hex SHA-256 of the bytes). It returns how many
// incidents got their history. This is the only writer that removes
// steps, and only those an import wrote moments before.
// Errors: EINVALID naming the first history that does not apply.
func (s *Store) DemoSteps(ctx context.Context, histories map[string][]caseflow.Step, attachments map[string][]byte) (n int, err error) {
	defer gridmap.Wrap(&err, "postgis.DemoSteps")
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	for id, b := range attachments {
		sum, err := hex.DecodeString(id)
		if err != nil || len(sum) != 32 {
			return 0, gridmap.Errorf(gridmap.EINVALID, "attachment id %q is not a SHA-256 in hex", id)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO attachment (sha256, media_type, bytes, size) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			sum, http.DetectContentType(b), b, len(b)); err != nil {
			return 0, mapErr(err, "attachments")
		}
	}
	ext := make([]string, 0, len(histories))
	for e, h := range histories {
		if len(h) > 0 {
			ext = append(ext, e)
		}
	}
	rows, err := tx.Query(ctx, `
SELECT i.id, i.external_id, i.status, i.reported_at
FROM incident_key k JOIN incident i ON i.id = k.id AND i.reported_at = k.reported_at
WHERE k.external_id = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM incident_step s WHERE s.incident_id = i.id AND s.reported_at = i.reported_at AND s.actor_role <> 'system')
ORDER BY i.id FOR UPDATE OF i`, ext)
	if err != nil {
		return 0, mapErr(err, "incidents")
	}
	type target struct {
		id       int64
		ext      string
		status   string
		reported time.Time
	}
	targets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (target, error) {
		var t target
		err := r.Scan(&t.id, &t.ext, &t.status, &t.reported)
		return t, err
	})
	if err != nil {
		return 0, mapErr(err, "incidents")
	}
	now := time.Now()
	var ids []int64
	var stepRows, attRows [][]any
	var depts, persons, sats []string
	var deadlines []*time.Time
	var sups []int32
	var seqs []int32 // the newest step, for the row (migration 00008)
	var kinds, cstats []string
	for _, t := range targets {
		var c caseflow.Case
		var hist []caseflow.Step
		supervised, satisfaction := 0, ""
		for _, st := range histories[t.ext] {
			r, err := caseflow.Apply(c, hist, st, now)
			if err != nil {
				return 0, gridmap.Errorf(gridmap.EINVALID, "incident %s, step %d (%s): %s", t.ext, len(hist)+1, st.Kind, gridmap.ErrorMessage(err))
			}
			ch := r.Changes
			if ch.Department != nil {
				c.Department = *ch.Department
			}
			if ch.Person != nil {
				c.Person = *ch.Person
			}
			if ch.Deadline != nil {
				c.Deadline = ch.Deadline
			}
			if ch.Supervised {
				supervised++
			}
			if ch.Satisfaction != nil {
				satisfaction = string(*ch.Satisfaction)
			}
			stepRows = append(stepRows, append(stepRow(t.id, r), t.reported))
			for i, a := range r.Step.Attachments {
				sum, _ := hex.DecodeString(a) // Apply checked it is hex
				attRows = append(attRows, []any{t.id, int32(r.Step.Seq), sum, int32(i + 1)})
			}
			hist = append(hist, r.Step)
		}
		if got := caseflow.StatusOf(hist).Public(); string(got) != t.status {
			return 0, gridmap.Errorf(gridmap.EINVALID, "incident %s: its steps lead to %s, it is %s", t.ext, got, t.status)
		}
		ids = append(ids, t.id)
		depts, persons, deadlines = append(depts, c.Department), append(persons, c.Person), append(deadlines, c.Deadline)
		sups, sats = append(sups, int32(supervised)), append(sats, satisfaction)
		last := hist[len(hist)-1]
		seqs, kinds, cstats = append(seqs, int32(last.Seq)), append(kinds, string(last.Kind)), append(cstats, string(caseflow.StatusOf(hist)))
	}
	if len(ids) == 0 {
		return 0, mapErr(tx.Commit(ctx), "incidents")
	}
	// step_attachment points at the case, not the step (migration 00020).
	if _, err := tx.Exec(ctx, `DELETE FROM step_attachment WHERE incident_id = ANY($1)`, ids); err != nil {
		return 0, mapErr(err, "step attachments")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM incident_step WHERE incident_id = ANY($1)`, ids); err != nil {
		return 0, mapErr(err, "incident steps")
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incident_step"}, []string{"incident_id", "seq", "step", "at", "actor_person",
		"actor_role", "actor_token", "actor_department", "note", "payload", "reported_at"}, pgx.CopyFromRows(stepRows)); err != nil {
		return 0, mapErr(err, "incident steps")
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"step_attachment"}, []string{"incident_id", "seq", "sha256", "position"},
		pgx.CopyFromRows(attRows)); err != nil {
		return 0, mapErr(err, "step attachments")
	}
	// Where a dispatch set no department (none did) the row keeps its own.
	if _, err := tx.Exec(ctx, `
UPDATE incident i SET
    department   = CASE WHEN u.department = '' THEN i.department ELSE u.department END,
    person       = u.person,
    deadline     = coalesce(u.deadline, i.deadline),
    supervised   = u.supervised,
    satisfaction = u.satisfaction,
    step_seq     = u.step_seq,
    step_kind    = u.step_kind,
    step_status  = u.step_status
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::int[], $8::text[], $9::text[])
    AS u (id, department, person, deadline, supervised, satisfaction, step_seq, step_kind, step_status)
WHERE i.id = u.id`, ids, depts, persons, deadlines, sups, sats, seqs, kinds, cstats); err != nil {
		return 0, mapErr(err, "incidents")
	}
	if err := s.commitIncidents(ctx, tx); err != nil {
		return 0, mapErr(err, "incidents")
	}
	return len(ids), nil
}
