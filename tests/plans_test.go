package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/postgis"
)

// planReq sends method url with body as JSON (nil: none) and the headers,
// and decodes a JSON answer into v (when non-nil).
func planReq(tb testing.TB, method, url string, body any, hdr map[string]string, v any) *http.Response {
	tb.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
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
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			tb.Fatalf("%s %s (%d): decoding: %v", method, url, resp.StatusCode, err)
		}
	}
	return resp
}

type planResp struct {
	ID          int64
	Status      string
	Revision    int64
	Forced      bool
	ForceReason string `json:"force_reason"`
	DataVersion int64  `json:"data_version"`
	Changes     []json.RawMessage
}

type topoReportResp struct {
	Type     string
	Valid    bool
	Fatal    int
	Counts   map[string]int
	Grids    int                `json:"grids_checked"`
	Tol      gridmap.Tolerances `json:"tolerances"`
	Features []struct {
		Geometry   json.RawMessage
		Properties struct {
			Kind    string
			Codes   []string
			AreaM2  float64 `json:"area_m2"`
			Message string
		}
	}
}

type planImpactResp struct {
	Moved     int
	MovedOpen int `json:"moved_open"`
	Flows     []struct {
		From, To        string
		Incidents, Open int
	}
	OpenCases []struct {
		ID       int64
		From, To string
	} `json:"open_cases"`
	Added, Changed, Retired []string
}

type planPublishResp struct {
	Plan        planResp
	DataVersion int64 `json:"data_version"`
	Versions    map[string]int64
	Retired     []string
	Reassigned  int
	AuditID     int64 `json:"audit_id"`
}

type gridHistoryResp struct {
	Features []struct {
		Properties struct {
			Code, Name    string
			Version       int64
			ValidFrom     time.Time  `json:"valid_from"`
			ValidTo       *time.Time `json:"valid_to"`
			PlanID        int64      `json:"plan_id"`
			PublishedBy   string     `json:"published_by"`
			RetiredByPlan int64      `json:"retired_by_plan"`
		}
	}
}

// planSplitParts cuts micro-grid code by the north-south line through its
// centroid: the west and east parts as GeoJSON, and two points inside each.
func planSplitParts(tb testing.TB, st *postgis.Store, code string) (parts [2]json.RawMessage, pts [2][2]orb.Point) {
	tb.Helper()
	rows, err := st.Pool().Query(context.Background(), `
SELECT ST_AsGeoJSON(ST_Multi(part), 15), ST_X(a), ST_Y(a), ST_X(b), ST_Y(b) FROM (
  SELECT (d).geom AS part, ST_PointOnSurface((d).geom) AS a, (ST_MaximumInscribedCircle((d).geom)).center AS b
  FROM (SELECT ST_Dump(ST_Split(boundary, ST_SetSRID(ST_MakeLine(
          ST_MakePoint(ST_X(ST_Centroid(boundary)), 30), ST_MakePoint(ST_X(ST_Centroid(boundary)), 40)), 4326))) d
        FROM grid_version WHERE code = $1 AND valid_to IS NULL) s) q
ORDER BY ST_X(ST_Centroid(part))`, code)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		if i == 2 {
			tb.Fatalf("%s splits into more than two parts", code)
		}
		var gj string
		if err := rows.Scan(&gj, &pts[i][0][0], &pts[i][0][1], &pts[i][1][0], &pts[i][1][1]); err != nil {
			tb.Fatal(err)
		}
		parts[i] = json.RawMessage(gj)
		i++
	}
	if i != 2 {
		tb.Fatalf("%s splits into %d parts", code, i)
	}
	return parts, pts
}

// planWaitFor polls cond every 20 ms until it holds or d passes.
func planWaitFor(tb testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %v: %s; last seen %s", d, what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// planLookup looks p up on the server at root (as of asOf unless "").
func planLookup(tb testing.TB, root string, p orb.Point, asOf string) (string, string) {
	tb.Helper()
	u := lookupURL(root, p, "")
	if asOf != "" {
		u += "&as_of=" + url.QueryEscape(asOf)
	}
	var ans lookupAnswer
	get(tb, u, &ans)
	return ans.Grid.Code, ans.Grid.Name
}

func planMicroCounts(tb testing.TB, base string) map[string]int {
	tb.Helper()
	var out struct {
		Counts []struct {
			Code  string
			Count int
		}
	}
	get(tb, base+"/stats/grids?level=micro", &out)
	m := map[string]int{}
	for _, c := range out.Counts {
		m[c.Code] = c.Count
	}
	return m
}

// TestPlanSplitMergeTwoInstances: a clean split and a clean merge
// published through one instance change the lookups and per-grid counts
// of both; history keeps every version; as_of answers as before.
func TestPlanSplitMergeTwoInstances(t *testing.T) {
	ctx := context.Background()
	dbURL := demoDB(t)
	srvA, a := instance(t, dbURL)
	srvB, _ := instance(t, dbURL)
	A, B := srvA.URL+"/api/v1", srvB.URL+"/api/v1"
	root := map[string]string{A: srvA.URL, B: srvB.URL}
	const m = "37081200100107"
	mw, me := m+"1", m+"2"
	parts, pts := planSplitParts(t, a.Store, m)

	// Four open incidents in m, two in each future part.
	var items []any
	for i, p := range []orb.Point{pts[0][0], pts[0][1], pts[1][0], pts[1][1]} {
		items = append(items, map[string]any{"external_id": fmt.Sprintf("PLAN-%d", i), "category": "dispute",
			"source": "hotline", "lon": p[0], "lat": p[1], "reported_at": "2026-11-20T09:30:00+08:00"})
	}
	if resp := planReq(t, "POST", A+"/incidents", map[string]any{"incidents": items}, nil, nil); resp.StatusCode != 201 {
		t.Fatalf("posting incidents: %d", resp.StatusCode)
	}
	for _, base := range []string{A, B} {
		planWaitFor(t, 15*time.Second, "both instances count the 4 incidents in "+m, func() (bool, string) {
			c := planMicroCounts(t, base)
			return c[m] == 4, fmt.Sprint(c[m])
		})
	}
	for _, p := range pts {
		for _, base := range []string{A, B} {
			if code, _ := planLookup(t, root[base], p[0], ""); code != m {
				t.Fatalf("before: lookup %v = %s, want %s", p[0], code, m)
			}
		}
	}
	beforeSplit := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(20 * time.Millisecond)

	// Draft, validate, assess and publish the split.
	var pl planResp
	if resp := planReq(t, "POST", A+"/plans", map[string]any{"title": "拆分第7网格", "actor": "planner-a"}, nil, &pl); resp.StatusCode != 201 {
		t.Fatalf("create plan: %d", resp.StatusCode)
	}
	split := map[string]any{"kind": "split", "code": m, "into": []any{
		map[string]any{"code": mw, "name": "第7网格西", "boundary": parts[0]},
		map[string]any{"code": me, "name": "第7网格东", "boundary": parts[1]},
	}}
	resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/changes", A, pl.ID), split, nil, &pl)
	if resp.StatusCode != 200 || len(pl.Changes) != 1 {
		t.Fatalf("add split: %d %+v", resp.StatusCode, pl)
	}
	etag := resp.Header.Get("ETag")
	var rep topoReportResp
	planReq(t, "GET", fmt.Sprintf("%s/plans/%d/validate", B, pl.ID), nil, nil, &rep)
	if rep.Type != "FeatureCollection" || !rep.Valid || rep.Grids != 2 {
		t.Fatalf("validate split: %+v", rep)
	}
	var im planImpactResp
	planReq(t, "GET", fmt.Sprintf("%s/plans/%d/impact", B, pl.ID), nil, nil, &im)
	if im.Moved != 4 || im.MovedOpen != 4 || len(im.OpenCases) != 4 || len(im.Flows) != 2 ||
		len(im.Retired) != 1 || im.Retired[0] != m || len(im.Added) != 2 {
		t.Fatalf("impact: %+v", im)
	}
	for _, f := range im.Flows {
		if f.From != m || (f.To != mw && f.To != me) || f.Incidents != 2 {
			t.Errorf("flow %+v", f)
		}
	}
	var pub planPublishResp
	resp = planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", A, pl.ID), map[string]any{"actor": "planner-a"},
		map[string]string{"If-Match": etag}, &pub)
	if resp.StatusCode != 200 || pub.Plan.Status != "published" || pub.Reassigned != 4 || len(pub.Versions) != 2 {
		t.Fatalf("publish split: %d %+v", resp.StatusCode, pub)
	}
	published := time.Now()

	// Both instances answer the new grids; the counts follow.
	for _, base := range []string{A, B} {
		for i, want := range []string{mw, me} {
			for _, p := range pts[i] {
				planWaitFor(t, 2*time.Second, fmt.Sprintf("lookup %v answers %s", p, want), func() (bool, string) {
					code, _ := planLookup(t, root[base], p, "")
					return code == want, code
				})
			}
		}
		planWaitFor(t, 10*time.Second, "counts follow the split", func() (bool, string) {
			c := planMicroCounts(t, base)
			_, old := c[m]
			return c[mw] == 2 && c[me] == 2 && !old, fmt.Sprintf("%s=%d %s=%d %s listed: %v", mw, c[mw], me, c[me], m, old)
		})
	}
	t.Logf("both instances answered the split %v after publishing", time.Since(published))
	// Each incident moved once, logged, under the new boundary version.
	var logged, audits int
	var actor string
	if err := a.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM incident_reassignment WHERE plan_id = $1 AND old_grid = $2 AND boundary_version = $3`,
		pl.ID, m, pub.DataVersion).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.Pool().QueryRow(ctx, `SELECT count(*), min(actor) FROM grid_audit WHERE plan_id = $1`, pl.ID).Scan(&audits, &actor); err != nil {
		t.Fatal(err)
	}
	// The actor is the token's holder, or the body's "actor" without a token.
	if logged != 4 || audits != 1 || actor == "" {
		t.Errorf("%d reassignment rows, %d audit rows by %q; want 4, 1 by someone", logged, audits, actor)
	}

	// The old map stays answerable.
	if code, _ := planLookup(t, srvB.URL, pts[0][0], beforeSplit); code != m {
		t.Errorf("lookup as_of before the split: %s, want %s", code, m)
	}
	var feat struct{ Properties struct{ Code string } }
	if resp := get(t, A+"/grids/"+m+"?as_of="+url.QueryEscape(beforeSplit), &feat); resp.StatusCode != 200 || feat.Properties.Code != m {
		t.Errorf("grid %s as_of before the split: %d", m, resp.StatusCode)
	}
	var pr problem
	if resp := get(t, A+"/grids/"+m, &pr); resp.StatusCode != 404 {
		t.Errorf("retired grid %s now: %d, want 404", m, resp.StatusCode)
	}
	beforeMerge := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(20 * time.Millisecond)

	// Merge the parts back under the old code, through instance B.
	var pl2 planResp
	planReq(t, "POST", B+"/plans", map[string]any{"title": "合并", "actor": "planner-b"}, nil, &pl2)
	merge := map[string]any{"changes": []any{map[string]any{"kind": "merge", "codes": []string{mw, me}, "grid": map[string]any{"code": m, "name": "合并后的网格"}}}}
	if resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/changes", B, pl2.ID), merge, nil, &pl2); resp.StatusCode != 200 {
		t.Fatalf("add merge: %d", resp.StatusCode)
	}
	rep = topoReportResp{}
	planReq(t, "POST", fmt.Sprintf("%s/plans/%d/validate", A, pl2.ID), nil, nil, &rep)
	if !rep.Valid {
		t.Fatalf("validate merge: %+v", rep)
	}
	pub = planPublishResp{}
	if resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", B, pl2.ID), map[string]any{"actor": "planner-b"}, nil, &pub); resp.StatusCode != 200 || pub.Reassigned != 4 {
		t.Fatalf("publish merge: %d %+v", resp.StatusCode, pub)
	}
	for _, base := range []string{A, B} {
		for _, p := range pts {
			planWaitFor(t, 2*time.Second, "lookups answer the merged grid", func() (bool, string) {
				code, name := planLookup(t, root[base], p[1], "")
				return code == m && name == "合并后的网格", code + " " + name
			})
		}
		planWaitFor(t, 10*time.Second, "counts follow the merge", func() (bool, string) {
			c := planMicroCounts(t, base)
			_, w := c[mw]
			return c[m] == 4 && !w, fmt.Sprint(c[m])
		})
	}
	if code, _ := planLookup(t, srvA.URL, pts[1][0], beforeMerge); code != me {
		t.Errorf("lookup as_of between split and merge: %s, want %s", code, me)
	}

	// History: both versions of m, each with the plan that ended or made it.
	var h gridHistoryResp
	get(t, A+"/grids/"+m+"/history", &h)
	if len(h.Features) != 2 {
		t.Fatalf("history of %s: %d versions, want 2", m, len(h.Features))
	}
	v1, v2 := h.Features[0].Properties, h.Features[1].Properties
	if v1.ValidTo == nil || v1.RetiredByPlan != pl.ID || v1.PlanID != 0 ||
		v2.ValidTo != nil || v2.PlanID != pl2.ID || v2.PublishedBy == "" || v2.Name != "合并后的网格" || !v2.ValidFrom.After(*v1.ValidTo) {
		t.Errorf("history of %s: %+v then %+v", m, v1, v2)
	}
	h = gridHistoryResp{}
	get(t, A+"/grids/"+mw+"/history", &h)
	if len(h.Features) != 1 || h.Features[0].Properties.PlanID != pl.ID || h.Features[0].Properties.RetiredByPlan != pl2.ID {
		t.Errorf("history of %s: %+v", mw, h.Features)
	}
	pr = problem{}
	resp = get(t, A+"/grids/nope/history", &pr)
	wantProblem(t, resp, pr, 404)

	var list struct{ Plans []planResp }
	get(t, A+"/plans?status=published", &list)
	if len(list.Plans) != 2 || list.Plans[0].ID != pl2.ID {
		t.Errorf("published plans: %+v", list.Plans)
	}
}

// TestPlanStaleAndDirectEdit: a grid edited directly (If-Match) after a
// plan was drafted makes the plan stale: publishing it is refused naming
// the grid. A direct edit with an old ETag fails its precondition.
func TestPlanStaleAndDirectEdit(t *testing.T) {
	srv, _ := instance(t, demoDB(t))
	base := srv.URL + "/api/v1"
	const m = "37081200100107"
	var pl planResp
	planReq(t, "POST", base+"/plans", map[string]any{"title": "rename", "actor": "alice"}, nil, &pl)
	if resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/changes", base, pl.ID), map[string]any{"kind": "replace", "code": m, "name": "alice"}, nil, nil); resp.StatusCode != 200 {
		t.Fatalf("add: %d", resp.StatusCode)
	}
	resp := get(t, base+"/grids/"+m, nil)
	etag := resp.Header.Get("ETag")

	var pr problem
	resp = planReq(t, "PATCH", base+"/grids/"+m, map[string]any{"name": "bob", "actor": "bob"}, nil, &pr)
	wantProblem(t, resp, pr, 400) // If-Match is required
	var feat struct{ Properties struct{ Name string } }
	resp = planReq(t, "PATCH", base+"/grids/"+m, map[string]any{"name": "bob", "actor": "bob"}, map[string]string{"If-Match": etag}, &feat)
	if resp.StatusCode != 200 || feat.Properties.Name != "bob" || resp.Header.Get("ETag") == etag || resp.Header.Get("ETag") == "" {
		t.Fatalf("PATCH: %d %+v ETag %s", resp.StatusCode, feat, resp.Header.Get("ETag"))
	}
	pr = problem{}
	resp = planReq(t, "PATCH", base+"/grids/"+m, map[string]any{"name": "carol", "actor": "carol"}, map[string]string{"If-Match": etag}, &pr)
	wantProblem(t, resp, pr, 412)

	pr = problem{}
	resp = planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, pl.ID), map[string]any{"actor": "alice"}, nil, &pr)
	wantProblem(t, resp, pr, 409)
	cs, _ := pr.Extra["conflicts"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["code"] != m || !strings.Contains(pr.Detail, m) {
		t.Errorf("stale plan: %q, conflicts %v; want %s named", pr.Detail, pr.Extra, m)
	}
	// A stale If-Match on the plan itself.
	pr = problem{}
	resp = planReq(t, "POST", fmt.Sprintf("%s/plans/%d/discard", base, pl.ID), map[string]any{"actor": "alice"},
		map[string]string{"If-Match": fmt.Sprintf(`"p%d.9"`, pl.ID)}, &pr)
	wantProblem(t, resp, pr, 412)
	var disc planResp
	if resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/discard", base, pl.ID), map[string]any{"actor": "alice"}, nil, &disc); resp.StatusCode != 200 || disc.Status != "discarded" {
		t.Errorf("discard: %d %+v", resp.StatusCode, disc)
	}
	var g struct{ Properties struct{ Name string } }
	get(t, base+"/grids/"+m, &g)
	if g.Properties.Name != "bob" {
		t.Errorf("name %q, want bob's", g.Properties.Name)
	}
}

// TestPlanRefusedUnlessForced: a plan with an overlap is refused with the
// problem drawn; an admin may force it with a reason, which is audited.
func TestPlanRefusedUnlessForced(t *testing.T) {
	srv, a := instance(t, demoDB(t))
	base := srv.URL + "/api/v1"
	const m, n = "37081200100107", "37081200100108"
	var grown string
	if err := a.Store.Pool().QueryRow(context.Background(), `
SELECT ST_AsGeoJSON(ST_Multi(ST_Union(a.boundary, ST_Intersection(b.boundary, ST_Buffer(ST_ClosestPoint(b.boundary, ST_Centroid(a.boundary))::geography, 30)::geometry))), 15)
FROM grid_version a, grid_version b WHERE a.code = $1 AND b.code = $2 AND a.valid_to IS NULL AND b.valid_to IS NULL`, m, n).Scan(&grown); err != nil {
		t.Fatal(err)
	}
	var pl planResp
	planReq(t, "POST", base+"/plans", map[string]any{"title": "grab", "actor": "alice"}, nil, &pl)
	planReq(t, "POST", fmt.Sprintf("%s/plans/%d/changes", base, pl.ID), map[string]any{"kind": "replace", "code": m, "boundary": json.RawMessage(grown)}, nil, nil)
	var rep topoReportResp
	planReq(t, "GET", fmt.Sprintf("%s/plans/%d/validate?width_m=0.5&sliver_m2=10", base, pl.ID), nil, nil, &rep)
	if rep.Valid || rep.Counts["overlap"] != 1 || len(rep.Features) != 1 || rep.Features[0].Properties.AreaM2 <= 0 || len(rep.Features[0].Geometry) < 10 {
		t.Fatalf("validate: %+v", rep)
	}
	var pr problem
	resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, pl.ID), map[string]any{"actor": "alice"}, nil, &pr)
	wantProblem(t, resp, pr, 409)
	if feats, _ := pr.Extra["features"].([]any); len(feats) != 1 || !strings.Contains(pr.Detail, "overlap") {
		t.Errorf("refusal %q, extra %v: want the overlap", pr.Detail, pr.Extra)
	}
	pr = problem{}
	resp = planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, pl.ID), map[string]any{"actor": "admin", "force": true}, nil, &pr)
	wantProblem(t, resp, pr, 400)
	// Only an admin token may force; a planner's is refused.
	tok, _, err := a.Store.CreateToken(context.Background(), "规划员", gridmap.RolePlanner, "")
	if err != nil {
		t.Fatal(err)
	}
	pr = problem{}
	resp = planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, pl.ID), map[string]any{"force": true, "force_reason": "x"},
		map[string]string{"Authorization": "Bearer " + tok}, &pr)
	wantProblem(t, resp, pr, 403)
	var pub planPublishResp
	resp = planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, pl.ID),
		map[string]any{"actor": "admin", "force": true, "force_reason": "街道会议纪要 2026-11 第3号"}, nil, &pub)
	if resp.StatusCode != 200 || !pub.Plan.Forced || pub.Plan.ForceReason == "" {
		t.Fatalf("forced publish: %d %+v", resp.StatusCode, pub)
	}
	var forced bool
	var reason string
	if err := a.Store.Pool().QueryRow(context.Background(), `SELECT forced, reason FROM grid_audit WHERE id = $1`, pub.AuditID).Scan(&forced, &reason); err != nil || !forced || reason == "" {
		t.Errorf("audit: forced %v reason %q %v", forced, reason, err)
	}
	// The current map now reports it.
	rep = topoReportResp{}
	get(t, base+"/topology?level=micro", &rep)
	if rep.Counts["overlap"] != 1 {
		t.Errorf("topology after the forced plan: %+v", rep.Counts)
	}
}

// planSnapshot is everything a publication writes, to compare before and after.
func planSnapshot(tb testing.TB, st *postgis.Store) string {
	tb.Helper()
	var s string
	if err := st.Pool().QueryRow(context.Background(), `
SELECT concat_ws(' | ',
  (SELECT count(*) FROM grid), (SELECT count(*) FROM grid_version), (SELECT count(*) FROM grid_version WHERE valid_to IS NULL),
  (SELECT data_version FROM gridmap_state), (SELECT count(*) FROM grid_version_plan), (SELECT count(*) FROM grid_audit),
  (SELECT count(*) FROM incident_reassignment), (SELECT string_agg(status || revision, ',' ORDER BY id) FROM plan),
  (SELECT md5(string_agg(id || ':' || coalesce(grid_code, '-') || ':' || boundary_version, ',' ORDER BY id)) FROM incident))`).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestPlanFailedPublishLeavesNothing: a publication that fails at its last
// write (the audit entry, made to fail here) leaves no grid version,
// reassignment or plan change behind; once the fault is gone it publishes.
func TestPlanFailedPublishLeavesNothing(t *testing.T) {
	ctx := context.Background()
	srv, a := instance(t, demoDB(t))
	base := srv.URL + "/api/v1"
	const m = "37081200100107"
	parts, pts := planSplitParts(t, a.Store, m)
	if resp := planReq(t, "POST", base+"/incidents", map[string]any{"external_id": "FAIL-1", "category": "hazard", "source": "visit",
		"lon": pts[0][0][0], "lat": pts[0][0][1], "reported_at": "2026-11-20T09:30:00+08:00"}, nil, nil); resp.StatusCode != 201 {
		t.Fatalf("incident: %d", resp.StatusCode)
	}
	var pl planResp
	planReq(t, "POST", base+"/plans", map[string]any{"title": "split", "actor": "alice"}, nil, &pl)
	planReq(t, "POST", fmt.Sprintf("%s/plans/%d/changes", base, pl.ID), map[string]any{"kind": "split", "code": m, "into": []any{
		map[string]any{"code": m + "1", "boundary": parts[0]}, map[string]any{"code": m + "2", "boundary": parts[1]}}}, nil, nil)
	var im planImpactResp
	planReq(t, "GET", fmt.Sprintf("%s/plans/%d/impact", base, pl.ID), nil, nil, &im)
	if im.Moved != 1 {
		t.Fatalf("impact: %+v", im)
	}

	if _, err := a.Store.Pool().Exec(ctx, `
CREATE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'injected failure'; END $$;
CREATE TRIGGER test_fail_audit BEFORE INSERT ON grid_audit FOR EACH ROW EXECUTE FUNCTION test_fail_audit()`); err != nil {
		t.Fatal(err)
	}
	before := planSnapshot(t, a.Store)
	var pr problem
	resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, pl.ID), map[string]any{"actor": "alice"}, nil, &pr)
	wantProblem(t, resp, pr, 500)
	if strings.Contains(pr.Detail, "injected") {
		t.Errorf("driver text leaked: %q", pr.Detail)
	}
	if after := planSnapshot(t, a.Store); after != before {
		t.Fatalf("a failed publication changed the database:\nbefore %s\nafter  %s", before, after)
	}
	time.Sleep(100 * time.Millisecond)
	if code, _ := planLookup(t, srv.URL, pts[0][0], ""); code != m {
		t.Errorf("lookup after the failed publication: %s, want %s", code, m)
	}
	if _, err := a.Store.Pool().Exec(ctx, `DROP TRIGGER test_fail_audit ON grid_audit`); err != nil {
		t.Fatal(err)
	}
	var pub planPublishResp
	if resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, pl.ID), map[string]any{"actor": "alice"}, nil, &pub); resp.StatusCode != 200 || pub.Reassigned != 1 {
		t.Fatalf("publish once the fault is gone: %d %+v", resp.StatusCode, pub)
	}
}

// TestPlanAPIErrors: malformed requests are refused with what to change.
func TestPlanAPIErrors(t *testing.T) {
	srv, _ := instance(t, demoDB(t))
	base := srv.URL + "/api/v1"
	var pl planResp
	planReq(t, "POST", base+"/plans", map[string]any{"title": "x"}, nil, &pl)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		detail             string
	}{
		{"unknown plan", "GET", "/plans/999", nil, 404, "plan 999"},
		{"bad status", "GET", "/plans?status=done", nil, 400, "status"},
		{"unknown field", "POST", fmt.Sprintf("/plans/%d/changes", pl.ID), map[string]any{"kind": "retire", "code": "37081200100107", "colour": "red"}, 400, "colour"},
		{"line boundary", "POST", fmt.Sprintf("/plans/%d/changes", pl.ID), map[string]any{"kind": "replace", "code": "37081200100107",
			"boundary": map[string]any{"type": "LineString", "coordinates": [][]float64{{116, 35}, {117, 36}}}}, 400, "Polygon"},
		{"unclosed ring", "POST", fmt.Sprintf("/plans/%d/changes", pl.ID), map[string]any{"kind": "replace", "code": "37081200100107",
			"boundary": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{116, 35}, {117, 35}, {117, 36}, {116, 36}}}}}, 400, "closed"},
		{"batch item", "POST", fmt.Sprintf("/plans/%d/changes", pl.ID), map[string]any{"changes": []any{map[string]any{"kind": "retire", "code": "37081200100107"}, map[string]any{"kind": "melt"}}}, 400, "changes[1]"},
		{"bad tolerance", "GET", fmt.Sprintf("/plans/%d/validate?width_m=-1", pl.ID), nil, 400, "width_m"},
		{"bad level", "GET", "/topology?level=nope", nil, 400, "level"},
		{"empty plan", "POST", fmt.Sprintf("/plans/%d/publish", pl.ID), map[string]any{"actor": "a"}, 400, "no changes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pr problem
			resp := planReq(t, tc.method, base+tc.path, tc.body, nil, &pr)
			wantProblem(t, resp, pr, tc.status)
			if !strings.Contains(pr.Detail, tc.detail) {
				t.Errorf("%q does not mention %q", pr.Detail, tc.detail)
			}
		})
	}
	var rep topoReportResp
	if resp := get(t, base+"/topology", &rep); resp.StatusCode != 200 || !rep.Valid || rep.Grids != postgis.DefaultDemo.Grids() {
		t.Errorf("topology of the demo: %d %+v", resp.StatusCode, rep)
	}
}

// TestPlanConfiguredTolerances: the service's tolerances (Config.Topology,
// GRIDMAP_TOPOLOGY_*) apply to validation without parameters and to
// publication; a request's own parameters still override them.
func TestPlanConfiguredTolerances(t *testing.T) {
	// Every micro-grid (about 0.27 km²) is a sliver under a 10 km² minimum.
	srv, _ := instanceWith(t, demoDB(t), httpapi.Config{Topology: gridmap.Tolerances{SliverM2: 1e7}})
	base := srv.URL + "/api/v1"
	const m = "37081200100107"
	var pl planResp
	planReq(t, "POST", base+"/plans", map[string]any{"title": "rename", "actor": "alice"}, nil, &pl)
	planReq(t, "POST", fmt.Sprintf("%s/plans/%d/changes", base, pl.ID), map[string]any{"kind": "replace", "code": m, "name": "新名"}, nil, nil)
	var rep topoReportResp
	planReq(t, "GET", fmt.Sprintf("%s/plans/%d/validate", base, pl.ID), nil, nil, &rep)
	if rep.Tol.SliverM2 != 1e7 || rep.Tol.WidthM != gridmap.DefaultTolerances.WidthM || rep.Counts["sliver"] == 0 || rep.Valid {
		t.Fatalf("validate with configured tolerances: %+v", rep)
	}
	rep = topoReportResp{}
	planReq(t, "GET", fmt.Sprintf("%s/plans/%d/validate?sliver_m2=100", base, pl.ID), nil, nil, &rep)
	if rep.Tol.SliverM2 != 100 || !rep.Valid {
		t.Fatalf("validate with sliver_m2=100: %+v", rep)
	}
	var pr problem
	resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, pl.ID), map[string]any{"actor": "alice"}, nil, &pr)
	wantProblem(t, resp, pr, 409)
	if !strings.Contains(pr.Detail, "sliver") {
		t.Errorf("publish refused with %q; want the slivers named", pr.Detail)
	}
}

// TestIncidentPostedDuringGridChange: an incident posted while a grid
// change is being committed waits for it, then is assigned under the new
// map (its boundary_version is the new data version), never stored under
// the map the change replaced.
func TestIncidentPostedDuringGridChange(t *testing.T) {
	ctx := context.Background()
	srv, a := instance(t, demoDB(t))
	ix, before := a.Live.Index()
	pt := inside(t, ix, "37081200100101")
	tx, err := a.Store.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT gridmap_lock_data_version()`); err != nil { // as a publication does
		t.Fatal(err)
	}
	var after int64
	if _, err := tx.Exec(ctx, `UPDATE grid_member SET name = name WHERE id = (SELECT min(id) FROM grid_member)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT data_version FROM gridmap_state`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   struct {
			BoundaryVersion int64 `json:"boundary_version"`
			Grid            struct{ Code string }
		}
	}
	done := make(chan answer, 1)
	go func() {
		var ans answer
		resp := planReq(t, "POST", srv.URL+"/api/v1/incidents", map[string]any{"external_id": "RACE-1", "category": "hazard", "source": "visit",
			"lon": pt[0], "lat": pt[1], "reported_at": "2026-11-20T09:30:00+08:00"}, nil, &ans.body)
		ans.status = resp.StatusCode
		done <- ans
	}()
	select {
	case ans := <-done:
		t.Fatalf("the post did not wait for the grid change under way: %d %+v", ans.status, ans.body)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ans := <-done
	if ans.status != 201 || ans.body.BoundaryVersion != after || ans.body.Grid.Code != "37081200100101" {
		t.Fatalf("post during a grid change: %d %+v; want 201 assigned under version %d (not %d)", ans.status, ans.body, after, before)
	}
}
