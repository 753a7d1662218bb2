package caseflow

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
)

// expected is the loop written out by hand, independently of rules: for
// each status, each step a role may take there, the roles (system
// excluded: it may take every listed step) and where it leads. Any
// status × step not listed is refused for every role.
const expected = `
reported    register    admin dispatcher              -> registered
reported    reject      admin dispatcher              -> rejected
registered  dispatch    admin dispatcher              -> dispatched
registered  investigate admin dispatcher reporter     -> in_progress
registered  consult     admin dispatcher              -> in_progress
registered  supervise   admin dispatcher              -> registered
registered  resolve     admin reporter                -> resolved
dispatched  dispatch    admin dispatcher              -> dispatched
dispatched  investigate admin dispatcher department reporter -> in_progress
dispatched  consult     admin dispatcher department   -> in_progress
dispatched  supervise   admin dispatcher              -> dispatched
dispatched  resolve     admin department reporter     -> resolved
in_progress dispatch    admin dispatcher              -> dispatched
in_progress investigate admin dispatcher department reporter -> in_progress
in_progress consult     admin dispatcher department   -> in_progress
in_progress supervise   admin dispatcher              -> in_progress
in_progress resolve     admin department reporter     -> resolved
resolved    review      admin dispatcher reporter     -> reviewed
resolved    reply                                     -> replied
reviewed    reply       admin dispatcher department   -> replied
replied     revisit     admin dispatcher              -> revisited
replied     close                                     -> closed
revisited   close       admin dispatcher              -> closed
`

type expect struct {
	roles map[Role]bool
	to    Status
}

func parseExpected(t *testing.T) map[[2]string]expect {
	t.Helper()
	out := map[[2]string]expect{}
	for _, line := range strings.Split(strings.TrimSpace(expected), "\n") {
		left, to, ok := strings.Cut(line, "->")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		f := strings.Fields(left)
		e := expect{roles: map[Role]bool{RoleSystem: true}, to: Status(strings.TrimSpace(to))}
		for _, r := range f[2:] {
			e.roles[Role(r)] = true
		}
		out[[2]string{f[0], f[1]}] = e
	}
	return out
}

func TestAllowedEveryStatusStepRole(t *testing.T) {
	exp := parseExpected(t)
	n := 0
	for _, s := range Statuses {
		for _, k := range Kinds {
			e, listed := exp[[2]string{string(s), string(k)}]
			for _, r := range Roles {
				n++
				err := Allowed(s, k, r)
				want := listed && e.roles[r]
				if (err == nil) != want {
					t.Errorf("Allowed(%s, %s, %s) = %v, want allowed %v", s, k, r, err, want)
					continue
				}
				if err != nil {
					code := gridmap.ErrorCode(err)
					if listed && code != gridmap.EFORBIDDEN || !listed && code != gridmap.ECONFLICT {
						t.Errorf("Allowed(%s, %s, %s): code %s (%v)", s, k, r, code, err)
					}
					if gridmap.ErrorMessage(err) == "" {
						t.Errorf("Allowed(%s, %s, %s): no reason", s, k, r)
					}
				}
			}
			if listed {
				if to, _ := next(s, Step{Kind: k}); to != e.to {
					t.Errorf("%s %s leads to %s, want %s", s, k, to, e.to)
				}
			}
		}
	}
	if n != len(Statuses)*len(Kinds)*len(Roles) || n != 10*11*6 {
		t.Fatalf("checked %d combinations", n)
	}
	// Every rule is in the list (no rule the list does not know).
	if len(rules) != len(exp) {
		t.Errorf("%d rules, %d expected lines", len(rules), len(exp))
	}
	for _, bad := range [][3]string{{"nope", "register", "admin"}, {"reported", "nope", "admin"}, {"reported", "register", "nope"}} {
		if err := Allowed(Status(bad[0]), Kind(bad[1]), Role(bad[2])); gridmap.ErrorCode(err) != gridmap.EINVALID {
			t.Errorf("Allowed%v = %v, want invalid", bad, err)
		}
	}
}

func TestLabelsComplete(t *testing.T) {
	for _, s := range Statuses {
		if l := s.Labels(); l.Zh == "" || l.En == "" {
			t.Errorf("status %s has no labels", s)
		}
	}
	for _, k := range Kinds {
		if l := k.Labels(); l.Zh == "" || l.En == "" {
			t.Errorf("step %s has no labels", k)
		}
	}
	for _, r := range Roles {
		if l := r.Labels(); l.Zh == "" || l.En == "" {
			t.Errorf("role %s has no labels", r)
		}
	}
	for _, s := range []Satisfaction{Satisfied, BasicallySatisfied, NotSatisfied} {
		if l := s.Labels(); l.Zh == "" || l.En == "" {
			t.Errorf("satisfaction %s has no labels", s)
		}
	}
}

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, gridmap.ChinaTime) // a Monday

func at(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

func ptr[T any](v T) *T { return &v }

const photo = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

var (
	centre = Actor{Person: "指挥中心 张演示", Role: RoleDispatcher}
	police = Actor{Person: "派出所 李演示", Role: RoleDepartment, Department: "police"}
	worker = Actor{Person: "网格员 王演示07", Role: RoleReporter}
)

// run applies steps in turn, as the store does (the case row updated
// from each result), failing on the first refusal.
func run(t *testing.T, steps ...Step) ([]Step, Case, []Result) {
	t.Helper()
	var h []Step
	var c Case
	var rs []Result
	for i, st := range steps {
		r, err := Apply(c, h, st, st.At.Add(time.Minute))
		if err != nil {
			t.Fatalf("step %d (%s by %s): %v", i+1, st.Kind, st.Actor.Role, err)
		}
		if r.Step.Seq != i+1 {
			t.Fatalf("step %d: seq %d", i+1, r.Step.Seq)
		}
		if r.Changes.Department != nil {
			c.Department = *r.Changes.Department
		}
		if r.Changes.Person != nil {
			c.Person = *r.Changes.Person
		}
		if r.Changes.Deadline != nil {
			c.Deadline = r.Changes.Deadline
		}
		h = append(h, r.Step)
		rs = append(rs, r)
		if got := StatusOf(h); got != r.Status {
			t.Fatalf("step %d: StatusOf = %s, Apply said %s", i+1, got, r.Status)
		}
	}
	return h, c, rs
}

func TestWholeLoop(t *testing.T) {
	h, c, rs := run(t,
		Step{Kind: StepRegister, At: at(0), Actor: centre},
		Step{Kind: StepDispatch, At: at(1), Actor: centre, Department: "justice", Person: "司法所 赵演示", Deadline: ptr(at(24 * 7))},
		// re-dispatch: to the police, a new person and deadline
		Step{Kind: StepDispatch, At: at(2), Actor: centre, Department: "police", Person: "派出所 李演示", Deadline: ptr(at(24 * 5))},
		Step{Kind: StepInvestigate, At: at(3), Actor: police, Note: "两户因宅基地边界争执"},
		Step{Kind: StepConsult, At: at(4), Actor: centre, Agenda: ptr(time.Date(2026, 12, 2, 0, 0, 0, 0, gridmap.ChinaTime))},
		Step{Kind: StepConsult, At: at(50), Actor: police, Decision: "司法所调解，村委会见证"},
		Step{Kind: StepSupervise, At: at(24 * 6), Actor: centre, Deadline: ptr(at(24 * 8)), Note: "逾期督办"},
		Step{Kind: StepResolve, At: at(24 * 7), Actor: police, Attachments: []string{photo}},
		// send back
		Step{Kind: StepReview, At: at(24*7 + 1), Actor: worker, Outcome: ReviewSendBack, Reason: "界桩未立"},
		Step{Kind: StepResolve, At: at(24*7 + 5), Actor: police, Attachments: []string{photo}},
		Step{Kind: StepReview, At: at(24*7 + 6), Actor: centre, Outcome: ReviewAccept},
		Step{Kind: StepReply, At: at(24*7 + 7), Actor: police, Note: "已调解并立界桩"},
		// not satisfied: reopens
		Step{Kind: StepRevisit, At: at(24 * 9), Actor: centre, Outcome: string(NotSatisfied), Reason: "界桩位置有异议"},
		Step{Kind: StepResolve, At: at(24 * 10), Actor: police, Attachments: []string{photo}},
		Step{Kind: StepReview, At: at(24*10 + 1), Actor: centre, Outcome: ReviewAccept},
		Step{Kind: StepReply, At: at(24*10 + 2), Actor: centre, Note: "重新确认界桩"},
		Step{Kind: StepRevisit, At: at(24 * 11), Actor: centre, Outcome: string(BasicallySatisfied)},
		Step{Kind: StepClose, At: at(24*11 + 1), Actor: centre},
	)
	want := []Status{StatusRegistered, StatusDispatched, StatusDispatched, StatusInProgress, StatusInProgress,
		StatusInProgress, StatusInProgress, StatusResolved, StatusInProgress, StatusResolved, StatusReviewed,
		StatusReplied, StatusInProgress, StatusResolved, StatusReviewed, StatusReplied, StatusRevisited, StatusClosed}
	for i, r := range rs {
		if r.Status != want[i] {
			t.Errorf("step %d %s: status %s, want %s", i+1, r.Step.Kind, r.Status, want[i])
		}
	}
	if StatusOf(h) != StatusClosed || StatusOf(h).Public() != gridmap.StatusClosed {
		t.Fatalf("end: %s", StatusOf(h))
	}
	if c.Department != "police" || c.Person != "派出所 李演示" || !c.Deadline.Equal(at(24*8)) {
		t.Errorf("case after: %+v", c)
	}
	if !rs[6].Changes.Supervised || rs[6].Changes.Deadline == nil {
		t.Errorf("supervise changes: %+v", rs[6].Changes)
	}
	if s := rs[12].Changes.Satisfaction; s == nil || *s != NotSatisfied {
		t.Errorf("revisit changes: %+v", rs[12].Changes)
	}
}

func TestApplyRefusals(t *testing.T) {
	dispatched, c, _ := run(t,
		Step{Kind: StepRegister, At: at(0), Actor: centre},
		Step{Kind: StepDispatch, At: at(1), Actor: centre, Department: "police", Person: "李", Deadline: ptr(at(48))},
	)
	resolved, rc, _ := run(t,
		Step{Kind: StepRegister, At: at(0), Actor: centre},
		Step{Kind: StepResolve, At: at(1), Actor: worker, Attachments: []string{photo}},
	)
	replied, pc, _ := run(t,
		Step{Kind: StepRegister, At: at(0), Actor: centre},
		Step{Kind: StepResolve, At: at(1), Actor: worker, Attachments: []string{photo}},
		Step{Kind: StepReview, At: at(2), Actor: centre, Outcome: ReviewAccept},
		Step{Kind: StepReply, At: at(3), Actor: centre, Note: "已处理"},
	)
	now := at(5)
	tests := []struct {
		name    string
		c       Case
		h       []Step
		step    Step
		code    string
		message string
	}{
		{"reject without reason", Case{}, nil, Step{Kind: StepReject, Actor: centre}, gridmap.EINVALID, "reason is required"},
		{"no person", Case{}, nil, Step{Kind: StepRegister, Actor: Actor{Role: RoleDispatcher}}, gridmap.EINVALID, "actor.person"},
		{"viewer", Case{}, nil, Step{Kind: StepRegister, Actor: Actor{Person: "x", Role: RoleViewer}}, gridmap.EFORBIDDEN, "may not register"},
		{"dispatch before register", Case{}, nil, Step{Kind: StepDispatch, Actor: centre, Department: "police", Person: "李", Deadline: ptr(at(48))}, gridmap.ECONFLICT, "possible now: register, reject"},
		{"dispatch without person", c, dispatched, Step{Kind: StepDispatch, Actor: centre, Department: "police", Deadline: ptr(at(48))}, gridmap.EINVALID, "person is required"},
		{"dispatch deadline passed", c, dispatched, Step{Kind: StepDispatch, Actor: centre, Department: "police", Person: "王", Deadline: ptr(at(1))}, gridmap.EINVALID, "has passed"},
		{"re-dispatch to the same", c, dispatched, Step{Kind: StepDispatch, Actor: centre, Department: "police", Person: "李", Deadline: ptr(at(48))}, gridmap.ECONFLICT, "already with"},
		{"supervise without deadline", c, dispatched, Step{Kind: StepSupervise, Actor: centre}, gridmap.EINVALID, "deadline is required"},
		{"other department", c, dispatched, Step{Kind: StepInvestigate, Actor: Actor{Person: "x", Role: RoleDepartment, Department: "justice"}, Note: "n"}, gridmap.EFORBIDDEN, "not given to your department"},
		{"investigate without note", c, dispatched, Step{Kind: StepInvestigate, Actor: police}, gridmap.EINVALID, "note is required"},
		{"consult on a Thursday", c, dispatched, Step{Kind: StepConsult, Actor: police, Agenda: ptr(time.Date(2026, 12, 3, 0, 0, 0, 0, gridmap.ChinaTime))}, gridmap.EINVALID, "Wednesday"},
		{"consult on a past Wednesday", c, dispatched, Step{Kind: StepConsult, Actor: police, Agenda: ptr(time.Date(2026, 11, 25, 0, 0, 0, 0, gridmap.ChinaTime))}, gridmap.EINVALID, "past"},
		{"consult with nothing", c, dispatched, Step{Kind: StepConsult, Actor: police}, gridmap.EINVALID, "decision"},
		{"resolve without photos", c, dispatched, Step{Kind: StepResolve, Actor: police}, gridmap.EINVALID, "after photos"},
		{"bad attachment id", c, dispatched, Step{Kind: StepResolve, Actor: police, Attachments: []string{"abc"}}, gridmap.EINVALID, "attachments[0]"},
		{"dispatcher resolves", c, dispatched, Step{Kind: StepResolve, Actor: centre, Attachments: []string{photo}}, gridmap.EFORBIDDEN, "may not resolve"},
		{"review bad outcome", rc, resolved, Step{Kind: StepReview, Actor: centre, Outcome: "ok"}, gridmap.EINVALID, "accept or send_back"},
		{"send back without reason", rc, resolved, Step{Kind: StepReview, Actor: centre, Outcome: ReviewSendBack}, gridmap.EINVALID, "reason is required"},
		{"reply before review", rc, resolved, Step{Kind: StepReply, Actor: centre, Note: "x"}, gridmap.EFORBIDDEN, "by a person"},
		{"close before revisit", pc, replied, Step{Kind: StepClose, Actor: centre}, gridmap.EFORBIDDEN, "by a person"},
		{"not satisfied without reason", pc, replied, Step{Kind: StepRevisit, Actor: centre, Outcome: string(NotSatisfied)}, gridmap.EINVALID, "reason is required"},
		{"revisit bad outcome", pc, replied, Step{Kind: StepRevisit, Actor: centre, Outcome: "happy"}, gridmap.EINVALID, "satisfied"},
		{"step in the future", pc, replied, Step{Kind: StepRevisit, At: at(9), Actor: centre, Outcome: string(Satisfied)}, gridmap.EINVALID, "future"},
		{"NUL in a note", c, dispatched, Step{Kind: StepInvestigate, Actor: police, Note: "a\x00b"}, gridmap.EINVALID, "note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply(tt.c, tt.h, tt.step, now)
			if err == nil {
				t.Fatal("accepted")
			}
			if gridmap.ErrorCode(err) != tt.code || !strings.Contains(gridmap.ErrorMessage(err), tt.message) {
				t.Fatalf("got %s %q, want %s containing %q", gridmap.ErrorCode(err), gridmap.ErrorMessage(err), tt.code, tt.message)
			}
		})
	}
}

func TestSystemResolvesWithoutPhotos(t *testing.T) {
	sysActor := Actor{Person: "gridmap import", Role: RoleSystem}
	var h []Step
	for _, k := range LegacySteps(StatusReported, gridmap.StatusClosed) {
		r, err := Apply(Case{}, h, Step{Kind: k, At: at(1), Actor: sysActor}, at(2))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		h = append(h, r.Step)
	}
	if StatusOf(h) != StatusClosed {
		t.Fatalf("status %s", StatusOf(h))
	}
}

func TestLegacySteps(t *testing.T) {
	for _, s := range Statuses {
		for _, to := range gridmap.Statuses {
			ks := LegacySteps(s, to)
			got := s
			for _, k := range ks {
				if err := Allowed(got, k, RoleSystem); err != nil {
					t.Fatalf("LegacySteps(%s, %s): %s: %v", s, to, k, err)
				}
				got, _ = next(got, Step{Kind: k})
			}
			if s.Public().Rank() < to.Rank() && s != StatusRejected && got.Public() != to {
				t.Errorf("LegacySteps(%s, %s) = %v reaches %s", s, to, ks, got)
			}
			if s.Public().Rank() >= to.Rank() && len(ks) > 0 {
				t.Errorf("LegacySteps(%s, %s) = %v, want none", s, to, ks)
			}
		}
	}
	// The chain for each stored status, as migration 00007 writes it.
	want := map[gridmap.Status]string{
		gridmap.StatusReported:   "",
		gridmap.StatusAccepted:   "register",
		gridmap.StatusInProgress: "register investigate",
		gridmap.StatusResolved:   "register investigate resolve",
		gridmap.StatusReplied:    "register investigate resolve reply",
		gridmap.StatusClosed:     "register investigate resolve reply close",
	}
	for to, w := range want {
		if got := strings.TrimSpace(join2(LegacySteps(StatusReported, to))); got != w {
			t.Errorf("LegacySteps(reported, %s) = %q, want %q", to, got, w)
		}
	}
}

func join2(ks []Kind) string {
	var b strings.Builder
	for _, k := range ks {
		b.WriteString(string(k) + " ")
	}
	return b.String()
}

func TestPublic(t *testing.T) {
	got := map[gridmap.Status][]string{}
	for _, s := range Statuses {
		got[s.Public()] = append(got[s.Public()], string(s))
	}
	want := map[gridmap.Status]string{
		gridmap.StatusReported:   "reported",
		gridmap.StatusAccepted:   "dispatched registered",
		gridmap.StatusInProgress: "in_progress",
		gridmap.StatusResolved:   "resolved reviewed",
		gridmap.StatusReplied:    "replied revisited",
		gridmap.StatusClosed:     "closed rejected",
	}
	for p, w := range want {
		sort.Strings(got[p])
		if g := strings.Join(got[p], " "); g != w {
			t.Errorf("%s ← %q, want %q", p, g, w)
		}
	}
}

func TestNextDue(t *testing.T) {
	days := 7
	rep := at(8) // 17:00 China time on Monday 30 November
	h, _, _ := run(t,
		Step{Kind: StepRegister, At: at(24), Actor: centre},
	)
	tests := []struct {
		name     string
		h        []Step
		deadline *time.Time
		step     Kind
		by       time.Time
	}{
		{"register by the end of the next day", nil, nil, StepRegister, time.Date(2026, 12, 2, 0, 0, 0, 0, gridmap.ChinaTime)},
		{"dispatch a day after registering", h, nil, StepDispatch, time.Date(2026, 12, 3, 0, 0, 0, 0, gridmap.ChinaTime)},
		{"resolve by the category's days", append(h[:1:1], Step{Kind: StepInvestigate, At: at(25)}), nil, StepResolve, rep.Add(7 * 24 * time.Hour)},
		{"resolve by the reported deadline", append(h[:1:1], Step{Kind: StepInvestigate, At: at(25)}), ptr(at(30)), StepResolve, at(30)},
		{"resolve by the supervision's deadline", append(h[:1:1], Step{Kind: StepInvestigate, At: at(25)}, Step{Kind: StepSupervise, At: at(26), Deadline: ptr(at(40))}), ptr(at(30)), StepResolve, at(40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := NextDue(tt.h, rep, tt.deadline, &days)
			if !ok || d.Step != tt.step || !d.By.Equal(tt.by) {
				t.Fatalf("NextDue = %+v %v, want %s by %s", d, ok, tt.step, tt.by)
			}
			if Overdue(tt.h, rep, tt.deadline, &days, tt.by) || !Overdue(tt.h, rep, tt.deadline, &days, tt.by.Add(time.Second)) {
				t.Fatal("overdue is not after the due time")
			}
		})
	}
	closed := []Step{{Kind: StepReject, At: at(9), Reason: "x"}}
	if _, ok := NextDue(closed, rep, nil, &days); ok {
		t.Error("a rejected case is due")
	}
	if _, ok := NextDue(append(h[:1:1], Step{Kind: StepInvestigate, At: at(25)}), rep, nil, nil); ok {
		t.Error("no deadline, no category days: due")
	}
}

// README.md's "Case steps" table is Markdown(): regenerate it with
// GRIDMAP_WRITE_README=1 go test ./caseflow/ -run TestReadmeTable.
func TestReadmeTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- caseflow table: begin -->\n", "<!-- caseflow table: end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q section", begin, end)
	}
	want := Markdown()
	if got := s[i+len(begin) : j]; got != want {
		if os.Getenv("GRIDMAP_WRITE_README") != "" {
			if err := os.WriteFile("../README.md", []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's case table differs from caseflow.Markdown(); run GRIDMAP_WRITE_README=1 go test ./caseflow/ -run TestReadmeTable\n%s", want)
	}
}

// Implied steps derive the stored status, in time order, each at the time
// of its own status when there is one.
func TestImplied(t *testing.T) {
	day := func(d int) *time.Time { x := time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC); return &x }
	for _, status := range gridmap.Statuses {
		for _, times := range []StoredTimes{
			{Reported: *day(1)},
			{Reported: *day(1), Accepted: day(2), InProgress: day(3), Resolved: day(4), Replied: day(5), Closed: day(6)},
			{Reported: *day(1), Resolved: day(4)},
		} {
			steps := Implied(status, times)
			if got := StatusOf(steps).Public(); got != status {
				t.Errorf("%s %+v: steps %v derive %s", status, times, steps, got)
			}
			if got := ImpliedStatus(status); got != StatusOf(steps) {
				t.Errorf("ImpliedStatus(%s) = %s, its steps derive %s", status, got, StatusOf(steps))
			}
			if want := status.Rank(); len(steps) != want {
				t.Errorf("%s: %d steps, want %d", status, len(steps), want)
			}
			for i, st := range steps {
				if st.Seq != i+1 || st.Actor.Role != RoleSystem || st.At.IsZero() {
					t.Errorf("%s: step %d %+v", status, i, st)
				}
			}
		}
	}
	full := Implied(gridmap.StatusClosed, StoredTimes{Reported: *day(1), Accepted: day(2), InProgress: day(3), Resolved: day(4), Replied: day(5), Closed: day(6)})
	for i, st := range full {
		if !st.At.Equal(*day(i + 2)) {
			t.Errorf("step %s at %s, want %s", st.Kind, st.At, day(i+2))
		}
	}
	// Only a resolve time: register and investigate take it too.
	sparse := Implied(gridmap.StatusResolved, StoredTimes{Reported: *day(1), Resolved: day(4)})
	for _, st := range sparse {
		if !st.At.Equal(*day(4)) {
			t.Errorf("sparse: %s at %s", st.Kind, st.At)
		}
	}
}
