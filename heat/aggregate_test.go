package heat_test

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/heat"
)

var (
	cats  = []gridmap.Category{"dispute", "hazard", "public_request", "environment"}
	codes = []string{"", "A01", "A02", "A03", "B01", "B02"}
	t0    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// randomRows makes n incidents around Yanzhou with ids 1..n, over 2026.
// Four in five have a deadline, 1 to 31 days after they were reported.
func randomRows(n int, seed uint64) []heat.Row {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([]heat.Row, n)
	for i := range rows {
		rows[i] = heat.Row{
			ID:         int64(i + 1),
			ReportedAt: t0.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second),
			Category:   cats[rng.IntN(len(cats))],
			Status:     gridmap.Statuses[rng.IntN(len(gridmap.Statuses))],
			GridCode:   codes[rng.IntN(len(codes))],
			Lon:        116.7 + 0.2*rng.Float64(),
			Lat:        35.5 + 0.1*rng.Float64(),
		}
		if i%5 != 0 {
			rows[i].Deadline = rows[i].ReportedAt.AddDate(0, 0, 1+i%31)
		}
	}
	return rows
}

// naive counts like CountByGrid, one row at a time.
func naive(rows []heat.Row, f heat.Filter) heat.GridCounts {
	gc := heat.GridCounts{ByCode: map[string]int{}}
	for _, r := range rows {
		if !match(r, f) {
			continue
		}
		gc.Total++
		if r.GridCode == "" {
			gc.Unassigned++
		} else {
			gc.ByCode[r.GridCode]++
		}
	}
	return gc
}

func match(r heat.Row, f heat.Filter) bool {
	if f.Categories != nil && !contains(f.Categories, r.Category) ||
		f.Statuses != nil && !contains(f.Statuses, r.Status) ||
		!f.From.IsZero() && r.ReportedAt.Before(f.From) ||
		!f.To.IsZero() && !r.ReportedAt.Before(f.To) ||
		f.Grids != nil && !contains(f.Grids, r.GridCode) {
		return false
	}
	if f.Overdue != nil {
		// The definition the incident listing uses.
		in := gridmap.Incident{Status: r.Status}
		if !r.Deadline.IsZero() {
			in.Deadline = &r.Deadline
		}
		if in.Overdue(f.Now) != *f.Overdue {
			return false
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func filters() []struct {
	name string
	f    heat.Filter
} {
	return []struct {
		name string
		f    heat.Filter
	}{
		{"all", heat.Filter{}},
		{"category", heat.Filter{Categories: []gridmap.Category{"dispute", "hazard"}}},
		{"unknown category", heat.Filter{Categories: []gridmap.Category{"weather"}}},
		{"status", heat.Filter{Statuses: []gridmap.Status{gridmap.StatusReported, gridmap.StatusAccepted}}},
		{"window", heat.Filter{From: t0.AddDate(0, 2, 0), To: t0.AddDate(0, 3, 0)}},
		{"window with fractions", heat.Filter{From: t0.AddDate(0, 2, 0).Add(1500 * time.Millisecond), To: t0.AddDate(0, 2, 3).Add(-500 * time.Millisecond)}},
		{"from only", heat.Filter{From: t0.AddDate(0, 11, 0)}},
		{"empty window", heat.Filter{From: t0.AddDate(0, 3, 0), To: t0.AddDate(0, 2, 0)}},
		{"grids", heat.Filter{Grids: []string{"A01", "B02"}}},
		{"everything", heat.Filter{Categories: []gridmap.Category{"environment"}, Statuses: []gridmap.Status{gridmap.StatusClosed},
			From: t0.AddDate(0, 1, 0), To: t0.AddDate(0, 9, 0), Grids: []string{"A01", "A02", "B01"}}},
		{"overdue", heat.Filter{Overdue: ptr(true), Now: t0.AddDate(0, 6, 0).Add(300 * time.Millisecond)}},
		{"not overdue", heat.Filter{Overdue: ptr(false), Now: t0.AddDate(0, 6, 0)}},
		{"overdue after the year", heat.Filter{Overdue: ptr(true), Now: t0.AddDate(2, 0, 0)}},
		{"overdue before any deadline", heat.Filter{Overdue: ptr(true), Now: t0}},
		{"overdue before 1970", heat.Filter{Overdue: ptr(true), Now: time.Unix(-5, 0)}},
		{"not overdue before 1970", heat.Filter{Overdue: ptr(false), Now: time.Unix(-5, 0)}},
		{"overdue with the rest", heat.Filter{Categories: []gridmap.Category{"dispute", "hazard"}, Statuses: []gridmap.Status{gridmap.StatusAccepted, gridmap.StatusResolved},
			From: t0.AddDate(0, 1, 0), To: t0.AddDate(0, 9, 0), Grids: []string{"A01", "B01"}, Overdue: ptr(true), Now: t0.AddDate(0, 8, 0)}},
	}
}

func TestCountByGrid(t *testing.T) {
	rows := randomRows(50_000, 7)
	agg := heat.New()
	agg.Apply(rows)
	for _, tc := range filters() {
		t.Run(tc.name, func(t *testing.T) {
			got, want := agg.CountByGrid(tc.f), naive(rows, tc.f)
			if got.Total != want.Total || got.Unassigned != want.Unassigned || len(got.ByCode) != len(want.ByCode) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			for c, n := range want.ByCode {
				if got.ByCode[c] != n {
					t.Errorf("%s: %d, want %d", c, got.ByCode[c], n)
				}
			}
		})
	}
}

func TestApplyUpdatesAndLateInserts(t *testing.T) {
	rows := randomRows(20_000, 8)
	agg := heat.New()
	// Every other row first, then the rest (late inserts in the middle),
	// then status and time changes of some rows.
	var first, rest []heat.Row
	for i, r := range rows {
		if i%2 == 0 {
			first = append(first, r)
		} else {
			rest = append(rest, r)
		}
	}
	for _, ch := range agg.Apply(first) {
		if !ch.New {
			t.Fatal("first rows not new")
		}
	}
	agg.Apply(rest)
	var changes []heat.Row
	for i := 0; i < len(rows); i += 97 {
		r := rows[i]
		r.Status = gridmap.StatusClosed
		if i%2 == 0 && !r.Deadline.IsZero() {
			// Some stay open with their deadline moved earlier, or cleared.
			r.Status = gridmap.StatusInProgress
			r.Deadline = r.Deadline.AddDate(0, 0, -20)
			if i%3 == 0 {
				r.Deadline = time.Time{}
			}
		}
		r.ReportedAt = r.ReportedAt.Add(-40 * 24 * time.Hour)
		rows[i] = r
		changes = append(changes, r)
	}
	for _, ch := range agg.Apply(changes) {
		if ch.New || ch.Previous == "" {
			t.Fatalf("update reported as %+v", ch)
		}
	}
	if agg.Len() != len(rows) {
		t.Fatalf("len %d, want %d", agg.Len(), len(rows))
	}
	for _, tc := range filters() {
		got, want := agg.CountByGrid(tc.f), naive(rows, tc.f)
		if got.Total != want.Total || got.Unassigned != want.Unassigned {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, want)
		}
	}
}

// TestOverdue: overdue is open (reported, accepted, in progress) with a
// deadline before the reference time, in every scan, and follows status
// and deadline changes.
func TestOverdue(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	lon, lat := 116.8, 35.55
	row := func(id int64, st gridmap.Status, deadline time.Time) heat.Row {
		return heat.Row{ID: id, ReportedAt: now.AddDate(0, 0, -10), Deadline: deadline, Category: "hazard",
			Status: st, GridCode: "A01", Lon: lon, Lat: lat}
	}
	agg := heat.New()
	agg.Apply([]heat.Row{
		row(1, gridmap.StatusClosed, now.AddDate(0, 0, -3)),      // closed past due: not overdue
		row(2, gridmap.StatusResolved, now.AddDate(0, 0, -3)),    // resolved past due: not overdue
		row(3, gridmap.StatusInProgress, now.AddDate(0, 0, -3)),  // open past due: overdue
		row(4, gridmap.StatusReported, now.Add(-time.Second)),    // open, due a second ago: overdue
		row(5, gridmap.StatusAccepted, now.AddDate(0, 0, 2)),     // open, not yet due
		row(6, gridmap.StatusAccepted, now),                      // due at this very second: not yet overdue
		row(7, gridmap.StatusReported, time.Time{}),              // open without a deadline
		row(8, gridmap.StatusInProgress, now.AddDate(-1, 0, -3)), // open, a year overdue
		row(9, gridmap.StatusInProgress, now.AddDate(0, 0, -1)),  // overdue, resolved below
		row(10, gridmap.StatusAccepted, now.AddDate(0, 0, -1)),   // overdue, deadline extended below
		row(11, gridmap.StatusAccepted, now.AddDate(0, 0, 1)),    // not due, deadline brought forward below
		row(12, gridmap.StatusInProgress, now.AddDate(0, 0, -1)), // overdue, deadline cleared below
	})
	total := func(f heat.Filter) int {
		return agg.CountByGrid(f).Total
	}
	tileTotal := func(f heat.Filter) int {
		tile := maptile.At([2]float64{lon, lat}, 14)
		cells, err := agg.Tile(uint32(tile.Z), tile.X, tile.Y, f, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range cells {
			n += c.Count
		}
		return n
	}
	seriesTotal := func(f heat.Filter) int {
		b, err := heat.Buckets(heat.Day, now.AddDate(0, 0, -20), now, gridmap.ChinaTime)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range agg.Series(f, b) {
			n += p.Count
		}
		return n
	}
	check := func(when string, wantOverdue int) {
		t.Helper()
		over := heat.Filter{Overdue: ptr(true), Now: now}
		notOver := heat.Filter{Overdue: ptr(false), Now: now}
		all := agg.Len()
		for name, count := range map[string]func(heat.Filter) int{"CountByGrid": total, "Tile": tileTotal, "Series": seriesTotal} {
			if got := count(over); got != wantOverdue {
				t.Errorf("%s, %s: %d overdue, want %d", when, name, got, wantOverdue)
			}
			if got := count(notOver); got != all-wantOverdue {
				t.Errorf("%s, %s: %d not overdue, want %d", when, name, got, all-wantOverdue)
			}
		}
	}
	check("as loaded", 6) // 3, 4, 8, 9, 10, 12

	// Half a second on, the row due at now is overdue too.
	f := heat.Filter{Overdue: ptr(true), Now: now.Add(500 * time.Millisecond)}
	if got := agg.CountByGrid(f).Total; got != 7 {
		t.Errorf("half a second later: %d overdue, want 7", got)
	}
	// Only the overdue among the statuses asked for.
	f = heat.Filter{Overdue: ptr(true), Now: now, Statuses: []gridmap.Status{gridmap.StatusReported, gridmap.StatusClosed}}
	if got := agg.CountByGrid(f).Total; got != 1 {
		t.Errorf("overdue among reported and closed: %d, want 1 (row 4)", got)
	}

	// PATCHes: 9 resolved, 10's deadline extended, 11's brought forward,
	// 12's cleared.
	agg.Apply([]heat.Row{
		row(9, gridmap.StatusResolved, now.AddDate(0, 0, -1)),
		row(10, gridmap.StatusAccepted, now.AddDate(0, 0, 5)),
		row(11, gridmap.StatusAccepted, now.AddDate(0, 0, -2)),
		row(12, gridmap.StatusInProgress, time.Time{}),
	})
	check("after the changes", 4) // 3, 4, 8, 11
}

func TestSeries(t *testing.T) {
	rows := randomRows(30_000, 9)
	agg := heat.New()
	agg.Apply(rows)
	for _, b := range []heat.Bucket{heat.Day, heat.Week, heat.Month} {
		t.Run(string(b), func(t *testing.T) {
			from, to := time.Date(2026, 2, 10, 13, 0, 0, 0, gridmap.ChinaTime), time.Date(2026, 8, 3, 0, 0, 0, 0, gridmap.ChinaTime)
			buckets, err := heat.Buckets(b, from, to, gridmap.ChinaTime)
			if err != nil {
				t.Fatal(err)
			}
			f := heat.Filter{Categories: []gridmap.Category{"hazard"}, Grids: []string{"A01", "A02"}}
			got := agg.Series(f, buckets)
			for i, p := range got {
				if i > 0 && !p.Start.Equal(got[i-1].End) {
					t.Fatalf("bucket %d starts at %v, the previous ends at %v", i, p.Start, got[i-1].End)
				}
				if h, m, s := p.Start.Clock(); h|m|s != 0 {
					t.Fatalf("bucket %d starts at %v, not midnight CST", i, p.Start)
				}
				if b == heat.Week && p.Start.Weekday() != time.Monday || b == heat.Month && p.Start.Day() != 1 {
					t.Fatalf("bucket %d starts on %v", i, p.Start)
				}
				ff := f
				ff.From, ff.To = p.Start, p.End
				if want := naive(rows, ff).Total; p.Count != want {
					t.Errorf("bucket %v: %d, want %d", p.Start, p.Count, want)
				}
			}
			if got[0].Start.After(from) || got[len(got)-1].End.Before(to) {
				t.Errorf("buckets %v–%v do not cover %v–%v", got[0].Start, got[len(got)-1].End, from, to)
			}
		})
	}
	if _, err := heat.Buckets(heat.Day, t0, t0.AddDate(40, 0, 0), gridmap.ChinaTime); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("40 years of days: %v", err)
	}
}

// TestTileConservesCounts checks that at every zoom the counts of the
// tiles covering the data add up to the number of incidents, and that a
// tile's counts equal those of its four children.
func TestTileConservesCounts(t *testing.T) {
	rows := randomRows(20_000, 10)
	agg := heat.New()
	agg.Apply(rows)
	f := heat.Filter{Categories: []gridmap.Category{"dispute", "hazard"}, From: t0.AddDate(0, 1, 0)}
	want := naive(rows, f).Total
	sum := func(z, x, y uint32) int {
		cells, err := agg.Tile(z, x, y, f, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range cells {
			if c.X < 0 || c.X >= heat.Extent || c.Y < 0 || c.Y >= heat.Extent || c.Count <= 0 {
				t.Fatalf("%d/%d/%d: bad cell %+v", z, x, y, c)
			}
			n += c.Count
		}
		return n
	}
	for z := uint32(0); z <= 16; z += 2 {
		// The tiles covering the data's bound.
		minT := maptile.At([2]float64{116.7, 35.6}, maptile.Zoom(z))
		maxT := maptile.At([2]float64{116.9, 35.5}, maptile.Zoom(z))
		total := 0
		for x := minT.X; x <= maxT.X; x++ {
			for y := minT.Y; y <= maxT.Y; y++ {
				n := sum(z, x, y)
				total += n
				if z < 16 && x == minT.X && y == minT.Y {
					kids := sum(z+1, 2*x, 2*y) + sum(z+1, 2*x+1, 2*y) + sum(z+1, 2*x, 2*y+1) + sum(z+1, 2*x+1, 2*y+1)
					if kids != n {
						t.Errorf("%d/%d/%d holds %d, its children %d", z, x, y, n, kids)
					}
				}
			}
		}
		if total != want {
			t.Errorf("zoom %d: tiles hold %d incidents, want %d", z, total, want)
		}
	}
	if _, err := agg.Tile(3, 8, 0, f, 0); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("x out of range: %v", err)
	}
	if _, err := agg.Tile(30, 0, 0, f, 0); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("zoom 30: %v", err)
	}
}

func TestEncodeTile(t *testing.T) {
	rows := randomRows(5_000, 11)
	agg := heat.New()
	agg.Apply(rows)
	tile := maptile.At([2]float64{116.8, 35.55}, 11)
	cells, err := agg.Tile(uint32(tile.Z), tile.X, tile.Y, heat.Filter{}, 0)
	if err != nil || len(cells) == 0 {
		t.Fatalf("%d cells, %v", len(cells), err)
	}
	b, err := heat.EncodeTile(cells)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	layers, err := mvt.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || layers[0].Name != "heat" || len(layers[0].Features) != len(cells) {
		t.Fatalf("layers %+v", layers)
	}
	for _, f := range layers[0].Features {
		if len(f.Properties) != 1 || f.Properties["count"] == nil {
			t.Fatalf("feature properties %v: want only count", f.Properties)
		}
		if f.Geometry.GeoJSONType() != "Point" {
			t.Fatalf("geometry %s", f.Geometry.GeoJSONType())
		}
	}
	if b, err := heat.EncodeTile(nil); b != nil || err != nil {
		t.Errorf("empty tile: %d bytes, %v", len(b), err)
	}
}

func ExampleBuckets() {
	b, _ := heat.Buckets(heat.Week, time.Date(2026, 3, 4, 10, 0, 0, 0, gridmap.ChinaTime), time.Date(2026, 3, 20, 0, 0, 0, 0, gridmap.ChinaTime), gridmap.ChinaTime)
	for _, p := range b {
		fmt.Println(p.Start.Format("2006-01-02 Mon"), "to", p.End.Format("2006-01-02"))
	}
	// Output:
	// 2026-03-02 Mon to 2026-03-09
	// 2026-03-09 Mon to 2026-03-16
	// 2026-03-16 Mon to 2026-03-23
}

func TestNewest(t *testing.T) {
	rows := randomRows(50_000, 11)
	agg := heat.New()
	agg.Apply(rows)
	for _, tc := range filters() {
		for _, n := range []int{0, 1, 12, 300} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, n), func(t *testing.T) {
				var want []heat.Row
				for _, r := range rows {
					if match(r, tc.f) {
						want = append(want, r)
					}
				}
				slices.SortFunc(want, func(a, b heat.Row) int {
					if c := b.ReportedAt.Compare(a.ReportedAt); c != 0 {
						return c
					}
					return cmp.Compare(b.ID, a.ID)
				})
				want = want[:min(n, len(want))]
				got := agg.Newest(tc.f, n)
				if len(got) != len(want) {
					t.Fatalf("%d rows, want %d", len(got), len(want))
				}
				for i, w := range want {
					g := got[i]
					if g.ID != w.ID || !g.ReportedAt.Equal(w.ReportedAt) || g.Category != w.Category || g.Status != w.Status ||
						g.GridCode != w.GridCode || !g.Deadline.Equal(w.Deadline) {
						t.Fatalf("row %d: %+v, want %+v", i, g, w)
					}
				}
			})
		}
	}
}
