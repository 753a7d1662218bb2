package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/shareddata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// TestDemoProvince cuts two real counties of the synthetic province and
// checks, in PostGIS, that each level tiles the county outline it came from,
// that the tree and codes are the demo street's, and that its cases load
// through the import and land in micro-grids.
func TestDemoProvince(t *testing.T) {
	shareddata.Path(t, shareddata.Counties)
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	const counties = "370811,370812"
	var out bytes.Buffer
	args := []string{"demo", "--province", "37", "--counties", counties, "--cases", "5000", "--cases-batch", "3000"}
	if err := run(ctx, args, &out, &out); err != nil {
		t.Fatalf("gridmap %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	t.Log(out.String())
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	want, err := provinceCounties("37", counties, postgis.DefaultProvince.Micro)
	if err != nil {
		t.Fatal(err)
	}
	codeRe := map[gridmap.Level]*regexp.Regexp{
		gridmap.LevelStreet:  regexp.MustCompile(`^37081[12]\d{3}000$`),
		gridmap.LevelVillage: regexp.MustCompile(`^37081[12]\d{3}\d{3}$`),
		gridmap.LevelMicro:   regexp.MustCompile(`^37081[12]\d{6}\d{2}$`),
	}
	for _, c := range want {
		outline, err := wkb.Marshal(c.Outline)
		if err != nil {
			t.Fatal(err)
		}
		// Per level: count, union against the real outline, and the sum of
		// areas against the union (an overlap makes the sum larger). Planar
		// areas (degrees²), as ratios to the county: the spheroid area of a
		// whole county is off by some hundred m² from the sum of its parts'.
		for _, level := range []gridmap.Level{gridmap.LevelStreet, gridmap.LevelVillage, gridmap.LevelMicro} {
			var n int
			var countyKm2, symRatio, overlapRatio float64
			err := conn.QueryRow(ctx, `
WITH c AS (SELECT ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromWKB($1), 4326)), 3) g),
     l AS (SELECT count(*) n, ST_Union(boundary) u, sum(ST_Area(boundary)) s
           FROM grid_version WHERE valid_to IS NULL AND level = $2 AND left(code, 6) = $3)
SELECT l.n, ST_Area(c.g::geography) / 1e6, ST_Area(ST_SymDifference(c.g, l.u)) / ST_Area(c.g),
       (l.s - ST_Area(l.u)) / ST_Area(c.g)
FROM c, l`, outline, string(level), c.Code).Scan(&n, &countyKm2, &symRatio, &overlapRatio)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s %s: %d %s grids, county %.3f km², symmetric difference %.3g and overlap %.3g of it",
				c.Code, c.Name, n, level, countyKm2, symRatio, overlapRatio)
			// 1e-9 of a county is under 1 m²: float noise of the clipping,
			// far below any real gap or overlap (a micro-grid is ~1 km²).
			if symRatio > 1e-9 || overlapRatio > 1e-9 {
				t.Errorf("%s %s grids do not tile %s: symmetric difference %g, overlap %g of the county (tolerance 1e-9)",
					c.Code, level, c.Name, symRatio, overlapRatio)
			}
			switch level {
			case gridmap.LevelMicro:
				if n < c.Micro*98/100 || n > c.Micro*102/100 {
					t.Errorf("%s: %d micro-grids, want about %d", c.Code, n, c.Micro)
				}
			case gridmap.LevelVillage:
				if v := float64(c.Micro) / postgis.DefaultProvince.MicroPerVillage; float64(n) < 0.9*v || float64(n) > 1.1*v {
					t.Errorf("%s: %d villages for %d micro-grids, want about %.0f", c.Code, n, c.Micro, v)
				}
			case gridmap.LevelStreet:
				if n < 3 || n > 30 {
					t.Errorf("%s: %d streets, want a county's 3 to 30", c.Code, n)
				}
			}
		}
	}
	// Neighbours do not overlap: intersection area of every touching pair
	// of micro-grids (both counties, a few thousand pairs).
	var pairs int
	var overlapM2 float64
	if err := conn.QueryRow(ctx, `
SELECT count(*), coalesce(sum(ST_Area(ST_Intersection(a.boundary, b.boundary)::geography)), 0)
FROM grid_version a JOIN grid_version b ON a.code < b.code AND ST_Intersects(a.boundary, b.boundary)
WHERE a.level = 'micro' AND b.level = 'micro' AND a.valid_to IS NULL AND b.valid_to IS NULL`).Scan(&pairs, &overlapM2); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d neighbouring micro-grid pairs, %.3g m² of overlap in all", pairs, overlapM2)
	if pairs < 1000 || overlapM2 > 1 {
		t.Errorf("%d neighbouring pairs overlap by %g m² in all, want > 1000 pairs and ≤ 1 m²", pairs, overlapM2)
	}
	// The tree: codes in the street's scheme, each child inside its parent
	// and carrying its parent's prefix, everything synthetic, every
	// micro-grid with a worker.
	rows, err := conn.Query(ctx, `SELECT v.code, v.level, coalesce(v.parent_code, ''), v.attributes,
  coalesce(ST_Area(ST_Difference(v.boundary, p.boundary)::geography), 0),
  EXISTS (SELECT 1 FROM grid_member m WHERE m.grid_code = v.code AND m.role = CASE v.level WHEN 'micro' THEN 'worker' ELSE 'leader' END)
FROM grid_version v LEFT JOIN grid_version p ON p.code = v.parent_code AND p.valid_to IS NULL
WHERE v.valid_to IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for rows.Next() {
		var code, level, parent string
		var attrs map[string]any
		var outside float64
		var staffed bool
		if err := rows.Scan(&code, &level, &parent, &attrs, &outside, &staffed); err != nil {
			t.Fatal(err)
		}
		re := codeRe[gridmap.Level(level)]
		ok := re != nil && re.MatchString(code) && attrs["synthetic"] == true && attrs["province"] == "37" && staffed && outside < 1
		switch gridmap.Level(level) {
		case gridmap.LevelStreet:
			ok = ok && parent == ""
		case gridmap.LevelVillage:
			ok = ok && parent == code[:9]+"000"
		case gridmap.LevelMicro:
			ok = ok && parent == code[:12]
		}
		if !ok && bad < 10 {
			t.Errorf("grid %s (%s, parent %q, %v, %.3g m² outside its parent, staffed %v) is not a synthetic province grid in the street's scheme",
				code, level, parent, attrs, outside, staffed)
		}
		if !ok {
			bad++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// Cases: all stored, each in a micro-grid of these counties, found
	// there by PostGIS too; a second load stores nothing new.
	var cases, inMicro int
	if err := conn.QueryRow(ctx, `
SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM grid_version v WHERE v.valid_to IS NULL AND v.level = 'micro'
  AND v.code = i.grid_code AND ST_Intersects(v.boundary, i.location)))
FROM incident i WHERE external_id LIKE 'PROV37-%'`).Scan(&cases, &inMicro); err != nil {
		t.Fatal(err)
	}
	if cases != 5000 || inMicro != 5000 {
		t.Errorf("%d province cases stored, %d in their micro-grid; want 5000 and 5000", cases, inMicro)
	}
	// Ids in time order (as a ticket system numbers them, and as the
	// aggregate's zone map expects), spread over the year.
	var backwards int
	var spanDays float64
	if err := conn.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE back), max(span) FROM (
  SELECT reported_at < lag(reported_at) OVER (ORDER BY external_id) AS back,
         extract(epoch FROM max(reported_at) OVER () - min(reported_at) OVER ()) / 86400 AS span
  FROM incident WHERE external_id LIKE 'PROV37-%') s`).Scan(&backwards, &spanDays); err != nil {
		t.Fatal(err)
	}
	if backwards != 0 || spanDays < 360 || spanDays > 366 {
		t.Errorf("%d cases reported before the case numbered before them; cases span %.1f days, want 0 and a year", backwards, spanDays)
	}
	out.Reset()
	if err := run(ctx, []string{"demo", "--province", "37", "--cases-only", "--cases", "5000"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 new, 5000 stored before") {
		t.Errorf("second load: %s, want 0 new and 5000 stored before", out.String())
	}
}

// TestDemoProvinceRefusesOtherGrids: the province is never mixed into a
// database holding other grids (here the demo street).
func TestDemoProvinceRefusesOtherGrids(t *testing.T) {
	shareddata.Path(t, shareddata.Counties)
	st := testdb.Store(t)
	ctx := context.Background()
	outline, err := demodata.Yanzhou()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Demo(ctx, outline, postgis.DefaultDemo); err != nil {
		t.Fatal(err)
	}
	cs, err := provinceCounties("37", "370812", postgis.DefaultProvince.Micro)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.DemoCounty(ctx, cs[0], postgis.DefaultProvince)
	var e *gridmap.Error
	if !errors.As(err, &e) || e.Code != gridmap.ECONFLICT {
		t.Errorf("province over the demo street: %v, want a conflict", err)
	}
}
