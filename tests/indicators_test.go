package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/indicatorsql"
	"github.com/gridmap/gridmap/postgis"
)

// demoYearDB returns the demo street with a year of demo incidents and
// their case histories, as `gridmap demo` loads them, and 30 days of work
// logs.
func demoYearDB(tb testing.TB) string {
	tb.Helper()
	url := demoDB(tb)
	ctx := context.Background()
	st, err := postgis.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	grids, version, err := st.CurrentGrids(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		tb.Fatal(err)
	}
	end := time.Now()
	incs := demodata.Incidents(ix, end, demodata.DefaultIncidents)
	rows := func(yield func(intake.Checked, error) bool) {
		for i, in := range incs {
			if !yield(intake.Checked{Index: i, Incident: in, CRS: geo.WGS84}, nil) {
				return
			}
		}
	}
	if _, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{}, intake.Assign(rows, ix, version)); err != nil {
		tb.Fatal(err)
	}
	hist := make(map[string][]caseflow.Step, len(incs))
	for _, in := range incs {
		hist[in.ExternalID] = demodata.Steps(in, end)
	}
	photoID, photo := demodata.Photo()
	if n, err := st.DemoSteps(ctx, hist, map[string][]byte{photoID: photo}); err != nil || n == 0 {
		tb.Fatalf("demo steps: %d, %v", n, err)
	}
	return withDemoWorklogs(tb, url)
}

// waitCases waits (bounded) until the instance's indicator cases are loaded.
func waitCases(tb testing.TB, a *app.App) {
	tb.Helper()
	for range 1200 {
		if a.Cases.Set() != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatal("the indicator cases were not loaded within 60 s")
}

// sqlRow is one group of indicatorsql.Indicators, named as the API's JSON.
type sqlRow struct {
	Key                                                       string
	Received                                                  int
	Src                                                       [4]int
	Registered, Rejected, Closed, OnTime, Replied, Revisited  int
	Answers, Satisfied, Overdue, Supervised, Duplicates, Reop int
	P50, P90                                                  *float64
	Work                                                      *apiWork
}

type apiWork struct {
	LogsFiled    int     `json:"logs_filed"`
	PatrolDays   int     `json:"patrol_days"`
	DistanceKM   float64 `json:"distance_km"`
	GridsCovered int     `json:"grids_covered"`
	CasesRaised  int     `json:"cases_raised"`
	Verified     int     `json:"cases_verified"`
}

type apiRow struct {
	Key              string         `json:"key"`
	Name             string         `json:"name"`
	Received         int            `json:"received"`
	BySource         map[string]int `json:"received_by_source"`
	Registered       int            `json:"registered"`
	Rejected         int            `json:"rejected"`
	Closed           int            `json:"closed"`
	ClosedOnTime     int            `json:"closed_on_time"`
	Replied          int            `json:"replied"`
	Revisited        int            `json:"revisited"`
	Answers          int            `json:"revisit_answers"`
	Satisfied        int            `json:"satisfied_answers"`
	OpenOverdue      int            `json:"open_overdue"`
	Supervised       int            `json:"supervised"`
	Duplicates       int            `json:"duplicates"`
	Reopened         int            `json:"reopened"`
	ClosureRate      *float64       `json:"closure_rate"`
	OnTimeRate       *float64       `json:"on_time_closure_rate"`
	ReplyRate        *float64       `json:"reply_rate"`
	RevisitRate      *float64       `json:"revisit_rate"`
	SatisfactionRate *float64       `json:"satisfaction_rate"`
	MedianHours      *float64       `json:"median_close_hours"`
	P90Hours         *float64       `json:"p90_close_hours"`
	Work             *apiWork       `json:"work"`
}

type apiIndicators struct {
	Rows       []apiRow `json:"rows"`
	Total      apiRow   `json:"total"`
	Unassigned int      `json:"unassigned"`
}

func queryIndicatorsSQL(tb testing.TB, a *app.App, by string, from, to, now time.Time) map[string]*sqlRow {
	tb.Helper()
	ctx := context.Background()
	rows, err := a.Store.Pool().Query(ctx, indicatorsql.Indicators, from, to, now, by)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]*sqlRow{}
	for rows.Next() {
		var r sqlRow
		if err := rows.Scan(&r.Key, &r.Received, &r.Src[0], &r.Src[1], &r.Src[2], &r.Src[3], &r.Registered, &r.Rejected,
			&r.Closed, &r.OnTime, &r.Replied, &r.Revisited, &r.Answers, &r.Satisfied, &r.Overdue, &r.Supervised,
			&r.Duplicates, &r.Reop, &r.P50, &r.P90); err != nil {
			tb.Fatal(err)
		}
		out[r.Key] = &r
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	if by == "worker" {
		wrows, err := a.Store.Pool().Query(ctx, indicatorsql.Work, from.In(gridmap.ChinaTime).Format(time.DateOnly), to.In(gridmap.ChinaTime).Format(time.DateOnly))
		if err != nil {
			tb.Fatal(err)
		}
		for wrows.Next() {
			var key string
			var w apiWork
			if err := wrows.Scan(&key, &w.LogsFiled, &w.PatrolDays, &w.DistanceKM, &w.GridsCovered); err != nil {
				tb.Fatal(err)
			}
			r := out[key]
			if r == nil {
				r = &sqlRow{Key: key}
				out[key] = r
			}
			r.Work = &w
		}
		if err := wrows.Err(); err != nil {
			tb.Fatal(err)
		}
		for _, r := range out {
			if r.Work == nil {
				r.Work = &apiWork{}
			}
			r.Work.CasesRaised, r.Work.Verified = r.Received, r.Registered
		}
	}
	return out
}

func ratioOf(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

func sameFloat(a, b *float64, tol float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) <= tol
}

func hoursOf(secs *float64) *float64 {
	if secs == nil {
		return nil
	}
	h := *secs / 3600
	return &h
}

// compareIndicators asks the API for by over [from, to) and checks every
// group against indicatorsql.Indicators run just before (as of a second earlier)
// and just after: the counts equal (open overdue between the two, as the
// API's now lies between), the rates and times to close equal.
func compareIndicators(t *testing.T, base string, a *app.App, by string, from, to time.Time) apiIndicators {
	t.Helper()
	before := queryIndicatorsSQL(t, a, by, from, to, time.Now().Add(-time.Second))
	var got apiIndicators
	q := url.Values{"by": {by}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	if resp := get(t, base+"/api/v1/stats/indicators?"+q.Encode(), &got); resp.StatusCode != 200 {
		t.Fatalf("by=%s: %d", by, resp.StatusCode)
	}
	after := queryIndicatorsSQL(t, a, by, from, to, time.Now().Add(time.Second))
	if len(got.Rows) != len(after) {
		keys := []string{}
		for k := range after {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Errorf("by=%s: %d groups, SQL has %d (%v)", by, len(got.Rows), len(after), keys)
	}
	for _, g := range got.Rows {
		w, w0 := after[g.Key], before[g.Key]
		if w == nil {
			t.Errorf("by=%s %s: not in SQL", by, g.Key)
			continue
		}
		src := [4]int{g.BySource["grid_worker"], g.BySource["hotline"], g.BySource["visit"], g.BySource["other"]}
		gotN := []int{g.Received, g.Registered, g.Rejected, g.Closed, g.ClosedOnTime, g.Replied, g.Revisited,
			g.Answers, g.Satisfied, g.Supervised, g.Duplicates, g.Reopened}
		wantN := []int{w.Received, w.Registered, w.Rejected, w.Closed, w.OnTime, w.Replied, w.Revisited,
			w.Answers, w.Satisfied, w.Supervised, w.Duplicates, w.Reop}
		if !slices.Equal(gotN, wantN) || src != w.Src {
			t.Errorf("by=%s %s: counts %v %v, SQL %v %v", by, g.Key, gotN, src, wantN, w.Src)
		}
		if g.OpenOverdue < w0.Overdue || g.OpenOverdue > w.Overdue {
			t.Errorf("by=%s %s: open overdue %d, SQL %d…%d", by, g.Key, g.OpenOverdue, w0.Overdue, w.Overdue)
		}
		for _, c := range []struct {
			name      string
			got, want *float64
		}{
			{"closure rate", g.ClosureRate, ratioOf(w.Closed, w.Registered)},
			{"on-time rate", g.OnTimeRate, ratioOf(w.OnTime, w.Closed)},
			{"reply rate", g.ReplyRate, ratioOf(w.Replied, w.Registered)},
			{"revisit rate", g.RevisitRate, ratioOf(w.Revisited, w.Replied)},
			{"satisfaction rate", g.SatisfactionRate, ratioOf(w.Satisfied, w.Answers)},
			{"median hours", g.MedianHours, hoursOf(w.P50)},
			{"p90 hours", g.P90Hours, hoursOf(w.P90)},
		} {
			if !sameFloat(c.got, c.want, 1e-9) {
				t.Errorf("by=%s %s: %s %v, SQL %v", by, g.Key, c.name, deref(c.got), deref(c.want))
			}
		}
		if by == "worker" {
			if g.Work == nil || w.Work == nil || g.Work.LogsFiled != w.Work.LogsFiled || g.Work.PatrolDays != w.Work.PatrolDays ||
				math.Abs(g.Work.DistanceKM-w.Work.DistanceKM) > 1e-6 || g.Work.GridsCovered != w.Work.GridsCovered ||
				g.Work.CasesRaised != w.Work.CasesRaised || g.Work.Verified != w.Work.Verified {
				t.Errorf("by=worker %s: work %+v, SQL %+v", g.Key, g.Work, w.Work)
			}
		}
	}
	return got
}

func deref(p *float64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

// TestIndicatorsDemoYear: every indicator of every grouping over the demo
// year (and over one month cut at China midnights) equals the SQL
// computation over the same steps.
func TestIndicatorsDemoYear(t *testing.T) {
	srv, a := instance(t, demoYearDB(t))
	waitCases(t, a)
	now := time.Now().In(gridmap.ChinaTime)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, gridmap.ChinaTime)
	year := today.AddDate(-1, 0, -2)
	tomorrow := today.AddDate(0, 0, 1)
	for _, by := range []string{"grid", "village", "street", "department", "worker"} {
		got := compareIndicators(t, srv.URL, a, by, year, tomorrow)
		if by == "street" && (len(got.Rows) != 1 || got.Rows[0].Received < 1000 || got.Rows[0].Closed == 0 ||
			got.Rows[0].Answers == 0 || got.Rows[0].Supervised == 0 || got.Rows[0].OpenOverdue == 0) {
			t.Errorf("by=street: %+v: the demo year should have cases of every kind", got.Rows)
		}
		if by == "worker" && len(got.Rows) == 0 {
			t.Error("by=worker: no worker rows from the demo work logs")
		}
	}
	month := today.AddDate(0, -2, 0)
	for _, by := range []string{"village", "department"} {
		compareIndicators(t, srv.URL, a, by, month, month.AddDate(0, 1, 0))
	}
	// CSV: one line a group and the total, the same figures.
	resp, body := do(t, "GET", srv.URL+"/api/v1/stats/indicators?by=village&format=csv&from="+year.Format(time.DateOnly), "", "", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	var js apiIndicators
	get(t, srv.URL+"/api/v1/stats/indicators?by=village&from="+year.Format(time.DateOnly), &js)
	if len(lines) != len(js.Rows)+2 || !strings.HasPrefix(lines[0], "key,name,received,") ||
		!strings.HasPrefix(lines[len(lines)-1], "total,合计 total,"+strconv.Itoa(js.Total.Received)+",") {
		t.Errorf("csv: %d lines for %d rows; first %q last %q", len(lines), len(js.Rows), lines[0], lines[len(lines)-1])
	}
	// Bad input: a problem naming the parameter.
	for _, q := range []string{"by=nope", "format=xml", "from=yesterday", "from=2026-02-01&to=2026-01-01"} {
		var p problem
		wantProblem(t, get(t, srv.URL+"/api/v1/stats/indicators?"+q, &p), p, 400)
	}
}

// TestIndicatorsEdgeCases builds cases by hand, each at an edge, through
// the HTTP API and the case loop (postgis.AddStep), and checks the
// indicators against the SQL computation and against what the edge means.
func TestIndicatorsEdgeCases(t *testing.T) {
	url := demoDB(t)
	wsrv, wa, _ := authInstance(t, url, httpapi.Config{})
	ix, _ := wa.Live.Index()
	worker := mint(t, wa, gridmap.RoleReporter, "王演示01", "370812001001")
	dispatcher := mint(t, wa, gridmap.RoleDispatcher, "指挥中心", "")
	here := inside(t, ix, "37081200100101")
	ctx := context.Background()
	day := time.Date(2026, 10, 14, 0, 0, 0, 0, gridmap.ChinaTime) // a Wednesday
	at := func(h, m, s int) time.Time {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	post := func(tok, ext, source string, reported, deadline time.Time) int64 {
		t.Helper()
		in := incident(ext, here, "dispute")
		in["source"], in["reported_at"], in["deadline"] = source, reported.Format(time.RFC3339), deadline.Format(time.RFC3339)
		resp, body := do(t, "POST", wsrv.URL+"/api/v1/incidents", tok, "application/json", mustJSON(t, in))
		if resp.StatusCode != 201 {
			t.Fatalf("posting %s: %d %s", ext, resp.StatusCode, body)
		}
		var out struct{ ID int64 }
		_ = json.Unmarshal(body, &out)
		return out.ID
	}
	sys := caseflow.Actor{Person: "测试", Role: caseflow.RoleSystem}
	steps := func(id int64, ss ...caseflow.Step) {
		t.Helper()
		for _, s := range ss {
			s.Actor = sys
			if _, err := wa.Store.AddStep(ctx, id, s, nil); err != nil {
				t.Fatalf("case %d step %s: %v", id, s.Kind, err)
			}
		}
	}
	st := func(k caseflow.Kind, at time.Time) caseflow.Step { return caseflow.Step{Kind: k, At: at} }
	out := func(k caseflow.Kind, at time.Time, o, reason string) caseflow.Step {
		return caseflow.Step{Kind: k, At: at, Outcome: o, Reason: reason}
	}
	due := at(18, 0, 0)
	// Closed exactly at the deadline: resolved at 18:00:00 sharp.
	exact := post(worker, "EDGE-EXACT", "grid_worker", at(9, 0, 0), due)
	steps(exact, st(caseflow.StepRegister, at(9, 5, 0)), st(caseflow.StepResolve, due), st(caseflow.StepReply, at(19, 0, 0)),
		out(caseflow.StepRevisit, at(20, 0, 0), "satisfied", ""), st(caseflow.StepClose, at(20, 30, 0)))
	// One second late.
	late := post(worker, "EDGE-LATE", "grid_worker", at(9, 0, 0), due)
	steps(late, st(caseflow.StepRegister, at(9, 5, 0)), st(caseflow.StepResolve, due.Add(time.Second)),
		st(caseflow.StepReply, at(19, 0, 0)), st(caseflow.StepClose, at(20, 30, 0)))
	// Reopened: not satisfied, resolved again after the deadline, closed.
	reop := post(dispatcher, "EDGE-REOPEN", "hotline", at(8, 0, 0), due)
	steps(reop, st(caseflow.StepRegister, at(8, 1, 0)), st(caseflow.StepResolve, at(10, 0, 0)),
		out(caseflow.StepReview, at(10, 30, 0), caseflow.ReviewAccept, ""), st(caseflow.StepReply, at(11, 0, 0)),
		out(caseflow.StepRevisit, at(12, 0, 0), "not_satisfied", "噪音仍在"), st(caseflow.StepResolve, at(22, 0, 0)),
		out(caseflow.StepReview, at(22, 10, 0), caseflow.ReviewSendBack, "照片不清"), st(caseflow.StepResolve, at(23, 0, 0)),
		st(caseflow.StepReply, at(23, 10, 0)), out(caseflow.StepRevisit, at(23, 20, 0), "basically_satisfied", ""),
		st(caseflow.StepClose, at(23, 30, 0)))
	// Spanning midnight CST: reported at 23:59:59 on the day, closed the
	// next day; and one reported at 00:00:00 the next day.
	span := post(dispatcher, "EDGE-SPAN", "visit", at(23, 59, 59), due.AddDate(0, 0, 3))
	steps(span, st(caseflow.StepRegister, at(24, 0, 1)), st(caseflow.StepResolve, at(25, 0, 0)), st(caseflow.StepReply, at(25, 30, 0)),
		st(caseflow.StepClose, at(26, 0, 0)))
	next := post(dispatcher, "EDGE-NEXT", "visit", at(24, 0, 0), at(30, 0, 0))
	steps(next, st(caseflow.StepRegister, at(24, 0, 1)), caseflow.Step{Kind: caseflow.StepSupervise, At: at(25, 0, 0), Deadline: ptrTime(at(26, 0, 0))})
	// Rejected, and one left open past its deadline, linked as a duplicate.
	rej := post(worker, "EDGE-REJECT", "grid_worker", at(10, 0, 0), due)
	steps(rej, caseflow.Step{Kind: caseflow.StepReject, At: at(10, 30, 0), Reason: "不属实"})
	open := post(worker, "EDGE-OPEN", "grid_worker", at(11, 0, 0), due)
	steps(open, st(caseflow.StepRegister, at(11, 30, 0)))
	if err := wa.Store.LinkDuplicate(ctx, open, exact, gridmap.Actor{Name: "测试"}); err != nil {
		t.Fatal(err)
	}

	// A fresh instance loads what was written.
	srv, a := instance(t, url)
	waitCases(t, a)
	dayOnly := compareIndicators(t, srv.URL, a, "street", day, day.AddDate(0, 0, 1))
	both := compareIndicators(t, srv.URL, a, "street", day, day.AddDate(0, 0, 2))
	workers := compareIndicators(t, srv.URL, a, "worker", day, day.AddDate(0, 0, 2))
	compareIndicators(t, srv.URL, a, "grid", day, day.AddDate(0, 0, 2))

	// And what the edges mean, stated by hand.
	d := dayOnly.Rows[0]
	if d.Received != 6 || both.Rows[0].Received != 7 {
		t.Errorf("received on the day %d (want 6: 23:59:59 counts, 00:00:00 does not), over two days %d (want 7)", d.Received, both.Rows[0].Received)
	}
	if d.Closed != 4 || d.ClosedOnTime != 2 || d.Rejected != 1 || d.Registered != 5 || d.Reopened != 1 ||
		d.Answers != 3 || d.Satisfied != 2 || d.Duplicates != 1 || d.OpenOverdue != 1 {
		t.Errorf("the day: %+v; want closed 4 (exact on time, late not, reopened late, span on time), on time 2, rejected 1, "+
			"registered 5, reopened 1, 3 answers of which 2 satisfied, 1 duplicate, 1 open overdue", d)
	}
	if both.Rows[0].Supervised != 1 {
		t.Errorf("supervised %d over two days, want 1", both.Rows[0].Supervised)
	}
	// The worker raised exact, late, rejected and open: 4, 3 verified.
	var w *apiRow
	for i := range workers.Rows {
		if workers.Rows[i].Received > 0 {
			w = &workers.Rows[i]
		}
	}
	if w == nil || w.Work == nil || w.Work.CasesRaised != 4 || w.Work.Verified != 3 || w.Name != "王演示01" {
		t.Errorf("worker row %+v, want 4 raised, 3 verified, named for an admin", w)
	}
	// A viewer sees no worker name.
	viewer := mint(t, wa, gridmap.RoleViewer, "大屏", "")
	_, body := do(t, "GET", wsrv.URL+"/api/v1/stats/indicators?by=worker&from=2026-10-14&to=2026-10-16", viewer, "", "")
	if strings.Contains(string(body), "王演示01") || !strings.Contains(string(body), `"cases_raised":4`) {
		t.Errorf("a viewer's worker indicators: %s", body)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

// TestRankingFollowsRules: the monthly ranking of the demo's villages by
// the default rules, then by rules an admin saves that weigh one indicator
// only: the order follows the new rules, the old version is kept, and a
// non-admin cannot save rules.
func TestRankingFollowsRules(t *testing.T) {
	url := demoYearDB(t)
	srv, a, _ := authInstance(t, url, httpapi.Config{})
	waitCases(t, a)
	admin := mint(t, a, gridmap.RoleAdmin, "管理员", "")
	viewer := mint(t, a, gridmap.RoleViewer, "大屏", "")
	month := time.Now().In(gridmap.ChinaTime).AddDate(0, -1, 0).Format("2006-01")
	type ranked struct {
		Key   string  `json:"key"`
		Place int     `json:"place"`
		Score float64 `json:"score"`
		Why   []struct {
			Indicator string `json:"indicator"`
		} `json:"why"`
		Indicators apiRow `json:"indicators"`
	}
	type ranking struct {
		RulesVersion int64    `json:"rules_version"`
		Ranked       []ranked `json:"ranked"`
		Red, Black   []ranked
	}
	rank := func(of string) ranking {
		t.Helper()
		resp, body := do(t, "GET", srv.URL+"/api/v1/ranking?of="+of+"&month="+month, viewer, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("ranking: %d %s", resp.StatusCode, body)
		}
		var r ranking
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r0 := rank("village")
	if r0.RulesVersion != 0 || len(r0.Ranked) < 10 || len(r0.Red) != 3 || len(r0.Black) != 3 {
		t.Fatalf("default ranking: version %d, %d ranked, red %d, black %d", r0.RulesVersion, len(r0.Ranked), len(r0.Red), len(r0.Black))
	}
	// Rules that weigh received cases only (more is better): the order must
	// be by received, descending.
	rules := map[string]any{}
	for _, of := range []string{"worker", "village", "department"} {
		rules[of] = map[string]any{"rules": []map[string]any{{"indicator": "received", "weight": 1, "good": 10000, "bad": 0}}, "red": 2, "black": 2}
	}
	body := mustJSON(t, map[string]any{"rules": rules, "reason": "测试：只看受理量"})
	if resp, _ := do(t, "PUT", srv.URL+"/api/v1/ranking/rules", viewer, "application/json", body); resp.StatusCode != 403 {
		t.Errorf("a viewer saving rules: %d, want 403", resp.StatusCode)
	}
	if resp, b := do(t, "PUT", srv.URL+"/api/v1/ranking/rules", admin, "application/json", body); resp.StatusCode != 200 {
		t.Fatalf("saving rules: %d %s", resp.StatusCode, b)
	}
	bad := strings.Replace(body, `"received"`, `"nope"`, 1)
	if resp, _ := do(t, "PUT", srv.URL+"/api/v1/ranking/rules", admin, "application/json", bad); resp.StatusCode != 400 {
		t.Errorf("saving an unknown indicator: %d, want 400", resp.StatusCode)
	}
	r1 := rank("village")
	if r1.RulesVersion != 1 || len(r1.Red) != 2 || len(r1.Black) != 2 {
		t.Fatalf("new ranking: version %d, red %d, black %d", r1.RulesVersion, len(r1.Red), len(r1.Black))
	}
	for i := 1; i < len(r1.Ranked); i++ {
		p, q := r1.Ranked[i-1], r1.Ranked[i]
		if p.Indicators.Received < q.Indicators.Received || p.Indicators.Received == q.Indicators.Received && p.Key > q.Key {
			t.Fatalf("place %d (%s, %d received) before place %d (%s, %d received)", p.Place, p.Key, p.Indicators.Received, q.Place, q.Key, q.Indicators.Received)
		}
	}
	if r1.Red[0].Why[0].Indicator != "received" || r1.Black[0].Key != r1.Ranked[len(r1.Ranked)-1].Key {
		t.Errorf("red %+v, black %+v", r1.Red[0], r1.Black[0])
	}
	if fmt.Sprint(r0.Ranked) == fmt.Sprint(r1.Ranked) {
		t.Error("the ranking did not change with the rules")
	}
	var rs struct {
		Current struct{ Version int64 }
		History []struct{ Version int64 }
	}
	_, b := do(t, "GET", srv.URL+"/api/v1/ranking/rules?history=5", viewer, "", "")
	if err := json.Unmarshal(b, &rs); err != nil || rs.Current.Version != 1 {
		t.Errorf("rules: %s", b)
	}
	// Workers and departments rank too.
	if w := rank("worker"); len(w.Ranked) == 0 {
		t.Error("no worker ranked over the demo month")
	}
	if d := rank("department"); len(d.Ranked) == 0 {
		t.Error("no department ranked over the demo month")
	}
}
