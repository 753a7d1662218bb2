package httpapi

import (
	"bufio"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/indicators"
	"github.com/gridmap/gridmap/report"
)

// RankingStore reads the grid workers' days and keeps the versioned
// ranking rules. Implemented by *postgis.Store.
type RankingStore interface {
	WorkDays(ctx context.Context, from, to time.Time) ([]indicators.WorkDay, error)
	RankingRules(ctx context.Context, history int) ([]indicators.RulesVersion, error)
	SaveRankingRules(ctx context.Context, rules indicators.Rules, reason string, by gridmap.Actor) (indicators.RulesVersion, error)
}

// currentCases returns the indicators' cases or EUNAVAILABLE while they load.
func (s *Server) currentCases() (*indicators.Set, error) {
	if set := s.indicators(); set != nil {
		return set, nil
	}
	return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the indicators are still loading; try again shortly"}
}

// indicatorRow is a Row with its group's name: the grid's or department's,
// or the worker's (token name) for the roles that see people.
type indicatorRow struct {
	Name string `json:"name,omitempty"`
	indicators.Row
}

// computeIndicators computes the indicators of the cases reported in
// [from, to) grouped by by, with the names the request may see.
func (s *Server) computeIndicators(r *http.Request, by indicators.By, from, to time.Time) (indicators.Result, map[string]string, error) {
	var res indicators.Result
	set, err := s.currentCases()
	if err != nil {
		return res, nil, err
	}
	ix, err := s.currentIndex()
	if err != nil {
		return res, nil, err
	}
	if win := s.windowStart(); from.Before(win) {
		return res, nil, gridmap.Errorf(gridmap.EINVALID, "the indicators cannot be computed before %s: this instance holds cases in memory from %s on (GRIDMAP_CASE_MONTHS), "+
			"and the indicators need each case's steps; ask from=%s or later", win.Format(time.RFC3339), win.Format(time.RFC3339), win.Format("2006-01-02"))
	}
	q := indicators.Query{By: by, From: from, To: to, Now: time.Now(), GroupOfGrid: groupOfGrid(ix, by)}
	if by == indicators.ByWorker {
		if q.Work, err = s.ranking.WorkDays(r.Context(), from, to); err != nil {
			return res, nil, err
		}
	}
	res = set.Compute(q)
	names, err := s.groupNames(r, ix, by)
	return res, names, err
}

// groupOfGrid maps a case's grid to its group: the grid itself, or its
// ancestor at the village or street level.
func groupOfGrid(ix *geo.Index, by indicators.By) func(string) string {
	level := gridmap.Level("")
	switch by {
	case indicators.ByVillage:
		level = gridmap.LevelVillage
	case indicators.ByStreet:
		level = gridmap.LevelStreet
	case indicators.ByGrid:
		return func(code string) string { return code }
	default:
		return nil
	}
	return func(code string) string {
		if g, ok := ix.AncestorAt(code, level); ok {
			return g.Code
		}
		return ""
	}
}

// groupNames names the groups: grids from the index, departments from
// their table, workers by their token's name to admin and dispatcher only
// (a worker's name is personal data; others see the token id).
func (s *Server) groupNames(r *http.Request, ix *geo.Index, by indicators.By) (map[string]string, error) {
	names := map[string]string{}
	switch by {
	case indicators.ByGrid, indicators.ByVillage, indicators.ByStreet:
		for i := range ix.Len() {
			g := ix.At(i)
			names[g.Code] = g.Name
		}
	case indicators.ByDepartment:
		if s.cases != nil {
			ds, err := s.cases.Departments(r.Context())
			if err != nil {
				return nil, err
			}
			for _, d := range ds {
				names[d.Code] = d.NameZh
			}
		}
	case indicators.ByWorker:
		if role := PrincipalFrom(r.Context()).Role; (role == gridmap.RoleAdmin || role == gridmap.RoleDispatcher) && s.tokenList != nil {
			ts, err := s.tokenList.Tokens(r.Context())
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				names[strconv.FormatInt(t.ID, 10)] = t.Name
			}
		}
	}
	return names, nil
}

// indicatorWindow reads from and to (dates are China midnights); the
// default is the 30 days up to now.
func indicatorWindow(r *http.Request) (from, to time.Time, err error) {
	f, t, err := paramWindow(r.URL.Query())
	if err != nil {
		return from, to, err
	}
	to = time.Now()
	if t != nil {
		to = *t
	}
	from = to.AddDate(0, 0, -30)
	if f != nil {
		from = *f
	}
	if !to.After(from) {
		return from, to, gridmap.Errorf(gridmap.EINVALID, "from=%s must be before to (default: now)", clip(r.URL.Query().Get("from")))
	}
	return from, to, nil
}

func paramBy(r *http.Request) (indicators.By, error) {
	by := indicators.By(r.URL.Query().Get("by"))
	if by == "" {
		return indicators.ByGrid, nil
	}
	if !by.Valid() {
		return by, gridmap.Errorf(gridmap.EINVALID, "by=%q: group by grid, village, street, department or worker", clip(string(by)))
	}
	return by, nil
}

// getIndicators answers GET /api/v1/stats/indicators?by=&from=&to=&format=json|csv:
// the indicators of the cases reported in the window (default the last 30
// days), per group, computed in memory (README.md, "Indicators").
func (s *Server) getIndicators(w http.ResponseWriter, r *http.Request) error {
	by, err := paramBy(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		return gridmap.Errorf(gridmap.EINVALID, "format=%q: use json (the default) or csv", clip(format))
	}
	from, to, err := indicatorWindow(r)
	if err != nil {
		return err
	}
	res, names, err := s.computeIndicators(r, by, from, to)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-cache")
	if format == "csv" {
		return writeIndicatorsCSV(w, res, names)
	}
	rows := make([]indicatorRow, len(res.Rows))
	for i, row := range res.Rows {
		rows[i] = indicatorRow{Name: names[row.Key], Row: row}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"by": by, "from": from.UTC(), "to": to.UTC(), "time_zone": "Asia/Shanghai",
		"rows": rows, "total": res.Total, "unassigned": res.Unassigned,
	})
	return nil
}

var indicatorCSVHeader = []string{"key", "name", "received", "received_grid_worker", "received_hotline", "received_visit", "received_other",
	"registered", "rejected", "closed", "closed_on_time", "replied", "revisited", "revisit_answers", "satisfied_answers",
	"open_overdue", "supervised", "duplicates", "reopened", "closure_rate", "on_time_closure_rate", "reply_rate", "revisit_rate",
	"satisfaction_rate", "median_close_hours", "p90_close_hours",
	"logs_filed", "patrol_days", "distance_km", "grids_covered", "cases_raised", "cases_verified"}

func writeIndicatorsCSV(w http.ResponseWriter, res indicators.Result, names map[string]string) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", `attachment; filename="indicators-`+string(res.By)+`.csv"`)
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	_ = cw.Write(indicatorCSVHeader)
	i := strconv.Itoa
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 4, 64)
	}
	for _, row := range append(res.Rows, res.Total) {
		key, name := row.Key, names[row.Key]
		if key == "" {
			key, name = "total", "合计 total"
		}
		rec := []string{key, csvCell(name), i(row.Received), i(row.BySource[gridmap.SourceGridWorker]), i(row.BySource[gridmap.SourceHotline]),
			i(row.BySource[gridmap.SourceVisit]), i(row.BySource[gridmap.SourceOther]), i(row.Registered), i(row.Rejected), i(row.Closed),
			i(row.ClosedOnTime), i(row.Replied), i(row.Revisited), i(row.Answers), i(row.Satisfied), i(row.OpenOverdue), i(row.Supervised),
			i(row.Duplicates), i(row.Reopened), f(row.ClosureRate), f(row.OnTimeRate), f(row.ReplyRate), f(row.RevisitRate),
			f(row.SatisfactionRate), f(row.MedianCloseHours), f(row.P90CloseHours)}
		if wk := row.Work; wk != nil {
			rec = append(rec, i(wk.LogsFiled), i(wk.PatrolDays), strconv.FormatFloat(wk.DistanceKM, 'f', 3, 64), i(wk.GridsCovered),
				i(wk.CasesRaised), i(wk.CasesVerified))
		} else {
			rec = append(rec, "", "", "", "", "", "")
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return bw.Flush()
}

// csvCell keeps a spreadsheet from reading a name as a formula.
func csvCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

// monthWindow parses month=YYYY-MM (default: the last whole month) as
// China midnights.
func monthWindow(r *http.Request) (month string, from, to time.Time, err error) {
	month = r.URL.Query().Get("month")
	if month == "" {
		now := time.Now().In(gridmap.ChinaTime)
		from = time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, gridmap.ChinaTime)
	} else if from, err = time.ParseInLocation("2006-01", month, gridmap.ChinaTime); err != nil {
		return month, from, to, gridmap.Errorf(gridmap.EINVALID, "month=%q is not a month: use YYYY-MM, such as 2026-11", clip(month))
	}
	return from.Format("2006-01"), from, from.AddDate(0, 1, 0), nil
}

// getRanking answers GET /api/v1/ranking?month=YYYY-MM&of=worker|village|department:
// the month's ranking by the rules in force, with the red list (top) and
// the black list (bottom) and the indicators that put each there.
func (s *Server) getRanking(w http.ResponseWriter, r *http.Request) error {
	of := indicators.Of(r.URL.Query().Get("of"))
	if of == "" {
		of = indicators.OfWorker
	}
	if !of.By().Valid() || of == indicators.Of(indicators.ByGrid) || of == indicators.Of(indicators.ByStreet) {
		return gridmap.Errorf(gridmap.EINVALID, "of=%q: rank worker, village or department", clip(string(of)))
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "pdf" {
		return gridmap.Errorf(gridmap.EINVALID, "format=%q: use json (the default) or pdf", clip(format))
	}
	month, from, to, err := monthWindow(r)
	if err != nil {
		return err
	}
	rules, err := s.ranking.RankingRules(r.Context(), 0)
	if err != nil {
		return err
	}
	res, names, err := s.computeIndicators(r, of.By(), from, to)
	if err != nil {
		return err
	}
	rk := indicators.Rank(of, res.Rows, rules[0].Rules[of])
	if format == "pdf" {
		b, err := report.RankingPDF(rankingDoc(of, month, rules[0].Version, rk, names), s.fonts)
		if err != nil {
			return err
		}
		writeDocument(w, "pdf", "ranking-"+string(of)+"-"+month, b)
		return nil
	}
	type named struct {
		Name string `json:"name,omitempty"`
		indicators.Ranked
	}
	nameAll := func(rs []indicators.Ranked) []named {
		out := make([]named, len(rs))
		for i, x := range rs {
			out[i] = named{Name: names[x.Key], Ranked: x}
		}
		return out
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"of": of, "month": month, "from": from.UTC(), "to": to.UTC(), "time_zone": "Asia/Shanghai",
		"rules_version": rules[0].Version, "rules": rules[0].Rules[of],
		"ranked": nameAll(rk.Ranked), "red": nameAll(rk.Red), "black": nameAll(rk.Black), "unranked": rk.Unranked,
	})
	return nil
}

// rankingDoc is the ranking as report.RankingPDF prints it.
func rankingDoc(of indicators.Of, month string, version int64, rk indicators.Ranking, names map[string]string) *report.Ranking {
	entries := func(rs []indicators.Ranked) []report.RankingEntry {
		out := make([]report.RankingEntry, len(rs))
		for i, x := range rs {
			name := names[x.Key]
			if name == "" {
				name = x.Key
			}
			e := report.RankingEntry{Place: x.Place, Name: name, Score: x.Score}
			for _, p := range x.Why {
				e.Why = append(e.Why, report.RankingPart{Indicator: string(p.Indicator), Value: p.Value})
			}
			out[i] = e
		}
		return out
	}
	return &report.Ranking{Of: string(of), Month: month, RulesVersion: version, Red: entries(rk.Red), Black: entries(rk.Black),
		Ranked: entries(rk.Ranked), Unranked: len(rk.Unranked), Generated: time.Now()}
}

// getRankingRules answers GET /api/v1/ranking/rules?history=N: the rules
// in force and up to N older versions (default 0, at most 100).
func (s *Server) getRankingRules(w http.ResponseWriter, r *http.Request) error {
	n := 0
	if v := r.URL.Query().Get("history"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > 100 {
			return gridmap.Errorf(gridmap.EINVALID, "history=%q: give how many older versions to list, 0 to 100", clip(v))
		}
	}
	vs, err := s.ranking.RankingRules(r.Context(), n)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"current": vs[0], "history": vs[1:], "indicators": indicators.IndicatorNames()})
	return nil
}

// putRankingRules answers PUT /api/v1/ranking/rules {"rules": {...},
// "reason": "..."} (admin): a new version of the rules, in force at once;
// the old ones are kept.
func (s *Server) putRankingRules(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Rules  indicators.Rules `json:"rules"`
		Reason string           `json:"reason"`
	}
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	if err := gridmap.CheckText("reason", in.Reason, 2000, true); err != nil {
		return err
	}
	v, err := s.ranking.SaveRankingRules(r.Context(), in.Rules, in.Reason, PrincipalFrom(r.Context()).By())
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
	return nil
}
