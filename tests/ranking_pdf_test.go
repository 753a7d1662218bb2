package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
)

// TestRankingPDF: last month's red/black list of the demo's villages as a
// PDF (GET /api/v1/ranking?format=pdf), read back by pdftotext: the title,
// every name of the red and black lists with its score, and the whole
// ranking's size, as the JSON of the same request says. A wrong format is
// a 400.
func TestRankingPDF(t *testing.T) {
	srv, a := instance(t, demoYearDB(t))
	waitCases(t, a)
	month := time.Now().In(gridmap.ChinaTime).AddDate(0, -1, 0).Format("2006-01")
	url := srv.URL + "/api/v1/ranking?of=village&month=" + month
	type entry struct {
		Key, Name string
		Score     float64
	}
	var rk struct {
		Red, Black, Ranked []entry
	}
	if err := json.Unmarshal(fetch(t, url, "application/json"), &rk); err != nil {
		t.Fatal(err)
	}
	if len(rk.Red) == 0 || len(rk.Black) == 0 {
		t.Fatalf("the demo month has no red or black list (%d ranked): the test proves nothing", len(rk.Ranked))
	}
	text := pdfCheck(t, fetch(t, url+"&format=pdf", "application/pdf"), "ranking-village")
	want := []string{"村（社区）红黑榜 " + month, "红榜（", "黑榜（", fmt.Sprintf("全部排名（%d）", len(rk.Ranked))}
	for _, e := range append(rk.Red, rk.Black...) {
		want = append(want, fmt.Sprintf("%s %.1f", e.Name, e.Score))
	}
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF's text lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("pdftotext:\n%s", text)
	}
	var p problem
	resp := get(t, url+"&format=xlsx", &p)
	wantProblem(t, resp, p, 400)
}
