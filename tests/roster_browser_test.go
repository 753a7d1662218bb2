package tests

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
)

// TestBrowserRoster drives the roster page (/roster) in headless Chromium
// (static/test/roster.test.mjs): an admin adds a worker to a micro-grid
// and moves them to another, the forms refusing bad input before sending;
// here the database then holds the two versions of the worker.
// Screenshots: static/test/screenshots/roster*.png.
func TestBrowserRoster(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	if resp := get(t, srv.URL+"/roster", nil); resp.StatusCode != 200 {
		t.Fatalf("GET /roster: %d; build the pages first (`npm ci && npm run build` in static/)", resp.StatusCode)
	}
	admin := mint(t, a, gridmap.RoleAdmin, "管理员", "")
	const from, to = "37081200100107", "37081200100201"
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	out := runNode(t, 5*time.Minute, node, []string{"CHROMIUM=" + chromium, "ADMIN_TOKEN=" + admin, "FROM_GRID=" + from, "TO_GRID=" + to},
		"test/roster.test.mjs", srv.URL, filepath.Join(shots, "roster.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}
	var n int
	err := a.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM grid_member WHERE name = '测试员丙'
AND ((grid_code = $1 AND valid_to IS NOT NULL) OR (grid_code = $2 AND valid_to IS NULL))`, from, to).Scan(&n)
	if err != nil || n != 2 {
		t.Errorf("the worker's versions in the database: %d, %v (want the closed one in %s and the current one in %s)", n, err, from, to)
	}
}
