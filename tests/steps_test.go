package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/app"
)

// Issue 14: the case loop over HTTP, by the people of each role.

// deptToken creates a department token for dept.
func deptToken(tb testing.TB, a *app.App, name, dept string) string {
	tb.Helper()
	tok, _, err := a.Store.CreateTokenFor(context.Background(), gridmap.TokenSpec{Name: name, Role: gridmap.RoleDepartment, Department: dept})
	if err != nil {
		tb.Fatalf("creating a department token: %v", err)
	}
	return tok
}

// stepAnswer is the part of POST …/steps and GET …/steps the tests read.
type stepAnswer struct {
	ID         int64  `json:"id"`
	Status     string `json:"status"`
	CaseStatus string `json:"case_status"`
	Previous   string `json:"previous_case_status"`
	Due        *struct {
		Step    string    `json:"step"`
		By      time.Time `json:"by"`
		Overdue bool      `json:"overdue"`
	} `json:"due"`
	Overdue      bool         `json:"overdue"`
	Next         []string     `json:"next"`
	Department   string       `json:"department"`
	Person       string       `json:"person"`
	Deadline     *time.Time   `json:"deadline"`
	Supervised   int          `json:"supervised"`
	PersonalData string       `json:"personal_data"`
	Step         stepOut      `json:"step"`
	Steps        []stepOut    `json:"steps"`
	Problem      *problemBody `json:"-"`
}

type stepOut struct {
	Seq   int       `json:"seq"`
	Step  string    `json:"step"`
	At    time.Time `json:"at"`
	Actor struct {
		Person, Role, Department string
	} `json:"actor"`
	Note        string     `json:"note"`
	Reason      string     `json:"reason"`
	Department  string     `json:"department"`
	Person      string     `json:"person"`
	Deadline    *time.Time `json:"deadline"`
	Decision    string     `json:"decision"`
	Agenda      string     `json:"agenda"`
	Outcome     string     `json:"outcome"`
	Attachments []string   `json:"attachments"`
}

type problemBody struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// nextWednesday is the first Wednesday after today, China time.
func nextWednesday() string {
	d := time.Now().In(gridmap.ChinaTime).AddDate(0, 0, 1)
	for d.Weekday() != time.Wednesday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(time.DateOnly)
}

// TestCaseLoopAPI runs a case through the whole loop over the API with a
// dispatcher, a department and a grid worker's token: register, dispatch,
// supervise, investigate, consult (Wednesday agenda), resolve with a
// photo, review sent back, resolve again, review accepted, reply, revisit
// not satisfied (reopens), resolve, review, reply, revisit satisfied,
// close. Refused on the way: a viewer and a planner, another department, a
// grid worker outside its grid, steps the status does not allow, bad
// fields. Every step is on the event stream; the steps list in order, with
// notes and persons only for roles that see the case's personal data.
func TestCaseLoopAPI(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	base := srv.URL + "/api/v1"
	ix, _ := a.Live.Index()
	here := inside(t, ix, "37081200100101")  // village 370812001001
	there := inside(t, ix, "37081200100201") // village 370812001002

	dispatcher := mint(t, a, gridmap.RoleDispatcher, "指挥中心张演示", "")
	police := deptToken(t, a, "派出所李演示", "police")
	justice := deptToken(t, a, "司法所赵演示", "justice")
	worker := mint(t, a, gridmap.RoleReporter, "王演示01", "370812001001")
	viewer := mint(t, a, gridmap.RoleViewer, "大屏", "")
	planner := mint(t, a, gridmap.RolePlanner, "规划演示", "")

	// An after photo, stored as the attachment upload stores one (the
	// upload route is its own work): content-addressed by SHA-256.
	photo := []byte("\xff\xd8\xff\xe0 a demo after photo")
	sum := sha256.Sum256(photo)
	photoID := hex.EncodeToString(sum[:])
	if _, err := a.Store.Pool().Exec(context.Background(),
		`INSERT INTO attachment (sha256, media_type, bytes, size) VALUES ($1, 'image/jpeg', $2, $3)`, sum[:], photo, len(photo)); err != nil {
		t.Fatal(err)
	}

	post := func(tok string, in map[string]any) int64 {
		t.Helper()
		resp, body := do(t, "POST", base+"/incidents", tok, "application/json", mustJSON(t, in))
		if resp.StatusCode != 201 {
			t.Fatalf("posting %v: %d %s", in["external_id"], resp.StatusCode, body)
		}
		var out struct{ ID int64 }
		_ = json.Unmarshal(body, &out)
		return out.ID
	}
	fresh := func(id string, p orb.Point) map[string]any {
		in := incident(id, p, "dispute")
		in["reported_at"] = time.Now().Add(-time.Hour).Format(time.RFC3339)
		return in
	}
	caseID := post(dispatcher, fresh("LOOP-1", here))
	path := base + "/incidents/" + strconv.FormatInt(caseID, 10) + "/steps"

	events, stop := openEvents(t, base+"/events", "")
	defer stop()
	// stepEvent waits for the "step" event of case id with seq.
	stepEvent := func(id int64, seq int, kind, caseStatus string) {
		t.Helper()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("the stream ended before step %d (%s) of case %d", seq, kind, id)
				}
				if ev.event != "step" {
					continue
				}
				var e struct {
					ID     int64
					Status string
					Step   *struct {
						Seq        int
						Kind       string
						CaseStatus string `json:"case_status"`
					}
				}
				if err := json.Unmarshal([]byte(ev.data), &e); err != nil || e.Step == nil {
					t.Fatalf("a step event without a step: %s", ev.data)
				}
				if strings.Contains(ev.data, "note") || strings.Contains(ev.data, "person") {
					t.Errorf("a step event carries a note or a person: %s", ev.data)
				}
				if e.ID != id || e.Step.Seq < seq {
					continue
				}
				if e.Step.Seq != seq || e.Step.Kind != kind || e.Step.CaseStatus != caseStatus {
					t.Fatalf("step event %s, want seq %d %s → %s", ev.data, seq, kind, caseStatus)
				}
				return
			case <-timeout:
				t.Fatalf("no step event for step %d (%s) of case %d within 15 s", seq, kind, id)
			}
		}
	}

	seq := 0
	// step takes a step as tok and checks the answer's status; on 201 it
	// checks the case status after and waits for the step on the stream.
	step := func(tok string, body map[string]any, want int, wantStatus string) stepAnswer {
		t.Helper()
		resp, b := do(t, "POST", path, tok, "application/json", mustJSON(t, body))
		var out stepAnswer
		if resp.StatusCode != want {
			t.Fatalf("%v: %d, want %d: %s", body, resp.StatusCode, want, b)
		}
		if want != 201 {
			var p problemBody
			if err := json.Unmarshal(b, &p); err != nil || p.Detail == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%v: not a problem: %s", body, b)
			}
			out.Problem = &p
			return out
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		seq++
		if out.Step.Seq != seq || out.Step.Step != body["step"] || out.CaseStatus != wantStatus {
			t.Fatalf("%v: step %d %s → %s, want step %d → %s: %s", body, out.Step.Seq, out.Step.Step, out.CaseStatus, seq, wantStatus, b)
		}
		stepEvent(caseID, seq, out.Step.Step, wantStatus)
		return out
	}
	refused := func(tok string, body map[string]any, want int, says string) {
		t.Helper()
		out := step(tok, body, want, "")
		if !strings.Contains(out.Problem.Detail, says) {
			t.Errorf("%v: %q does not say %q", body, out.Problem.Detail, says)
		}
	}

	refused(viewer, map[string]any{"step": "register"}, 403, "viewer role may not")
	refused(planner, map[string]any{"step": "register"}, 403, "planner role may not")
	refused(police, map[string]any{"step": "register"}, 403, "department role may not")
	refused(dispatcher, map[string]any{"step": "register", "by": "someone"}, 400, `"by" is not a field of a step`)
	refused(dispatcher, map[string]any{"step": "resolve"}, 409, "cannot be resolveed")
	reg := step(dispatcher, map[string]any{"step": "register", "note": "受理"}, 201, "registered")
	if reg.Status != "accepted" || reg.Previous != "reported" || reg.Step.Actor.Person != "指挥中心张演示" || reg.Step.Actor.Role != "dispatcher" {
		t.Errorf("register: %+v", reg)
	}
	if !slices.Contains(reg.Next, "dispatch") || slices.Contains(reg.Next, "register") {
		t.Errorf("a dispatcher's next steps on a registered case: %v", reg.Next)
	}

	deadline := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	refused(dispatcher, map[string]any{"step": "dispatch", "department": "nowhere", "person": "李演示", "deadline": deadline.Format(time.RFC3339)}, 400, "unknown department")
	refused(dispatcher, map[string]any{"step": "dispatch", "department": "police", "person": "李演示", "deadline": "tomorrow"}, 400, "deadline")
	d := step(dispatcher, map[string]any{"step": "dispatch", "department": "police", "person": "李演示", "deadline": deadline.Format(time.RFC3339)}, 201, "dispatched")
	if d.Due == nil || d.Due.Step != "resolve" || !d.Due.By.Equal(deadline) || d.Overdue {
		t.Errorf("dispatched: due %+v, want resolve by %v", d.Due, deadline)
	}
	refused(justice, map[string]any{"step": "investigate", "note": "x"}, 403, "not given to your department")

	later := deadline.Add(48 * time.Hour)
	step(dispatcher, map[string]any{"step": "supervise", "note": "督办", "deadline": later.Format(time.RFC3339)}, 201, "dispatched")
	step(police, map[string]any{"step": "investigate", "note": "走访双方"}, 201, "in_progress")
	refused(police, map[string]any{"step": "consult", "agenda": "2099-01-01"}, 400, "Wednesdays")
	con := step(police, map[string]any{"step": "consult", "decision": "联合调解", "agenda": nextWednesday()}, 201, "in_progress")
	if con.Step.Agenda != nextWednesday() || con.Step.Decision != "联合调解" {
		t.Errorf("consult: agenda %q decision %q", con.Step.Agenda, con.Step.Decision)
	}
	refused(police, map[string]any{"step": "resolve", "note": "已调解"}, 400, "after photos")
	refused(police, map[string]any{"step": "resolve", "attachments": []string{strings.Repeat("ab", 32)}}, 400, "not uploaded")
	step(police, map[string]any{"step": "resolve", "note": "已调解", "attachments": []string{photoID}}, 201, "resolved")
	refused(police, map[string]any{"step": "review", "outcome": "accept"}, 403, "department role may not")
	refused(dispatcher, map[string]any{"step": "review", "outcome": "send_back"}, 400, "reason")
	back := step(dispatcher, map[string]any{"step": "review", "outcome": "send_back", "reason": "协议未签字"}, 201, "in_progress")
	if back.Status != "in_progress" || back.Previous != "resolved" {
		t.Errorf("sent back: %s from %s", back.Status, back.Previous)
	}
	step(police, map[string]any{"step": "resolve", "note": "已签协议", "attachments": []string{photoID}}, 201, "resolved")
	step(dispatcher, map[string]any{"step": "review", "outcome": "accept"}, 201, "reviewed")
	step(police, map[string]any{"step": "reply", "note": "已答复当事人"}, 201, "replied")
	reopened := step(dispatcher, map[string]any{"step": "revisit", "outcome": "not_satisfied", "reason": "赔偿未到位"}, 201, "in_progress")
	if reopened.Status != "in_progress" {
		t.Errorf("revisit not satisfied: status %s, want in_progress (reopened)", reopened.Status)
	}
	step(police, map[string]any{"step": "resolve", "note": "赔偿已到位", "attachments": []string{photoID}}, 201, "resolved")
	step(dispatcher, map[string]any{"step": "review", "outcome": "accept"}, 201, "reviewed")
	step(police, map[string]any{"step": "reply", "note": "再次答复"}, 201, "replied")
	step(dispatcher, map[string]any{"step": "revisit", "outcome": "satisfied"}, 201, "revisited")
	closed := step(dispatcher, map[string]any{"step": "close"}, 201, "closed")
	if closed.Status != "closed" || closed.Due != nil || len(closed.Next) != 0 {
		t.Errorf("closed: %+v", closed)
	}
	refused(dispatcher, map[string]any{"step": "close"}, 409, "no step follows")

	// The steps, in order, as each role sees them.
	want := []string{"register", "dispatch", "supervise", "investigate", "consult", "resolve", "review", "resolve", "review",
		"reply", "revisit", "resolve", "review", "reply", "revisit", "close"}
	read := func(tok string) stepAnswer {
		t.Helper()
		resp, b := do(t, "GET", path, tok, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET steps: %d %s", resp.StatusCode, b)
		}
		var out stepAnswer
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for i, s := range out.Steps {
			kinds = append(kinds, s.Step)
			if s.Seq != i+1 || (i > 0 && s.At.Before(out.Steps[i-1].At)) {
				t.Errorf("step %d: seq %d at %v, out of order", i+1, s.Seq, s.At)
			}
		}
		if !slices.Equal(kinds, want) {
			t.Fatalf("steps %v, want %v", kinds, want)
		}
		return out
	}
	full := read(police)
	if full.PersonalData != "full" || full.Person != "李演示" || full.Supervised != 1 || full.Department != "police" ||
		full.Deadline == nil || !full.Deadline.Equal(later) || full.CaseStatus != "closed" {
		t.Errorf("as the case's department: %+v", full)
	}
	if s := full.Steps[6]; s.Outcome != "send_back" || s.Reason != "协议未签字" || s.Actor.Person != "指挥中心张演示" {
		t.Errorf("the send-back as the case's department: %+v", s)
	}
	if s := full.Steps[5]; s.Actor.Department != "police" || !slices.Equal(s.Attachments, []string{photoID}) {
		t.Errorf("the resolve: %+v", s)
	}
	for _, tok := range []string{viewer, justice} {
		masked := read(tok)
		if masked.PersonalData != "masked" || masked.Person != "" {
			t.Errorf("without personal data: %s %q", masked.PersonalData, masked.Person)
		}
		for _, s := range masked.Steps {
			if s.Note != "" || s.Reason != "" || s.Person != "" || s.Actor.Person != "" || s.Decision != "" || s.Attachments != nil {
				t.Errorf("step %d shows personal data without access: %+v", s.Seq, s)
			}
			if s.Actor.Role == "" || s.At.IsZero() {
				t.Errorf("step %d lacks its role or time: %+v", s.Seq, s)
			}
		}
	}

	// A department sees the personal data of its own cases only.
	for tok, want := range map[string]string{police: "full", justice: "masked", dispatcher: "full"} {
		var in struct {
			PersonalData string `json:"personal_data"`
			Description  string
		}
		_, b := do(t, "GET", base+"/incidents/"+strconv.FormatInt(caseID, 10), tok, "", "")
		if err := json.Unmarshal(b, &in); err != nil || in.PersonalData != want || (want == "full") != (in.Description != "") {
			t.Errorf("GET the incident: personal data %q (description %q), want %s: %s", in.PersonalData, in.Description, want, b)
		}
	}
	var who struct{ Role, Department string }
	if _, b := do(t, "GET", base+"/whoami", police, "", ""); json.Unmarshal(b, &who) != nil || who.Role != "department" || who.Department != "police" {
		t.Errorf("whoami as a department: %+v", who)
	}

	// A grid worker acts in its grids only.
	other := post(dispatcher, fresh("LOOP-2", there))
	mine := post(worker, fresh("LOOP-3", here))
	for _, id := range []int64{other, mine} {
		resp, b := do(t, "POST", base+"/incidents/"+strconv.FormatInt(id, 10)+"/steps", dispatcher, "application/json", `{"step":"register"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("register %d: %d %s", id, resp.StatusCode, b)
		}
	}
	resp, b := do(t, "POST", base+"/incidents/"+strconv.FormatInt(other, 10)+"/steps", worker, "application/json", `{"step":"investigate","note":"看看"}`)
	if resp.StatusCode != 403 || !strings.Contains(string(b), "scoped to grid 370812001001") {
		t.Errorf("a grid worker outside its grid: %d %s", resp.StatusCode, b)
	}
	var st stepAnswer
	_, b = do(t, "GET", base+"/incidents/"+strconv.FormatInt(other, 10)+"/steps", worker, "", "")
	if _ = json.Unmarshal(b, &st); len(st.Next) != 0 || st.PersonalData != "masked" {
		t.Errorf("a grid worker outside its grid is offered %v (personal data %s)", st.Next, st.PersonalData)
	}
	resp, b = do(t, "POST", base+"/incidents/"+strconv.FormatInt(mine, 10)+"/steps", worker, "application/json", `{"step":"investigate","note":"已到现场"}`)
	if resp.StatusCode != 201 {
		t.Errorf("a grid worker in its grid: %d %s", resp.StatusCode, b)
	}
	// A department may not post incidents or move a status by PATCH.
	if resp, _ := do(t, "POST", base+"/incidents", police, "application/json", mustJSON(t, fresh("LOOP-4", here))); resp.StatusCode != 403 {
		t.Errorf("a department posting an incident: %d, want 403", resp.StatusCode)
	}

	// The queue: filters and fields.
	var q struct {
		Incidents []struct {
			ID         int64
			Department string
			Person     string
			Supervised int
			CaseStatus string `json:"case_status"`
		}
	}
	_, b = do(t, "GET", base+"/incidents?department=police&supervised=true&source=hotline", dispatcher, "", "")
	if err := json.Unmarshal(b, &q); err != nil || len(q.Incidents) == 0 || q.Incidents[0].ID != caseID ||
		q.Incidents[0].Person != "李演示" || q.Incidents[0].Supervised != 1 || q.Incidents[0].CaseStatus != "closed" {
		t.Errorf("the queue of police, supervised: %s", b)
	}
	_, b = do(t, "GET", base+"/incidents?department=police&supervised=true", viewer, "", "")
	if err := json.Unmarshal(b, &q); err != nil || len(q.Incidents) == 0 || q.Incidents[0].Person != "李**" {
		t.Errorf("the queue as a viewer names the person: %s", b)
	}
	_, b = do(t, "GET", base+"/incidents?department=justice&supervised=true", dispatcher, "", "")
	if err := json.Unmarshal(b, &q); err != nil || slices.ContainsFunc(q.Incidents, func(x struct {
		ID         int64
		Department string
		Person     string
		Supervised int
		CaseStatus string `json:"case_status"`
	}) bool {
		return x.ID == caseID
	}) {
		t.Errorf("department=justice lists police's case: %s", b)
	}
	if resp, b := do(t, "GET", base+"/incidents?department=nowhere", dispatcher, "", ""); resp.StatusCode != 400 || !strings.Contains(string(b), "police") {
		t.Errorf("an unknown department: %d %s", resp.StatusCode, b)
	}

	// The status PATCH still works, and its system steps are on the stream.
	patched := post(dispatcher, fresh("LOOP-5", here))
	if resp, b := do(t, "PATCH", base+"/incidents/"+strconv.FormatInt(patched, 10), dispatcher, "application/json", `{"status":"in_progress"}`); resp.StatusCode != 200 {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, b)
	}
	stepEvent(patched, 2, "investigate", "in_progress")
	_, b = do(t, "GET", base+"/incidents/"+strconv.FormatInt(patched, 10)+"/steps", dispatcher, "", "")
	if err := json.Unmarshal(b, &st); err != nil || len(st.Steps) != 2 || st.Steps[0].Actor.Role != "system" || st.CaseStatus != "in_progress" {
		t.Errorf("steps after a PATCH: %s", b)
	}

	// The departments, open to all, no personal data.
	var ds struct {
		Departments []struct{ Code, NameZh, NameEn, Kind string }
	}
	if resp := get(t, base+"/departments", &ds); resp.StatusCode != 200 || len(ds.Departments) < 8 || ds.Departments[1].Code != "police" {
		t.Errorf("departments: %d %+v", resp.StatusCode, ds)
	}
}

// offset returns the point d metres from p at bearing east (0) or north
// (90°), on the sphere of the mean radius: within 0.5% of the ellipsoid.
func offset(p orb.Point, metres, bearingDeg float64) orb.Point {
	const r = 6371008.8
	b := bearingDeg * math.Pi / 180
	dLat := metres * math.Sin(b) / r * 180 / math.Pi
	dLon := metres * math.Cos(b) / (r * math.Cos(p[1]*math.Pi/180)) * 180 / math.Pi
	return orb.Point{p[0] + dLon, p[1] + dLat}
}

// TestCaseDuplicates: the possible duplicates of a case are the open cases
// of its category within 50 m and 7 days; a dispatcher links and unlinks
// them, a reporter may not.
func TestCaseDuplicates(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	base := srv.URL + "/api/v1"
	ix, _ := a.Live.Index()
	p := inside(t, ix, "37081200100101")
	dispatcher := mint(t, a, gridmap.RoleDispatcher, "指挥中心", "")
	reporter := mint(t, a, gridmap.RoleReporter, "网格员", "")
	now := time.Now().Truncate(time.Second)
	// Possible duplicates come from the in-memory statistics: the stream
	// says when the writes below have reached them.
	events, stop := openEvents(t, base+"/events", "")
	defer stop()
	post := func(id string, at orb.Point, category string, reported time.Time) int64 {
		t.Helper()
		in := incident(id, at, category)
		in["reported_at"] = reported.Format(time.RFC3339)
		resp, body := do(t, "POST", base+"/incidents", dispatcher, "application/json", mustJSON(t, in))
		if resp.StatusCode != 201 {
			t.Fatalf("posting %s: %d %s", id, resp.StatusCode, body)
		}
		var out struct{ ID int64 }
		_ = json.Unmarshal(body, &out)
		return out.ID
	}
	main := post("DUP-0", p, "hazard", now.Add(-2*time.Hour))
	near := map[int64]string{
		post("DUP-east-30", offset(p, 30, 0), "hazard", now.Add(-time.Hour)):                 "30 m east, an hour later",
		post("DUP-north-45", offset(p, 45, 90), "hazard", now.Add(-6*24*time.Hour)):          "45 m north, 6 days before",
		post("DUP-west-10", offset(p, 10, 180), "hazard", now.Add(-2*time.Hour+time.Minute)): "10 m west",
	}
	far := map[int64]string{
		post("DUP-east-60", offset(p, 60, 0), "hazard", now.Add(-time.Hour)):    "60 m east",
		post("DUP-south-80", offset(p, 80, 270), "hazard", now.Add(-time.Hour)): "80 m south",
		post("DUP-other-cat", offset(p, 20, 0), "dispute", now.Add(-time.Hour)): "another category",
		post("DUP-old", offset(p, 20, 90), "hazard", now.Add(-8*24*time.Hour)):  "8 days before",
		post("DUP-closed", offset(p, 20, 180), "hazard", now.Add(-time.Hour)):   "closed",
	}
	var closedID int64
	for id, why := range far {
		if why == "closed" {
			closedID = id
		}
	}
	if resp, b := do(t, "PATCH", base+"/incidents/"+strconv.FormatInt(closedID, 10), dispatcher, "application/json", `{"status":"closed"}`); resp.StatusCode != 200 {
		t.Fatalf("closing: %d %s", resp.StatusCode, b)
	}
	// The close is the last write: once an event shows the case closed,
	// every post before it is in the statistics too (the feed reads in
	// order). That is its status event, or its incident event when the
	// feed read its post and its close together (one event per read).
	for i := 0; ; i++ {
		ev := next(t, events, "")
		if (ev.event == "status" || ev.event == "incident") &&
			strings.Contains(ev.data, `"id":`+strconv.FormatInt(closedID, 10)+`,`) && strings.Contains(ev.data, `"status":"closed"`) {
			break
		}
		if i == 100 {
			t.Fatal("no event shows the closed case closed")
		}
	}

	type dup struct {
		ID        int64
		DistanceM float64 `json:"distance_m"`
		Link      string
		Grid      *struct{ Code string }
	}
	var out struct {
		ID         int64
		RadiusM    float64 `json:"radius_m"`
		WindowDays int     `json:"window_days"`
		Duplicates []dup
	}
	dupPath := base + "/incidents/" + strconv.FormatInt(main, 10)
	_, b := do(t, "GET", dupPath+"/duplicates", reporter, "", "")
	if err := json.Unmarshal(b, &out); err != nil || out.RadiusM != 50 || out.WindowDays != 7 {
		t.Fatalf("duplicates: %s", b)
	}
	found := map[int64]dup{}
	for _, d := range out.Duplicates {
		found[d.ID] = d
		if d.DistanceM > 50 || d.Link != "" {
			t.Errorf("possible duplicate %d at %.1f m (link %q)", d.ID, d.DistanceM, d.Link)
		}
	}
	for id, why := range near {
		if _, ok := found[id]; !ok {
			t.Errorf("%s (%d) is not listed as a possible duplicate: %s", why, id, b)
		}
	}
	for id, why := range far {
		if _, ok := found[id]; ok {
			t.Errorf("%s (%d) is listed as a possible duplicate", why, id)
		}
	}
	if d := found[mustID(near, "30 m east, an hour later")]; math.Abs(d.DistanceM-30) > 0.5 || d.Grid == nil {
		t.Errorf("30 m east measured %.1f m, grid %v", d.DistanceM, d.Grid)
	}
	if strings.Contains(string(b), "李演示") || strings.Contains(string(b), "楼道") {
		t.Errorf("duplicates carry personal data: %s", b)
	}
	// The same as PostGIS says, on the ellipsoid.
	ref, err := a.Store.Duplicates(context.Background(), main)
	if err != nil {
		t.Fatal(err)
	}
	if len(ref) != len(out.Duplicates) {
		t.Errorf("PostGIS finds %d possible duplicates, the API %d", len(ref), len(out.Duplicates))
	}
	for _, r := range ref {
		if d, ok := found[r.ID]; !ok || math.Abs(d.DistanceM-r.DistanceM) > 0.005*r.DistanceM+0.1 {
			t.Errorf("PostGIS: %d at %.2f m; the API: %+v (listed %v)", r.ID, r.DistanceM, d, ok)
		}
	}

	// Linking: dispatcher only; linked cases listed both ways; no chains.
	dupID := mustID(near, "10 m west")
	link := func(tok string, id, to int64) (*http.Response, []byte) {
		return do(t, "POST", base+"/incidents/"+strconv.FormatInt(id, 10)+"/duplicate-of", tok, "application/json", `{"main":`+strconv.FormatInt(to, 10)+`}`)
	}
	if resp, _ := link(reporter, dupID, main); resp.StatusCode != 403 {
		t.Errorf("a reporter links: %d, want 403", resp.StatusCode)
	}
	if resp, b := link(dispatcher, dupID, main); resp.StatusCode != 200 {
		t.Fatalf("link: %d %s", resp.StatusCode, b)
	}
	farID := mustID(far, "80 m south")
	if resp, b := link(dispatcher, farID, main); resp.StatusCode != 200 {
		t.Fatalf("link a far case: %d %s", resp.StatusCode, b)
	}
	if resp, b := link(dispatcher, main, dupID); resp.StatusCode != 409 {
		t.Errorf("a chain: %d %s", resp.StatusCode, b)
	}
	if resp, _ := link(dispatcher, main, main); resp.StatusCode != 400 {
		t.Errorf("a case its own duplicate: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "POST", dupPath+"/duplicate-of", dispatcher, "application/json", `{"main":1,"extra":2}`); resp.StatusCode != 400 {
		t.Errorf("an unknown field: %d", resp.StatusCode)
	}
	_, b = do(t, "GET", dupPath+"/duplicates", dispatcher, "", "")
	_ = json.Unmarshal(b, &out)
	links := map[int64]string{}
	for _, d := range out.Duplicates {
		links[d.ID] = d.Link
	}
	if links[dupID] != "duplicate" || links[farID] != "duplicate" || out.Duplicates[0].Link == "" {
		t.Errorf("the main case's duplicates, linked first: %s", b)
	}
	_, b = do(t, "GET", base+"/incidents/"+strconv.FormatInt(dupID, 10)+"/duplicates", dispatcher, "", "")
	if !strings.Contains(string(b), `"id":`+strconv.FormatInt(main, 10)) || !strings.Contains(string(b), `"link":"main"`) {
		t.Errorf("the duplicate's main case: %s", b)
	}
	unlink := base + "/incidents/" + strconv.FormatInt(dupID, 10) + "/duplicate-of"
	if resp, _ := do(t, "DELETE", unlink, dispatcher, "", ""); resp.StatusCode != 204 {
		t.Errorf("unlink: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "DELETE", unlink, dispatcher, "", ""); resp.StatusCode != 404 {
		t.Errorf("unlink again: %d, want 404", resp.StatusCode)
	}
}

func mustID(m map[int64]string, why string) int64 {
	for id, w := range m {
		if w == why {
			return id
		}
	}
	return 0
}
