package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
)

// TestBrowserRanking opens the red and black lists (/ranking) in headless
// Chromium over the demo year (static/test/ranking.test.mjs): Chinese
// first, the lists and the whole ranking as the API gives them, each entry
// with why, departments and workers, English. Screenshots:
// static/test/screenshots/ranking*.png.
func TestBrowserRanking(t *testing.T) {
	node := needNode(t, "playwright-core")
	chromium := chromiumPath(t)
	srv, a := instance(t, demoYearDB(t))
	waitCases(t, a)
	if resp := get(t, srv.URL+"/ranking", nil); resp.StatusCode != 200 {
		t.Fatalf("GET /ranking: %d; build the pages first (`npm ci && npm run build` in static/)", resp.StatusCode)
	}
	shots := filepath.Join(staticDir(t), "test", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	month := time.Now().In(gridmap.ChinaTime).AddDate(0, -1, 0).Format("2006-01")
	out := runNode(t, 5*time.Minute, node, []string{"CHROMIUM=" + chromium, "MONTH=" + month},
		"test/ranking.test.mjs", srv.URL, filepath.Join(shots, "ranking.png"))
	if !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Error("the browser test did not report success")
	}
}
