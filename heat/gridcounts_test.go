package heat_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/heat"
)

// timeOrdered makes n incidents over 2026 with ids in time order (as a
// ticket system numbers them), over grids g00..g{ng-1} and some
// unassigned, so whole blocks of rows fall inside a time window.
func timeOrdered(n, ng int, seed uint64) []heat.Row {
	rows := randomRows(n, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	slices.SortFunc(rows, func(a, b heat.Row) int { return a.ReportedAt.Compare(b.ReportedAt) })
	for i := range rows {
		rows[i].ID = int64(i + 1)
		rows[i].GridCode = ""
		if rng.IntN(50) != 0 {
			rows[i].GridCode = fmt.Sprintf("g%02d", rng.IntN(ng))
		}
	}
	return rows
}

// randomFilter draws a filter of the kinds the wall map sends: windows
// whose ends fall anywhere (often nothing else, the path of the block
// counts), categories, statuses, grids and overdue.
func randomFilter(rng *rand.Rand) heat.Filter {
	var f heat.Filter
	day := func() time.Time {
		return t0.Add(time.Duration(rng.Int64N(int64(400*24*time.Hour))) - 20*24*time.Hour).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
	}
	switch rng.IntN(4) {
	case 0:
	case 1:
		f.From = day()
	default:
		f.From, f.To = day(), day()
		if f.From.After(f.To) && rng.IntN(4) != 0 {
			f.From, f.To = f.To, f.From
		}
	}
	if rng.IntN(4) == 0 {
		f.Categories = []gridmap.Category{cats[rng.IntN(len(cats))]}
		if rng.IntN(3) == 0 {
			f.Categories = slices.Clone(cats) // all of them: the block path again
		}
	}
	if rng.IntN(4) == 0 {
		f.Statuses = []gridmap.Status{gridmap.Statuses[rng.IntN(len(gridmap.Statuses))], gridmap.StatusClosed}
		if rng.IntN(3) == 0 {
			f.Statuses = slices.Clone(gridmap.Statuses)
		}
	}
	if rng.IntN(5) == 0 {
		f.Grids = []string{"g01", "g03", "nowhere"}
	}
	if rng.IntN(5) == 0 {
		f.Overdue, f.Now = ptr(rng.IntN(2) == 0), day()
	}
	return f
}

// checkCounts compares CountByGrid and CountVector with the plain row by
// row count of the same filter.
func checkCounts(t *testing.T, agg *heat.Aggregate, rows []heat.Row, f heat.Filter, what string) {
	t.Helper()
	want := naive(rows, f)
	got := agg.CountByGrid(f)
	v := agg.CountVector(f)
	if got.Total != want.Total || got.Unassigned != want.Unassigned || len(got.ByCode) != len(want.ByCode) ||
		v.Total != want.Total || v.Unassigned != want.Unassigned || len(v.Codes) != len(v.Counts) {
		t.Fatalf("%s, filter %+v: got %d/%d/%d grids, vector %d/%d; want %d/%d/%d grids", what, f,
			got.Total, got.Unassigned, len(got.ByCode), v.Total, v.Unassigned, want.Total, want.Unassigned, len(want.ByCode))
	}
	for c, n := range want.ByCode {
		if got.ByCode[c] != n {
			t.Fatalf("%s, filter %+v: grid %s %d, want %d", what, f, c, got.ByCode[c], n)
		}
	}
	for i, n := range v.Counts {
		if n != want.ByCode[v.Codes[i]] {
			t.Fatalf("%s, filter %+v: vector grid %s %d, want %d", what, f, v.Codes[i], n, want.ByCode[v.Codes[i]])
		}
	}
}

// TestCountsFromBlocks: counts that add whole blocks from their block
// counts equal the plain count on random filters, also after grid
// changes of rows already counted, rows inserted among counted blocks
// (which shift every block after them), new grids, and rows removed.
func TestCountsFromBlocks(t *testing.T) {
	const n = 700_000 // two full blocks of block counts and a partial one
	rows := timeOrdered(n, 40, 3)
	agg := heat.New()
	// Every 1000th row comes late: inserted below after the blocks are counted.
	var late []heat.Row
	var held []heat.Row
	for i, r := range rows {
		if i%1000 == 500 {
			late = append(late, r)
			continue
		}
		held = append(held, r)
	}
	for start := 0; start < len(held); start += 50_000 {
		agg.Apply(held[start:min(start+50_000, len(held))])
	}
	rng := rand.New(rand.NewPCG(9, 9))
	check := func(what string, rows []heat.Row) {
		// Fixed filters of the block path first: a whole year, and windows.
		checkCounts(t, agg, rows, heat.Filter{}, what)
		checkCounts(t, agg, rows, heat.Filter{From: t0.AddDate(0, 1, 0), To: t0.AddDate(0, 11, 0)}, what)
		checkCounts(t, agg, rows, heat.Filter{From: t0.AddDate(0, 3, 0).Add(time.Second / 2)}, what)
		for range 60 {
			checkCounts(t, agg, rows, randomFilter(rng), what)
		}
	}
	check("loaded", held)

	// Grid changes in place (a plan moving cases, or a case corrected):
	// rows in counted blocks move to another grid, to no grid, to a new one.
	var changes []heat.Row
	for i := 0; i < len(held); i += 313 {
		r := held[i]
		switch i % 3 {
		case 0:
			r.GridCode = "g07"
		case 1:
			r.GridCode = ""
		default:
			r.GridCode = "new-grid"
		}
		held[i] = r
		rows[r.ID-1] = r // ids are 1..n
		changes = append(changes, r)
	}
	agg.Apply(changes)
	check("grids changed", held)

	// Late rows: inserted in id order among the counted blocks.
	agg.Apply(late)
	check("late rows inserted", rows)
	for i := range rows {
		if rows[i].GridCode == "" && i%313 == 0 {
			rows[i].GridCode = "g05"
			agg.Apply([]heat.Row{rows[i]})
		}
	}
	check("grids changed again", rows)
}

// TestLevelRoll: Level.Roll answers as ByLevel, as the aggregate numbers
// new grids and for a second aggregate.
func TestLevelRoll(t *testing.T) {
	grids := []gridmap.Grid{{Code: "s", Name: "街道", Level: gridmap.LevelStreet}}
	for v := range 4 {
		vc := fmt.Sprintf("v%d", v)
		grids = append(grids, gridmap.Grid{Code: vc, Name: "村" + vc, Level: gridmap.LevelVillage, Parent: "s"})
		for m := range 10 {
			if c := fmt.Sprintf("g%02d", v*10+m); v*10+m < 36 { // g36..g39 are not in the index
				grids = append(grids, gridmap.Grid{Code: c, Level: gridmap.LevelMicro, Parent: vc})
			}
		}
	}
	ix, err := geo.NewIndex(grids)
	if err != nil {
		t.Fatal(err)
	}
	levels := map[gridmap.Level]*heat.Level{}
	for _, l := range []gridmap.Level{gridmap.LevelMicro, gridmap.LevelVillage, gridmap.LevelStreet, "county"} {
		levels[l] = heat.NewLevel(ix, l)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for round, n := range []int{20_000, 30_000} {
		rows := timeOrdered(n, 40+round*5, uint64(round))
		agg := heat.New()
		for part := range 2 { // the second part numbers new grids
			agg.Apply(rows[:len(rows)*(part+1)/2])
			for range 10 {
				f := randomFilter(rng)
				v := agg.CountVector(f)
				byCode := agg.CountByGrid(f).ByCode
				for level, l := range levels {
					want, wantElse := heat.ByLevel(ix, level, byCode)
					counts, elsewhere := l.Roll(v)
					if elsewhere != wantElse || len(counts) != len(want) || len(l.Grids) != len(want) {
						t.Fatalf("round %d, %s: elsewhere %d, %d counts; want %d, %d", round, level, elsewhere, len(counts), wantElse, len(want))
					}
					for i, w := range want {
						if counts[i] != w.Count || l.Grids[i].Code != w.Code {
							t.Fatalf("round %d, %s: %s %d, want %s %d", round, level, l.Grids[i].Code, counts[i], w.Code, w.Count)
						}
					}
				}
			}
		}
	}
}
