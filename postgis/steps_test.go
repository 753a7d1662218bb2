package postgis_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/migrations"
	"github.com/gridmap/gridmap/postgis"
)

// newCase posts one incident and returns its id.
func newCase(tb testing.TB, st *postgis.Store, ix *geo.Index, version int64, ext string) int64 {
	tb.Helper()
	res, err := postRecords(tb, st, ix, version, []map[string]any{rec(ext, centre(tb, ix))}, false)
	if err != nil {
		tb.Fatal(err)
	}
	return res.Items[0].Incident.ID
}

// upload stores an attachment row directly (the upload route comes with
// the HTTP part) and returns its id.
func upload(tb testing.TB, st *postgis.Store, b []byte) string {
	tb.Helper()
	sum := sha256.Sum256(b)
	if _, err := st.Pool().Exec(context.Background(),
		`INSERT INTO attachment (sha256, media_type, bytes, size) VALUES ($1, 'image/jpeg', $2, $3) ON CONFLICT DO NOTHING`,
		sum[:], b, len(b)); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(sum[:])
}

func counts(tb testing.TB, st *postgis.Store, id int64) (steps, changes int, txid string) {
	tb.Helper()
	if err := st.Pool().QueryRow(context.Background(), `
SELECT (SELECT count(*) FROM incident_step WHERE incident_id = $1),
       (SELECT count(*) FROM incident_change WHERE incident_id = $1),
       (SELECT txid::text FROM incident WHERE id = $1)`, id).Scan(&steps, &changes, &txid); err != nil {
		tb.Fatal(err)
	}
	return
}

func TestCaseLoopThroughTheStore(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	id := newCase(t, st, ix, version, "LOOP-1")
	photo := upload(t, st, []byte("after photo"))
	now := time.Now()
	dl := now.Add(72 * time.Hour).Truncate(time.Second)
	dl2 := now.Add(120 * time.Hour).Truncate(time.Second)
	centreA := caseflow.Actor{Person: "指挥中心 张演示", Role: caseflow.RoleDispatcher, TokenID: 7}
	police := caseflow.Actor{Person: "派出所 李演示", Role: caseflow.RoleDepartment, Department: "police"}
	worker := caseflow.Actor{Person: "网格员 王演示07", Role: caseflow.RoleReporter}
	steps := []struct {
		step   caseflow.Step
		status gridmap.Status
	}{
		{caseflow.Step{Kind: caseflow.StepRegister, Actor: centreA}, gridmap.StatusAccepted},
		{caseflow.Step{Kind: caseflow.StepDispatch, Actor: centreA, Department: "justice", Person: "赵", Deadline: &dl}, gridmap.StatusAccepted},
		{caseflow.Step{Kind: caseflow.StepDispatch, Actor: centreA, Department: "police", Person: "李", Deadline: &dl}, gridmap.StatusAccepted},
		{caseflow.Step{Kind: caseflow.StepInvestigate, Actor: police, Note: "查明"}, gridmap.StatusInProgress},
		{caseflow.Step{Kind: caseflow.StepSupervise, Actor: centreA, Deadline: &dl2}, gridmap.StatusInProgress},
		{caseflow.Step{Kind: caseflow.StepResolve, Actor: police, Attachments: []string{photo}}, gridmap.StatusResolved},
		{caseflow.Step{Kind: caseflow.StepReview, Actor: worker, Outcome: caseflow.ReviewSendBack, Reason: "未完成"}, gridmap.StatusInProgress},
		{caseflow.Step{Kind: caseflow.StepResolve, Actor: police, Attachments: []string{photo}}, gridmap.StatusResolved},
		{caseflow.Step{Kind: caseflow.StepReview, Actor: centreA, Outcome: caseflow.ReviewAccept}, gridmap.StatusResolved},
		{caseflow.Step{Kind: caseflow.StepReply, Actor: police, Note: "已答复"}, gridmap.StatusReplied},
		{caseflow.Step{Kind: caseflow.StepRevisit, Actor: centreA, Outcome: string(caseflow.NotSatisfied), Reason: "仍有噪音"}, gridmap.StatusInProgress},
		{caseflow.Step{Kind: caseflow.StepResolve, Actor: police, Attachments: []string{photo}}, gridmap.StatusResolved},
		{caseflow.Step{Kind: caseflow.StepReview, Actor: centreA, Outcome: caseflow.ReviewAccept}, gridmap.StatusResolved},
		{caseflow.Step{Kind: caseflow.StepReply, Actor: centreA, Note: "再次答复"}, gridmap.StatusReplied},
		{caseflow.Step{Kind: caseflow.StepRevisit, Actor: centreA, Outcome: string(caseflow.Satisfied)}, gridmap.StatusReplied},
		{caseflow.Step{Kind: caseflow.StepClose, Actor: centreA}, gridmap.StatusClosed},
	}
	for i, s := range steps {
		if _, err := st.AddStep(ctx, id, s.step, nil); err != nil {
			t.Fatalf("step %d %s: %v", i+1, s.step.Kind, err)
		}
		in, err := st.Incident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if in.Status != s.status {
			t.Fatalf("step %d %s: status %s, want %s", i+1, s.step.Kind, in.Status, s.status)
		}
	}
	hist, err := st.Steps(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != len(steps) || caseflow.StatusOf(hist) != caseflow.StatusClosed {
		t.Fatalf("%d steps, status %s", len(hist), caseflow.StatusOf(hist))
	}
	if h := hist[5]; h.Seq != 6 || h.Kind != caseflow.StepResolve || len(h.Attachments) != 1 || h.Attachments[0] != photo ||
		h.Actor != police {
		t.Errorf("step 6 read back: %+v", h)
	}
	if h := hist[1]; h.Department != "justice" || h.Person != "赵" || h.Deadline == nil || !h.Deadline.Equal(dl) || h.Actor.TokenID != 7 {
		t.Errorf("step 2 read back: %+v", h)
	}
	var dept, person, satisfaction string
	var supervised int
	var deadline time.Time
	if err := st.Pool().QueryRow(ctx, `SELECT department, person, deadline, supervised, satisfaction FROM incident WHERE id = $1`, id).
		Scan(&dept, &person, &deadline, &supervised, &satisfaction); err != nil {
		t.Fatal(err)
	}
	if dept != "police" || person != "李" || !deadline.Equal(dl2) || supervised != 1 || satisfaction != "satisfied" {
		t.Errorf("derived columns: %s %s %s %d %s", dept, person, deadline, supervised, satisfaction)
	}
	in, err := st.Incident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// The change log has each status move, the department and deadline.
	var moves, depts, deadlines int
	for _, c := range in.Changes {
		if c.Status != nil {
			moves++
		}
		if c.Department != nil {
			depts++
		}
		if c.Deadline != nil {
			deadlines++
		}
	}
	if moves != 10 || depts != 2 || deadlines != 2 || in.Changes[0].By.Name != centreA.Person || in.Changes[0].By.TokenID != 7 {
		t.Errorf("changes: %d status, %d department, %d deadline; first %+v", moves, depts, deadlines, in.Changes[0])
	}
	if in.StepAt[gridmap.StatusClosed].IsZero() {
		t.Errorf("closed_at not stamped: %v", in.StepAt)
	}
	// Closed: nothing more.
	if _, err := st.AddStep(ctx, id, caseflow.Step{Kind: caseflow.StepClose, Actor: centreA}, nil); gridmap.ErrorCode(err) != gridmap.ECONFLICT {
		t.Errorf("step on a closed case: %v", err)
	}
}

func TestAddStepRefusedWritesNothing(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	id := newCase(t, st, ix, version, "REFUSE-1")
	centreA := caseflow.Actor{Person: "张", Role: caseflow.RoleDispatcher}
	if _, err := st.AddStep(ctx, id, caseflow.Step{Kind: caseflow.StepRegister, Actor: centreA}, nil); err != nil {
		t.Fatal(err)
	}
	s0, c0, x0 := counts(t, st, id)
	dl := time.Now().Add(time.Hour)
	refused := []struct {
		name  string
		step  caseflow.Step
		check func(string) error
		code  string
	}{
		{"viewer", caseflow.Step{Kind: caseflow.StepDispatch, Actor: caseflow.Actor{Person: "v", Role: caseflow.RoleViewer}, Department: "police", Person: "李", Deadline: &dl}, nil, gridmap.EFORBIDDEN},
		{"department before dispatch", caseflow.Step{Kind: caseflow.StepInvestigate, Actor: caseflow.Actor{Person: "d", Role: caseflow.RoleDepartment, Department: "police"}, Note: "n"}, nil, gridmap.EFORBIDDEN},
		{"unknown department", caseflow.Step{Kind: caseflow.StepDispatch, Actor: centreA, Department: "nope", Person: "李", Deadline: &dl}, nil, gridmap.EINVALID},
		{"photo not uploaded", caseflow.Step{Kind: caseflow.StepResolve, Actor: caseflow.Actor{Person: "w", Role: caseflow.RoleReporter}, Attachments: []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}, nil, gridmap.EINVALID},
		{"outside the grid", caseflow.Step{Kind: caseflow.StepInvestigate, Actor: caseflow.Actor{Person: "w", Role: caseflow.RoleReporter}, Note: "n"},
			func(string) error { return gridmap.Errorf(gridmap.EFORBIDDEN, "not your grid") }, gridmap.EFORBIDDEN},
		{"status", caseflow.Step{Kind: caseflow.StepClose, Actor: centreA}, nil, gridmap.ECONFLICT},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			_, err := st.AddStep(ctx, id, r.step, r.check)
			if gridmap.ErrorCode(err) != r.code {
				t.Fatalf("error %v, want %s", err, r.code)
			}
			if s, c, x := counts(t, st, id); s != s0 || c != c0 || x != x0 {
				t.Errorf("wrote: steps %d→%d, changes %d→%d, txid %s→%s", s0, s, c0, c, x0, x)
			}
		})
	}
	if _, err := st.AddStep(ctx, 1<<40, caseflow.Step{Kind: caseflow.StepRegister, Actor: centreA}, nil); gridmap.ErrorCode(err) != gridmap.ENOTFOUND {
		t.Errorf("unknown incident: %v", err)
	}
	if _, err := st.Steps(ctx, 1<<40); gridmap.ErrorCode(err) != gridmap.ENOTFOUND {
		t.Errorf("steps of an unknown incident: %v", err)
	}
}

// Concurrent steps on one case are serialised by the row lock: each reads
// the history the one before wrote, so all are stored, numbered 1…n.
func TestAddStepConcurrentSerialises(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	id := newCase(t, st, ix, version, "CONC-1")
	centreA := caseflow.Actor{Person: "张", Role: caseflow.RoleDispatcher}
	if _, err := st.AddStep(ctx, id, caseflow.Step{Kind: caseflow.StepRegister, Actor: centreA}, nil); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.AddStep(ctx, id, caseflow.Step{Kind: caseflow.StepInvestigate,
				Actor: caseflow.Actor{Person: "网格员", Role: caseflow.RoleReporter}, Note: "巡查"}, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("step %d: %v", i, err)
		}
	}
	hist, err := st.Steps(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != n+1 {
		t.Fatalf("%d steps, want %d", len(hist), n+1)
	}
	for i, h := range hist {
		if h.Seq != i+1 {
			t.Errorf("step %d has seq %d", i+1, h.Seq)
		}
	}
	// One of a conflicting pair: both registering a reported case, one
	// is refused by the table (not by a duplicate key).
	id2 := newCase(t, st, ix, version, "CONC-2")
	var wg2 sync.WaitGroup
	errs2 := make([]error, 2)
	for i := range 2 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			_, errs2[i] = st.AddStep(ctx, id2, caseflow.Step{Kind: caseflow.StepRegister, Actor: centreA}, nil)
		}()
	}
	wg2.Wait()
	ok, conflict := 0, 0
	for _, err := range errs2 {
		switch gridmap.ErrorCode(err) {
		case "":
			ok++
		case gridmap.ECONFLICT:
			conflict++
		default:
			t.Errorf("register: %v", err)
		}
	}
	if ok != 1 || conflict != 1 {
		t.Errorf("register twice at once: %d stored, %d refused: %v", ok, conflict, errs2)
	}
}

// assertDerived checks that every incident's status is the one its steps
// derive.
func assertDerived(tb testing.TB, st *postgis.Store) int {
	tb.Helper()
	ctx := context.Background()
	rows, err := st.Pool().Query(ctx, `
SELECT i.id, i.status, coalesce(array_agg(s.step ORDER BY s.seq) FILTER (WHERE s.seq IS NOT NULL), '{}'),
       i.reported_at, i.accepted_at, i.in_progress_at, i.resolved_at, i.replied_at, i.closed_at
FROM incident i LEFT JOIN incident_step s ON s.incident_id = i.id AND s.reported_at = i.reported_at
GROUP BY i.id, i.reported_at ORDER BY i.id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	n, bad := 0, 0
	for rows.Next() {
		var id int64
		var status string
		var kinds []string
		var t caseflow.StoredTimes
		if err := rows.Scan(&id, &status, &kinds, &t.Reported, &t.Accepted, &t.InProgress, &t.Resolved, &t.Replied, &t.Closed); err != nil {
			tb.Fatal(err)
		}
		hist := make([]caseflow.Step, len(kinds))
		for i, k := range kinds {
			hist[i] = caseflow.Step{Kind: caseflow.Kind(k)}
		}
		if len(kinds) == 0 { // none stored: implied (readSteps)
			hist = caseflow.Implied(gridmap.Status(status), t)
		}
		if got := caseflow.StatusOf(hist).Public(); string(got) != status {
			if bad++; bad < 10 {
				tb.Errorf("incident %d: stored %s, steps %v derive %s", id, status, kinds, got)
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// The demo year (stored with statuses through the import) and the same
// rows carried through migration 00007 from before it: every status is
// the one the steps derive.
func TestStepsOfStoredStatuses(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	incs := demodata.Incidents(ix, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), demodata.DefaultIncidents)
	if _, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{By: gridmap.Actor{Name: "gridmap demo"}},
		intake.Assign(checked(incs), ix, version)); err != nil {
		t.Fatal(err)
	}
	if n := assertDerived(t, st); n != len(incs) {
		t.Fatalf("%d incidents checked, want %d", n, len(incs))
	}
	// The demo's full histories replace the import's system steps.
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	hist := map[string][]caseflow.Step{}
	for _, in := range incs {
		hist[in.ExternalID] = demodata.Steps(in, end)
	}
	photoID, photo := demodata.Photo()
	n, err := st.DemoSteps(ctx, hist, map[string][]byte{photoID: photo})
	if err != nil {
		t.Fatal(err)
	}
	var notReported int
	for _, in := range incs {
		if in.Status != gridmap.StatusReported {
			notReported++
		}
	}
	if n != notReported {
		t.Errorf("DemoSteps: %d histories, want %d", n, notReported)
	}
	assertDerived(t, st)
	if again, err := st.DemoSteps(ctx, hist, nil); err != nil || again != 0 {
		t.Errorf("DemoSteps again: %d, %v", again, err)
	}
	var hotlineClosed, hotlineSatisfied, supervised, sentBack, reopened, wednesday, systemSteps int
	if err := st.Pool().QueryRow(ctx, `
SELECT count(*) FILTER (WHERE source = 'hotline' AND status = 'closed'),
       count(*) FILTER (WHERE source = 'hotline' AND status = 'closed' AND satisfaction = 'satisfied'),
       count(*) FILTER (WHERE supervised > 0),
       (SELECT count(*) FROM incident_step WHERE step = 'review' AND payload->>'outcome' = 'send_back'),
       (SELECT count(*) FROM incident_step WHERE step = 'revisit' AND payload->>'outcome' = 'not_satisfied'),
       (SELECT count(*) FROM incident_step WHERE step = 'consult' AND payload ? 'agenda'),
       (SELECT count(*) FROM incident_step WHERE actor_role = 'system')
FROM incident`).Scan(&hotlineClosed, &hotlineSatisfied, &supervised, &sentBack, &reopened, &wednesday, &systemSteps); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo: %d 12345 tickets closed, %d satisfied; %d supervised, %d sent back, %d reopened, %d on a Wednesday agenda",
		hotlineClosed, hotlineSatisfied, supervised, sentBack, reopened, wednesday)
	if hotlineClosed == 0 || hotlineSatisfied != hotlineClosed || supervised == 0 || sentBack == 0 || reopened == 0 ||
		wednesday == 0 || systemSteps != 0 || supervised > len(incs)/5 {
		t.Errorf("demo proportions: %d 12345 closed, %d satisfied; %d supervised, %d sent back, %d reopened, %d Wednesday, %d system steps",
			hotlineClosed, hotlineSatisfied, supervised, sentBack, reopened, wednesday, systemSteps)
	}
	// Back to migration 00006 and up again: the migration writes the
	// steps of the rows it finds.
	db := stdlib.OpenDBFromPool(st.Pool())
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if n := assertDerived(t, st); n != len(incs) {
		t.Fatalf("after the migration: %d incidents checked, want %d", n, len(incs))
	}
	// Nothing was written for the rows found: their steps are implied
	// when read, and stored when a step is appended.
	var stored int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM incident_step`).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("steps stored by the migration: %d, %v", stored, err)
	}
}

// An imported case with a status reads the implied steps, and a step
// appended to it stores them first, then itself.
func TestImpliedStepsStoredOnAppend(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	accepted := at.Add(time.Hour)
	in := gridmap.Incident{ExternalID: "IMPLIED-1", Category: "environment", Source: "hotline", Status: gridmap.StatusAccepted,
		Location: centre(t, ix), ReportedAt: at, StepAt: map[gridmap.Status]time.Time{gridmap.StatusAccepted: accepted}}
	if _, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{By: gridmap.Actor{Name: "test"}},
		intake.Assign(checked([]gridmap.Incident{in}), ix, version)); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := st.Pool().QueryRow(ctx, `SELECT id FROM incident WHERE external_id = 'IMPLIED-1'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := counts(t, st, id); n != 0 {
		t.Fatalf("the import stored %d steps", n)
	}
	hist, err := st.Steps(ctx, id)
	if err != nil || len(hist) != 1 || hist[0].Kind != caseflow.StepRegister || !hist[0].At.Equal(accepted) ||
		hist[0].Actor.Role != caseflow.RoleSystem || hist[0].Note != caseflow.ImpliedNote {
		t.Fatalf("implied steps: %+v, %v", hist, err)
	}
	due := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	res, err := st.AddStep(ctx, id, caseflow.Step{Kind: caseflow.StepDispatch, Department: "sanitation", Person: "王师傅", Deadline: &due,
		Actor: caseflow.Actor{Person: "调度员", Role: caseflow.RoleDispatcher}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Step.Seq != 2 {
		t.Errorf("dispatch stored as step %d, want 2", res.Step.Seq)
	}
	hist, err = st.Steps(ctx, id)
	if err != nil || len(hist) != 2 || hist[0].Kind != caseflow.StepRegister || !hist[0].At.Equal(accepted) ||
		hist[1].Kind != caseflow.StepDispatch {
		t.Fatalf("after the dispatch: %+v, %v", hist, err)
	}
	if n, _, _ := counts(t, st, id); n != 2 {
		t.Errorf("%d steps stored, want 2", n)
	}
}

// A status PATCH records the steps that reach the new status.
func TestStatusUpdateRecordsSteps(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	id := newCase(t, st, ix, version, "PATCH-1")
	to := gridmap.StatusResolved
	if _, err := st.UpdateIncident(ctx, id, gridmap.IncidentUpdate{Status: &to, By: gridmap.Actor{TokenID: 3, Name: "12345 热线"}}); err != nil {
		t.Fatal(err)
	}
	hist, err := st.Steps(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Kind != caseflow.StepRegister || hist[2].Kind != caseflow.StepResolve ||
		hist[2].Actor != (caseflow.Actor{TokenID: 3, Person: "12345 热线", Role: caseflow.RoleSystem}) {
		t.Fatalf("steps: %+v", hist)
	}
	if caseflow.StatusOf(hist).Public() != to {
		t.Fatalf("derived %s", caseflow.StatusOf(hist))
	}
	// The same status again: no step.
	if _, err := st.UpdateIncident(ctx, id, gridmap.IncidentUpdate{Status: &to}); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := counts(t, st, id); s != 3 {
		t.Errorf("%d steps after a no-op", s)
	}
	ds, err := st.Departments(ctx)
	if err != nil || len(ds) < 8 || ds[0].Code != "command" || ds[0].NameZh != "综治中心" {
		t.Errorf("departments: %+v %v", ds, err)
	}
}
