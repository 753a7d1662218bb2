package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/heat"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// demoStreet returns a store holding the demo street and its index.
func demoStreet(tb testing.TB) (*postgis.Store, *geo.Index, int64) {
	tb.Helper()
	st := testdb.Store(tb)
	ix, version := demoOn(tb, st)
	return st, ix, version
}

// demoOn loads the demo street into st and returns its index and data
// version.
func demoOn(tb testing.TB, st *postgis.Store) (*geo.Index, int64) {
	tb.Helper()
	ctx := context.Background()
	outline, err := demodata.Yanzhou()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Demo(ctx, outline, postgis.DefaultDemo); err != nil {
		tb.Fatal(err)
	}
	grids, version, err := st.CurrentGrids(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		tb.Fatal(err)
	}
	return ix, version
}

// postRecords imports records the way the HTTP API does.
func postRecords(tb testing.TB, st *postgis.Store, ix *geo.Index, version int64, recs []map[string]any, partial bool) (gridmap.ImportIncidentsResult, error) {
	tb.Helper()
	ctx := context.Background()
	cats, err := st.Categories(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	rs := make([]intake.Record, len(recs))
	for i, r := range recs {
		rs[i] = intake.Record{Index: i, Fields: r}
	}
	c := intake.NewChecker(cats, time.Now())
	return st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{Partial: partial, Items: true},
		intake.Rows(intake.Records(rs), c, ix, version))
}

// centre is a point inside micro-grid 37081200100101 of the demo street.
func centre(tb testing.TB, ix *geo.Index) orb.Point {
	tb.Helper()
	g, ok := ix.Grid("37081200100101")
	if !ok {
		tb.Fatal("no micro-grid 37081200100101")
	}
	b := g.Boundary.Bound()
	for dx := 0.0; dx < 1; dx += 0.01 {
		p := orb.Point{b.Min[0] + (0.5+dx/2)*(b.Max[0]-b.Min[0]), b.Center()[1]}
		if h, ok := ix.Lookup(p[0], p[1]); ok && h.Grid().Code == g.Code {
			return p
		}
	}
	tb.Fatal("no point found inside 37081200100101")
	return orb.Point{}
}

func rec(id string, p orb.Point) map[string]any {
	return map[string]any{
		"external_id": id, "category": "dispute", "source": "hotline",
		"lon": p[0], "lat": p[1], "reported_at": "2026-11-25T09:30:00+08:00",
		"description": "邻里噪音纠纷", "reporter": map[string]any{"name": "王演示", "phone": "199-0537-0001"},
	}
}

func countIncidents(tb testing.TB, st *postgis.Store) int {
	tb.Helper()
	n, err := st.CountIncidents(context.Background(), true)
	if err != nil {
		tb.Fatal(err)
	}
	return int(n)
}

func TestIncidentImportIdempotent(t *testing.T) {
	st, ix, version := demoStreet(t)
	p := centre(t, ix)
	recs := []map[string]any{rec("12345-2026-000001", p), rec("12345-2026-000002", p), rec("12345-2026-000003", p)}
	res, err := postRecords(t, st, ix, version, recs, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 3 || res.Existing != 0 || len(res.Items) != 3 {
		t.Fatalf("first post: %+v", res)
	}
	first := res.Items
	for i, it := range first {
		if !it.Created || it.Index != i || it.Incident.GridCode != "37081200100101" || it.Incident.BoundaryVersion != version {
			t.Errorf("item %d: %+v", i, it)
		}
	}
	// The same ids again, with other content: nothing changes, the stored
	// incidents come back.
	for _, r := range recs {
		r["category"] = "hazard"
		r["description"] = "changed"
	}
	res, err = postRecords(t, st, ix, version, recs, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Existing != 3 {
		t.Fatalf("re-post: %+v", res)
	}
	for i, it := range res.Items {
		if it.Created || it.Incident.ID != first[i].Incident.ID || it.Incident.Category != gridmap.CategoryDispute {
			t.Errorf("re-post item %d: %+v, want the stored %+v", i, it, first[i])
		}
	}
	if n := countIncidents(t, st); n != 3 {
		t.Errorf("%d incidents stored, want 3", n)
	}
	got, err := st.Incident(context.Background(), first[0].Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "邻里噪音纠纷" || got.Reporter == nil || got.Reporter.Phone != "199-0537-0001" {
		t.Errorf("stored personal data: %q %+v", got.Description, got.Reporter)
	}
	if !got.ReportedAt.Equal(time.Date(2026, 11, 25, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("reported_at %v", got.ReportedAt)
	}
	// Listing carries no personal data.
	err = st.ListIncidents(context.Background(), gridmap.IncidentFilter{}, func(in gridmap.Incident) error {
		if in.Description != "" || in.Reporter != nil {
			t.Errorf("listing leaks personal data: %+v", in)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIncidentBatchAllOrNothingAndPartial(t *testing.T) {
	st, ix, version := demoStreet(t)
	p := centre(t, ix)
	badLat := rec("B-2", p)
	badLat["lat"] = 95.0
	badCat := rec("B-3", p)
	badCat["category"] = "weather"
	noID := rec("", p)
	delete(noID, "external_id")
	dup := rec("B-1", p)
	recs := []map[string]any{rec("B-1", p), badLat, badCat, noID, dup, rec("B-6", p)}

	_, err := postRecords(t, st, ix, version, recs, false)
	var e *gridmap.Error
	if !errors.As(err, &e) || e.Code != gridmap.EINVALID {
		t.Fatalf("want EINVALID, got %v", err)
	}
	items, _ := e.Details.([]gridmap.ItemError)
	want := []struct {
		index int
		field string
	}{{1, "lat"}, {2, "category"}, {3, "external_id"}, {4, "external_id"}}
	if len(items) != len(want) {
		t.Fatalf("errors %+v, want %v", items, want)
	}
	for i, w := range want {
		if items[i].Index != w.index || items[i].Field != w.field || items[i].Message == "" {
			t.Errorf("error %d: %+v, want index %d field %s", i, items[i], w.index, w.field)
		}
	}
	if n := countIncidents(t, st); n != 0 {
		t.Fatalf("all-or-nothing stored %d incidents", n)
	}

	res, err := postRecords(t, st, ix, version, recs, true)
	if err != nil {
		t.Fatal(err)
	}
	// B-1 appears twice: the second is the error, the first is stored.
	if res.Created != 2 || res.Existing != 0 || len(res.Errors) != 4 || res.Read != 6 {
		t.Errorf("partial: %+v", res)
	}
	if n := countIncidents(t, st); n != 2 {
		t.Errorf("partial stored %d incidents, want 2", n)
	}
}

func TestIncidentUnassignedAndCRS(t *testing.T) {
	st, ix, version := demoStreet(t)
	p := centre(t, ix)
	outside := rec("U-1", orb.Point{100, 30})
	gcj := geo.WGS84ToGCJ02(p)
	inGCJ := rec("G-1", gcj)
	inGCJ["crs"] = "gcj02"
	bd := geo.WGS84ToBD09(p)
	inBD := rec("D-1", bd)
	inBD["crs"] = "bd09"
	res, err := postRecords(t, st, ix, version, []map[string]any{outside, inGCJ, inBD}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 3 || res.Unassigned != 1 {
		t.Fatalf("%+v", res)
	}
	if g := res.Items[0].Incident.GridCode; g != "" {
		t.Errorf("outside point assigned to %q", g)
	}
	for _, it := range res.Items[1:] {
		loc := it.Incident.Location
		if math.Abs(loc[0]-p[0]) > 1e-6 || math.Abs(loc[1]-p[1]) > 1e-6 {
			t.Errorf("%s: stored %v, want about %v (WGS84)", it.Incident.ExternalID, loc, p)
		}
		if it.Incident.GridCode != "37081200100101" {
			t.Errorf("%s assigned to %q", it.Incident.ExternalID, it.Incident.GridCode)
		}
	}
	var n int
	err = st.ListIncidents(context.Background(), gridmap.IncidentFilter{Unassigned: true}, func(in gridmap.Incident) error {
		n++
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("unassigned listing: %d, %v", n, err)
	}
}

func TestIncidentStatusTransitions(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	res, err := postRecords(t, st, ix, version, []map[string]any{rec("S-1", centre(t, ix))}, false)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Items[0].Incident.ID
	status := func(s gridmap.Status) *gridmap.Status { return &s }
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		to   gridmap.Status
		code string
	}{
		{"accept", gridmap.StatusAccepted, ""},
		{"back to reported", gridmap.StatusReported, gridmap.ECONFLICT},
		{"accept again is harmless", gridmap.StatusAccepted, ""},
		{"skip to resolved", gridmap.StatusResolved, ""},
		{"back to in progress", gridmap.StatusInProgress, gridmap.ECONFLICT},
		{"unknown", "done", gridmap.EINVALID},
		{"close", gridmap.StatusClosed, ""},
		{"reopen", gridmap.StatusReported, gridmap.ECONFLICT},
		{"close again", gridmap.StatusClosed, ""},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			in, err := st.UpdateIncident(ctx, id, gridmap.IncidentUpdate{Status: status(s.to), At: at.Add(time.Duration(i) * time.Hour)})
			if code := gridmap.ErrorCode(err); code != s.code {
				t.Fatalf("error %v, want code %q", err, s.code)
			}
			if s.code == "" && in.Status != s.to {
				t.Errorf("status %s, want %s", in.Status, s.to)
			}
		})
	}
	in, err := st.Incident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wantSteps := map[gridmap.Status]time.Time{
		gridmap.StatusAccepted: at, gridmap.StatusResolved: at.Add(3 * time.Hour), gridmap.StatusClosed: at.Add(6 * time.Hour),
	}
	if len(in.StepAt) != len(wantSteps) {
		t.Errorf("steps %v, want %v", in.StepAt, wantSteps)
	}
	for s, w := range wantSteps {
		if !in.StepAt[s].Equal(w) {
			t.Errorf("%s at %v, want %v", s, in.StepAt[s], w)
		}
	}
	dept, dl := "司法所", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	in, err = st.UpdateIncident(ctx, id, gridmap.IncidentUpdate{Department: &dept, Deadline: &dl})
	if err != nil || in.Department != dept || in.Deadline == nil || !in.Deadline.Equal(dl) {
		t.Errorf("department and deadline: %+v %v", in, err)
	}
	in, err = st.UpdateIncident(ctx, id, gridmap.IncidentUpdate{ClearDeadline: true})
	if err != nil || in.Deadline != nil {
		t.Errorf("clearing the deadline: %v %v", in.Deadline, err)
	}
	if _, err := st.UpdateIncident(ctx, id+1000, gridmap.IncidentUpdate{Status: status(gridmap.StatusAccepted)}); gridmap.ErrorCode(err) != gridmap.ENOTFOUND {
		t.Errorf("missing incident: %v", err)
	}
}

func TestIncidentChangesFeed(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	p := centre(t, ix)
	if _, err := postRecords(t, st, ix, version, []map[string]any{rec("F-1", p), rec("F-2", p)}, false); err != nil {
		t.Fatal(err)
	}
	read := func(since string) ([]string, string) {
		t.Helper()
		var ids []string
		next, err := st.IncidentChanges(ctx, since, func(in gridmap.Incident) error {
			ids = append(ids, in.ExternalID+":"+string(in.Status))
			if in.Description != "" || in.Reporter != nil {
				t.Errorf("the feed carries personal data: %+v", in)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, next
	}
	ids, snap := read("")
	if !slices.Equal(ids, []string{"F-1:reported", "F-2:reported"}) {
		t.Fatalf("initial read %v", ids)
	}
	if ids, _ := read(snap); len(ids) != 0 {
		t.Fatalf("nothing changed, read %v", ids)
	}

	// A transaction that starts before a read and commits after it is
	// seen by the next read: the feed does not skip late commits.
	tx, err := st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE incident SET status = 'accepted' WHERE external_id = 'F-2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := postRecords(t, st, ix, version, []map[string]any{rec("F-3", p)}, false); err != nil {
		t.Fatal(err)
	}
	ids, snap = read(snap)
	if !slices.Equal(ids, []string{"F-3:reported"}) {
		t.Fatalf("after F-3: %v", ids)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ids, snap = read(snap)
	if !slices.Equal(ids, []string{"F-2:accepted"}) {
		t.Fatalf("after the late commit: %v", ids)
	}
	if ids, _ := read(snap); len(ids) != 0 {
		t.Fatalf("read twice: %v", ids)
	}
}

// TestIncidentCountsMatchSpatialJoin checks the per-grid counts of the
// in-memory aggregate, rolled up to each level, against an independent
// PostGIS spatial join (ST_Contains of the current grid boundaries and the
// incident points) and against the plain SQL GROUP BY, with filters.
func TestIncidentCountsMatchSpatialJoin(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	incs := demodata.Incidents(ix, end, demodata.DefaultIncidents)
	// And some outside every grid.
	for i := range 25 {
		incs = append(incs, gridmap.Incident{ExternalID: fmt.Sprintf("OUT-%d", i), Category: gridmap.CategoryHazard,
			Source: gridmap.SourceHotline, Status: gridmap.StatusReported, Location: orb.Point{116.0 + float64(i)*0.01, 35.0},
			ReportedAt: end.Add(-time.Duration(i) * time.Hour)})
	}
	res, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{}, intake.Assign(checked(incs), ix, version))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != len(incs) || res.Unassigned < 25 {
		t.Fatalf("import: %+v", res)
	}

	agg := heat.New()
	var rows []heat.Row
	if _, err := st.IncidentChanges(ctx, "", func(in gridmap.Incident) error {
		rows = append(rows, heat.FromIncident(&in))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	agg.Apply(rows)

	from, to := end.AddDate(0, -3, 0), end.AddDate(0, -1, 0)
	filters := []struct {
		name string
		f    gridmap.IncidentFilter
	}{
		{"all", gridmap.IncidentFilter{}},
		{"disputes and hazards", gridmap.IncidentFilter{Categories: []gridmap.Category{gridmap.CategoryDispute, gridmap.CategoryHazard}}},
		{"window", gridmap.IncidentFilter{From: &from, To: &to}},
		{"open environment in window", gridmap.IncidentFilter{Categories: []gridmap.Category{gridmap.CategoryEnvironment},
			Statuses: []gridmap.Status{gridmap.StatusReported, gridmap.StatusAccepted, gridmap.StatusInProgress}, From: &from}},
	}
	for _, fl := range filters {
		for _, level := range []gridmap.Level{gridmap.LevelMicro, gridmap.LevelVillage, gridmap.LevelStreet} {
			t.Run(fl.name+"/"+string(level), func(t *testing.T) {
				hf := heat.Filter{Categories: fl.f.Categories, Statuses: fl.f.Statuses}
				if fl.f.From != nil {
					hf.From = *fl.f.From
				}
				if fl.f.To != nil {
					hf.To = *fl.f.To
				}
				gc := agg.CountByGrid(hf)
				got, elsewhere := heat.ByLevel(ix, level, gc.ByCode)
				if elsewhere != 0 {
					t.Errorf("%d incidents not under a grid of level %s", elsewhere, level)
				}
				want := spatialJoin(t, st, level, fl.f)
				if len(got) != len(want) {
					t.Fatalf("%d grids, want %d", len(got), len(want))
				}
				total := 0
				for _, c := range got {
					total += c.Count
					if want[c.Code] != c.Count {
						t.Errorf("grid %s: %d, spatial join says %d", c.Code, c.Count, want[c.Code])
					}
				}
				if total == 0 {
					t.Error("nothing counted: the filter is too narrow to test anything")
				}
				sql, err := st.CountIncidentsByGrid(ctx, fl.f)
				if err != nil {
					t.Fatal(err)
				}
				if sql[""] != gc.Unassigned {
					t.Errorf("unassigned: %d, SQL says %d", gc.Unassigned, sql[""])
				}
				delete(sql, "")
				if len(sql) != len(gc.ByCode) {
					t.Errorf("%d grids with incidents, SQL says %d", len(gc.ByCode), len(sql))
				}
				for code, n := range sql {
					if gc.ByCode[code] != n {
						t.Errorf("grid %s: %d, SQL GROUP BY says %d", code, gc.ByCode[code], n)
					}
				}
			})
		}
	}
}

func checked(incs []gridmap.Incident) func(func(intake.Checked, error) bool) {
	return func(yield func(intake.Checked, error) bool) {
		for i, in := range incs {
			if !yield(intake.Checked{Index: i, Incident: in, CRS: geo.WGS84}, nil) {
				return
			}
		}
	}
}

// spatialJoinSQL counts incidents per current grid of a level by the
// geometry alone, ignoring the stored assignment.
const spatialJoinSQL = `
SELECT v.code, count(i.id)
FROM grid_version v
LEFT JOIN incident i ON ST_Contains(v.boundary, i.location)
     AND ($2::text[] IS NULL OR i.category = ANY($2))
     AND ($3::text[] IS NULL OR i.status = ANY($3))
     AND ($4::timestamptz IS NULL OR i.reported_at >= $4)
     AND ($5::timestamptz IS NULL OR i.reported_at < $5)
WHERE v.valid_to IS NULL AND v.level = $1
GROUP BY v.code`

func spatialJoin(tb testing.TB, st *postgis.Store, level gridmap.Level, f gridmap.IncidentFilter) map[string]int {
	tb.Helper()
	var cats, sts []string
	for _, c := range f.Categories {
		cats = append(cats, string(c))
	}
	for _, s := range f.Statuses {
		sts = append(sts, string(s))
	}
	rows, err := st.Pool().Query(context.Background(), spatialJoinSQL, string(level), cats, sts, f.From, f.To)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			tb.Fatal(err)
		}
		out[code] = n
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestIncidentImportHoldsTheGridVersion: rows assigned under an older grid
// version are refused (nothing written) with the version to assign under;
// an import waits for a publication under way (which holds the data version's
// lock) and is then refused too, so it is assigned again under
// the new map rather than stored under the old one.
func TestIncidentImportHoldsTheGridVersion(t *testing.T) {
	ctx := context.Background()
	st, ix, version := demoStreet(t)
	p := centre(t, ix)
	cats, err := st.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	imp := func(id string, v int64) (gridmap.ImportIncidentsResult, error) {
		c := intake.NewChecker(cats, time.Now())
		recs := intake.Records([]intake.Record{{Index: 0, Fields: rec(id, p)}})
		return st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{Items: true, BoundaryVersion: v}, intake.Rows(recs, c, ix, v))
	}
	if _, err := imp("V-1", version-1); err == nil {
		t.Fatal("rows assigned under an older version were stored")
	} else if sg, ok := gridmap.StaleGridsOf(err); !ok || sg.Current != version || gridmap.ErrorCode(err) != gridmap.EUNAVAILABLE {
		t.Fatalf("stale import: %v (%+v), want EUNAVAILABLE with current %d", err, sg, version)
	}
	if n := countIncidents(t, st); n != 0 {
		t.Fatalf("a refused import wrote %d incidents", n)
	}
	if res, err := imp("V-2", version); err != nil || res.Created != 1 || res.Items[0].Incident.BoundaryVersion != version {
		t.Fatalf("current import: %+v %v", res, err)
	}

	// A grid change under way, holding the data version's lock as a publication does.
	tx, err := st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT gridmap_lock_data_version()`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE grid_member SET name = name WHERE id = (SELECT min(id) FROM grid_member)`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := imp("V-3", version); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("the import did not wait for the grid change under way: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if sg, ok := gridmap.StaleGridsOf(err); !ok || sg.Current <= version {
			t.Fatalf("import after the grid change: %v, want refused as stale", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the import still waits after the grid change committed")
	}
	if n := countIncidents(t, st); n != 1 {
		t.Fatalf("%d incidents stored, want 1", n)
	}
}
