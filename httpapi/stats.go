package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
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
	if !plan.rollups && !plan.clamped {
		v := agg.CountVector(f)
		la := s.gridLevels.get(ix, gridmap.Level(level))
		counts, elsewhere := la.Roll(v)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		bp, _ := answerBufs.Get().(*[]byte)
		if bp == nil {
			bp = new([]byte)
		}
		*bp = la.appendAnswer((*bp)[:0], level, counts, v.Total, v.Unassigned, elsewhere, version)
		_, _ = w.Write(*bp)
		answerBufs.Put(bp)
		return nil
	}
	// Counts with rollups: by code (rollups may name grids memory has not
	// numbered), with the fields that say where they came from.
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

// answerBufs holds the buffers of gridStats's answers: megabytes each on a
// province, garbage for the collector on every request otherwise.
var answerBufs sync.Pool

// levelCache holds, for the current index, each level's grids (heat.Level,
// with its roll-up of the aggregate's grids) and their JSON, so a count of
// 100,000 micro-grids is a slice lookup and a copy per grid, not a map of
// codes, a sort and encoding/json of 100,000 structs.
type levelCache struct {
	mu      sync.Mutex
	ix      *geo.Index
	byLevel map[gridmap.Level]*levelAnswer
}

// levelAnswer is one level's grids and, for each, the JSON of its count
// up to the number: {"code":…,"name":…,"count": (as encoding/json writes
// a heat.GridCount), in frags[at[i]:at[i+1]].
type levelAnswer struct {
	*heat.Level
	frags []byte
	at    []int
}

func (c *levelCache) get(ix *geo.Index, level gridmap.Level) *levelAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix != ix {
		c.ix, c.byLevel = ix, map[gridmap.Level]*levelAnswer{}
	}
	if la, ok := c.byLevel[level]; ok {
		return la
	}
	la := &levelAnswer{Level: heat.NewLevel(ix, level), at: []int{0}}
	for _, g := range la.Grids {
		la.frags = append(la.frags, `{"code":`...)
		la.frags = appendJSON(la.frags, g.Code)
		la.frags = append(la.frags, `,"name":`...)
		la.frags = appendJSON(la.frags, g.Name)
		la.frags = append(la.frags, `,"count":`...)
		la.at = append(la.at, len(la.frags))
	}
	c.byLevel[level] = la
	return la
}

// appendAnswer appends the answer of gridStats as writeJSON writes it
// (encoding/json of the map: keys sorted, a newline after): the counts,
// then the matching incidents in all, outside every grid, and assigned
// to a grid not under one of this level (a code retired since).
func (la *levelAnswer) appendAnswer(b []byte, level string, counts []int, total, unassigned, elsewhere int, version int64) []byte {
	b = slices.Grow(b, len(la.frags)+len(counts)*8+200)
	b = append(b, `{"counts":[`...)
	for i, n := range counts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, la.frags[la.at[i]:la.at[i+1]]...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, '}')
	}
	b = append(b, `],"data_version":`...)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, `,"elsewhere":`...)
	b = strconv.AppendInt(b, int64(elsewhere), 10)
	b = append(b, `,"level":`...)
	b = appendJSON(b, level)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"unassigned":`...)
	b = strconv.AppendInt(b, int64(unassigned), 10)
	return append(b, "}\n"...)
}

// appendJSON appends s as encoding/json writes a string (HTML escaped).
func appendJSON(b []byte, s string) []byte {
	j, _ := json.Marshal(s)
	return append(b, j...)
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
