package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
)

// TestBrowserReports opens the reports page (/reports) in headless
// Chromium over the demo year (static/test/reports.test.mjs): yesterday's
// bulletin with its figures equal to the API's, the PDF downloaded through
// a fetch (saved from a blob), the agenda with one form per case, and one decision recorded
// and read back as the case's consult step. Screenshots:
// static/test/screenshots/reports*.png.
func TestBrowserReports(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	srv, _ := instance(t, demoIncidentsDB(t))
	if resp := get(t, srv.URL+"/reports", nil); resp.StatusCode != 200 {
		t.Fatalf("GET /reports: %d; build the pages first (`npm ci && npm run build` in static/)", resp.StatusCode)
	}
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// Yesterday: the demo's incidents end before today.
	date := time.Now().In(gridmap.ChinaTime).AddDate(0, 0, -1).Format(time.DateOnly)
	out := runNode(t, 5*time.Minute, node, []string{"CHROMIUM=" + chromium, "DATE=" + date},
		"test/reports.test.mjs", srv.URL, filepath.Join(shots, "reports.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}
}
