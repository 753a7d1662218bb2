package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/heat"
)

// The memory window (GRIDMAP_CASE_MONTHS, issue 17): an instance holds
// only the cases of the last months in memory; counts of whole months
// before them come from the monthly rollups in the database, and what
// rollups cannot answer (overdue, heat tiles, the newest cases, the
// indicators, partial months) is refused before the window with a 400
// that says where it starts.

// RollupReader reads the monthly rollups of incidents (postgis.Store).
type RollupReader interface {
	MonthRollups(ctx context.Context, q gridmap.RollupQuery) (gridmap.Rollups, error)
}

// windowStart returns the first instant held in memory, zero when every
// month is.
func (s *Server) windowStart() time.Time {
	if s.window == nil {
		return time.Time{}
	}
	return s.window()
}

// windowPlan says how a filter is answered under the memory window.
type windowPlan struct {
	win time.Time // zero: no window
	// rollups: whole months in [rf, rt) come from the rollups, the rest
	// (from win on) from memory.
	rollups bool
	rf, rt  time.Time
	// clamped: the request gave no time range and the answer covers only
	// the window.
	clamped bool
}

// fields are the response fields that say where the answer came from.
func (p windowPlan) fields(m map[string]any, r *gridmap.Rollups) {
	if p.win.IsZero() {
		return
	}
	m["memory_from"] = p.win
	if p.clamped {
		m["counted_from"] = p.win
	}
	if !p.rollups {
		return
	}
	months := []string{}
	refreshed := map[string]time.Time{}
	if r != nil {
		for _, rm := range r.Months {
			k := rm.Month.Format("2006-01")
			months = append(months, k)
			refreshed[k] = rm.RefreshedAt
		}
	}
	// Rollup counts are as of their refresh, not live.
	m["rollup_months"], m["rollups_refreshed_at"] = months, refreshed
}

func monthName(t time.Time) string { return t.In(gridmap.ChinaTime).Format("2006-01") }

// planWindow checks f against the memory window and narrows it to what
// memory answers. what names the request for messages; canRollup says the
// endpoint adds rollup counts for whole months before the window (not
// with overdue=, which rollups do not know). A range reaching before the
// window that the endpoint cannot answer is EINVALID when the request set
// from or to, and narrowed to the window (clamped) when it set neither.
func (s *Server) planWindow(f *heat.Filter, what string, canRollup bool) (windowPlan, error) {
	return s.planWindowNamed(f, what, canRollup, "from", "to")
}

// planWindowNamed is planWindow for parameters named other than from and
// to (OGC's datetime start and end).
func (s *Server) planWindowNamed(f *heat.Filter, what string, canRollup bool, fromName, toName string) (windowPlan, error) {
	p := windowPlan{win: s.windowStart()}
	win := p.win
	if win.IsZero() || !f.From.IsZero() && !f.From.Before(win) {
		return p, nil
	}
	ranged := !f.From.IsZero() || !f.To.IsZero()
	if f.Overdue != nil {
		canRollup, what = false, "overdue="
	}
	if !canRollup {
		if ranged {
			return p, gridmap.Errorf(gridmap.EINVALID, "%s cannot be answered before %s, where this instance's memory window starts (GRIDMAP_CASE_MONTHS): "+
				"it holds the cases from then on and older months only as monthly counts by grid, category and status; ask from=%s or later",
				what, win.Format(time.RFC3339), win.Format("2006-01-02"))
		}
		f.From, p.clamped = win, true
		return p, nil
	}
	for _, b := range []struct {
		name string
		t    time.Time
	}{{fromName, f.From}, {toName, f.To}} {
		if b.t.IsZero() || !b.t.Before(win) || b.t.Equal(gridmap.MonthOf(b.t)) {
			continue
		}
		m := gridmap.MonthOf(b.t)
		return p, gridmap.Errorf(gridmap.EINVALID, "%s %s falls inside %s, before the memory window (cases from %s on are in memory): "+
			"earlier months are counted from monthly rollups, so a range reaching before %s must start and end on a month's first day "+
			"(00:00 China time), e.g. %s or %s",
			b.name, b.t.Format(time.RFC3339), monthName(b.t), win.Format(time.RFC3339), win.Format("2006-01-02"),
			m.Format("2006-01-02"), m.AddDate(0, 1, 0).Format("2006-01-02"))
	}
	p.rollups, p.rf, p.rt = true, f.From, win
	if !f.To.IsZero() && f.To.Before(win) {
		p.rt = f.To
	}
	f.From = win // memory answers the rest (empty when To ≤ win)
	return p, nil
}

// readRollups reads the rollups p asks for, filtered as f (categories,
// statuses; grids are the caller's).
func (s *Server) readRollups(ctx context.Context, p windowPlan, f heat.Filter) (*gridmap.Rollups, error) {
	if !p.rollups {
		return nil, nil
	}
	if s.rollups == nil {
		return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: fmt.Sprintf(
			"counts before %s need the monthly rollups, which this instance cannot read; ask from=%s or later",
			p.win.Format(time.RFC3339), p.win.Format("2006-01-02"))}
	}
	r, err := s.rollups.MonthRollups(ctx, gridmap.RollupQuery{From: p.rf, To: p.rt, Categories: f.Categories, Statuses: f.Statuses})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// gridSet is f.Grids as a set (nil: every grid, and unassigned).
func gridSet(f heat.Filter) map[string]bool {
	if f.Grids == nil {
		return nil
	}
	m := make(map[string]bool, len(f.Grids))
	for _, c := range f.Grids {
		m[c] = true
	}
	return m
}

// addRollups adds the rollup counts to gc, kept to f's grids.
func addRollups(gc *heat.GridCounts, r *gridmap.Rollups, f heat.Filter) {
	if r == nil {
		return
	}
	grids := gridSet(f)
	for _, c := range r.Counts {
		if grids != nil && !grids[c.GridCode] {
			continue
		}
		n := int(c.Incidents)
		gc.Total += n
		if c.GridCode == "" {
			gc.Unassigned += n
			continue
		}
		gc.ByCode[c.GridCode] += n
	}
}

// seriesWindow fits a time series to the memory window. Monthly buckets
// before it are counted from the rollups (a bucket is a whole month);
// daily and weekly ones cannot be: refused when the request gave from or
// to, else the buckets start at the window.
func (s *Server) seriesWindow(r *http.Request, b heat.Bucket, ranged bool, f heat.Filter, buckets []heat.SeriesPoint) (windowPlan, *gridmap.Rollups, []heat.SeriesPoint, error) {
	p := windowPlan{win: s.windowStart()}
	if p.win.IsZero() || !buckets[0].Start.Before(p.win) {
		return p, nil, buckets, nil
	}
	if b != heat.Month || f.Overdue != nil {
		if ranged {
			g := f
			g.From = buckets[0].Start
			_, err := s.planWindow(&g, "a time series by "+string(b), false)
			return p, nil, nil, err
		}
		for len(buckets) > 1 && buckets[0].Start.Before(p.win) {
			buckets = buckets[1:]
		}
		p.clamped = true
		return p, nil, buckets, nil
	}
	p.rollups, p.rf, p.rt = true, buckets[0].Start, p.win
	rolls, err := s.readRollups(r.Context(), p, f)
	return p, rolls, buckets, err
}

// addSeriesRollups puts the rollup counts in the monthly buckets before
// the window, in place of memory's (which holds none of them, or, for
// the moments between a new month and its drop, some).
func addSeriesRollups(series []heat.SeriesPoint, p windowPlan, r *gridmap.Rollups, f heat.Filter) {
	if !p.rollups {
		return
	}
	grids := gridSet(f)
	byMonth := map[int64]int{}
	if r != nil {
		for _, c := range r.Counts {
			if grids == nil || grids[c.GridCode] {
				byMonth[c.Month.Unix()] += int(c.Incidents)
			}
		}
	}
	for i := range series {
		if series[i].Start.Before(p.win) {
			series[i].Count = byMonth[series[i].Start.Unix()]
		}
	}
}

// memoryWindow answers where the memory window starts, so a page (the
// wall map) keeps its ranges inside it instead of meeting the 400s.
func (s *Server) memoryWindow(w http.ResponseWriter, r *http.Request) error {
	out := map[string]any{"memory_from": nil, "time_zone": "Asia/Shanghai"}
	if win := s.windowStart(); !win.IsZero() {
		out["memory_from"] = win
		out["memory_from_date"] = win.In(gridmap.ChinaTime).Format("2006-01-02")
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, out)
	return nil
}
