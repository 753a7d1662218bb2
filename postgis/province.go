package postgis

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// ProvinceSpec sizes the synthetic province: real county outlines, each cut
// into streets, villages and micro-grids in the demo street's code scheme
// (county 6 digits + street 3 + village 3, micro-grid + 2).
type ProvinceSpec struct {
	// Prefix is the province's adcode prefix ("37": Shandong).
	Prefix string
	// Micro is the number of micro-grids in the whole province, shared
	// among the counties by area (CountyShares).
	Micro int
	// MicroPerVillage and VillagesPerStreet set the tree's fan-out; the
	// demo street has 7.8 and 31.
	MicroPerVillage, VillagesPerStreet float64
	// WorkersPerMicro is grid workers per micro-grid (demo: 57/242).
	WorkersPerMicro float64
	Seed            int
}

// DefaultProvince is Shandong at the scale of issue 17: about 100,000
// micro-grids in about 12,800 villages and 1,800 streets (Shandong has
// about 1,800 township-level divisions).
var DefaultProvince = ProvinceSpec{Prefix: "37", Micro: 100_000, MicroPerVillage: 7.8, VillagesPerStreet: 7, WorkersPerMicro: 57.0 / 242, Seed: 37}

// County is one real county outline the province is cut from.
type County struct {
	Code, Name string
	Outline    orb.MultiPolygon
	Micro      int // micro-grids to cut it into (CountyShares)
}

// CountyShares shares total micro-grids among counties by area (any unit),
// at least one each.
func CountyShares(total int, areas []float64) []int { return allocate(total, areas) }

// countyCellsSQL is cellsSQL on a repaired outline: a few real outlines
// touch themselves, and ST_Intersection refuses invalid input.
const countyCellsSQL = `
SELECT ST_AsBinary(cell), ST_Area(cell::geography)
FROM pg_temp.tessellate(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromWKB($1), 4326)), 3), $2, $3, 3)`

// DemoCounty cuts one county of the synthetic province into streets,
// villages and micro-grids and writes them with their members in one
// transaction, through the import's stage and checks (as Demo does).
// Generation is deterministic for a county and spec, so a second run
// changes nothing. Every grid carries attributes.synthetic = true and
// attributes.province = spec.Prefix; names and phones are fictional. It
// refuses a database holding any other grid (the demo street, real grids):
// synthetic grids are never mixed with others.
func (s *Store) DemoCounty(ctx context.Context, c County, spec ProvinceSpec) (res ImportResult, err error) {
	defer gridmap.Wrap(&err, "postgis.DemoCounty")
	if len(c.Code) != 6 || c.Micro < 1 {
		return res, gridmap.Errorf(gridmap.EINVALID, "county %q: want a 6-digit adcode and at least one micro-grid", c.Code)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return res, mapErr(err, "database")
	}
	defer tx.Rollback(ctx)
	var other string
	err = tx.QueryRow(ctx, `SELECT code FROM grid_version WHERE valid_to IS NULL
AND attributes->>'province' IS DISTINCT FROM $1 LIMIT 1`, spec.Prefix).Scan(&other)
	switch {
	case err == nil:
		return res, gridmap.Errorf(gridmap.ECONFLICT,
			"the database holds grid %s, which is not part of synthetic province %s: load the province into an empty database", other, spec.Prefix)
	case err != pgx.ErrNoRows:
		return res, err
	}
	if _, err := tx.Exec(ctx, tessellateSQL); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, createStageSQL); err != nil {
		return res, err
	}
	ow, err := toWKB(c.Outline)
	if err != nil {
		return res, err
	}
	seed := spec.Seed*1_000_000 + atoi(c.Code)%1_000_000
	villagesN := max(1, int(math.Round(float64(c.Micro)/spec.MicroPerVillage)))
	streetsN := max(1, int(math.Round(float64(villagesN)/spec.VillagesPerStreet)))
	streets, err := cellsOf(ctx, tx, countyCellsSQL, ow, streetsN, seed)
	if err != nil {
		return res, err
	}
	villagesPer := allocate(max(villagesN, len(streets)), areasOf(streets))
	people := newNamer(seed)
	attrs := func(extra map[string]any) map[string]any {
		a := map[string]any{"synthetic": true, "province": spec.Prefix}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	var rows [][]any
	var members []gridmap.Member
	type village struct {
		code, name string
		cell       demoCell
	}
	var villages []village
	for si, st := range streets {
		scode := fmt.Sprintf("%s%03d000", c.Code, si+1)
		rows = append(rows, []any{len(rows), scode, fmt.Sprintf("%s演示街道%d", c.Name, si+1), "", string(gridmap.LevelStreet),
			attrs(map[string]any{"note": "演示数据（虚构）：仅县界取自真实行政边界 / synthetic province", "county": c.Code,
				"area_km2": math.Round(st.area/1e4) / 100}), st.wkb})
		members = append(members, gridmap.Member{GridCode: scode, Role: "leader", Name: people.name(), Contact: people.phone()})
		vs, err := cellsOf(ctx, tx, cellsSQL, st.wkb, villagesPer[si], seed+si+1)
		if err != nil {
			return res, err
		}
		if len(vs) > 999 {
			return res, fmt.Errorf("street %s: %d villages do not fit 3 digits", scode, len(vs))
		}
		for vi, v := range vs {
			vcode := fmt.Sprintf("%s%03d%03d", c.Code, si+1, vi+1)
			vname := villageNames[(si*7+vi)%len(villageNames)]
			rows = append(rows, []any{len(rows), vcode, vname, scode, string(gridmap.LevelVillage), attrs(nil), v.wkb})
			members = append(members,
				gridmap.Member{GridCode: vcode, Role: "leader", Name: people.name(), Contact: people.phone()},
				gridmap.Member{GridCode: vcode, Role: "police_assistant", Name: people.name(), Contact: people.phone()})
			villages = append(villages, village{vcode, vname, v})
		}
	}
	vareas := make([]float64, len(villages))
	for i, v := range villages {
		vareas[i] = v.cell.area
	}
	microPer := allocate(max(c.Micro, len(villages)), vareas)
	for vi, v := range villages {
		micro, err := cellsOf(ctx, tx, cellsSQL, v.cell.wkb, microPer[vi], seed+10_000+vi)
		if err != nil {
			return res, err
		}
		if len(micro) > 99 {
			return res, fmt.Errorf("village %s: %d micro-grids do not fit 2 digits", v.code, len(micro))
		}
		workers := make([]gridmap.Member, max(1, int(math.Round(float64(len(micro))*spec.WorkersPerMicro))))
		for w := range workers {
			workers[w] = gridmap.Member{Role: "worker", Name: people.name(), Contact: people.phone()}
		}
		for mi, m := range micro {
			mcode := fmt.Sprintf("%s%02d", v.code, mi+1)
			rows = append(rows, []any{len(rows), mcode, fmt.Sprintf("%s第%d网格", v.name, mi+1), v.code,
				string(gridmap.LevelMicro), attrs(map[string]any{"households": 80 + people.rng.IntN(320)}), m.wkb})
			w := workers[mi%len(workers)]
			w.GridCode = mcode
			members = append(members, w)
		}
	}
	// Not "return res, storeDemoGrids(…, &res)": res could be read before the call fills it.
	err = storeDemoGrids(ctx, tx, rows, members, &res)
	return res, err
}

func cellsOf(ctx context.Context, tx pgx.Tx, q string, area []byte, n, seed int) ([]demoCell, error) {
	rows, err := tx.Query(ctx, q, area, n, seed)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (demoCell, error) {
		var c demoCell
		err := r.Scan(&c.wkb, &c.area)
		return c, err
	})
}

func areasOf(cs []demoCell) []float64 {
	out := make([]float64, len(cs))
	for i, c := range cs {
		out[i] = c.area
	}
	return out
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n = n*10 + int(r-'0')
		}
	}
	return n
}
