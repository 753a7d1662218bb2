// Package caseflow holds the rules of the case loop (案件闭环): the steps a
// case goes through from report to revisit, the statuses they lead to, the
// roles that may take each step, and the deadlines of each step. It is pure
// (no database, no clock of its own): postgis/ calls it inside the
// transaction that appends a step, with the case row locked.
//
// A case's history is an append-only list of steps; its status is derived
// from the steps (StatusOf) and never written alone. One table (rules) says
// which step may follow which status, for which role, and where it leads;
// Allowed reads it, Apply validates a new step against it and against the
// step's own fields, and says what the step sets.
//
// # The loop
//
//	reported ─register→ registered ─dispatch→ dispatched ─investigate/consult→ in_progress
//	   └reject→ rejected                     (re-dispatch, supervise stay; resolve from any of the three)
//	in_progress ─resolve→ resolved ─review accept→ reviewed ─reply→ replied
//	                          └review send back→ in_progress
//	replied ─revisit satisfied / basically satisfied→ revisited ─close→ closed
//	   └revisit not satisfied→ in_progress (reopened)
//
// # Statuses of the incident table
//
// The incident table's status column (migration 00003: reported, accepted,
// in_progress, resolved, replied, closed) is what the API, the statistics,
// the heat tiles and the event stream show. It stays, as the public status
// of the finer case status (Status.Public):
//
//	reported                → reported
//	registered, dispatched  → accepted
//	in_progress             → in_progress
//	resolved, reviewed      → resolved
//	replied, revisited      → replied
//	closed, rejected        → closed
//
// A case sent back or reopened moves its public status back to in_progress.
// Incidents stored with a status (imports, the demo, rows from before the
// steps) have the steps that reach it implied, derived when read and not
// stored (Implied; so an import stays a plain COPY), and a status PATCH
// appends them (LegacySteps): register (accepted_at), investigate
// (in_progress_at), resolve (resolved_at), reply (replied_at), close
// (closed_at). A step appended to a case whose steps are implied stores
// them first. Such steps are taken by RoleSystem, the only role that
// may reply without a review and close without a revisit, since history
// from before the loop recorded neither.
//
// # Roles
//
// admin may take every step; dispatcher is the command centre (指挥中心):
// register, reject, dispatch, supervise, review, reply, revisit, close;
// department is a department's staff (职能部门), for its own department's
// cases only (Apply checks Actor.Department): investigate, consult,
// resolve, reply; reporter is a grid worker (网格员), for its grids only
// (the caller checks the grid, as for incident writes): investigate,
// resolve on the spot, review (核查); viewer takes none.
package caseflow

import (
	"strings"
	"time"

	"github.com/gridmap/gridmap"
)

// Status is where a case stands in the loop, derived from its steps.
type Status string

// The statuses, in loop order.
const (
	StatusReported   Status = "reported"    // 待立案
	StatusRejected   Status = "rejected"    // 不予立案
	StatusRegistered Status = "registered"  // 已立案
	StatusDispatched Status = "dispatched"  // 已派遣
	StatusInProgress Status = "in_progress" // 处置中
	StatusResolved   Status = "resolved"    // 已处置
	StatusReviewed   Status = "reviewed"    // 已会审
	StatusReplied    Status = "replied"     // 已答复
	StatusRevisited  Status = "revisited"   // 已回访
	StatusClosed     Status = "closed"      // 已结案
)

// Statuses lists every status in loop order.
var Statuses = []Status{StatusReported, StatusRejected, StatusRegistered, StatusDispatched, StatusInProgress,
	StatusResolved, StatusReviewed, StatusReplied, StatusRevisited, StatusClosed}

// Kind is the kind of a step.
type Kind string

// The steps.
const (
	StepRegister    Kind = "register"    // 立案
	StepReject      Kind = "reject"      // 不予立案
	StepDispatch    Kind = "dispatch"    // 派遣 (again: 改派)
	StepInvestigate Kind = "investigate" // 调查
	StepConsult     Kind = "consult"     // 会商
	StepSupervise   Kind = "supervise"   // 督办
	StepResolve     Kind = "resolve"     // 处置
	StepReview      Kind = "review"      // 会审
	StepReply       Kind = "reply"       // 答复
	StepRevisit     Kind = "revisit"     // 回访
	StepClose       Kind = "close"       // 结案
)

// Kinds lists every step in loop order.
var Kinds = []Kind{StepRegister, StepReject, StepDispatch, StepInvestigate, StepConsult, StepSupervise,
	StepResolve, StepReview, StepReply, StepRevisit, StepClose}

// Role is what a person acts as in the loop.
type Role string

// The roles.
const (
	RoleAdmin      Role = "admin"
	RoleDispatcher Role = "dispatcher" // 指挥中心
	RoleDepartment Role = "department" // 职能部门, its own department's cases
	RoleReporter   Role = "reporter"   // 网格员, its own grids
	RoleViewer     Role = "viewer"
	// RoleSystem is gridmap itself recording steps for a stored status:
	// imports, the demo, the migration, and the status PATCH (whose access
	// the HTTP policy decides). It is never a token's role.
	RoleSystem Role = "system"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleDispatcher, RoleDepartment, RoleReporter, RoleViewer, RoleSystem}

// Outcomes of a review (会审).
const (
	ReviewAccept   = "accept"    // 通过
	ReviewSendBack = "send_back" // 退回
)

// Satisfaction is the answer of a revisit (回访).
type Satisfaction string

// The answers of a revisit.
const (
	Satisfied          Satisfaction = "satisfied"           // 满意
	BasicallySatisfied Satisfaction = "basically_satisfied" // 基本满意
	NotSatisfied       Satisfaction = "not_satisfied"       // 不满意
)

// rule is one row of the table: in status From, step Step may be taken
// by Roles and leads to To.
type rule struct {
	From  Status
	Step  Kind
	Roles []Role
	To    Status
}

var (
	ad  = RoleAdmin
	dis = RoleDispatcher
	dep = RoleDepartment
	rep = RoleReporter
	sys = RoleSystem
)

// rules is the one table of the loop. A review that sends back and a
// revisit that is not satisfied lead to in_progress instead of To (Apply).
var rules = []rule{
	{StatusReported, StepRegister, []Role{ad, dis, sys}, StatusRegistered},
	{StatusReported, StepReject, []Role{ad, dis, sys}, StatusRejected},

	{StatusRegistered, StepDispatch, []Role{ad, dis, sys}, StatusDispatched},
	{StatusRegistered, StepInvestigate, []Role{ad, dis, rep, sys}, StatusInProgress},
	{StatusRegistered, StepConsult, []Role{ad, dis, sys}, StatusInProgress},
	{StatusRegistered, StepSupervise, []Role{ad, dis, sys}, StatusRegistered},
	{StatusRegistered, StepResolve, []Role{ad, rep, sys}, StatusResolved},

	{StatusDispatched, StepDispatch, []Role{ad, dis, sys}, StatusDispatched},
	{StatusDispatched, StepInvestigate, []Role{ad, dis, dep, rep, sys}, StatusInProgress},
	{StatusDispatched, StepConsult, []Role{ad, dis, dep, sys}, StatusInProgress},
	{StatusDispatched, StepSupervise, []Role{ad, dis, sys}, StatusDispatched},
	{StatusDispatched, StepResolve, []Role{ad, dep, rep, sys}, StatusResolved},

	{StatusInProgress, StepDispatch, []Role{ad, dis, sys}, StatusDispatched},
	{StatusInProgress, StepInvestigate, []Role{ad, dis, dep, rep, sys}, StatusInProgress},
	{StatusInProgress, StepConsult, []Role{ad, dis, dep, sys}, StatusInProgress},
	{StatusInProgress, StepSupervise, []Role{ad, dis, sys}, StatusInProgress},
	{StatusInProgress, StepResolve, []Role{ad, dep, rep, sys}, StatusResolved},

	{StatusResolved, StepReview, []Role{ad, dis, rep, sys}, StatusReviewed},
	{StatusResolved, StepReply, []Role{sys}, StatusReplied},

	{StatusReviewed, StepReply, []Role{ad, dis, dep, sys}, StatusReplied},

	{StatusReplied, StepRevisit, []Role{ad, dis, sys}, StatusRevisited},
	{StatusReplied, StepClose, []Role{sys}, StatusClosed},

	{StatusRevisited, StepClose, []Role{ad, dis, sys}, StatusClosed},
}

func findRule(s Status, k Kind) *rule {
	for i := range rules {
		if rules[i].From == s && rules[i].Step == k {
			return &rules[i]
		}
	}
	return nil
}

// Valid reports whether s is a status.
func (s Status) Valid() bool { return indexOf(Statuses, s) >= 0 }

// Valid reports whether k is a step.
func (k Kind) Valid() bool { return indexOf(Kinds, k) >= 0 }

// Valid reports whether r is a role.
func (r Role) Valid() bool { return indexOf(Roles, r) >= 0 }

// Valid reports whether s is an answer of a revisit.
func (s Satisfaction) Valid() bool {
	return s == Satisfied || s == BasicallySatisfied || s == NotSatisfied
}

func indexOf[T comparable](xs []T, x T) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// Public returns the status of the incident table (and the API) that s
// shows as; see the package doc.
func (s Status) Public() gridmap.Status {
	switch s {
	case StatusRegistered, StatusDispatched:
		return gridmap.StatusAccepted
	case StatusInProgress:
		return gridmap.StatusInProgress
	case StatusResolved, StatusReviewed:
		return gridmap.StatusResolved
	case StatusReplied, StatusRevisited:
		return gridmap.StatusReplied
	case StatusClosed, StatusRejected:
		return gridmap.StatusClosed
	}
	return gridmap.StatusReported
}

// Allowed says whether role r may take step k on a case in status s; when
// not, the error (ECONFLICT for the status, EFORBIDDEN for the role, EINVALID
// for an unknown name) says why and what is possible instead.
func Allowed(s Status, k Kind, r Role) error {
	switch {
	case !s.Valid():
		return gridmap.Errorf(gridmap.EINVALID, "unknown status %q", s)
	case !k.Valid():
		return gridmap.Errorf(gridmap.EINVALID, "unknown step %q; the steps are %s", k, join(Kinds))
	case !r.Valid():
		return gridmap.Errorf(gridmap.EINVALID, "unknown role %q; the roles are %s", r, join(Roles))
	}
	ru := findRule(s, k)
	if ru == nil {
		next := Next(s, "")
		if len(next) == 0 {
			return gridmap.Errorf(gridmap.ECONFLICT, "the case is %s (%s): no step follows", s, s.LabelZh())
		}
		return gridmap.Errorf(gridmap.ECONFLICT, "a case that is %s (%s) cannot be %s; possible now: %s", s, s.LabelZh(), k.pastTense(), join(next))
	}
	if indexOf(ru.Roles, r) < 0 {
		var who []Role
		for _, x := range ru.Roles {
			if x != RoleSystem {
				who = append(who, x)
			}
		}
		if len(who) == 0 {
			return gridmap.Errorf(gridmap.EFORBIDDEN, "a case that is %s cannot be %s by a person; possible now: %s", s, k.pastTense(), join(Next(s, r)))
		}
		return gridmap.Errorf(gridmap.EFORBIDDEN, "the %s role may not %s a case that is %s; the %s may", r, k, s, join(who))
	}
	return nil
}

// Next lists the steps role r may take on a case in status s, in loop
// order; r "" lists the steps any person may take.
func Next(s Status, r Role) []Kind {
	var out []Kind
	for _, k := range Kinds {
		ru := findRule(s, k)
		if ru == nil {
			continue
		}
		if r == "" {
			for _, x := range ru.Roles {
				if x != RoleSystem {
					out = append(out, k)
					break
				}
			}
		} else if indexOf(ru.Roles, r) >= 0 {
			out = append(out, k)
		}
	}
	return out
}

func join[T ~string](xs []T) string {
	if len(xs) == 0 {
		return "none"
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = string(x)
	}
	return strings.Join(parts, ", ")
}

func (k Kind) pastTense() string {
	switch k {
	case StepDispatch:
		return "dispatched"
	case StepInvestigate:
		return "investigated"
	case StepConsult:
		return "consulted on"
	case StepSupervise:
		return "supervised"
	case StepReply:
		return "replied to"
	case StepRevisit:
		return "revisited"
	case StepClose:
		return "closed"
	case StepReject:
		return "rejected"
	}
	return string(k) + "ed"
}

// Actor is who takes a step: the person, the role they act in, the API
// token they used (0 for a command), and for the department role their
// department's code.
type Actor struct {
	TokenID    int64  `json:"token_id,omitempty"`
	Person     string `json:"person"`
	Role       Role   `json:"role"`
	Department string `json:"department,omitempty"`
}

// Step is one step of a case. Which fields a step takes depends on its
// Kind (Apply checks them); the rest stay empty.
type Step struct {
	Seq   int       `json:"seq"` // 1-based position in the history; set when stored
	Kind  Kind      `json:"step"`
	At    time.Time `json:"at"`
	Actor Actor     `json:"actor"`
	Note  string    `json:"note,omitempty"`
	// Reason: why a case is rejected, sent back, or not satisfied.
	Reason string `json:"reason,omitempty"`
	// Dispatch: the department (code) and person responsible, the
	// deadline. Supervise: the new deadline.
	Department string     `json:"department,omitempty"`
	Person     string     `json:"person,omitempty"`
	Deadline   *time.Time `json:"deadline,omitempty"`
	// Consult: the joint meeting's decision, and/or the Wednesday
	// (周三说事) whose agenda it is put on (a date, China time).
	Decision string     `json:"decision,omitempty"`
	Agenda   *time.Time `json:"agenda,omitempty"`
	// Review: ReviewAccept or ReviewSendBack. Revisit: a Satisfaction.
	Outcome string `json:"outcome,omitempty"`
	// Attachments are the SHA-256 (hex) of the attachments of the step;
	// a resolve needs the after photos.
	Attachments []string `json:"attachments,omitempty"`
}

// Case is what Apply needs of the case beyond its steps: the current
// department (a department role acts only on its own), person and
// deadline, as the incident row holds them.
type Case struct {
	Department string
	Person     string
	Deadline   *time.Time
}

// Changes is what a step sets on the case; nil fields it leaves alone.
type Changes struct {
	Department   *string       `json:"department,omitempty"`
	Person       *string       `json:"person,omitempty"`
	Deadline     *time.Time    `json:"deadline,omitempty"`
	Supervised   bool          `json:"supervised,omitempty"` // one more supervision (督办)
	Satisfaction *Satisfaction `json:"satisfaction,omitempty"`
}

// Result is the outcome of Apply.
type Result struct {
	Previous Status  // the status before the step
	Status   Status  // the status after it
	Changes  Changes // what it sets
	Step     Step    // the step as it is to be stored (Seq set, text trimmed)
}

// StatusOf derives a case's status from its steps, oldest first. Steps the
// table does not allow are skipped (a stored history has been applied
// already; this keeps the derivation total).
func StatusOf(history []Step) Status {
	s := StatusReported
	for _, st := range history {
		if to, ok := next(s, st); ok {
			s = to
		}
	}
	return s
}

// next returns where step st leads from s, by the table and the step's
// outcome.
func next(s Status, st Step) (Status, bool) {
	ru := findRule(s, st.Kind)
	if ru == nil {
		return s, false
	}
	switch {
	case st.Kind == StepReview && st.Outcome == ReviewSendBack:
		return StatusInProgress, true
	case st.Kind == StepRevisit && st.Outcome == string(NotSatisfied):
		return StatusInProgress, true
	}
	return ru.To, true
}

// Text limits of a step's fields: the root's.
const (
	maxLine = gridmap.MaxName
	maxText = gridmap.MaxText
)

// Apply checks that step may follow history on case c at time now, and
// returns the status it leads to and what it sets. Errors: EINVALID for a
// missing or bad field (naming it and what to give), ECONFLICT for a step
// the status does not allow, EFORBIDDEN for a role that may not take it or
// a department acting on another department's case.
func Apply(c Case, history []Step, step Step, now time.Time) (Result, error) {
	var res Result
	res.Previous = StatusOf(history)
	st := step
	st.Seq = len(history) + 1
	if st.At.IsZero() {
		st.At = now
	}
	st.At = st.At.Truncate(time.Second)
	if st.At.After(now.Add(time.Minute)) {
		return res, gridmap.Errorf(gridmap.EINVALID, "at is in the future: a step is recorded when it has happened")
	}
	st.Actor.Person = strings.TrimSpace(st.Actor.Person)
	if st.Actor.Person == "" {
		return res, gridmap.Errorf(gridmap.EINVALID, "who takes the step is missing: actor.person names the person")
	}
	if err := Allowed(res.Previous, st.Kind, st.Actor.Role); err != nil {
		return res, err
	}
	if st.Actor.Role == RoleDepartment && (c.Department == "" || st.Actor.Department != c.Department) {
		return res, gridmap.Errorf(gridmap.EFORBIDDEN, "the case is not given to your department (%s); it is with %q", st.Actor.Department, c.Department)
	}
	if err := checkText(&st); err != nil {
		return res, err
	}
	if err := checkFields(c, &st); err != nil {
		return res, err
	}
	res.Status, _ = next(res.Previous, st)
	switch st.Kind {
	case StepDispatch:
		res.Changes.Department, res.Changes.Person, res.Changes.Deadline = &st.Department, &st.Person, st.Deadline
	case StepSupervise:
		res.Changes.Deadline = st.Deadline
		res.Changes.Supervised = true
	case StepRevisit:
		s := Satisfaction(st.Outcome)
		res.Changes.Satisfaction = &s
	}
	res.Step = st
	return res, nil
}

// checkText trims the text fields and checks their bytes and lengths.
func checkText(st *Step) error {
	for _, f := range []struct {
		name string
		v    *string
		max  int
		free bool
	}{
		{"actor.person", &st.Actor.Person, maxLine, false},
		{"actor.department", &st.Actor.Department, maxLine, false},
		{"department", &st.Department, maxLine, false},
		{"person", &st.Person, maxLine, false},
		{"outcome", &st.Outcome, maxLine, false},
		{"note", &st.Note, maxText, true},
		{"reason", &st.Reason, maxText, true},
		{"decision", &st.Decision, maxText, true},
	} {
		*f.v = strings.TrimSpace(*f.v)
		if err := gridmap.CheckText(f.name, *f.v, f.max, f.free); err != nil {
			return err
		}
	}
	for i, a := range st.Attachments {
		if !isSHA256(a) {
			return gridmap.Errorf(gridmap.EINVALID, "attachments[%d] is not an attachment id (the SHA-256 of its bytes, 64 lowercase hex digits): upload the file first", i)
		}
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkFields checks the fields each kind of step needs, with messages a
// person can act on.
func checkFields(c Case, st *Step) error {
	human := st.Actor.Role != RoleSystem
	need := func(v, name, what string) error {
		if v == "" {
			return gridmap.Errorf(gridmap.EINVALID, "%s: %s is required (%s)", st.Kind, name, what)
		}
		return nil
	}
	deadlineAfter := func(what string) error {
		if st.Deadline == nil {
			return gridmap.Errorf(gridmap.EINVALID, "%s: deadline is required (%s)", st.Kind, what)
		}
		if !st.Deadline.After(st.At) {
			return gridmap.Errorf(gridmap.EINVALID, "%s: the deadline %s has passed; give a time after %s",
				st.Kind, st.Deadline.In(gridmap.ChinaTime).Format("2006-01-02 15:04"), st.At.In(gridmap.ChinaTime).Format("2006-01-02 15:04"))
		}
		return nil
	}
	switch st.Kind {
	case StepReject:
		return need(st.Reason, "reason", "why the case is not registered, for the person who raised it")
	case StepDispatch:
		if err := need(st.Department, "department", "the code of the department responsible"); err != nil {
			return err
		}
		if err := need(st.Person, "person", "the person responsible in that department"); err != nil {
			return err
		}
		if err := deadlineAfter("when the case must be resolved"); err != nil {
			return err
		}
		if st.Department == c.Department && st.Person == c.Person && c.Deadline != nil && st.Deadline.Equal(*c.Deadline) {
			return gridmap.Errorf(gridmap.ECONFLICT, "dispatch: the case is already with %s (%s) by this deadline", st.Person, st.Department)
		}
	case StepInvestigate:
		if human {
			return need(st.Note, "note", "what the investigation found")
		}
	case StepConsult:
		if st.Decision == "" && st.Agenda == nil {
			return gridmap.Errorf(gridmap.EINVALID, "consult: give the joint meeting's decision, or an agenda date (a Wednesday) to put the case on")
		}
		if st.Agenda != nil {
			d := st.Agenda.In(gridmap.ChinaTime)
			if d.Weekday() != time.Wednesday {
				return gridmap.Errorf(gridmap.EINVALID, "consult: agenda %s is a %s; the review meets on Wednesdays (周三说事)", d.Format("2006-01-02"), d.Weekday())
			}
			if dayOf(d).Before(dayOf(st.At.In(gridmap.ChinaTime))) {
				return gridmap.Errorf(gridmap.EINVALID, "consult: agenda %s is past; give this or a later Wednesday", d.Format("2006-01-02"))
			}
		}
	case StepSupervise:
		if err := deadlineAfter("the new deadline the supervision sets"); err != nil {
			return err
		}
	case StepResolve:
		if human && len(st.Attachments) == 0 {
			return gridmap.Errorf(gridmap.EINVALID, "resolve: attach the after photos (attachments: their ids) that show the case resolved")
		}
	case StepReview:
		switch st.Outcome {
		case ReviewAccept:
		case ReviewSendBack:
			return need(st.Reason, "reason", "what is still to be done, for the department the case goes back to")
		default:
			return gridmap.Errorf(gridmap.EINVALID, "review: outcome must be %s or %s, not %q", ReviewAccept, ReviewSendBack, st.Outcome)
		}
	case StepReply:
		if human {
			return need(st.Note, "note", "the answer given to the person who raised the case")
		}
	case StepRevisit:
		s := Satisfaction(st.Outcome)
		if !s.Valid() {
			return gridmap.Errorf(gridmap.EINVALID, "revisit: outcome must be %s, %s or %s, not %q", Satisfied, BasicallySatisfied, NotSatisfied, st.Outcome)
		}
		if s == NotSatisfied {
			return need(st.Reason, "reason", "why the person is not satisfied; the case reopens")
		}
	}
	return nil
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// LegacySteps returns the steps, taken by RoleSystem, that carry a case in
// status s forward until its public status is to: register, investigate,
// resolve, reply, close (see the package doc). It returns nil when s
// shows as to already or to is behind it.
func LegacySteps(s Status, to gridmap.Status) []Kind {
	var out []Kind
	for s.Public().Rank() < to.Rank() {
		var k Kind
		switch s {
		case StatusReported:
			k = StepRegister
		case StatusRegistered, StatusDispatched:
			k = StepInvestigate
		case StatusInProgress:
			k = StepResolve
		case StatusResolved, StatusReviewed:
			k = StepReply
		case StatusReplied, StatusRevisited:
			k = StepClose
		default:
			return out
		}
		s, _ = next(s, Step{Kind: k})
		out = append(out, k)
	}
	return out
}

// ImpliedStatus is the case status Implied's steps lead to for a stored
// status, without building them.
func ImpliedStatus(status gridmap.Status) Status {
	s := StatusReported
	for _, k := range LegacySteps(StatusReported, status) {
		s, _ = next(s, Step{Kind: k})
	}
	return s
}

// StoredTimes are the times an incident row keeps of its public statuses
// (nil: not reached, or not known).
type StoredTimes struct {
	Reported                                        time.Time
	Accepted, InProgress, Resolved, Replied, Closed *time.Time
}

// ImpliedNote is the note of an implied step.
const ImpliedNote = "recorded from the stored status"

// Implied returns the steps implied for an incident stored with status and
// no steps of its own (an import, the demo, a row from before the loop):
// register, investigate, resolve, reply, close up to status, numbered from
// 1, taken by RoleSystem as person "gridmap". A step with no time of its
// own takes the next time there is, else the report's. StatusOf of the
// result shows as status.
func Implied(status gridmap.Status, t StoredTimes) []Step {
	first := func(ts ...*time.Time) time.Time {
		for _, x := range ts {
			if x != nil {
				return *x
			}
		}
		return t.Reported
	}
	at := []time.Time{
		first(t.Accepted, t.InProgress, t.Resolved, t.Replied, t.Closed),
		first(t.InProgress, t.Resolved, t.Replied, t.Closed, t.Accepted),
		first(t.Resolved, t.Replied, t.Closed, t.InProgress, t.Accepted),
		first(t.Replied, t.Closed, t.Resolved, t.InProgress, t.Accepted),
		first(t.Closed, t.Replied, t.Resolved, t.InProgress, t.Accepted),
	}
	kinds := LegacySteps(StatusReported, status)
	out := make([]Step, len(kinds))
	for i, k := range kinds {
		out[i] = Step{Seq: i + 1, Kind: k, At: at[i], Note: ImpliedNote,
			Actor: Actor{Person: "gridmap", Role: RoleSystem}}
	}
	return out
}
