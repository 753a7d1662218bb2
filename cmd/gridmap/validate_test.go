package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// TestValidateCommand: gridmap validate on the clean demo street, then on
// one with a grid grown over its neighbours.
func TestValidateCommand(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	outline, err := demodata.Yanzhou()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Demo(ctx, outline, postgis.DefaultDemo); err != nil {
		t.Fatal(err)
	}
	validate := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"validate"}, args...), &out, &errOut)
		return out.String(), err
	}
	out, err := validate()
	if err != nil || !strings.Contains(out, fmt.Sprintf("checked %d grids", postgis.DefaultDemo.Grids())) || !strings.Contains(out, "no problems") {
		t.Fatalf("clean demo: %v\n%s", err, out)
	}
	if _, err := st.Pool().Exec(ctx, `
UPDATE grid_version SET boundary = ST_Multi(ST_Buffer(boundary, 0.0005))
WHERE code = '37081200100107' AND valid_to IS NULL`); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "problems.geojson")
	out, err = validate("--level", "micro", "--geojson", file, "--max", "2")
	if gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(out, fmt.Sprintf("checked %d grids (level micro)", postgis.DefaultDemo.Micro)) ||
		!strings.Contains(out, "overlap") || !strings.Contains(out, "outside_parent") || !strings.Contains(out, "more (--max 0") {
		t.Fatalf("grown grid: %v\n%s", err, out)
	}
	var fc struct {
		Type     string
		Valid    bool
		Features []json.RawMessage
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fc); err != nil || fc.Type != "FeatureCollection" || fc.Valid || len(fc.Features) < 3 {
		t.Errorf("--geojson: %v %s", err, b[:min(len(b), 300)])
	}
	if _, err := validate("--level", "nope"); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("unknown level: %v", err)
	}
}
