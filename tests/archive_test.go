package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/postgis"
)

// TestArchivedMonthAPI: after 2024-03 is archived, its case reads as 410
// Gone naming the month, a re-post of its external id is a duplicate (409
// naming the case, never a new case), and a new case reported in that
// month is refused with 409 saying the month is archived (in a batch: a
// row problem, the other rows stored with ?partial=true); a case of
// another month is posted as ever.
func TestArchivedMonthAPI(t *testing.T) {
	url := demoDB(t)
	srv, a := instance(t, url)
	ix, _ := a.Live.Index()
	base := srv.URL + "/api/v1"
	p := inside(t, ix, "37081200100101")
	post := func(id, reported string) (incidentResp, problem, int) {
		t.Helper()
		in := incident(id, p, "hazard")
		in["reported_at"] = reported
		var out incidentResp
		var pr problem
		var raw json.RawMessage
		resp := send(t, "POST", base+"/incidents", in, &raw)
		var err error
		if resp.StatusCode >= 400 {
			err = json.Unmarshal(raw, &pr)
			wantProblem(t, resp, pr, resp.StatusCode)
		} else {
			err = json.Unmarshal(raw, &out)
		}
		if err != nil {
			t.Fatalf("post %s: %v", id, err)
		}
		return out, pr, resp.StatusCode
	}
	first, _, code := post("AR-1", "2024-03-10T09:00:00+08:00")
	if code != 201 {
		t.Fatalf("post AR-1: %d", code)
	}
	if _, _, code := post("AR-2", "2024-03-31T23:59:00+08:00"); code != 201 {
		t.Fatalf("post AR-2: %d", code)
	}

	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mar := postgis.Month{Year: 2024, Month: time.March}
	res, err := st.ArchiveMonth(context.Background(), mar, t.TempDir(), time.Now())
	if err != nil || res.Incidents != 2 {
		t.Fatalf("archive 2024-03: %+v, %v", res, err)
	}

	var pr problem
	resp := get(t, fmt.Sprintf("%s/incidents/%d", base, first.ID), &pr)
	wantProblem(t, resp, pr, 410)
	if !strings.Contains(pr.Detail, "2024-03") || !strings.Contains(pr.Detail, "archive") {
		t.Errorf("GET the archived case: %q, want the month and the archive named", pr.Detail)
	}
	// So is everything else about it.
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/steps", nil},
		{"POST", "/steps", map[string]any{"step": "supervise", "note": "催办"}},
		{"PATCH", "", map[string]any{"deadline": "2099-01-01T00:00:00+08:00"}},
	} {
		var pr problem
		resp := send(t, c.method, fmt.Sprintf("%s/incidents/%d%s", base, first.ID, c.path), c.body, &pr)
		wantProblem(t, resp, pr, 410)
		if !strings.Contains(pr.Detail, "2024-03") {
			t.Errorf("%s the archived case%s: %q, want the month named", c.method, c.path, pr.Detail)
		}
	}
	_, pr, code = post("AR-1", "2024-03-10T09:00:00+08:00")
	if code != 409 || !strings.Contains(pr.Detail, fmt.Sprintf("case %d", first.ID)) || !strings.Contains(pr.Detail, "month 2024-03 is archived") {
		t.Errorf("re-post AR-1: %d %q, want 409 naming case %d and its archived month", code, pr.Detail, first.ID)
	}
	_, pr, code = post("AR-3", "2024-03-15T09:00:00+08:00")
	if code != 409 || !strings.Contains(pr.Detail, "month 2024-03 is archived; its cases are in the archive files") {
		t.Errorf("post into 2024-03: %d %q, want 409 saying the month is archived", code, pr.Detail)
	}
	if _, _, code := post("AR-4", "2024-04-01T00:00:00+08:00"); code != 201 {
		t.Errorf("post into 2024-04: %d, want 201", code)
	}
	// A batch re-importing an archived case with a new one: the archived
	// one is existing, the new one created.
	re, fresh := incident("AR-2", p, "hazard"), incident("AR-5", p, "hazard")
	re["reported_at"], fresh["reported_at"] = "2024-03-31T23:59:00+08:00", "2024-04-02T08:00:00+08:00"
	var batch struct{ Created, Existing int }
	if resp := send(t, "POST", base+"/incidents", map[string]any{"incidents": []any{re, fresh}}, &batch); resp.StatusCode != 201 || batch.Created != 1 || batch.Existing != 1 {
		t.Errorf("batch of an archived case and a new one: %d %+v, want 201, 1 created, 1 existing", resp.StatusCode, batch)
	}
	// A batch with a new case in the archived month: refused, naming the
	// row and the month; with ?partial=true the other rows are stored.
	fresh2, fresh3 := incident("AR-6", p, "hazard"), incident("AR-7", p, "hazard")
	fresh2["reported_at"], fresh3["reported_at"] = "2024-03-02T08:00:00+08:00", "2024-04-03T08:00:00+08:00"
	var pr2 problem
	resp = send(t, "POST", base+"/incidents", map[string]any{"incidents": []any{fresh3, fresh2}}, &pr2)
	wantProblem(t, resp, pr2, 400)
	if len(pr2.Errors) != 1 || pr2.Errors[0]["index"] != 1.0 || pr2.Errors[0]["field"] != "reported_at" ||
		!strings.Contains(fmt.Sprint(pr2.Errors[0]["message"]), "month 2024-03 is archived") || !strings.Contains(pr2.Detail, "nothing was stored") {
		t.Errorf("batch into 2024-03: %q %v", pr2.Detail, pr2.Errors)
	}
	var part struct {
		Read, Created int
		Errors        []map[string]any
	}
	if resp := send(t, "POST", base+"/incidents?partial=true", map[string]any{"incidents": []any{fresh3, fresh2}}, &part); resp.StatusCode != 201 ||
		part.Read != 2 || part.Created != 1 || len(part.Errors) != 1 || part.Errors[0]["index"] != 1.0 {
		t.Errorf("partial batch into 2024-03 and 2024-04: %d %+v, want AR-7 stored and item 1 refused", resp.StatusCode, part)
	}
	var n6, n7 int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE external_id = 'AR-6'), count(*) FILTER (WHERE external_id = 'AR-7') FROM incident_key`).Scan(&n6, &n7); err != nil || n6 != 0 || n7 != 1 {
		t.Errorf("stored: AR-6 %d times, AR-7 %d times (%v); want 0 and 1", n6, n7, err)
	}
}
