// Package report builds the street office's printed documents from the
// case data: the daily bulletin (访情通报) and the Wednesday agenda (周三说事).
// Each is computed by a pure function from incidents and the in-memory grid
// index (geo.Index), and drawn as HTML or as an A4 PDF (tdewolff/canvas,
// Chinese font subset and embedded). It does no I/O beyond reading the
// font file: the caller lists the incidents.
//
// Days are China Standard Time (gridmap.ChinaTime). Statuses are the
// public ones of the incident table (gridmap.Status); a case's state is as
// it stands when the report is made, not as it stood on a past day.
//
// Personal data (reporter, description, attachments) is never read: the
// incidents come from IncidentService.ListIncidents, which carries none.
package report

import (
	"slices"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// KeyCaseLimit bounds the key cases a report lists; the counts are whole.
const KeyCaseLimit = 60

// ClosedLookback is how far before the day a case closed on the day may
// have been reported and still be counted as closed on it: the caller
// lists resolved and closed cases reported since then (DailyWindow).
const ClosedLookback = 366 * 24 * time.Hour

// Counts are incidents by source (gridmap.Source names) and in all.
type Counts struct {
	Total    int            `json:"total"`
	BySource map[string]int `json:"by_source"`
}

func newCounts() Counts {
	c := Counts{BySource: map[string]int{}}
	for _, s := range gridmap.Sources {
		c.BySource[string(s)] = 0
	}
	return c
}

func (c *Counts) add(s gridmap.Source) {
	c.Total++
	c.BySource[string(s)]++
}

// VillageRow is one village's new cases on the day and its comparisons.
type VillageRow struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	New         int    `json:"new"`
	PreviousDay int    `json:"previous_day"`
	LastWeek    int    `json:"same_day_last_week"`
}

// Case is a case as a report lists it: no personal data.
type Case struct {
	ID          int64      `json:"id"`
	Category    string     `json:"category"`
	Source      string     `json:"source"`
	Status      string     `json:"status"`
	Grid        string     `json:"grid,omitempty"`
	GridName    string     `json:"grid_name,omitempty"`
	Village     string     `json:"village,omitempty"`
	VillageName string     `json:"village_name,omitempty"`
	Department  string     `json:"department,omitempty"`
	ReportedAt  time.Time  `json:"reported_at"`
	Deadline    *time.Time `json:"deadline,omitempty"`
	Supervised  int        `json:"supervised"`
	// Reasons say why the case is listed: dispute, petition, supervised,
	// overdue (daily); dispute, consult, old_petition, supervised, overdue
	// (Wednesday).
	Reasons []string `json:"reasons"`
	// Lon, Lat: EPSG:4326 degrees, for the maps.
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// Daily is the daily bulletin of one day.
type Daily struct {
	Date     string `json:"date"` // YYYY-MM-DD, China Standard Time
	Timezone string `json:"timezone"`
	// New: reported on the day; PreviousDay and LastWeek: on the day
	// before and on the same weekday a week before.
	New         Counts         `json:"new"`
	PreviousDay Counts         `json:"previous_day"`
	LastWeek    Counts         `json:"same_day_last_week"`
	ByCategory  map[string]int `json:"by_category"`
	ByVillage   []VillageRow   `json:"by_village"`
	// Resolved and Closed: cases that reached resolved (办结) and closed
	// (结案) on the day, whenever reported (within ClosedLookback).
	Resolved            int `json:"resolved"`
	Closed              int `json:"closed"`
	ResolvedPreviousDay int `json:"resolved_previous_day"`
	// Key case counts: disputes and petitions reported on the day; open
	// cases supervised at least once, and open cases past their deadline
	// at the end of the day.
	Disputes   int `json:"disputes"`
	Petitions  int `json:"petitions"`
	Supervised int `json:"supervised"`
	Overdue    int `json:"overdue"`
	// KeyCases lists them (at most KeyCaseLimit, most urgent first);
	// KeyCasesTotal counts them all.
	KeyCases      []Case `json:"key_cases"`
	KeyCasesTotal int    `json:"key_cases_total"`
	// ClosedCases lists the cases resolved on the day (at most KeyCaseLimit).
	ClosedCases []Case `json:"closed_cases"`
	// Points are the day's new cases for the map (not in JSON: in the
	// key and closed lists, or only counted).
	Points []Case `json:"-"`
	// Generated is when the bulletin was computed.
	Generated time.Time `json:"generated"`
}

// DayStart returns 00:00 China Standard Time of the date (YYYY-MM-DD).
// Errors: EINVALID.
func DayStart(date string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, date, gridmap.ChinaTime)
	if err != nil {
		return time.Time{}, gridmap.Errorf(gridmap.EINVALID, "date %q is not a day written YYYY-MM-DD (China Standard Time)", date)
	}
	return t, nil
}

// DailyWindow returns the filters whose incidents BuildDaily needs for the
// day starting at day: the new cases of the day, the day before and a week
// before; the open cases; the cases resolved or closed since ClosedLookback.
func DailyWindow(day time.Time) []gridmap.IncidentFilter {
	from, to := day.AddDate(0, 0, -7), day.AddDate(0, 0, 1)
	back := day.Add(-ClosedLookback)
	return []gridmap.IncidentFilter{
		{From: &from, To: &to},
		{Statuses: openStatuses()},
		{From: &back, To: &to, Statuses: []gridmap.Status{gridmap.StatusResolved, gridmap.StatusReplied, gridmap.StatusClosed}},
	}
}

func openStatuses() []gridmap.Status {
	var out []gridmap.Status
	for _, s := range gridmap.Statuses {
		if s.Open() {
			out = append(out, s)
		}
	}
	return out
}

// place names an incident's grid and village from the index.
type place struct{ ix *geo.Index }

func (p place) fill(c *Case) {
	if p.ix == nil || c.Grid == "" {
		return
	}
	if g, ok := p.ix.Grid(c.Grid); ok {
		c.GridName = g.Name
	}
	if v, ok := p.ix.AncestorAt(c.Grid, gridmap.LevelVillage); ok {
		c.Village, c.VillageName = v.Code, v.Name
	}
}

func caseOf(in *gridmap.Incident, p place) Case {
	c := Case{ID: in.ID, Category: string(in.Category), Source: string(in.Source), Status: string(in.Status),
		Grid: in.GridCode, Department: in.Department, ReportedAt: in.ReportedAt.In(gridmap.ChinaTime),
		Deadline: in.Deadline, Supervised: in.Supervised, Lon: in.Location[0], Lat: in.Location[1], Reasons: []string{}}
	p.fill(&c)
	return c
}

// dedupe keeps the first incident of each id (the caller's listings overlap).
func dedupe(incs []gridmap.Incident) []gridmap.Incident {
	seen := make(map[int64]bool, len(incs))
	out := incs[:0:0]
	for i := range incs {
		if !seen[incs[i].ID] {
			seen[incs[i].ID] = true
			out = append(out, incs[i])
		}
	}
	return out
}

func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// BuildDaily computes the bulletin of the day starting at day (00:00 China
// Standard Time) from incidents (any superset of DailyWindow's; duplicates
// are dropped) and the current grid index (village names; nil leaves them
// out). now is when it is made.
func BuildDaily(day time.Time, incidents []gridmap.Incident, ix *geo.Index, now time.Time) *Daily {
	day = day.In(gridmap.ChinaTime)
	end, prev, week := day.AddDate(0, 0, 1), day.AddDate(0, 0, -1), day.AddDate(0, 0, -7)
	d := &Daily{Date: day.Format(time.DateOnly), Timezone: "+08:00", New: newCounts(), PreviousDay: newCounts(), LastWeek: newCounts(),
		ByCategory: map[string]int{}, KeyCases: []Case{}, ClosedCases: []Case{}, Generated: now}
	p := place{ix}
	villages := map[string]*VillageRow{}
	if ix != nil {
		for _, g := range ix.OfLevel(gridmap.LevelVillage) {
			villages[g.Code] = &VillageRow{Code: g.Code, Name: g.Name}
		}
	}
	villageOf := func(code string) *VillageRow {
		if code == "" || ix == nil {
			return nil
		}
		v, ok := ix.AncestorAt(code, gridmap.LevelVillage)
		if !ok {
			return nil
		}
		return villages[v.Code]
	}
	var key []Case
	for _, inc := range dedupe(incidents) {
		r := inc.ReportedAt
		v := villageOf(inc.GridCode)
		switch {
		case in(r, day, end):
			d.New.add(inc.Source)
			d.ByCategory[string(inc.Category)]++
			if v != nil {
				v.New++
			}
			d.Points = append(d.Points, caseOf(&inc, p))
		case in(r, prev, day):
			d.PreviousDay.add(inc.Source)
			if v != nil {
				v.PreviousDay++
			}
		case in(r, week, week.AddDate(0, 0, 1)):
			d.LastWeek.add(inc.Source)
			if v != nil {
				v.LastWeek++
			}
		}
		if t, ok := inc.StepAt[gridmap.StatusResolved]; ok && in(t, day, end) {
			d.Resolved++
			if len(d.ClosedCases) < KeyCaseLimit {
				d.ClosedCases = append(d.ClosedCases, caseOf(&inc, p))
			}
		} else if ok && in(t, prev, day) {
			d.ResolvedPreviousDay++
		}
		if t, ok := inc.StepAt[gridmap.StatusClosed]; ok && in(t, day, end) {
			d.Closed++
		}
		// Key cases: reported by the end of the day.
		if !r.Before(end) {
			continue
		}
		var reasons []string
		if in(r, day, end) && inc.Category == gridmap.CategoryDispute {
			reasons = append(reasons, "dispute")
			d.Disputes++
		}
		if in(r, day, end) && inc.Category == gridmap.CategoryPetition {
			reasons = append(reasons, "petition")
			d.Petitions++
		}
		if inc.Status.Open() && inc.Supervised > 0 {
			reasons = append(reasons, "supervised")
			d.Supervised++
		}
		if inc.Status.Open() && inc.Deadline != nil && inc.Deadline.Before(end) {
			reasons = append(reasons, "overdue")
			d.Overdue++
		}
		if len(reasons) > 0 {
			c := caseOf(&inc, p)
			c.Reasons = reasons
			key = append(key, c)
		}
	}
	// Most reasons first, then the oldest.
	slices.SortFunc(key, func(a, b Case) int {
		if n := len(b.Reasons) - len(a.Reasons); n != 0 {
			return n
		}
		if c := a.ReportedAt.Compare(b.ReportedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	d.KeyCasesTotal = len(key)
	d.KeyCases = append(d.KeyCases, key[:min(len(key), KeyCaseLimit)]...)
	slices.SortFunc(d.ClosedCases, func(a, b Case) int { return int(a.ID - b.ID) })
	slices.SortFunc(d.Points, func(a, b Case) int { return int(a.ID - b.ID) })
	for _, v := range villages {
		d.ByVillage = append(d.ByVillage, *v)
	}
	slices.SortFunc(d.ByVillage, func(a, b VillageRow) int {
		if n := b.New - a.New; n != 0 {
			return n
		}
		if a.Code < b.Code {
			return -1
		}
		return 1
	})
	if d.ByVillage == nil {
		d.ByVillage = []VillageRow{}
	}
	return d
}
