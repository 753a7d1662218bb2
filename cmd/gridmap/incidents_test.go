package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

func runCmd(tb testing.TB, args ...string) (string, string, error) {
	tb.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	if err != nil {
		printError(&errOut, err)
	}
	return out.String(), errOut.String(), err
}

func write(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestImportIncidentsCommand runs gridmap demo (street and a year of
// incidents) and gridmap import incidents on CSV, NDJSON and GeoJSON.
func TestImportIncidentsCommand(t *testing.T) {
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	out, errOut, err := runCmd(t, "demo")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "demo incidents") || !strings.Contains(out, "demo case histories") {
		t.Errorf("demo output: %s", out)
	}
	ctx := context.Background()
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountIncidents(ctx, true)
	if err != nil || n < 11000 || n > 11600 {
		t.Fatalf("demo incidents: %d, %v", n, err)
	}
	// And a year of work logs with patrol tracks (issue 15).
	var logs, pieces, walked int
	if err := st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM worklog), (SELECT count(*) FROM worklog_track),
  (SELECT count(DISTINCT g) FROM worklog_track, unnest(grids) g)`).Scan(&logs, &pieces, &walked); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "demo work logs") || logs < 13000 || logs > 14500 || pieces < logs || walked < 200 {
		t.Errorf("demo work logs: %d logs, %d pieces, %d grids walked; %s", logs, pieces, walked, out)
	}
	t.Logf("demo work logs: %d logs, %d pieces, %d grids walked", logs, pieces, walked)
	// Again: nothing new, and --if-empty leaves them alone.
	if out, _, err := runCmd(t, "demo", "--if-empty"); err != nil || !strings.Contains(out, "incidents already") {
		t.Errorf("demo --if-empty: %q %v", out, err)
	}

	grids, _, err := st.CurrentGrids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := ix.Grid("37081200100101")
	c := g.Boundary.Bound().Center()
	var p [2]float64
	for i := range 100 {
		q := [2]float64{c[0] + float64(i%10-5)*0.0002, c[1] + float64(i/10-5)*0.0002}
		if h, ok := ix.Lookup(q[0], q[1]); ok && h.Grid().Code == "37081200100101" {
			p = q
			break
		}
	}
	gcj := geo.WGS84ToGCJ02(p)
	lon, lat := ftoa(gcj[0]), ftoa(gcj[1])

	// CSV as a hotline system exports it: Chinese headers and labels,
	// GCJ-02 coordinates, local times, a byte order mark.
	csv := "\ufeff工单编号,类别,经度,纬度,受理时间,诉求内容\n" +
		"12345-2026-000001,矛盾纠纷," + lon + "," + lat + ",2026-11-25 09:30:00,邻里纠纷\n" +
		"12345-2026-000002,安全隐患," + lon + "," + lat + ",2026-11-25 10:30:00,电动车楼道充电\n" +
		"12345-2026-000003,天气," + lon + ",x,2026-11-25 11:30:00,\n"
	file := write(t, "hotline.csv", csv)
	cols := "--columns=external_id=工单编号,category=类别,lon=经度,lat=纬度,reported_at=受理时间,description=诉求内容"
	_, errOut, err = runCmd(t, "import", "incidents", file, cols, "--crs", "gcj02", "--source", "12345")
	if gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(errOut, "line 4") || !strings.Contains(errOut, "category") || !strings.Contains(errOut, "lat") {
		t.Fatalf("bad CSV: %v\n%s", err, errOut)
	}
	out, errOut, err = runCmd(t, "import", "incidents", file, cols, "--crs", "gcj02", "--source", "12345", "--partial")
	if err != nil || !strings.Contains(out, "2 new") || !strings.Contains(errOut, "line 4") {
		t.Fatalf("partial CSV: %v\n%s\n%s", err, out, errOut)
	}
	var in gridmap.Incident
	err = st.ListIncidents(ctx, gridmap.IncidentFilter{ExternalID: "12345-2026-000002"}, func(x gridmap.Incident) error { in = x; return nil })
	if err != nil || in.GridCode != "37081200100101" || in.Category != gridmap.CategoryHazard || in.Source != gridmap.SourceHotline ||
		in.ReportedAt.UTC().Hour() != 2 || abs(in.Location[0]-p[0]) > 1e-6 {
		t.Errorf("stored from CSV: %+v %v", in, err)
	}
	// No deadline in the file: the category's default (hazard, 3 days),
	// and the command recorded as who created it.
	if in.Deadline == nil || !in.Deadline.Equal(in.ReportedAt.AddDate(0, 0, 3)) {
		t.Errorf("default deadline of an imported hazard: %v, want reported_at %v + 3 days", in.Deadline, in.ReportedAt)
	}
	if full, err := st.Incident(ctx, in.ID); err != nil || full.CreatedBy.TokenID != 0 ||
		!strings.HasPrefix(full.CreatedBy.Name, "gridmap import incidents hotline.csv") {
		t.Errorf("created by: %+v %v", full.CreatedBy, err)
	}
	// The same file again: nothing new.
	if out, _, err := runCmd(t, "import", "incidents", file, cols, "--crs", "gcj02", "--source", "hotline", "--partial"); err != nil || !strings.Contains(out, "0 new, 2 stored before") {
		t.Errorf("re-import: %q %v", out, err)
	}

	nd := `{"external_id":"N-1","category":"environment","source":"grid_worker","lon":` + ftoa(p[0]) + `,"lat":` + ftoa(p[1]) + `,"reported_at":"2026-11-25T09:30:00+08:00"}
{"external_id":"N-2","category":"environment","source":"grid_worker","lon":100,"lat":30,"reported_at":"2026-11-25T09:30:00+08:00"}
`
	out, errOut, err = runCmd(t, "import", "incidents", write(t, "worker.ndjson", nd))
	if err != nil || !strings.Contains(out, "2 new") || !strings.Contains(out, "1 outside every grid") {
		t.Errorf("NDJSON: %v %s %s", err, out, errOut)
	}
	gj := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[` + ftoa(p[0]) + `,` + ftoa(p[1]) + `]},"properties":{"external_id":"J-1","category":"other","source":"visit","reported_at":"2026-11-25T09:30:00+08:00"}},
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]},"properties":{"external_id":"J-2","category":"other","source":"visit","reported_at":"2026-11-25T09:30:00+08:00"}}]}`
	_, errOut, err = runCmd(t, "import", "incidents", write(t, "visits.geojson", gj))
	if gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(errOut, "features[1]") || !strings.Contains(errOut, "Point") {
		t.Errorf("GeoJSON with a line: %v %s", err, errOut)
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestImportIncidentsBadText: a NUL or invalid UTF-8 in a row's text is
// named by line and field (not PostgreSQL's error); without --partial
// nothing is stored and the command fails (exit 1), with --partial the
// good rows are stored and the command succeeds (exit 0) listing the bad
// ones (issue 12).
func TestImportIncidentsBadText(t *testing.T) {
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := func() int64 {
		n, err := st.CountIncidents(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	row := "dispute,hotline,116.8,35.5,2026-11-25 09:30:00,"
	csv := "external_id,category,source,lon,lat,reported_at,description,department\n" +
		"BAD-1," + row + "楼道堆放杂物,城管\n" +
		"BAD-2," + row + "\"a\x00b\",城管\n" +
		"BAD-3," + row + "fine,\xC3\x28\n"
	nd := `{"external_id":"ND-1","category":"dispute","source":"hotline","lon":116.8,"lat":35.5,"reported_at":"2026-11-25T09:30:00+08:00"}
{"external_id":"ND-2","category":"dispute","source":"hotline","lon":116.8,"lat":35.5,"reported_at":"2026-11-25T09:30:00+08:00","reporter":{"name":"a\u0000b"}}
`
	for _, c := range []struct {
		file string
		want []string // in the error output
	}{
		{write(t, "bad.csv", csv), []string{"line 3 (code BAD-2) description: holds a NUL byte", "line 4 (code BAD-3) department: is not valid UTF-8"}},
		{write(t, "bad.ndjson", nd), []string{"line 2 (code ND-2) reporter.name: holds a NUL byte"}},
	} {
		before := count()
		_, errOut, err := runCmd(t, "import", "incidents", c.file)
		if gridmap.ErrorCode(err) != gridmap.EINVALID || strings.Contains(errOut, "SQLSTATE") || count() != before {
			t.Errorf("%s: %v, %d stored\n%s; want EINVALID and nothing stored", c.file, err, count()-before, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: the error does not say %q:\n%s", c.file, w, errOut)
			}
		}
		out, errOut, err := runCmd(t, "import", "incidents", c.file, "--partial")
		if err != nil || !strings.Contains(out, "1 new") || count() != before+1 {
			t.Errorf("%s --partial: %v, %d stored\n%s%s; want success storing the good row", c.file, err, count()-before, out, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s --partial does not list %q:\n%s", c.file, w, errOut)
			}
		}
	}
}
