package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/demodata"
)

// Issue 12: default deadlines by category, writes scoped as reads are, and
// who made each write.

// TestIncidentDefaultDeadline: /api/v1/categories says each category's
// default deadline (the demo's figures), and an incident posted without a
// deadline gets it, so it turns overdue; a given deadline is kept.
func TestIncidentDefaultDeadline(t *testing.T) {
	srv, _, ix := incidentInstance(t)
	base := srv.URL + "/api/v1"
	var cats struct {
		Categories []struct {
			Name         gridmap.Category
			DeadlineDays *int `json:"deadline_days"`
		}
	}
	get(t, base+"/categories", &cats)
	if len(cats.Categories) != len(demodata.DeadlineDays) {
		t.Fatalf("%d categories, want the %d of the demo", len(cats.Categories), len(demodata.DeadlineDays))
	}
	for _, c := range cats.Categories {
		if c.DeadlineDays == nil || *c.DeadlineDays != demodata.DeadlineDays[c.Name] {
			t.Errorf("category %s: deadline_days %v, want %d (the demo's)", c.Name, c.DeadlineDays, demodata.DeadlineDays[c.Name])
		}
	}

	p := inside(t, ix, "37081200100101")
	now := time.Now().Truncate(time.Second)
	post := func(id string, reported time.Time, deadline string) incidentResp2 {
		t.Helper()
		in := incident(id, p, "dispute")
		in["reported_at"] = reported.Format(time.RFC3339)
		delete(in, "deadline")
		if deadline != "" {
			in["deadline"] = deadline
		}
		var out incidentResp2
		if resp := send(t, "POST", base+"/incidents", in, &out); resp.StatusCode != 201 {
			t.Fatalf("post %s: %d", id, resp.StatusCode)
		}
		return out
	}
	old := post("DL-1", now.Add(-10*24*time.Hour), "")
	if old.Deadline == nil || !old.Deadline.Equal(now.Add(-3*24*time.Hour)) || !old.Overdue {
		t.Errorf("a dispute reported 10 days ago without a deadline: deadline %v overdue %v, want %v (7 days after) and overdue",
			old.Deadline, old.Overdue, now.Add(-3*24*time.Hour))
	}
	fresh := post("DL-2", now.Add(-time.Hour), "")
	if fresh.Deadline == nil || !fresh.Deadline.Equal(now.Add(7*24*time.Hour-time.Hour)) || fresh.Overdue {
		t.Errorf("a dispute reported an hour ago: deadline %v overdue %v", fresh.Deadline, fresh.Overdue)
	}
	given := post("DL-3", now.Add(-10*24*time.Hour), now.Add(24*time.Hour).Format(time.RFC3339))
	if given.Deadline == nil || !given.Deadline.Equal(now.Add(24*time.Hour)) || given.Overdue {
		t.Errorf("a given deadline: %v overdue %v", given.Deadline, given.Overdue)
	}
	var list struct{ Incidents []incidentResp2 }
	get(t, base+"/incidents?overdue=true&external_id=DL-1", &list)
	if len(list.Incidents) != 1 {
		t.Errorf("overdue=true does not list the incident past its default deadline: %+v", list)
	}
}

type incidentResp2 struct {
	ID        int64      `json:"id"`
	Deadline  *time.Time `json:"deadline"`
	Overdue   bool       `json:"overdue"`
	Status    string     `json:"status"`
	CreatedBy *struct {
		TokenID int64  `json:"token_id"`
		Name    string `json:"name"`
	} `json:"created_by"`
	Changes *[]gridmap.IncidentChange `json:"changes"`
}

func tokenID(tb testing.TB, tok string) int64 {
	tb.Helper()
	id, _, ok := gridmap.ParseToken(tok)
	if !ok {
		tb.Fatalf("not a token: %s", tok)
	}
	return id
}

// TestIncidentWritesScopedAndLogged: a reporter token scoped to a village
// posts and PATCHes incidents of that village only (403 problem+json
// elsewhere, a batch with one incident outside stores nothing), and every
// write records its token: created_by, and one change-log entry per PATCH
// (who, when, from what to what), shown in GET /api/v1/incidents/{id} in
// full to admins and reporters, names masked to viewers.
func TestIncidentWritesScopedAndLogged(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	ix, _ := a.Live.Index()
	base := srv.URL + "/api/v1"
	worker := mint(t, a, gridmap.RoleReporter, "王演示01", "370812001001") // a village
	hotline := mint(t, a, gridmap.RoleReporter, "12345 热线", "")
	admin := mint(t, a, gridmap.RoleAdmin, "指挥中心", "")
	viewer := mint(t, a, gridmap.RoleViewer, "大屏", "")
	mine, theirs := inside(t, ix, "37081200100101"), inside(t, ix, "37081200100201")

	postJSON := func(token string, body any) (*http.Response, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		return do(t, "POST", base+"/incidents", token, "application/json", string(b))
	}
	wantForbidden := func(what string, resp *http.Response, body []byte) problem {
		t.Helper()
		var p problem
		_ = json.Unmarshal(body, &p)
		if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, "370812001001") {
			t.Errorf("%s: %d %s, want 403 problem+json naming the token's grid", what, resp.StatusCode, body)
		}
		return p
	}
	decode := func(body []byte) incidentResp2 {
		t.Helper()
		var in incidentResp2
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return in
	}

	// Posts.
	resp, body := postJSON(worker, incident("W-1", mine, "hazard"))
	if resp.StatusCode != 201 {
		t.Fatalf("the worker posts in its village: %d %s", resp.StatusCode, body)
	}
	w1 := decode(body)
	resp, body = postJSON(worker, incident("W-2", theirs, "hazard"))
	wantForbidden("the worker posts in another village", resp, body)
	resp, body = postJSON(worker, map[string]any{"incidents": []any{incident("W-3", mine, "hazard"), incident("W-4", theirs, "hazard")}})
	if p := wantForbidden("a batch with one incident outside", resp, body); len(p.Errors) != 1 || p.Errors[0]["index"] != float64(1) {
		t.Errorf("the batch's problem names item 1 alone: %+v", p.Errors)
	}
	for _, id := range []string{"W-2", "W-3", "W-4"} {
		var list struct{ Incidents []any }
		_, b := do(t, "GET", base+"/incidents?external_id="+id, admin, "", "")
		_ = json.Unmarshal(b, &list)
		if len(list.Incidents) != 0 {
			t.Errorf("%s was stored by a refused post", id)
		}
	}
	resp, body = postJSON(hotline, incident("H-1", theirs, "dispute"))
	if resp.StatusCode != 201 {
		t.Fatalf("an unscoped reporter posts anywhere: %d %s", resp.StatusCode, body)
	}
	h1 := decode(body)

	// PATCHes.
	patch := func(token string, id int64, body string) (*http.Response, []byte) {
		t.Helper()
		return do(t, "PATCH", fmt.Sprintf("%s/incidents/%d", base, id), token, "application/json", body)
	}
	before := time.Now().Add(-time.Second) // the database's clock may lag a little
	resp, body = patch(worker, h1.ID, `{"status":"accepted"}`)
	wantForbidden("the worker PATCHes an incident of another village", resp, body)
	if resp, body = patch(worker, w1.ID, `{"status":"accepted","department":"应急办"}`); resp.StatusCode != 200 {
		t.Errorf("the worker PATCHes its own: %d %s", resp.StatusCode, body)
	}
	if resp, body = patch(admin, w1.ID, `{"status":"resolved","deadline":null}`); resp.StatusCode != 200 {
		t.Errorf("admin PATCH: %d %s", resp.StatusCode, body)
	}
	if resp, body = patch(admin, w1.ID, `{"status":"resolved"}`); resp.StatusCode != 200 { // no change: not logged
		t.Errorf("admin no-op PATCH: %d %s", resp.StatusCode, body)
	}
	if resp, body = patch(hotline, h1.ID, `{"department":"司法所"}`); resp.StatusCode != 200 {
		t.Errorf("unscoped reporter PATCH: %d %s", resp.StatusCode, body)
	}

	// Who did what.
	_, body = do(t, "GET", fmt.Sprintf("%s/incidents/%d", base, w1.ID), admin, "", "")
	got := decode(body)
	if got.CreatedBy == nil || got.CreatedBy.TokenID != tokenID(t, worker) || got.CreatedBy.Name != "王演示01" {
		t.Errorf("created_by: %s", body)
	}
	if got.Changes == nil || len(*got.Changes) != 2 {
		t.Fatalf("changes: want 2 (the no-op PATCH logs nothing): %s", body)
	}
	c1, c2 := (*got.Changes)[0], (*got.Changes)[1]
	if c1.By.TokenID != tokenID(t, worker) || c1.By.Name != "王演示01" || c1.Status == nil || c1.Status.From != "reported" ||
		c1.Status.To != "accepted" || c1.Department == nil || c1.Department.To != "应急办" || c1.Deadline != nil ||
		c1.At.Before(before) || c1.At.After(time.Now().Add(time.Second)) {
		t.Errorf("first change: %+v", c1)
	}
	if c2.By.TokenID != tokenID(t, admin) || c2.Status == nil || c2.Status.To != "resolved" || c2.Deadline == nil ||
		c2.Deadline.From == nil || c2.Deadline.To != nil || c2.Department != nil {
		t.Errorf("second change: %+v", c2)
	}
	_, body = do(t, "GET", fmt.Sprintf("%s/incidents/%d", base, h1.ID), admin, "", "")
	if got := decode(body); got.CreatedBy == nil || got.CreatedBy.TokenID != tokenID(t, hotline) || got.Changes == nil ||
		len(*got.Changes) != 1 || (*got.Changes)[0].By.Name != "12345 热线" {
		t.Errorf("the hotline's incident: %s", body)
	}
	// A viewer sees the log with names masked; the worker sees its own in full.
	_, body = do(t, "GET", fmt.Sprintf("%s/incidents/%d", base, w1.ID), viewer, "", "")
	if got := decode(body); got.CreatedBy == nil || got.CreatedBy.Name != httpapi.MaskName("王演示01") || got.Changes == nil ||
		(*got.Changes)[0].By.Name != httpapi.MaskName("王演示01") || strings.Contains(string(body), "王演示01") {
		t.Errorf("viewer: %s", body)
	}
	_, body = do(t, "GET", fmt.Sprintf("%s/incidents/%d", base, w1.ID), worker, "", "")
	if got := decode(body); got.CreatedBy == nil || got.CreatedBy.Name != "王演示01" || got.Changes == nil || len(*got.Changes) != 2 {
		t.Errorf("worker: %s", body)
	}
}
