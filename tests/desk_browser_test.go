package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// TestBrowserDesk drives the case desk (/desk) in headless Chromium
// (static/test/desk.test.mjs) over the demo street with a year of cases
// and one case just reported by the hotline: a dispatcher's token finds
// it with the keyboard, registers, dispatches (the page refuses a missing
// department and person and a past deadline; the server's refusal of the
// same dispatch twice is shown beside the form) and supervises it, and a
// case reported meanwhile arrives in the queue by the event stream; then
// the police department's token resolves it with a photo uploaded in the
// page (refused without one; the thumbnail opens the photo), and the case
// is resolved on the desk; the dispatcher's review, posted by the script,
// shows on the department's open case by the event stream; the case is
// resolved in English, through the API and on the wall map. Here the API
// then holds the five steps with who took each, in order. Screenshots: static/test/screenshots/desk*.png.
func TestBrowserDesk(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	srv, a, _ := authInstance(t, demoIncidentsDB(t), httpapi.Config{})
	if resp := get(t, srv.URL+"/desk", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /desk: %d; the bundle is built into the binary by `make build` or `npm ci && npm run build` in static/ before go test", resp.StatusCode)
	}
	dispatcher := mint(t, a, gridmap.RoleDispatcher, "张调度", "")
	reporter := mint(t, a, gridmap.RoleReporter, "12345 热线", "")
	admin := mint(t, a, gridmap.RoleAdmin, "管理员", "")
	police, _, err := a.Store.CreateTokenFor(context.Background(), gridmap.TokenSpec{Name: "王警官", Role: gridmap.RoleDepartment, Department: "police"})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, "POST", srv.URL+"/api/v1/incidents", reporter, "application/json",
		`{"external_id":"DESK-0001","category":"hazard","source":"hotline","lon":116.83,"lat":35.55,"reported_at":"`+time.Now().Format(time.RFC3339)+`",
		  "description":"（测试）人行道井盖缺失","reporter":{"name":"李测试","phone":"199-0000-0001"}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("posting the case: %d %s", resp.StatusCode, body)
	}
	var inc struct{ ID int64 }
	if err := json.Unmarshal(body, &inc); err != nil || inc.ID == 0 {
		t.Fatalf("posting the case: %s", body)
	}
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	out := runNode(t, 5*time.Minute, node, []string{"CHROMIUM=" + chromium, "DISPATCHER_TOKEN=" + dispatcher, "DEPARTMENT_TOKEN=" + police,
		"REPORTER_TOKEN=" + reporter, "DEPARTMENT=police", "CASE_ID=" + strconv.FormatInt(inc.ID, 10)},
		"test/desk.test.mjs", srv.URL, filepath.Join(shots, "desk.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}

	// What the page did, as the API has it.
	resp, body = do(t, "GET", srv.URL+"/api/v1/incidents/"+strconv.FormatInt(inc.ID, 10)+"/steps", admin, "", "")
	var flow struct {
		Status     string `json:"status"`
		CaseStatus string `json:"case_status"`
		Department string `json:"department"`
		Supervised int    `json:"supervised"`
		Steps      []struct {
			Step  string `json:"step"`
			Actor struct {
				Person, Role, Department string
			} `json:"actor"`
			Attachments []string `json:"attachments"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(body, &flow); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("steps: %d %s", resp.StatusCode, body)
	}
	var got []string
	for _, s := range flow.Steps {
		got = append(got, s.Step+" by "+s.Actor.Person+" ("+s.Actor.Role+" "+s.Actor.Department+")")
	}
	want := []string{"register by 张调度 (dispatcher )", "dispatch by 张调度 (dispatcher )", "supervise by 张调度 (dispatcher )",
		"resolve by 王警官 (department police)", "review by 张调度 (dispatcher )"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("steps:\n got %s\nwant %s", strings.Join(got, "; "), strings.Join(want, "; "))
	}
	if flow.Status != "resolved" || flow.CaseStatus != "reviewed" || flow.Department != "police" || flow.Supervised != 1 {
		t.Errorf("case: status %s, case status %s, department %s, supervised %d; want resolved, reviewed, police, 1", flow.Status, flow.CaseStatus, flow.Department, flow.Supervised)
	}
	if len(flow.Steps) == 5 && len(flow.Steps[3].Attachments) != 1 {
		t.Errorf("the resolve has attachments %v, want the one photo", flow.Steps[3].Attachments)
	}
}
