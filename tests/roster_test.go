package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/app"
)

// Issue 15: the roster (who serves which grid), versioned, followed by the
// lookups of every instance.

type rosterRow struct {
	ID, Version      int64
	Grid, Role, Name string
	Contact          string
	ValidFrom        time.Time  `json:"valid_from"`
	ValidTo          *time.Time `json:"valid_to"`
	ChangedBy        string     `json:"changed_by"`
	Reason           string
	ClosedBy         string `json:"closed_by"`
	CloseReason      string `json:"close_reason"`
}

type rosterAnswer struct {
	Member      rosterRow
	DataVersion int64 `json:"data_version"`
}

// rosterReq sends a roster request with the token (none: the test admin)
// and decodes a 2xx body into v, a problem otherwise.
func rosterReq(tb testing.TB, method, u, token string, body any, hdr map[string]string, v any) (*http.Response, problem) {
	tb.Helper()
	if token != "" {
		if hdr == nil {
			hdr = map[string]string{}
		}
		hdr["Authorization"] = "Bearer " + token
	}
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var p problem
	dst := v
	if resp.StatusCode >= 300 {
		dst = &p
	}
	if dst != nil {
		if err := json.NewDecoder(resp.Body).Decode(dst); err != nil {
			tb.Fatalf("%s %s (%d): decoding: %v", method, u, resp.StatusCode, err)
		}
	}
	return resp, p
}

// rosterProbe returns a point inside the current grid code.
func rosterProbe(tb testing.TB, a *app.App, code string) orb.Point {
	tb.Helper()
	var p orb.Point
	err := a.Store.Pool().QueryRow(context.Background(), `SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(boundary) c
FROM grid_version WHERE code = $1 AND valid_to IS NULL) s`, code).Scan(&p[0], &p[1])
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// lookupNames are the names a lookup at p answers (as of asOf unless "").
func lookupNames(tb testing.TB, root string, p orb.Point, asOf string) []string {
	tb.Helper()
	u := lookupURL(root, p, "")
	if asOf != "" {
		u += "&as_of=" + url.QueryEscape(asOf)
	}
	var ans lookupAnswer
	if resp := get(tb, u, &ans); resp.StatusCode != 200 {
		tb.Fatalf("lookup %s: %d", u, resp.StatusCode)
	}
	var names []string
	for _, m := range ans.Members {
		names = append(names, m.Grid+":"+m.Name)
	}
	return names
}

func rosterList(tb testing.TB, base, query string) []rosterRow {
	tb.Helper()
	var out struct{ Members []rosterRow }
	if resp, p := rosterReq(tb, "GET", base+"/roster?"+query, "", nil, nil, &out); resp.StatusCode != 200 {
		tb.Fatalf("GET roster?%s: %d %+v", query, resp.StatusCode, p)
	}
	return out.Members
}

func rowsOf(rows []rosterRow, id int64) []rosterRow {
	var out []rosterRow
	for _, r := range rows {
		if r.ID == id {
			out = append(out, r)
		}
	}
	return out
}

// TestRosterTwoInstances: a person added, moved and retired on instance A
// is answered by the lookups of A at once and of B as soon as B has the
// data version the write made (the change feed; no restart, no polling);
// every change keeps the old row, and as_of reads the roster of its time.
func TestRosterTwoInstances(t *testing.T) {
	ctx := context.Background()
	dbURL := demoDB(t)
	srvA, a := instance(t, dbURL)
	srvB, b := instance(t, dbURL)
	A := srvA.URL + "/api/v1"
	const m1, m2 = "37081200100107", "37081200100201"
	p1, p2 := rosterProbe(t, a, m1), rosterProbe(t, a, m2)
	const who = "测试员甲"
	has := func(names []string, code string) bool { return slices.Contains(names, code+":"+who) }
	// followB waits (on B's index swaps, not by polling) for the data
	// version a write on A made, and reports how long after the write was
	// sent B had it.
	var start time.Time
	followB := func(ver int64) time.Duration {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if !b.Live.WaitVersion(wctx, ver) {
			t.Fatalf("instance B did not reach data version %d", ver)
		}
		return time.Since(start)
	}

	// Add.
	var add rosterAnswer
	start = time.Now()
	resp, p := rosterReq(t, "POST", A+"/roster", "", map[string]any{"grid": m1, "role": "worker", "name": who,
		"contact": "139-0000-1234", "reason": "新招聘"}, nil, &add)
	if resp.StatusCode != 201 || add.Member.ID == 0 || add.Member.Grid != m1 || add.Member.ChangedBy == "" || add.Member.Reason != "新招聘" {
		t.Fatalf("add: %d %+v %+v", resp.StatusCode, add, p)
	}
	id, etag := add.Member.ID, resp.Header.Get("ETag")
	if etag != fmt.Sprintf(`"m%d.%d"`, id, add.Member.Version) {
		t.Fatalf("ETag %q", etag)
	}
	if !has(lookupNames(t, srvA.URL, p1, ""), m1) {
		t.Fatalf("A's lookup in %s right after the add lacks %s: %v", m1, who, lookupNames(t, srvA.URL, p1, ""))
	}
	tookAdd := followB(add.DataVersion)
	if !has(lookupNames(t, srvB.URL, p1, ""), m1) {
		t.Fatalf("B's lookup in %s after the add lacks %s", m1, who)
	}
	time.Sleep(5 * time.Millisecond) // so afterAdd falls strictly between the two changes
	afterAdd := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(5 * time.Millisecond)

	// Move, guarded by If-Match; a stale tag is refused afterwards.
	var mv rosterAnswer
	start = time.Now()
	resp, p = rosterReq(t, "PATCH", fmt.Sprintf("%s/roster/%d", A, id), "", map[string]any{"grid": m2, "reason": "调整片区"},
		map[string]string{"If-Match": etag}, &mv)
	if resp.StatusCode != 200 || mv.Member.ID != id || mv.Member.Grid != m2 || mv.Member.Contact != "139-0000-1234" || mv.Member.Version == add.Member.Version {
		t.Fatalf("move: %d %+v %+v", resp.StatusCode, mv, p)
	}
	resp, p = rosterReq(t, "PATCH", fmt.Sprintf("%s/roster/%d", A, id), "", map[string]any{"contact": "13900001111"},
		map[string]string{"If-Match": etag}, nil)
	wantProblem(t, resp, p, 412)
	tookMove := followB(mv.DataVersion)
	for name, root := range map[string]string{"A": srvA.URL, "B": srvB.URL} {
		if n1, n2 := lookupNames(t, root, p1, ""), lookupNames(t, root, p2, ""); has(n1, m1) || !has(n2, m2) {
			t.Fatalf("%s after the move: %s answers %v, %s answers %v", name, m1, n1, m2, n2)
		}
		// A lookup as of between the add and the move answers the old grid's people.
		if n1 := lookupNames(t, root, p1, afterAdd); !has(n1, m1) {
			t.Fatalf("%s: lookup in %s as of %s lacks %s: %v", name, m1, afterAdd, who, n1)
		}
	}

	// The roster as of then, now, and the history: the old row is kept, closed.
	if rows := rowsOf(rosterList(t, A, "grid="+m1+"&as_of="+url.QueryEscape(afterAdd)), id); len(rows) != 1 || rows[0].Grid != m1 {
		t.Fatalf("roster of %s as of %s: %+v", m1, afterAdd, rows)
	}
	if rows := rowsOf(rosterList(t, A, "grid="+m1), id); len(rows) != 0 {
		t.Fatalf("roster of %s now still has the person: %+v", m1, rows)
	}
	hist := rowsOf(rosterList(t, A, "history=true"), id)
	if len(hist) != 2 || hist[0].ValidTo == nil || hist[1].ValidTo != nil || !hist[0].ValidTo.Equal(hist[1].ValidFrom) ||
		hist[0].Grid != m1 || hist[1].Grid != m2 || hist[0].CloseReason != "调整片区" || hist[1].Reason != "调整片区" {
		t.Fatalf("history after the move: %+v", hist)
	}

	// Retire: out of every lookup, kept in the history; no more changes.
	var ret rosterAnswer
	start = time.Now()
	resp, p = rosterReq(t, "POST", fmt.Sprintf("%s/roster/%d/retire", A, id), "", map[string]any{"reason": "离职"}, nil, &ret)
	if resp.StatusCode != 200 || ret.Member.ValidTo == nil {
		t.Fatalf("retire: %d %+v %+v", resp.StatusCode, ret, p)
	}
	tookRetire := followB(ret.DataVersion)
	for name, root := range map[string]string{"A": srvA.URL, "B": srvB.URL} {
		if n2 := lookupNames(t, root, p2, ""); has(n2, m2) {
			t.Fatalf("%s after the retirement still answers %s: %v", name, who, n2)
		}
	}
	hist = rowsOf(rosterList(t, A, "history=true&grid="+m2), id)
	if len(hist) != 1 || hist[0].ValidTo == nil || hist[0].CloseReason != "离职" {
		t.Fatalf("history of %s after the retirement: %+v", m2, hist)
	}
	var rows int
	if err := a.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM grid_member WHERE member_id = $1`, id).Scan(&rows); err != nil || rows != 2 {
		t.Fatalf("rows of the person: %d, %v (want 2: the add and the move, both closed)", rows, err)
	}
	resp, p = rosterReq(t, "PATCH", fmt.Sprintf("%s/roster/%d", A, id), "", map[string]any{"grid": m1}, nil, nil)
	wantProblem(t, resp, p, 404)
	t.Logf("instance B answered the new roster %v after the add was sent, %v after the move, %v after the retirement", tookAdd, tookMove, tookRetire)
}

// TestRosterRefused: only admin and dispatcher tokens change the roster;
// contacts are shown as lookups show them; hostile input is refused with
// a problem and changes nothing.
func TestRosterRefused(t *testing.T) {
	ctx := context.Background()
	srv, a := instance(t, demoDB(t))
	A := srv.URL + "/api/v1"
	const m = "37081200100107"
	add := map[string]any{"grid": m, "role": "worker", "name": "测试员乙", "contact": "13900002222"}

	for _, role := range []gridmap.Role{gridmap.RoleViewer, gridmap.RoleReporter, gridmap.RolePlanner} {
		tok := mint(t, a, role, "t-"+string(role), "")
		resp, p := rosterReq(t, "POST", A+"/roster", tok, add, nil, nil)
		wantProblem(t, resp, p, 403)
		resp, p = rosterReq(t, "PATCH", A+"/roster/1", tok, map[string]any{"grid": m}, nil, nil)
		wantProblem(t, resp, p, 403)
		resp, p = rosterReq(t, "POST", A+"/roster/1/retire", tok, nil, nil, nil)
		wantProblem(t, resp, p, 403)
	}
	dept, _, err := a.Store.CreateTokenFor(ctx, gridmap.TokenSpec{Name: "派出所", Role: gridmap.RoleDepartment, Department: "police"})
	if err != nil {
		t.Fatal(err)
	}
	resp, p := rosterReq(t, "POST", A+"/roster", dept, add, nil, nil)
	wantProblem(t, resp, p, 403)

	// A dispatcher may; a viewer reads the contact masked, the dispatcher in full.
	disp := mint(t, a, gridmap.RoleDispatcher, "指挥中心", "")
	var made rosterAnswer
	if resp, p := rosterReq(t, "POST", A+"/roster", disp, add, nil, &made); resp.StatusCode != 201 || made.Member.ChangedBy != "指挥中心" {
		t.Fatalf("dispatcher add: %d %+v %+v", resp.StatusCode, made, p)
	}
	viewer := mint(t, a, gridmap.RoleViewer, "大屏", "")
	for tok, want := range map[string]string{viewer: "139****2222", disp: "13900002222"} {
		var out struct {
			Members      []rosterRow
			PersonalData string `json:"personal_data"`
		}
		rosterReq(t, "GET", A+"/roster?grid="+m, tok, nil, nil, &out)
		rows := rowsOf(out.Members, made.Member.ID)
		if len(rows) != 1 || rows[0].Contact != want {
			t.Errorf("contact as seen by a %s token: %+v, want %q", out.PersonalData, rows, want)
		}
		if tok == viewer && (rows[0].ChangedBy != "" || out.PersonalData != "masked") {
			t.Errorf("a viewer sees who changed the row: %+v", rows[0])
		}
	}

	count := func() (n int) {
		if err := a.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM grid_member`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	id := made.Member.ID
	person := fmt.Sprintf("%s/roster/%d", A, id)
	long := strings.Repeat("长", 300)
	for _, c := range []struct {
		method, u string
		body      any
		hdr       map[string]string
		status    int
	}{
		{"POST", A + "/roster", map[string]any{"grid": "NOPE", "role": "worker", "name": "某人"}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": "'; DROP TABLE grid_member; --", "role": "worker", "name": "某人"}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "boss", "name": "某人"}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "worker", "name": ""}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "worker", "name": "1234"}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "worker", "name": "某\x00人"}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "worker", "name": "某人\n第二行"}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "worker", "name": long}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "worker", "name": "某人", "contact": "<script>"}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "worker", "name": "某人", "contact": "1"}, nil, 400},
		{"POST", A + "/roster", map[string]any{"grid": m, "role": "worker", "name": "某人", "salary": 1}, nil, 400},
		{"POST", A + "/roster", "not an object", nil, 400},
		{"POST", A + "/roster", nil, nil, 400},
		{"PATCH", person, map[string]any{}, nil, 400},
		{"PATCH", person, map[string]any{"grid": "NOPE"}, nil, 400},
		{"PATCH", person, map[string]any{"grid": m}, nil, 409}, // already there
		{"PATCH", person, map[string]any{"role": "leader"}, map[string]string{"If-Match": `"m1.1"`}, 412},
		{"PATCH", person, map[string]any{"role": "leader"}, map[string]string{"If-Match": `W/"x"`}, 412},
		{"PATCH", A + "/roster/999999999", map[string]any{"grid": m}, nil, 404},
		{"PATCH", A + "/roster/99999999999999999999", map[string]any{"grid": m}, nil, 404},
		{"POST", person + "/retire", map[string]any{"grid": m}, nil, 400},
		{"POST", person + "/retire", map[string]any{"reason": long}, nil, 400},
		{"GET", A + "/roster?history=maybe", nil, nil, 400},
		{"GET", A + "/roster?as_of=yesterday", nil, nil, 400},
		{"GET", A + "/roster?history=true&as_of=2026-01-01T00:00:00Z", nil, nil, 400},
		{"GET", A + "/roster?gird=" + m, nil, nil, 400},
	} {
		resp, p := rosterReq(t, c.method, c.u, disp, c.body, c.hdr, nil)
		if resp.StatusCode != c.status {
			t.Errorf("%s %s %v: %d, want %d (%s)", c.method, c.u, c.body, resp.StatusCode, c.status, p.Detail)
			continue
		}
		wantProblem(t, resp, p, c.status)
	}
	if n := count(); n != before {
		t.Errorf("refused requests changed the roster: %d rows, were %d", n, before)
	}
	if rows := rowsOf(rosterList(t, A, "history=true"), id); len(rows) != 1 || rows[0].Grid != m || rows[0].ValidTo != nil {
		t.Errorf("the person after refused changes: %+v", rows)
	}
}
