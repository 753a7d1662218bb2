package intake_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/intake"
)

// at is a point inside the micro-grid of testIndex, in WGS84.
var at = orb.Point{116.3, 35.3}

// testIndex is a street (116–117°E, 35–36°N) holding one micro-grid, code
// micro, a square of ±0.002° around at.
func testIndex(tb testing.TB, micro string) *geo.Index {
	tb.Helper()
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	const d = 0.002
	ix, err := geo.NewIndex([]gridmap.Grid{
		{ID: 1, Code: "s", Name: "街道", Level: gridmap.LevelStreet, Boundary: sq(116, 35, 117, 36)},
		{ID: 2, Code: micro, Name: "微网格", Level: gridmap.LevelMicro, Parent: "s", Boundary: sq(at[0]-d, at[1]-d, at[0]+d, at[1]+d)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}

type snapshot struct {
	ix  *geo.Index
	ver int64
}

// fakeMap is a live map whose replacements arrive on next; WaitVersion
// takes them until one is at the version waited for. waits counts the
// calls; waiting, when set, is told each time WaitVersion blocks.
type fakeMap struct {
	cur     snapshot
	next    chan snapshot
	waits   int
	waiting chan struct{}
}

func (m *fakeMap) Index() (*geo.Index, int64) { return m.cur.ix, m.cur.ver }

func (m *fakeMap) WaitVersion(ctx context.Context, v int64) bool {
	m.waits++
	for m.cur.ver < v {
		if m.waiting != nil {
			m.waiting <- struct{}{}
		}
		select {
		case s := <-m.next:
			m.cur = s
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// fakeStore keeps what PostGIS keeps in the test: the grid data version
// (moved on by bump at each stale answer) and the stored rows. Like
// postgis.Store it refuses rows assigned under another version before it
// reads them, and refuses a batch with bad rows unless Partial.
type fakeStore struct {
	version int64
	bump    int64
	calls   []int64 // BoundaryVersion of each call
	stored  []gridmap.IncidentRow
}

var testCats = []gridmap.CategoryInfo{
	{Name: "dispute", LabelZh: "矛盾纠纷", LabelEn: "Dispute"},
	{Name: "hazard", LabelZh: "安全隐患", LabelEn: "Hazard"},
}

func (s *fakeStore) Categories(context.Context) ([]gridmap.CategoryInfo, error) { return testCats, nil }

func (s *fakeStore) ImportIncidents(ctx context.Context, opts gridmap.ImportIncidentsOptions, rows iter.Seq2[gridmap.IncidentRow, error]) (gridmap.ImportIncidentsResult, error) {
	var res gridmap.ImportIncidentsResult
	s.calls = append(s.calls, opts.BoundaryVersion)
	if opts.BoundaryVersion > 0 && opts.BoundaryVersion != s.version {
		cur := s.version
		s.version += s.bump
		return res, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Details: gridmap.StaleGrids{Have: opts.BoundaryVersion, Current: cur},
			Message: fmt.Sprintf("the grids changed (data version %d, assigned under %d); retry", cur, opts.BoundaryVersion)}
	}
	var good []gridmap.IncidentRow
	for row, err := range rows {
		res.Read = max(res.Read, row.Index+1)
		var ie *gridmap.ItemError
		if errors.As(err, &ie) {
			res.Errors = append(res.Errors, *ie)
			continue
		}
		if err != nil {
			return res, err
		}
		good = append(good, row)
	}
	if len(res.Errors) > 0 && !opts.Partial {
		return gridmap.ImportIncidentsResult{}, &gridmap.Error{Code: gridmap.EINVALID, Message: "bad rows", Details: res.Errors}
	}
	s.stored = append(s.stored, good...)
	res.Created = len(good)
	return res, nil
}

func (s *fakeStore) grids() string {
	var out []string
	for _, r := range s.stored {
		out = append(out, r.Incident.ExternalID+"→"+r.Incident.GridCode)
	}
	return strings.Join(out, " ")
}

var testNow = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func newIntake(tb testing.TB, m *fakeMap, st *fakeStore) *intake.Intake {
	tb.Helper()
	if m.cur.ix == nil {
		m.cur = snapshot{testIndex(tb, "m"), 1}
	}
	if st.version == 0 {
		st.version = m.cur.ver
	}
	return &intake.Intake{Map: m, Store: st}
}

func jsonRecs(tb testing.TB, body string) iter.Seq2[intake.Record, error] {
	tb.Helper()
	recs, _, err := intake.ReadJSON(strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	return intake.Records(recs)
}

func rec(id string, p orb.Point, extra string) string {
	return fmt.Sprintf(`{"external_id":%q,"category":"dispute","source":"hotline","lon":%v,"lat":%v,"reported_at":"2026-11-25T09:30:00+08:00"%s}`, id, p[0], p[1], extra)
}

// TestImportFormats: each format is read, checked and assigned; each bad
// row is named by its index, its line (line-oriented formats) and field,
// and the good ones are stored with their grid.
func TestImportFormats(t *testing.T) {
	outside := orb.Point{116.5, 35.5} // in the street, not the micro-grid
	tests := []struct {
		name    string
		records func() iter.Seq2[intake.Record, error]
		stored  string
		errors  string // index:line:field of each bad row
	}{
		{"JSON batch", func() iter.Seq2[intake.Record, error] {
			return jsonRecs(t, `{"incidents":[`+rec("A-1", at, "")+`,`+rec("A-2", at, `,"lat":95`)+`,7,`+rec("A-4", outside, "")+`]}`)
		}, "A-1→m A-4→s", "1:0:lat 2:0:"},
		{"JSON single", func() iter.Seq2[intake.Record, error] { return jsonRecs(t, rec("A-1", at, "")) }, "A-1→m", ""},
		{"NDJSON", func() iter.Seq2[intake.Record, error] {
			return intake.ReadNDJSON(strings.NewReader(rec("N-1", at, "") + "\n\n" + rec("N-2", at, `,"category":"weather"`) + "\nnot json\n" + rec("N-4", outside, "") + "\n"))
		}, "N-1→m N-4→s", "1:3:category 2:4:"},
		{"CSV", func() iter.Seq2[intake.Record, error] {
			return intake.ReadCSV(strings.NewReader("\ufeff工单编号,类别,来源,经度,纬度,时间\n"+
				"C-1,矛盾纠纷,12345,116.3,35.3,2026-11-25 09:00:00\n"+
				"C-2,矛盾纠纷,12345,east,35.3,2026-11-25 09:00:00\n"+
				"C-3,安全隐患,12345,116.3\n"+
				"C-4,安全隐患,12345,116.5,35.5,yesterday\n"+
				"C-5,安全隐患,12345,116.5,35.5,2026-11-25 10:00:00\n"),
				map[string]string{"external_id": "工单编号", "category": "类别", "source": "来源", "lon": "经度", "lat": "纬度", "reported_at": "时间"})
		}, "C-1→m C-5→s", "1:3:lon 2:4: 3:5:reported_at"},
		{"GeoJSON", func() iter.Seq2[intake.Record, error] {
			feat := func(id, geom, props string) string {
				return `{"type":"Feature","geometry":` + geom + `,"properties":{"external_id":"` + id + `","category":"hazard","source":"visit","reported_at":"2026-11-25T09:30:00+08:00"` + props + `}}`
			}
			pt := fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, at[0], at[1])
			return intake.ReadGeoJSON(strings.NewReader(`{"type":"FeatureCollection","features":[` +
				feat("G-1", pt, "") + "," +
				feat("G-2", `{"type":"Polygon","coordinates":[[[116,35],[117,35],[117,36],[116,35]]]}`, "") + "," +
				feat("G-3", pt, `,"status":"done"`) + "]}"))
		}, "G-1→m", "1:0:geometry 2:0:status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &fakeStore{}
			in := newIntake(t, &fakeMap{}, st)
			res, err := in.Import(context.Background(), intake.Request{Records: tc.records(), Now: testNow,
				Options: gridmap.ImportIncidentsOptions{Partial: true}})
			if err != nil {
				t.Fatal(err)
			}
			if got := st.grids(); got != tc.stored {
				t.Errorf("stored %q, want %q", got, tc.stored)
			}
			var errs []string
			for _, e := range res.Errors {
				if e.Message == "" {
					t.Errorf("an error without a message: %+v", e)
				}
				errs = append(errs, fmt.Sprintf("%d:%d:%s", e.Index, e.Line, e.Field))
			}
			if got := strings.Join(errs, " "); got != tc.errors {
				t.Errorf("errors %q, want %q (%v)", got, tc.errors, res.Errors)
			}
			for _, r := range st.stored {
				if r.Incident.BoundaryVersion != 1 {
					t.Errorf("%s stored under version %d, want 1", r.Incident.ExternalID, r.Incident.BoundaryVersion)
				}
			}
		})
	}
}

// TestImportRefusesBadBatch: without Partial, one bad row refuses the
// batch with the store's EINVALID naming it; nothing is stored.
func TestImportRefusesBadBatch(t *testing.T) {
	st := &fakeStore{}
	in := newIntake(t, &fakeMap{}, st)
	_, err := in.Import(context.Background(), intake.Request{Now: testNow,
		Records: jsonRecs(t, `{"incidents":[`+rec("A-1", at, "")+`,`+rec("A-2", at, `,"source":"fax"`)+`]}`)})
	var ge *gridmap.Error
	if !errors.As(err, &ge) || ge.Code != gridmap.EINVALID {
		t.Fatalf("err %v, want EINVALID", err)
	}
	if items, _ := ge.Details.([]gridmap.ItemError); len(items) != 1 || items[0].Index != 1 || items[0].Field != "source" {
		t.Errorf("details %+v, want item 1, field source", ge.Details)
	}
	if len(st.stored) != 0 {
		t.Errorf("stored %s", st.grids())
	}
}

// TestImportCRS: a location in GCJ-02 or BD-09 (the batch's default or the
// record's crs field) is converted to WGS84 before it is assigned, so it
// lands in the micro-grid its WGS84 position is in; the same numbers read
// as WGS84 land outside it.
func TestImportCRS(t *testing.T) {
	gcj, bd := geo.WGS84ToGCJ02(at), geo.WGS84ToBD09(at)
	for _, p := range []orb.Point{gcj, bd} {
		if d := max(abs(p[0]-at[0]), abs(p[1]-at[1])); d < 0.003 {
			t.Fatalf("offset %g° too small for the test: the micro-grid is ±0.002°", d)
		}
	}
	tests := []struct {
		name   string
		crs    geo.CRS
		body   string
		stored string
	}{
		{"gcj02 by default", geo.GCJ02, rec("A-1", gcj, ""), "A-1→m"},
		{"bd09 by default", geo.BD09, rec("A-1", bd, ""), "A-1→m"},
		{"gcj02 by field", "", rec("A-1", gcj, `,"crs":"GCJ02"`), "A-1→m"},
		{"bd09 by field over the default", geo.GCJ02, rec("A-1", bd, `,"crs":"bd09"`), "A-1→m"},
		{"gcj02 numbers read as wgs84", "", rec("A-1", gcj, ""), "A-1→s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &fakeStore{}
			in := newIntake(t, &fakeMap{}, st)
			if _, err := in.Import(context.Background(), intake.Request{Records: jsonRecs(t, tc.body), CRS: tc.crs, Now: testNow}); err != nil {
				t.Fatal(err)
			}
			if got := st.grids(); got != tc.stored {
				t.Fatalf("stored %q, want %q", got, tc.stored)
			}
			if p := st.stored[0].Incident.Location; max(abs(p[0]-at[0]), abs(p[1]-at[1])) > 1e-6 && tc.name != "gcj02 numbers read as wgs84" {
				t.Errorf("stored at %v, want about %v (WGS84)", p, at)
			}
		})
	}
}

func abs(f float64) float64 { return max(f, -f) }

// TestImportRetriesOnNewMap: the store answers once that the grids moved
// (version 2, the rows were assigned under 1); intake waits for the map's
// replacement through WaitVersion, not a sleep, and assigns the rows again
// with the new index, once.
func TestImportRetriesOnNewMap(t *testing.T) {
	m := &fakeMap{cur: snapshot{testIndex(t, "m"), 1}, next: make(chan snapshot, 1)}
	m.next <- snapshot{testIndex(t, "m2"), 2} // the publication replaced m by m2
	st := &fakeStore{version: 2}
	in := newIntake(t, m, st)
	res, err := in.Import(context.Background(), intake.Request{Records: jsonRecs(t, rec("A-1", at, "")), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if m.waits != 1 || fmt.Sprint(st.calls) != "[1 2]" {
		t.Errorf("waited %d times, stored under versions %v; want once, [1 2]", m.waits, st.calls)
	}
	if got := st.grids(); got != "A-1→m2" || st.stored[0].Incident.BoundaryVersion != 2 {
		t.Errorf("stored %q under version %d, want A-1→m2 under 2", got, st.stored[0].Incident.BoundaryVersion)
	}
	if res.Version != 2 || res.Index != m.cur.ix {
		t.Errorf("result names version %d, want 2 and the new index", res.Version)
	}
}

// TestImportGivesUp: a map that moves on at every attempt is given up
// after intake.Attempts, with the store's stale-grids error.
func TestImportGivesUp(t *testing.T) {
	m := &fakeMap{cur: snapshot{testIndex(t, "m"), 1}, next: make(chan snapshot, 2)}
	m.next <- snapshot{testIndex(t, "m"), 2}
	m.next <- snapshot{testIndex(t, "m"), 3}
	st := &fakeStore{version: 2, bump: 1}
	in := newIntake(t, m, st)
	_, err := in.Import(context.Background(), intake.Request{Records: jsonRecs(t, rec("A-1", at, "")), Now: testNow})
	if _, stale := gridmap.StaleGridsOf(err); !stale || len(st.calls) != intake.Attempts {
		t.Fatalf("err %v after %d calls; want stale grids after %d", err, len(st.calls), intake.Attempts)
	}
}

// TestImportContextEndsWhileWaiting: when the request ends while intake
// waits for the map, the answer is the store's stale-grids EUNAVAILABLE
// (HTTP: 503 with Retry-After), and nothing is stored.
func TestImportContextEndsWhileWaiting(t *testing.T) {
	m := &fakeMap{cur: snapshot{testIndex(t, "m"), 1}, next: make(chan snapshot), waiting: make(chan struct{})}
	st := &fakeStore{version: 2}
	in := newIntake(t, m, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-m.waiting
		cancel()
	}()
	_, err := in.Import(ctx, intake.Request{Records: jsonRecs(t, rec("A-1", at, "")), Now: testNow})
	sg, stale := gridmap.StaleGridsOf(err)
	if !stale || gridmap.ErrorCode(err) != gridmap.EUNAVAILABLE || sg != (gridmap.StaleGrids{Have: 1, Current: 2}) {
		t.Fatalf("err %v (%+v), want EUNAVAILABLE stale grids {1 2}", err, sg)
	}
	if len(st.calls) != 1 || len(st.stored) != 0 {
		t.Errorf("calls %v, stored %q", st.calls, st.grids())
	}
}

// TestImportNoMap: before the first index is built nothing is assigned:
// EUNAVAILABLE, and the store is not asked.
func TestImportNoMap(t *testing.T) {
	st := &fakeStore{}
	in := &intake.Intake{Map: &fakeMap{}, Store: st}
	_, err := in.Import(context.Background(), intake.Request{Records: jsonRecs(t, rec("A-1", at, "")), Now: testNow})
	if gridmap.ErrorCode(err) != gridmap.EUNAVAILABLE || len(st.calls) != 0 {
		t.Fatalf("err %v, calls %v; want EUNAVAILABLE and no call", err, st.calls)
	}
}

// TestImportScope: a row outside the write scope refuses the whole batch,
// EFORBIDDEN naming it, before anything reaches the store.
func TestImportScope(t *testing.T) {
	st := &fakeStore{}
	in := newIntake(t, &fakeMap{}, st)
	scope := func(code string) error {
		if code != "m" {
			return gridmap.Errorf(gridmap.EFORBIDDEN, "grid %q is outside grid m", code)
		}
		return nil
	}
	body := `{"incidents":[` + rec("A-1", at, "") + `,` + rec("A-2", orb.Point{116.5, 35.5}, "") + `]}`
	_, err := in.Import(context.Background(), intake.Request{Records: jsonRecs(t, body), Now: testNow, Scope: scope})
	var ge *gridmap.Error
	if !errors.As(err, &ge) || ge.Code != gridmap.EFORBIDDEN || !strings.HasPrefix(ge.Message, "1 of 2 incidents are outside") {
		t.Fatalf("err %v, want EFORBIDDEN naming 1 of 2", err)
	}
	if items, _ := ge.Details.([]gridmap.ItemError); len(items) != 1 || items[0].Index != 1 || items[0].Code != "A-2" {
		t.Errorf("details %+v", ge.Details)
	}
	if len(st.calls) != 0 {
		t.Errorf("the store was asked: %v", st.calls)
	}
	if _, err := in.Import(context.Background(), intake.Request{Records: jsonRecs(t, rec("A-1", at, "")), Now: testNow, Scope: scope}); err != nil || st.grids() != "A-1→m" {
		t.Errorf("a row inside the scope: %v, stored %q", err, st.grids())
	}
}
