package report

import (
	"slices"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// OldPetitionAge is the age from which an open petition is on the
// Wednesday agenda (信访积案): 30 days.
const OldPetitionAge = 30 * 24 * time.Hour

// Invitee is a person to invite to a village's review: a grid member
// (legal adviser, police assistant) of a case's grid or a grid above it,
// or a department given one of the cases (Role "department", Name its
// code). Contact is as the caller's role may see it (masked or "").
type Invitee struct {
	Role    string `json:"role"`
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
	Grid    string `json:"grid,omitempty"`
}

// AgendaVillage is one village's cases for the review and who to invite.
type AgendaVillage struct {
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	Cases    []Case    `json:"cases"`
	Invitees []Invitee `json:"invitees"`
}

// Wednesday is the agenda of a Wednesday review (周三说事).
type Wednesday struct {
	Date     string `json:"date"`
	Timezone string `json:"timezone"`
	// Total counts the cases on the agenda; ByReason counts them by each
	// reason (a case may have several).
	Total    int             `json:"total"`
	ByReason map[string]int  `json:"by_reason"`
	Villages []AgendaVillage `json:"villages"`
	// Outside are the cases outside every village.
	Outside   []Case    `json:"outside"`
	Generated time.Time `json:"generated"`
}

// WednesdayWindow returns the filter whose incidents BuildWednesday needs:
// the open cases.
func WednesdayWindow() gridmap.IncidentFilter {
	return gridmap.IncidentFilter{Statuses: openStatuses()}
}

// BuildWednesday computes the agenda of the review on the day starting at
// day (China Standard Time): the open cases reported before it that are
// disputes not settled, cases whose latest step is a consultation (会商),
// petitions open for OldPetitionAge or more, supervised cases and cases
// past their deadline at the day's start; grouped by village, oldest
// first, with the legal adviser and police assistant of each case's grid
// (nearest up the tree) and the departments to invite. contact masks a
// member's contact for the caller ("" to leave it out).
func BuildWednesday(day time.Time, incidents []gridmap.Incident, ix *geo.Index, contact func(string) string, now time.Time) *Wednesday {
	day = day.In(gridmap.ChinaTime)
	w := &Wednesday{Date: day.Format(time.DateOnly), Timezone: "+08:00", ByReason: map[string]int{}, Villages: []AgendaVillage{}, Outside: []Case{}, Generated: now}
	for _, r := range []string{"dispute", "consult", "old_petition", "supervised", "overdue"} {
		w.ByReason[r] = 0
	}
	p := place{ix}
	byVillage := map[string]*AgendaVillage{}
	invited := map[string]map[string]bool{}
	for _, inc := range dedupe(incidents) {
		if !inc.Status.Open() || !inc.ReportedAt.Before(day) {
			continue
		}
		var reasons []string
		if inc.Category == gridmap.CategoryDispute {
			reasons = append(reasons, "dispute")
		}
		if inc.LastStep.Kind == "consult" {
			reasons = append(reasons, "consult")
		}
		if inc.Category == gridmap.CategoryPetition && day.Sub(inc.ReportedAt) >= OldPetitionAge {
			reasons = append(reasons, "old_petition")
		}
		if inc.Supervised > 0 {
			reasons = append(reasons, "supervised")
		}
		if inc.Deadline != nil && inc.Deadline.Before(day) {
			reasons = append(reasons, "overdue")
		}
		if len(reasons) == 0 {
			continue
		}
		c := caseOf(&inc, p)
		c.Reasons = reasons
		w.Total++
		for _, r := range reasons {
			w.ByReason[r]++
		}
		if c.Village == "" {
			w.Outside = append(w.Outside, c)
			continue
		}
		v := byVillage[c.Village]
		if v == nil {
			v = &AgendaVillage{Code: c.Village, Name: c.VillageName, Invitees: []Invitee{}}
			byVillage[c.Village] = v
			invited[c.Village] = map[string]bool{}
		}
		v.Cases = append(v.Cases, c)
		seen := invited[c.Village]
		if c.Department != "" && !seen["department/"+c.Department] {
			seen["department/"+c.Department] = true
			v.Invitees = append(v.Invitees, Invitee{Role: "department", Name: c.Department})
		}
		for _, role := range []string{"legal_adviser", "police_assistant"} {
			if m, ok := nearestMember(ix, c.Grid, role); ok && !seen[role+"/"+m.GridCode+"/"+m.Name] {
				seen[role+"/"+m.GridCode+"/"+m.Name] = true
				iv := Invitee{Role: role, Name: m.Name, Grid: m.GridCode}
				if contact != nil && m.Contact != "" {
					iv.Contact = contact(m.Contact)
				}
				v.Invitees = append(v.Invitees, iv)
			}
		}
	}
	oldest := func(a, b Case) int {
		if c := a.ReportedAt.Compare(b.ReportedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	}
	for _, v := range byVillage {
		slices.SortFunc(v.Cases, oldest)
		slices.SortStableFunc(v.Invitees, func(a, b Invitee) int { return roleOrder(a.Role) - roleOrder(b.Role) })
		w.Villages = append(w.Villages, *v)
	}
	slices.SortFunc(w.Outside, oldest)
	slices.SortFunc(w.Villages, func(a, b AgendaVillage) int {
		if n := len(b.Cases) - len(a.Cases); n != 0 {
			return n
		}
		if a.Code < b.Code {
			return -1
		}
		return 1
	})
	return w
}

func roleOrder(r string) int {
	switch r {
	case "department":
		return 0
	case "legal_adviser":
		return 1
	}
	return 2
}

// nearestMember returns the member with role of the grid code or of the
// nearest grid above it that has one.
func nearestMember(ix *geo.Index, code, role string) (gridmap.Member, bool) {
	if ix == nil || code == "" {
		return gridmap.Member{}, false
	}
	for _, g := range ix.Chain(code) { // the grid first, then up
		for _, m := range g.Members {
			if m.Role == role {
				return m, true
			}
		}
	}
	return gridmap.Member{}, false
}
