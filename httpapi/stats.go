package httpapi

import (
	"net/http"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/heat"
)

// currentHeat returns the incident aggregate or EUNAVAILABLE while it loads.
func (s *Server) currentHeat() (*heat.Aggregate, error) {
	if s.heat != nil {
		if a := s.heat(); a != nil {
			return a, nil
		}
	}
	return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the incident statistics are still loading; try again shortly"}
}

// heatQuery gathers what every aggregate read needs: the current index
// and its data version (read together), the aggregate, and the request's
// filter resolved against that index.
func (s *Server) heatQuery(r *http.Request) (ix *geo.Index, version int64, agg *heat.Aggregate, f heat.Filter, err error) {
	if s.index != nil {
		ix, version = s.index()
	}
	if ix == nil {
		_, err = s.currentIndex()
		return
	}
	if agg, err = s.currentHeat(); err != nil {
		return
	}
	f, err = s.heatFilter(r, ix)
	return
}

// gridStats answers GET /api/v1/stats/grids?level=micro|village|…&category=
// &status=&from=&to=&grid=: the number of matching incidents in every
// current grid of the level (zeros included, ordered by code), for a
// choropleth. Counts come from the in-memory aggregate, never the
// database; they carry no personal data.
func (s *Server) gridStats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	level := q.Get("level")
	if level == "" {
		level = string(gridmap.LevelMicro)
	}
	if err := s.checkLevel(r, level); err != nil {
		return err
	}
	ix, version, agg, f, err := s.heatQuery(r)
	if err != nil {
		return err
	}
	// Whole months before the memory window come from the rollups.
	plan, err := s.planWindow(&f, "", true)
	if err != nil {
		return err
	}
	rolls, err := s.readRollups(r.Context(), plan, f)
	if err != nil {
		return err
	}
	gc := agg.CountByGrid(f)
	addRollups(&gc, rolls, f)
	counts, elsewhere := heat.ByLevel(ix, gridmap.Level(level), gc.ByCode)
	if counts == nil {
		counts = []heat.GridCount{}
	}
	w.Header().Set("Cache-Control", "no-cache")
	out := map[string]any{
		"level":  level,
		"counts": counts,
		// Matching incidents in all, outside every grid, and assigned to a
		// grid not under one of this level (a code retired since).
		"total": gc.Total, "unassigned": gc.Unassigned, "elsewhere": elsewhere,
		"data_version": version,
	}
	plan.fields(out, rolls)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// timeseries answers GET /api/v1/stats/timeseries?grid=&category=&status=
// &bucket=day|week|month&from=&to=: incidents reported per bucket, zeros
// included. Buckets are whole days, weeks (from Monday) or months in China
// Standard Time; from and to widen to whole buckets. Without from and to:
// the last 30 days, 26 weeks or 12 months up to now.
func (s *Server) timeseries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	b := heat.Bucket(q.Get("bucket"))
	if b == "" {
		b = heat.Day
	}
	ix, _, agg, f, err := s.heatQuery(r)
	if err != nil {
		return err
	}
	ranged := !f.From.IsZero() || !f.To.IsZero()
	to := time.Now()
	if !f.To.IsZero() {
		to = f.To
	}
	from := f.From
	if from.IsZero() {
		switch b {
		case heat.Week:
			from = to.AddDate(0, 0, -7*25)
		case heat.Month:
			from = to.AddDate(0, -11, 0)
		default:
			from = to.AddDate(0, 0, -29)
		}
	}
	buckets, err := heat.Buckets(b, from, to, gridmap.ChinaTime)
	if err != nil {
		return err
	}
	plan, rolls, buckets, err := s.seriesWindow(r, b, ranged, f, buckets)
	if err != nil {
		return err
	}
	series := agg.Series(f, buckets)
	addSeriesRollups(series, plan, rolls, f)
	var grid any
	if code := q.Get("grid"); code != "" {
		grid = gridOf(ix, code)
	}
	w.Header().Set("Cache-Control", "no-cache")
	out := map[string]any{
		"bucket": b, "grid": grid, "timezone": "+08:00",
		"from": series[0].Start, "to": series[len(series)-1].End,
		"series": series,
	}
	plan.fields(out, rolls)
	writeJSON(w, http.StatusOK, out)
	return nil
}
