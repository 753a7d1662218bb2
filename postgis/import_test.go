package postgis_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/gridio"
	"github.com/gridmap/gridmap/internal/shareddata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

var countyProps = gridio.Props{Code: "adcode", Name: "name"}

func importFile(tb testing.TB, st *postgis.Store, path string, opts postgis.ImportOptions, p gridio.Props) (postgis.ImportResult, error) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	return st.ImportGrids(context.Background(), opts, gridio.ReadGeoJSON(f, p))
}

func importString(tb testing.TB, st *postgis.Store, doc string, opts postgis.ImportOptions) (postgis.ImportResult, error) {
	tb.Helper()
	return st.ImportGrids(context.Background(), opts, gridio.ReadGeoJSON(strings.NewReader(doc), gridio.Props{Code: "code", Name: "name", Parent: "parent"}))
}

func countGrids(tb testing.TB, st *postgis.Store) int {
	tb.Helper()
	var n int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM grid_version`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func itemErrors(tb testing.TB, err error) []gridmap.ItemError {
	tb.Helper()
	var e *gridmap.Error
	if !errors.As(err, &e) || e.Code != gridmap.EINVALID {
		tb.Fatalf("want an EINVALID *gridmap.Error, got %v", err)
	}
	items, _ := e.Details.([]gridmap.ItemError)
	return items
}

func TestImportCounties(t *testing.T) {
	path := shareddata.Path(t, shareddata.Counties)
	st := testdb.Store(t)
	opts := postgis.ImportOptions{Level: "county"}
	if _, err := st.Pool().Exec(context.Background(), `INSERT INTO grid_level VALUES ('county', 0, '县级', 'County')`); err != nil {
		t.Fatal(err)
	}

	_, err := importFile(t, st, path, opts, countyProps)
	items := itemErrors(t, err)
	invalid := map[int]bool{}
	for _, it := range items {
		if it.Field != "geometry" || !strings.Contains(it.Message, "invalid geometry") || it.Location == nil || it.Code == "" {
			t.Errorf("problem lacks field, code or location: %+v", it)
		}
		invalid[it.Index] = true
	}
	if len(invalid) != 174 {
		t.Errorf("plain import reported %d invalid features, want 174", len(invalid))
	}
	t.Logf("first problem: %v", &items[0])
	if n := countGrids(t, st); n != 0 {
		t.Errorf("a refused import wrote %d grid versions", n)
	}

	opts.MakeValid = true
	start := time.Now()
	res, err := importFile(t, st, path, opts, countyProps)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("--make-valid import: %v", err)
	}
	t.Logf("--make-valid import of %d counties took %v (%d repaired)", res.Inserted, took, res.Repaired)
	if res.Inserted != 2735 || res.Repaired != 174 {
		t.Errorf("imported %+v, want 2735 inserted, 174 repaired", res)
	}
	if took > time.Minute {
		t.Errorf("import took %v, want under a minute", took)
	}
	var invalidStored, cw int
	if err := st.Pool().QueryRow(context.Background(), `
SELECT count(*) FILTER (WHERE NOT ST_IsValid(boundary)), count(*) FILTER (WHERE NOT ST_IsPolygonCCW(boundary))
FROM grid_version`).Scan(&invalidStored, &cw); err != nil {
		t.Fatal(err)
	}
	if invalidStored != 0 || cw != 0 {
		t.Errorf("stored %d invalid and %d clockwise boundaries", invalidStored, cw)
	}
	// A string adcode (东莞市 and three others) imports like a number.
	if _, err := st.Grid(context.Background(), "441900", nil); err != nil {
		t.Errorf("county 441900 (a string adcode): %v", err)
	}
}

const square = `[[[116.80,35.50],[116.81,35.50],[116.81,35.51],[116.80,35.51],[116.80,35.50]]]`

func TestImportRefusesMalformed(t *testing.T) {
	st := testdb.Store(t)
	tests := []struct {
		name    string
		doc     string
		index   int
		field   string
		message string
	}{
		{"not a polygon", `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":` + square + `}},
			{"type":"Feature","properties":{"code":"b"},"geometry":{"type":"LineString","coordinates":[[116.8,35.5],[116.9,35.6]]}}]}`,
			1, "geometry", "is a LineString"},
		{"self-intersection", `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"bow"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]}}]}`,
			0, "geometry", "Self-intersection"},
		{"duplicate code", `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":` + square + `}},
			{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":` + square + `}}]}`,
			1, "code", "duplicate code: features[0]"},
		{"unknown parent", `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"a","parent":"nowhere"},"geometry":{"type":"Polygon","coordinates":` + square + `}}]}`,
			0, "parent", "unknown parent nowhere"},
		{"missing code", `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":` + square + `}}]}`,
			0, "properties.code", "missing the code property"},
		{"unclosed ring", `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}]}`,
			0, "geometry", "not closed"},
		{"latitude out of range", `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,91],[0,0]]]}}]}`,
			0, "geometry", "outside lon"},
		{"bad code", `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"a b"},"geometry":{"type":"Polygon","coordinates":` + square + `}}]}`,
			0, "code", "a code is"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importString(t, st, tc.doc, postgis.ImportOptions{Level: gridmap.LevelMicro})
			items := itemErrors(t, err)
			found := false
			for _, it := range items {
				if it.Index == tc.index && it.Field == tc.field && strings.Contains(it.Message, tc.message) {
					found = true
				}
			}
			if !found {
				t.Errorf("want features[%d] %s %q among %+v", tc.index, tc.field, tc.message, items)
			}
			if n := countGrids(t, st); n != 0 {
				t.Errorf("refused import wrote %d versions", n)
			}
		})
	}

	for _, doc := range []string{`[]`, `{"type":"Feature"}`, `{"type":"FeatureCollection"}`, `not json`} {
		_, err := importString(t, st, doc, postgis.ImportOptions{Level: gridmap.LevelMicro})
		if gridmap.ErrorCode(err) != gridmap.EINVALID {
			t.Errorf("%s: want EINVALID, got %v", doc, err)
		}
	}
	_, err := importString(t, st, `{"type":"FeatureCollection","features":[]}`, postgis.ImportOptions{Level: "planet"})
	if gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(err.Error(), "unknown level") {
		t.Errorf("unknown level: %v", err)
	}
}

func TestImportVersions(t *testing.T) {
	ctx := context.Background()
	st := testdb.Store(t)
	doc := func(name, ring string) string {
		return `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"v1","name":"` + name + `"},"geometry":{"type":"Polygon","coordinates":` + ring + `}}]}`
	}
	// Clockwise exterior ring: stored counter-clockwise.
	cwSquare := `[[[116.80,35.50],[116.80,35.51],[116.81,35.51],[116.81,35.50],[116.80,35.50]]]`
	if _, err := importString(t, st, doc("旧名", cwSquare), postgis.ImportOptions{Level: gridmap.LevelVillage}); err != nil {
		t.Fatal(err)
	}
	first, err := st.Grid(ctx, "v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := importString(t, st, doc("旧名", square), postgis.ImportOptions{Level: gridmap.LevelVillage})
	if err != nil || res.Unchanged != 1 {
		t.Fatalf("re-import of the same ring (other orientation): %+v, %v; want unchanged", res, err)
	}
	time.Sleep(10 * time.Millisecond)
	res, err = importString(t, st, doc("新名", square), postgis.ImportOptions{Level: gridmap.LevelVillage})
	if err != nil || res.Updated != 1 {
		t.Fatalf("renaming import: %+v, %v", res, err)
	}
	cur, err := st.Grid(ctx, "v1", nil)
	if err != nil || cur.Name != "新名" || cur.ID != first.ID || cur.Version <= first.Version {
		t.Fatalf("current version %+v, %v", cur, err)
	}
	asOf := first.ValidFrom.Add(time.Millisecond)
	old, err := st.Grid(ctx, "v1", &asOf)
	if err != nil || old.Name != "旧名" {
		t.Errorf("as of %v: %+v, %v; want the old name", asOf, old, err)
	}
	before := first.ValidFrom.Add(-time.Hour)
	if _, err := st.Grid(ctx, "v1", &before); gridmap.ErrorCode(err) != gridmap.ENOTFOUND {
		t.Errorf("before it existed: want ENOTFOUND, got %v", err)
	}
}
