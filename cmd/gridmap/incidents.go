package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/intake"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/postgis"
)

const importIncidentsUsage = "usage: gridmap import incidents FILE [--format csv|ndjson|geojson] [--columns field=Header,...] [--crs wgs84|gcj02|bd09] [--source S] [--partial]"

// cmdImportIncidents imports a file of incidents (CSV, NDJSON or GeoJSON,
// gzip accepted), each assigned to its grid through the in-memory index of
// the current grids, in one transaction through COPY.
func cmdImportIncidents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import incidents")
	format := fs.String("format", "", "csv, ndjson or geojson (default: from the file name: .csv, .ndjson/.jsonl, .geojson/.json, with or without .gz)")
	columns := fs.String("columns", "", "CSV column for each field, e.g. external_id=工单编号,category=类别,lon=经度,lat=纬度,reported_at=上报时间 (a field not listed is read from a column named like it)")
	crs := fs.String("crs", "wgs84", "coordinate system of rows without a crs field: wgs84, gcj02 (Gaode/Tencent) or bd09 (Baidu)")
	source := fs.String("source", "", "source of rows without a source field: grid_worker, hotline, visit, other")
	partial := fs.Bool("partial", false, "store the good rows and list the bad ones, instead of refusing the whole file")
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if file == "" {
		fs.Usage()
		return fmt.Errorf("%s", importIncidentsUsage)
	}
	if *format == "" {
		*format = formatOf(file)
	}
	colMap := map[string]string{}
	if *columns != "" {
		for _, kv := range strings.Split(*columns, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
				return fmt.Errorf("--columns: %q is not field=Header", kv)
			}
			colMap[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var recs iter.Seq2[intake.Record, error]
	switch *format {
	case "csv":
		recs = intake.ReadCSV(f, colMap)
	case "ndjson", "jsonl":
		recs = intake.ReadNDJSON(f)
	case "geojson", "json":
		recs = intake.ReadGeoJSON(f)
	default:
		return fmt.Errorf("--format %q: use csv, ndjson or geojson", *format)
	}

	c, err := geo.ParseCRS(*crs)
	if err != nil {
		return fmt.Errorf("--crs %q: use %s", *crs, geo.CRSChoices)
	}
	var src gridmap.Source
	if *source != "" {
		var ok bool
		if src, ok = gridmap.ParseSource(*source); !ok {
			return fmt.Errorf("--source %q: use grid_worker, hotline, visit or other", *source)
		}
	}

	st, err := openStore(ctx, loadConfig())
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	m := &storeMap{st: st}
	if m.ix, m.ver, err = currentIndex(ctx, st); err != nil {
		return err
	}
	// The rows are read only once the import holds the grid version, so
	// when the grids changed since the index was built it is built again
	// (storeMap.WaitVersion) and the file read then.
	in := intake.Intake{Map: m, Store: st}
	res, err := in.Import(ctx, intake.Request{Records: recs, CRS: c, Source: src,
		Options: gridmap.ImportIncidentsOptions{Partial: *partial, By: commandActor("gridmap import incidents " + filepath.Base(file))}})
	if err != nil {
		return cmp.Or(m.err, err)
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "imported %s in %.1fs (%.0f rows/s): %d rows, %d new, %d stored before, %d outside every grid (stored unassigned), %d bad rows skipped\n",
		file, took.Seconds(), float64(res.Read)/took.Seconds(), res.Read, res.Created, res.Existing, res.Unassigned, res.Read-res.Created-res.Existing)
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "  %s\n", &e)
	}
	return nil
}

// commandActor names a command run on the server as the actor of what it
// writes: the command and the operating-system user who ran it.
func commandActor(cmd string) gridmap.Actor {
	if u, err := user.Current(); err == nil && u.Username != "" {
		cmd += " (user " + u.Username + ")"
	}
	return gridmap.Actor{Name: cmd}
}

func formatOf(file string) string {
	name := strings.TrimSuffix(strings.ToLower(file), ".gz")
	switch filepath.Ext(name) {
	case ".csv":
		return "csv"
	case ".ndjson", ".jsonl":
		return "ndjson"
	case ".geojson", ".json":
		return "geojson"
	}
	return ""
}

// storeMap is the grid map of a command: the index of the current grids,
// built from the store as the server builds it; WaitVersion builds it
// again. err is the error that stopped the last rebuild.
type storeMap struct {
	st  *postgis.Store
	ix  *geo.Index
	ver int64
	err error
}

func (m *storeMap) Index() (*geo.Index, int64) { return m.ix, m.ver }

func (m *storeMap) WaitVersion(ctx context.Context, v int64) bool {
	ix, ver, err := currentIndex(ctx, m.st)
	if err != nil {
		m.err = err
		return false
	}
	m.ix, m.ver = ix, ver
	return ver >= v
}

// currentIndex builds the grid index of the current grids, as the server
// does, and returns it with the data version.
func currentIndex(ctx context.Context, st *postgis.Store) (*geo.Index, int64, error) {
	grids, version, err := st.CurrentGrids(ctx)
	if err != nil {
		return nil, 0, err
	}
	ix, err := geo.NewIndex(grids)
	return ix, version, err
}

// demoStreetCode is the street grid of the synthetic demo.
const demoStreetCode = "370812001000"

// demoIncidents loads one year of synthetic incidents, up to now, into the
// demo street. It does nothing when the street is not the synthetic demo
// (never mix invented incidents into real grids) or, with ifEmpty, when
// incidents exist already. External ids are fixed (DEMO-000001…), so
// running it twice stores nothing new.
func demoIncidents(ctx context.Context, st *postgis.Store, stdout io.Writer, ifEmpty bool) error {
	ix, version, err := currentIndex(ctx, st)
	if err != nil {
		return err
	}
	if g, ok := ix.Grid(demoStreetCode); !ok || g.Attributes["synthetic"] != true {
		fmt.Fprintln(stdout, "the grids are not the synthetic demo street; demo incidents not loaded")
		return nil
	}
	if ifEmpty {
		n, err := st.CountIncidents(ctx, true)
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintln(stdout, "the database has incidents already; demo incidents not loaded")
			return nil
		}
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
	res, err := st.ImportIncidents(ctx, gridmap.ImportIncidentsOptions{By: commandActor("gridmap demo")}, intake.Assign(rows, ix, version))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo incidents (synthetic, one year up to today): %d, %d new, %d stored before\n", res.Read, res.Created, res.Existing)
	// Their case histories: registered, dispatched, … revisited (caseflow).
	hist := make(map[string][]caseflow.Step, len(incs))
	for _, in := range incs {
		hist[in.ExternalID] = demodata.Steps(in, end)
	}
	photoID, photo := demodata.Photo()
	n, err := st.DemoSteps(ctx, hist, map[string][]byte{photoID: photo})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo case histories: %d\n", n)
	return nil
}

// demoDepartmentMembers gives each department without people the demo's
// fictional head and two staff (demodata.DepartmentMembers), only on the
// synthetic street.
func demoDepartmentMembers(ctx context.Context, st *postgis.Store, stdout io.Writer) error {
	ix, _, err := currentIndex(ctx, st)
	if err != nil {
		return err
	}
	if g, ok := ix.Grid(demoStreetCode); !ok || g.Attributes["synthetic"] != true {
		return nil
	}
	n, err := st.DemoDepartmentMembers(ctx, demodata.DepartmentMembers())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo department people (synthetic): %d new\n", n)
	return nil
}

// demoWorklogs loads one year of synthetic work logs with patrol tracks
// (issue 15), up to now, for the demo street's workers: only on the
// synthetic street, and only while there are no work logs.
func demoWorklogs(ctx context.Context, st *postgis.Store, stdout io.Writer) error {
	ix, _, err := currentIndex(ctx, st)
	if err != nil {
		return err
	}
	if g, ok := ix.Grid(demoStreetCode); !ok || g.Attributes["synthetic"] != true {
		return nil
	}
	n, err := st.DemoWorklogs(ctx, demodata.Worklogs(ix, time.Now(), demodata.DefaultWorklogs))
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(stdout, "the database has work logs already; demo work logs not loaded")
		return nil
	}
	fmt.Fprintf(stdout, "demo work logs (synthetic, one year up to today, with patrol tracks): %d\n", n)
	return nil
}
