package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/report"
)

// daySQL counts, straight from the incident table, the incidents reported
// in [$1, $2) by source, and those resolved and closed in it.
const daySQL = `
SELECT 'new/' || source, count(*) FROM incident WHERE reported_at >= $1 AND reported_at < $2 GROUP BY source
UNION ALL SELECT 'resolved', count(*) FROM incident WHERE resolved_at >= $1 AND resolved_at < $2
UNION ALL SELECT 'closed', count(*) FROM incident WHERE closed_at >= $1 AND closed_at < $2
UNION ALL SELECT 'overdue', count(*) FROM incident WHERE status IN ('reported','accepted','in_progress') AND deadline < $2 AND reported_at < $2`

// agendaSQL counts the open cases reported before $1 due for the
// Wednesday review: disputes, petitions open 30 days, supervised, overdue,
// or whose latest step is a consultation.
const agendaSQL = `
SELECT count(*) FROM incident
WHERE status IN ('reported','accepted','in_progress') AND reported_at < $1
  AND (category = 'dispute' OR (category = 'petition' AND reported_at <= $1 - interval '30 days')
       OR supervised > 0 OR deadline < $1 OR step_kind = 'consult')`

// fetch returns the body of a GET and checks its status and type.
func fetch(tb testing.TB, url, wantType string) []byte {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
		tb.Fatalf("GET %s: %d %s: %.300s", url, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return b
}

// pdfCheck writes the PDF, extracts its text with pdftotext and renders its
// first page to PNG with pdftoppm (into static/test/screenshots/ for a
// person to look at); it returns the text with spaces squeezed.
func pdfCheck(tb testing.TB, pdf []byte, name string) string {
	tb.Helper()
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("GRIDMAP_TESTDB") == "true" {
				tb.Fatalf("%s not installed: apt-get install poppler-utils", tool)
			}
			tb.Skipf("%s not installed: apt-get install poppler-utils", tool)
		}
	}
	dir := tb.TempDir()
	path := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	if err != nil {
		tb.Fatalf("pdftotext: %v: %s", err, out)
	}
	fonts, err := exec.Command("pdffonts", path).CombinedOutput()
	if err == nil && !strings.Contains(string(fonts), "SUBSET+") {
		tb.Errorf("the PDF's font is not an embedded subset:\n%s", fonts)
	}
	shots := filepath.Join("..", "static", "test", "screenshots")
	_ = os.MkdirAll(shots, 0o755)
	png := filepath.Join(shots, name)
	if o, err := exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", path, png).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, o)
	}
	if st, err := os.Stat(png + ".png"); err != nil || st.Size() < 10_000 {
		tb.Errorf("pdftoppm rendered no page worth the name: %v", err)
	}
	return regexp.MustCompile(`[ \t]+`).ReplaceAllString(string(out), " ")
}

// TestDailyBulletin: the bulletin's figures of a demo day equal SQL over
// the incident table; its PDF, read back by pdftotext, carries the Chinese
// text and the same figures; its HTML too.
func TestDailyBulletin(t *testing.T) {
	srv, a := instance(t, demoIncidentsDB(t))
	ctx := context.Background()
	day := time.Now().In(gridmap.ChinaTime).AddDate(0, 0, -2)
	date := day.Format(time.DateOnly)
	start, _ := report.DayStart(date)
	url := srv.URL + "/api/v1/reports/daily?date=" + date

	var d report.Daily
	if err := json.Unmarshal(fetch(t, url, "application/json"), &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	rows, err := a.Store.Pool().Query(ctx, daySQL, start, start.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		want[k] = n
		if strings.HasPrefix(k, "new/") {
			want["new"] += n
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if want["new"] == 0 {
		t.Fatalf("the demo has no incident on %s: the test proves nothing", date)
	}
	if d.New.Total != want["new"] {
		t.Errorf("new: %d, SQL %d", d.New.Total, want["new"])
	}
	for _, s := range gridmap.Sources {
		if d.New.BySource[string(s)] != want["new/"+string(s)] {
			t.Errorf("new from %s: %d, SQL %d", s, d.New.BySource[string(s)], want["new/"+string(s)])
		}
	}
	if d.Resolved != want["resolved"] || d.Closed != want["closed"] || d.Overdue != want["overdue"] {
		t.Errorf("resolved/closed/overdue %d/%d/%d, SQL %d/%d/%d", d.Resolved, d.Closed, d.Overdue, want["resolved"], want["closed"], want["overdue"])
	}
	sum := 0
	for _, v := range d.ByVillage {
		sum += v.New
	}
	if sum > d.New.Total || sum == 0 {
		t.Errorf("villages add up to %d of %d new", sum, d.New.Total)
	}

	text := pdfCheck(t, fetch(t, url+"&format=pdf", "application/pdf"), "bulletin-daily")
	for _, s := range []string{
		"访情通报",
		fmt.Sprintf("新增 %d 件", d.New.Total),
		fmt.Sprintf("办结 %d 件", d.Resolved),
		fmt.Sprintf("超期 %d 件", d.Overdue),
		fmt.Sprintf("12345热线 %d %d %d", d.New.BySource["hotline"], d.PreviousDay.BySource["hotline"], d.LastWeek.BySource["hotline"]),
		fmt.Sprintf("网格员上报 %d %d %d", d.New.BySource["grid_worker"], d.PreviousDay.BySource["grid_worker"], d.LastWeek.BySource["grid_worker"]),
		fmt.Sprintf("群众来访 %d %d %d", d.New.BySource["visit"], d.PreviousDay.BySource["visit"], d.LastWeek.BySource["visit"]),
	} {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF's text lacks %q:\n%.2000s", s, text)
		}
	}
	html := string(fetch(t, url+"&format=html", "text/html"))
	if !strings.Contains(html, fmt.Sprintf(`data-figure="new">%d<`, d.New.Total)) || !strings.Contains(html, "<svg") {
		t.Errorf("the HTML lacks the figure or the map: %.500s", html)
	}
	inChromium(t, html, "bulletin-daily-html", fmt.Sprintf(`data-figure="new">%d<`, d.New.Total))
	for _, bad := range []string{"演示", "199-0537"} { // the demo's descriptions and reporters
		if strings.Contains(html, bad) || strings.Contains(text, bad) {
			t.Errorf("the bulletin carries personal data (%q)", bad)
		}
	}

	// Bad input: problem+json, and a clear message.
	for _, q := range []string{"?date=2026-13-01", "?date=yesterday", "?format=docx"} {
		var p problem
		resp := get(t, srv.URL+"/api/v1/reports/daily"+q, &p)
		wantProblem(t, resp, p, http.StatusBadRequest)
	}
}

// TestWednesdayAgenda: the agenda holds the cases SQL says are due, each
// village's invitees include its legal adviser or police assistant where
// the roster has one, and its PDF carries the figures.
func TestWednesdayAgenda(t *testing.T) {
	srv, a := instance(t, demoIncidentsDB(t))
	ctx := context.Background()
	date := time.Now().In(gridmap.ChinaTime).Format(time.DateOnly)
	start, _ := report.DayStart(date)
	url := srv.URL + "/api/v1/reports/wednesday?date=" + date
	var w report.Wednesday
	if err := json.Unmarshal(fetch(t, url, "application/json"), &w); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := a.Store.Pool().QueryRow(ctx, agendaSQL, start).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if want == 0 {
		t.Fatal("no case is due for review in the demo: the test proves nothing")
	}
	got := len(w.Outside)
	police := 0
	for _, v := range w.Villages {
		got += len(v.Cases)
		for _, iv := range v.Invitees {
			if iv.Role == "police_assistant" && iv.Name != "" {
				police++
			}
		}
	}
	if got != want || w.Total != want {
		t.Errorf("agenda: %d cases (total %d), SQL %d", got, w.Total, want)
	}
	if police == 0 {
		t.Error("no village invites a police assistant, though the demo roster has them")
	}
	text := pdfCheck(t, fetch(t, url+"&format=pdf", "application/pdf"), "bulletin-wednesday")
	for _, s := range []string{"周三说事议程", fmt.Sprintf("待会商案件 %d 件", w.Total), "邀请参会", w.Villages[0].Name} {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF's text lacks %q", s)
		}
	}
	html := string(fetch(t, url+"&format=html", "text/html"))
	if !strings.Contains(html, fmt.Sprintf(`data-figure="total">%d<`, w.Total)) {
		t.Errorf("the HTML lacks the total")
	}
	inChromium(t, html, "bulletin-wednesday-html", fmt.Sprintf(`data-figure="total">%d<`, w.Total))
}

// inChromium opens the HTML document in headless Chromium: the DOM it
// builds must hold want and the maps' SVG; a screenshot goes to
// static/test/screenshots/NAME.png for a person to look at.
func inChromium(tb testing.TB, html, name, want string) {
	tb.Helper()
	chromium := chromiumPath(tb)
	path := filepath.Join(tb.TempDir(), name+".html")
	if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + tb.TempDir()}
	dom, err := exec.CommandContext(ctx, chromium, append(flags, "--dump-dom", "file://"+path)...).Output()
	if err != nil {
		tb.Fatalf("chromium --dump-dom: %v", err)
	}
	if !strings.Contains(string(dom), want) || !strings.Contains(string(dom), "<svg") {
		tb.Errorf("Chromium's DOM of %s lacks %q or the map", name, want)
	}
	shot, _ := filepath.Abs(filepath.Join("..", "static", "test", "screenshots", name+".png"))
	if out, err := exec.CommandContext(ctx, chromium, append(flags, "--screenshot="+shot, "--window-size=1000,1600", "file://"+path)...).CombinedOutput(); err != nil {
		tb.Errorf("chromium --screenshot: %v: %s", err, out)
	}
}
