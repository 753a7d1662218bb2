package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/heat"
)

// The case loop over HTTP (issue 14): the departments, a case's steps and
// the steps the caller may take now, taking a step, and duplicates. The
// rules are caseflow's; the store appends a step under the case's row
// lock (postgis.Store.AddStep).

// CaseStore stores the steps of cases (postgis.Store implements it).
type CaseStore interface {
	// Departments returns the department table in its order.
	Departments(ctx context.Context) ([]caseflow.Department, error)
	// Steps returns a case's steps, oldest first (implied ones included).
	// Errors: ENOTFOUND.
	Steps(ctx context.Context, id int64) ([]caseflow.Step, error)
	// AddStep appends a step, checked by caseflow.Apply; check, when not
	// nil, is called with the case's grid code first. Errors: ENOTFOUND,
	// EINVALID, EFORBIDDEN, ECONFLICT.
	AddStep(ctx context.Context, id int64, step caseflow.Step, check func(gridCode string) error) (caseflow.Result, error)
	// LinkedCases returns the cases linked to a case as main case or
	// duplicates (none for an unknown id).
	LinkedCases(ctx context.Context, id int64) ([]caseflow.Duplicate, error)
	// LinkDuplicate links case id to its main case. Errors: ENOTFOUND,
	// EINVALID, ECONFLICT.
	LinkDuplicate(ctx context.Context, id, main int64, by gridmap.Actor) error
	// UnlinkDuplicate removes case id's link. Errors: ENOTFOUND.
	UnlinkDuplicate(ctx context.Context, id int64) error
	// The people of the departments (departments.go).
	MemberStore
}

// loopRole is the caseflow role a token's role acts in: a planner takes
// no step, as a viewer.
func loopRole(r gridmap.Role) caseflow.Role {
	switch r {
	case gridmap.RoleAdmin:
		return caseflow.RoleAdmin
	case gridmap.RoleDispatcher:
		return caseflow.RoleDispatcher
	case gridmap.RoleDepartment:
		return caseflow.RoleDepartment
	case gridmap.RoleReporter:
		return caseflow.RoleReporter
	}
	return caseflow.RoleViewer
}

// listDepartments answers the department table: codes, names, kinds.
func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.cases.Departments(r.Context())
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []caseflow.Department{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"departments": ds})
	return nil
}

// stepActorJSON is who took a step; person only with personal data.
type stepActorJSON struct {
	Person     string        `json:"person,omitempty"`
	Role       caseflow.Role `json:"role"`
	Department string        `json:"department,omitempty"`
}

// stepJSON is a step as the API shows it. Without personal data (masked)
// it keeps the kind, times, roles, departments, deadline, agenda and
// outcome: the note, reason, decision, persons and attachments are left
// out.
type stepJSON struct {
	Seq         int           `json:"seq"`
	Step        caseflow.Kind `json:"step"`
	At          time.Time     `json:"at"`
	Actor       stepActorJSON `json:"actor"`
	Note        string        `json:"note,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	Department  string        `json:"department,omitempty"`
	Person      string        `json:"person,omitempty"`
	Deadline    *time.Time    `json:"deadline,omitempty"`
	Decision    string        `json:"decision,omitempty"`
	Agenda      string        `json:"agenda,omitempty"` // a date, China time
	Outcome     string        `json:"outcome,omitempty"`
	Attachments []string      `json:"attachments,omitempty"`
}

func stepOut(st *caseflow.Step, full bool) stepJSON {
	out := stepJSON{Seq: st.Seq, Step: st.Kind, At: st.At, Actor: stepActorJSON{Role: st.Actor.Role, Department: st.Actor.Department},
		Department: st.Department, Deadline: st.Deadline, Outcome: st.Outcome}
	if st.Agenda != nil {
		out.Agenda = st.Agenda.In(gridmap.ChinaTime).Format(time.DateOnly)
	}
	if full {
		out.Actor.Person, out.Note, out.Reason, out.Person = st.Actor.Person, st.Note, st.Reason, st.Person
		out.Decision, out.Attachments = st.Decision, st.Attachments
	}
	return out
}

// dueJSON is the step a case waits for and when it is due.
type dueJSON struct {
	Step    caseflow.Kind `json:"step"`
	By      time.Time     `json:"by"`
	Overdue bool          `json:"overdue"`
}

// caseStateJSON is where a case stands: its public status, its finer
// case status, the step it waits for and the steps the caller may take.
type caseStateJSON struct {
	ID         int64           `json:"id"`
	Status     gridmap.Status  `json:"status"`
	CaseStatus caseflow.Status `json:"case_status"`
	// Due is the step the case waits for and its due time; nil when none
	// (closed, rejected, no deadline).
	Due *dueJSON `json:"due"`
	// Overdue: the step the case waits for was due before now.
	Overdue bool `json:"overdue"`
	// Next are the steps the caller may take now (none for a case out of
	// its department or grid).
	Next []caseflow.Kind `json:"next"`
}

// caseState derives where a case with history stands for the request.
func (s *Server) caseState(r *http.Request, in *gridmap.Incident, history []caseflow.Step, now time.Time) caseStateJSON {
	st := caseflow.StatusOf(history)
	out := caseStateJSON{ID: in.ID, Status: st.Public(), CaseStatus: st, Next: []caseflow.Kind{}}
	var days *int
	if cats, err := s.incidents.Categories(r.Context()); err == nil {
		for _, c := range cats {
			if c.Name == in.Category {
				days = c.DeadlineDays
			}
		}
	}
	if d, ok := caseflow.NextDue(history, in.ReportedAt, in.Deadline, days); ok {
		out.Overdue = now.After(d.By)
		out.Due = &dueJSON{Step: d.Step, By: d.By, Overdue: out.Overdue}
	}
	p := PrincipalFrom(r.Context())
	role := loopRole(p.Role)
	if role == caseflow.RoleDepartment && (in.Department == "" || in.Department != p.Department) {
		return out
	}
	if check := s.writeScope(r); check != nil && check(in.GridCode) != nil {
		return out
	}
	if next := caseflow.Next(st, role); next != nil {
		out.Next = next
	}
	return out
}

// getSteps answers a case's steps with where it stands (caseStateJSON),
// the department, person and deadline it is given with, and the times it
// was supervised. Notes, reasons, decisions, persons and attachments are
// personal data: a role without it for this case gets kinds, times and
// roles only (personal_data "masked").
func (s *Server) getSteps(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "incident")
	if err != nil {
		return err
	}
	in, err := s.incidents.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	history, err := s.cases.Steps(r.Context(), id)
	if err != nil {
		return err
	}
	full := s.caseView(r, in.GridCode, in.Department) == viewFull
	steps := make([]stepJSON, len(history))
	for i := range history {
		steps[i] = stepOut(&history[i], full)
	}
	out := struct {
		caseStateJSON
		Department   string     `json:"department"`
		Person       string     `json:"person,omitempty"`
		Deadline     *time.Time `json:"deadline"`
		Supervised   int        `json:"supervised"`
		PersonalData string     `json:"personal_data"`
		Steps        []stepJSON `json:"steps"`
	}{caseStateJSON: s.caseState(r, &in, history, time.Now()), Department: in.Department, Deadline: in.Deadline,
		Supervised: in.Supervised, PersonalData: "masked", Steps: steps}
	if full {
		out.Person, out.PersonalData = in.Person, "full"
	}
	w.Header().Set("Cache-Control", "no-store") // personal data
	writeJSON(w, http.StatusOK, out)
	return nil
}

// stepBody is the body of POST /api/v1/incidents/{id}/steps.
type stepBody struct {
	Step        caseflow.Kind `json:"step"`
	Note        string        `json:"note"`
	Reason      string        `json:"reason"`
	Department  string        `json:"department"`
	Person      string        `json:"person"`
	Deadline    *string       `json:"deadline"`
	Decision    string        `json:"decision"`
	Agenda      *string       `json:"agenda"`
	Outcome     string        `json:"outcome"`
	Attachments []string      `json:"attachments"`
}

const stepFields = "step, note, reason, department, person, deadline, decision, agenda, outcome, attachments"

// readStep decodes a step body strictly: an unknown field, a wrong type or
// a bad time is a 400 naming it.
func readStep(r *http.Request) (caseflow.Step, error) {
	var st caseflow.Step
	raw, err := readJSONBody(r)
	if err != nil {
		return st, err
	}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return st, gridmap.Errorf(gridmap.EINVALID, `the body must be a JSON object such as {"step": "register"}; a step takes %s`, stepFields)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var b stepBody
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return st, gridmap.Errorf(gridmap.EINVALID, "%s is not a field of a step; a step takes %s (who takes it comes from the token)",
				strings.TrimPrefix(err.Error(), "json: unknown field "), stepFields)
		case errors.As(err, &te):
			return st, gridmap.Errorf(gridmap.EINVALID, "%s must be %s, not a JSON %s", te.Field, jsonKind(te.Type.String()), te.Value)
		}
		return st, gridmap.Errorf(gridmap.EINVALID, "the body is not a step: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return st, gridmap.Errorf(gridmap.EINVALID, "the body must be one JSON object, with nothing after it")
	}
	// Bytes are checked where they enter, before any rule of the loop.
	for _, f := range []struct {
		name, v string
		max     int
		free    bool
	}{
		{"step", string(b.Step), gridmap.MaxName, false}, {"department", b.Department, gridmap.MaxName, false},
		{"person", b.Person, gridmap.MaxName, false}, {"outcome", b.Outcome, gridmap.MaxName, false},
		{"note", b.Note, gridmap.MaxText, true}, {"reason", b.Reason, gridmap.MaxText, true}, {"decision", b.Decision, gridmap.MaxText, true},
	} {
		if err := gridmap.CheckText(f.name, f.v, f.max, f.free); err != nil {
			return st, err
		}
	}
	for i, a := range b.Attachments {
		if err := gridmap.CheckText("attachments["+strconv.Itoa(i)+"]", a, 64, false); err != nil {
			return st, err
		}
	}
	if b.Step == "" {
		return st, gridmap.Errorf(gridmap.EINVALID, "step is required: one of %s", kindList())
	}
	st = caseflow.Step{Kind: b.Step, Note: b.Note, Reason: b.Reason, Department: b.Department, Person: b.Person,
		Decision: b.Decision, Outcome: b.Outcome, Attachments: b.Attachments}
	if b.Deadline != nil {
		t, err := time.Parse(time.RFC3339, *b.Deadline)
		if err != nil {
			return st, gridmap.Errorf(gridmap.EINVALID, "deadline %q is not a time: use RFC 3339 such as 2026-12-10T18:00:00+08:00", *b.Deadline)
		}
		st.Deadline = &t
	}
	if b.Agenda != nil {
		t, err := time.ParseInLocation(time.DateOnly, *b.Agenda, gridmap.ChinaTime)
		if err != nil {
			return st, gridmap.Errorf(gridmap.EINVALID, "agenda %q is not a date: give the Wednesday as 2026-12-09", *b.Agenda)
		}
		st.Agenda = &t
	}
	return st, nil
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array of strings"
	case strings.HasPrefix(goType, "*"), goType == "string", strings.HasSuffix(goType, "Kind"):
		return "a string"
	}
	return goType
}

func kindList() string {
	parts := make([]string, len(caseflow.Kinds))
	for i, k := range caseflow.Kinds {
		parts[i] = string(k)
	}
	return strings.Join(parts, ", ")
}

// postStep takes a step on a case as the token's holder (person: the
// token's name; role: its role in the loop; department: a department
// token's). 201 with the stored step and where the case stands after it;
// caseflow's refusals are 400 (a missing or bad field), 403 (a role, a
// department or a grid that may not) and 409 (a step the status does not
// allow), with its message.
func (s *Server) postStep(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "incident")
	if err != nil {
		return err
	}
	step, err := readStep(r)
	if err != nil {
		return err
	}
	p := PrincipalFrom(r.Context())
	step.Actor = caseflow.Actor{TokenID: p.TokenID, Person: p.Name, Role: loopRole(p.Role), Department: p.Department}
	res, err := s.cases.AddStep(r.Context(), id, step, s.writeScope(r))
	if err != nil {
		return err
	}
	in, err := s.incidents.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	history, err := s.cases.Steps(r.Context(), id)
	if err != nil {
		return err
	}
	out := struct {
		Step     stepJSON        `json:"step"`
		Previous caseflow.Status `json:"previous_case_status"`
		caseStateJSON
	}{Step: stepOut(&res.Step, true), Previous: res.Previous, caseStateJSON: s.caseState(r, &in, history, time.Now())}
	w.Header().Set("Location", "/api/v1/incidents/"+strconv.FormatInt(id, 10)+"/steps")
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// duplicateJSON is a related case: public fields only.
type duplicateJSON struct {
	caseflow.Duplicate
	Grid *incidentGrid `json:"grid"`
}

// duplicatesOf lists the cases linked to case in, then its possible
// duplicates: open cases of its category within caseflow.DuplicateRadiusM
// and DuplicateWindow, from the in-memory aggregate (as current as the
// change feed, milliseconds behind), nearest first.
func (s *Server) duplicatesOf(ctx context.Context, in *gridmap.Incident) ([]duplicateJSON, error) {
	var agg *heat.Aggregate
	if s.heat != nil {
		agg = s.heat()
	}
	if agg == nil {
		return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the incident statistics are still loading; try again shortly"}
	}
	linked, err := s.cases.LinkedCases(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	var open []gridmap.Status
	for _, st := range gridmap.Statuses {
		if st.Open() {
			open = append(open, st)
		}
	}
	near := agg.Near(in.Location[0], in.Location[1], caseflow.DuplicateRadiusM, heat.Filter{
		Categories: []gridmap.Category{in.Category}, Statuses: open,
		From: in.ReportedAt.Add(-caseflow.DuplicateWindow), To: in.ReportedAt.Add(caseflow.DuplicateWindow + time.Second)})
	ix := s.indexOrNil()
	out := make([]duplicateJSON, 0, len(linked)+len(near))
	seen := map[int64]bool{in.ID: true}
	add := func(d caseflow.Duplicate) {
		if seen[d.ID] {
			return
		}
		seen[d.ID] = true
		d.DistanceM = math.Round(d.DistanceM*10) / 10
		out = append(out, duplicateJSON{Duplicate: d, Grid: gridOf(ix, d.GridCode)})
	}
	for _, d := range linked {
		add(d)
	}
	for _, n := range near {
		add(caseflow.Duplicate{ID: n.ID, Category: n.Category, Status: n.Status, GridCode: n.GridCode,
			ReportedAt: n.ReportedAt, DistanceM: n.DistanceM})
	}
	return out, nil
}

// getDuplicates answers the cases linked to a case and its possible
// duplicates (open cases of its category within 50 m and 7 days).
func (s *Server) getDuplicates(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "incident")
	if err != nil {
		return err
	}
	in, err := s.incidents.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	ds, err := s.duplicatesOf(r.Context(), &in)
	if err != nil {
		return err
	}
	out := map[string]any{"id": id, "radius_m": caseflow.DuplicateRadiusM,
		"window_days": int(caseflow.DuplicateWindow / (24 * time.Hour)), "duplicates": ds}
	// Nearby cases come from memory: say where it starts when the search
	// reaches before it (window.go).
	if win := s.windowStart(); in.ReportedAt.Add(-caseflow.DuplicateWindow).Before(win) {
		out["nearby_from"] = win
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// linkDuplicate links the case to its main case: {"main": id}.
func (s *Server) linkDuplicate(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "incident")
	if err != nil {
		return err
	}
	raw, err := readJSONBody(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var b struct {
		Main *int64 `json:"main"`
	}
	if err := dec.Decode(&b); err != nil || b.Main == nil || *b.Main <= 0 {
		return gridmap.Errorf(gridmap.EINVALID, `the body must be {"main": <id>}: the id of the case this one duplicates`)
	}
	if err := s.cases.LinkDuplicate(r.Context(), id, *b.Main, PrincipalFrom(r.Context()).By()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "main": *b.Main})
	return nil
}

// unlinkDuplicate removes the case's link to its main case.
func (s *Server) unlinkDuplicate(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "incident")
	if err != nil {
		return err
	}
	if err := s.cases.UnlinkDuplicate(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
