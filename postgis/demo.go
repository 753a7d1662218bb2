package postgis

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// DemoSpec sizes the synthetic demo street.
type DemoSpec struct {
	Villages, Micro, Workers int
	// StreetKm2 is the wanted street area; the street is the cell, among a
	// few Voronoi cells of the outline, whose area is closest to it.
	StreetKm2 float64
	Seed      int
	// DivisionCode is the 6-digit county code of the outline (370812).
	DivisionCode string
}

// DefaultDemo is the street of the seed figures: 1 street, 31 villages,
// 242 micro-grids and 57 grid workers.
var DefaultDemo = DemoSpec{Villages: 31, Micro: 242, Workers: 57, StreetKm2: 65, Seed: 370812, DivisionCode: "370812"}

// Grids is the number of grids the spec makes: the street, its villages
// and their micro-grids. Tests count from it rather than repeating 274.
func (s DemoSpec) Grids() int { return 1 + s.Villages + s.Micro }

// tessellateSQL creates a session-local function that cuts area into n
// cells: Voronoi cells of n seeded random points, relaxed by Lloyd's
// algorithm so cells are even, intersected with area so they tile it with no
// gap or overlap.
const tessellateSQL = `
CREATE OR REPLACE FUNCTION pg_temp.tessellate(area geometry, n int, seed int, iters int)
RETURNS TABLE (cell geometry) LANGUAGE plpgsql AS $$
DECLARE
    pts geometry;
BEGIN
    -- One cell is the area itself (a Voronoi diagram of one point is empty).
    IF n <= 1 THEN
        RETURN QUERY SELECT ST_Multi(area);
        RETURN;
    END IF;
    pts := ST_GeneratePoints(area, n, seed);
    FOR i IN 1..iters LOOP
        -- Move each point to the centre of its cell, kept inside the area.
        SELECT ST_Collect(CASE WHEN ST_Intersects(area, c) THEN c ELSE ST_PointOnSurface(x) END)
        INTO pts
        FROM (SELECT x, ST_Centroid(x) AS c
              FROM (SELECT ST_Intersection(d.geom, area) AS x
                    FROM ST_Dump(ST_VoronoiPolygons(pts, 0, area)) d) q
              WHERE NOT ST_IsEmpty(x)) r;
    END LOOP;
    RETURN QUERY
    SELECT ST_Multi(ST_CollectionExtract(ST_Intersection(d.geom, area), 3))
    FROM ST_Dump(ST_VoronoiPolygons(pts, 0, area)) d
    WHERE NOT ST_IsEmpty(ST_CollectionExtract(ST_Intersection(d.geom, area), 3))
    -- North to south, then west to east, so numbering reads like a map.
    ORDER BY round(ST_Y(ST_PointOnSurface(d.geom))::numeric, 3) DESC, ST_X(ST_PointOnSurface(d.geom));
END;
$$`

// pickStreetSQL cuts the outline into cells and keeps the one whose area
// (m², on the spheroid) is closest to $3.
const pickStreetSQL = `
SELECT ST_AsBinary(cell), ST_Area(cell::geography) / 1e6
FROM pg_temp.tessellate(ST_SetSRID(ST_GeomFromWKB($1), 4326),
                        greatest(1, round(ST_Area(ST_SetSRID(ST_GeomFromWKB($1), 4326)::geography) / ($3 * 1e6)))::int,
                        $2, 2)
ORDER BY abs(ST_Area(cell::geography) / 1e6 - $3)
LIMIT 1`

const cellsSQL = `
SELECT ST_AsBinary(cell), ST_Area(cell::geography) FROM pg_temp.tessellate(ST_SetSRID(ST_GeomFromWKB($1), 4326), $2, $3, 3)`

// HasGrids reports whether any grid exists.
func (s *Store) HasGrids(ctx context.Context) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM grid)`).Scan(&ok)
	return ok, mapErr(err, "grids")
}

type demoCell struct {
	wkb  []byte
	area float64
}

// Demo generates the synthetic demo street inside outline (EPSG:4326) and
// writes it, with its members, in one transaction. Generation is
// deterministic for a spec. Every grid carries attributes.synthetic = true
// and all names and phone numbers are fictional.
func (s *Store) Demo(ctx context.Context, outline orb.MultiPolygon, spec DemoSpec) (res ImportResult, err error) {
	defer gridmap.Wrap(&err, "postgis.Demo")
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return res, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, tessellateSQL); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, createStageSQL); err != nil {
		return res, err
	}
	ow, err := toWKB(outline)
	if err != nil {
		return res, err
	}
	var streetWKB []byte
	var streetKm2 float64
	if err := tx.QueryRow(ctx, pickStreetSQL, ow, spec.Seed, spec.StreetKm2).Scan(&streetWKB, &streetKm2); err != nil {
		return res, err
	}
	villages, err := cellsOf(ctx, tx, cellsSQL, streetWKB, spec.Villages, spec.Seed+1)
	if err != nil {
		return res, err
	}
	if len(villages) != spec.Villages {
		return res, fmt.Errorf("tessellation gave %d villages, want %d", len(villages), spec.Villages)
	}
	areas := make([]float64, len(villages))
	for i, v := range villages {
		areas[i] = v.area
	}
	microPer := allocate(spec.Micro, areas)
	workersPer := allocate(spec.Workers, intsToFloats(microPer))

	streetCode := spec.DivisionCode + "001000"
	synthetic := "演示数据（虚构）：网格、名称、人员与电话均为虚构，仅外框取自兖州区真实行政边界 / synthetic demo data"
	rows := [][]any{{0, streetCode, "演示街道", "", string(gridmap.LevelStreet),
		map[string]any{"synthetic": true, "note": synthetic, "area_km2": math.Round(streetKm2*100) / 100}, streetWKB}}
	var members []gridmap.Member
	people := newNamer(spec.Seed)
	members = append(members, gridmap.Member{GridCode: streetCode, Role: "leader", Name: people.name(), Contact: people.phone()})
	for vi, v := range villages {
		vcode := fmt.Sprintf("%s001%03d", spec.DivisionCode, vi+1)
		vname := villageNames[vi%len(villageNames)]
		rows = append(rows, []any{len(rows), vcode, vname, streetCode, string(gridmap.LevelVillage),
			map[string]any{"synthetic": true}, v.wkb})
		members = append(members,
			gridmap.Member{GridCode: vcode, Role: "leader", Name: people.name(), Contact: people.phone()},
			gridmap.Member{GridCode: vcode, Role: "police_assistant", Name: people.name(), Contact: people.phone()})
		micro, err := cellsOf(ctx, tx, cellsSQL, v.wkb, microPer[vi], spec.Seed+100+vi)
		if err != nil {
			return res, err
		}
		if len(micro) != microPer[vi] {
			return res, fmt.Errorf("tessellation of %s gave %d micro-grids, want %d", vcode, len(micro), microPer[vi])
		}
		workers := make([]gridmap.Member, workersPer[vi])
		for w := range workers {
			workers[w] = gridmap.Member{Role: "worker", Name: people.name(), Contact: people.phone()}
		}
		for mi, m := range micro {
			mcode := fmt.Sprintf("%s%02d", vcode, mi+1)
			households := 80 + people.rng.IntN(320)
			rows = append(rows, []any{len(rows), mcode, fmt.Sprintf("%s第%d网格", vname, mi+1), vcode,
				string(gridmap.LevelMicro), map[string]any{"synthetic": true, "households": households}, m.wkb})
			w := workers[mi%len(workers)]
			w.GridCode = mcode
			members = append(members, w)
		}
	}
	// Not "return res, storeDemoGrids(…, &res)": res could be read before the call fills it.
	err = storeDemoGrids(ctx, tx, rows, members, &res)
	return res, err
}

// storeDemoGrids stores the demo's grid rows (stageColumns) through the
// import's stage, check and apply, replaces their members, and commits.
func storeDemoGrids(ctx context.Context, tx pgx.Tx, rows [][]any, members []gridmap.Member, res *ImportResult) error {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage"}, stageColumns, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	res.Read = len(rows)
	problems, _, err := checkStage(ctx, tx, false)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return problemsError(problems, res.Read)
	}
	if err := applyStage(ctx, tx, res); err != nil {
		return err
	}
	mrows := make([][]any, len(members))
	for i, m := range members {
		mrows[i] = []any{m.GridCode, m.Role, m.Name, m.Contact}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM grid_member WHERE grid_code IN (SELECT code FROM stage)`); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"grid_member"}, []string{"grid_code", "role", "name", "contact"}, pgx.CopyFromRows(mrows)); err != nil {
		return err
	}
	return mapErr(tx.Commit(ctx), "demo")
}

// allocate splits total into len(weights) whole shares proportional to the
// weights (largest remainder), each at least 1. total must be ≥ len(weights).
func allocate(total int, weights []float64) []int {
	out := make([]int, len(weights))
	if len(weights) == 0 {
		return out
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	spare := total - len(weights) // one each first, the rest by weight
	type rem struct {
		i    int
		frac float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		exact := float64(spare) * w / sum
		out[i] = 1 + int(exact)
		given += int(exact)
		rems[i] = rem{i, exact - math.Floor(exact)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].frac > rems[b].frac })
	for k := 0; k < spare-given; k++ {
		out[rems[k].i]++
	}
	return out
}

func intsToFloats(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}
