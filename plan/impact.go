package plan

import (
	"maps"
	"slices"
	"sort"

	"github.com/gridmap/gridmap"
)

// Move is an incident that changes grid when the plan is published: from
// and to are grid codes ("" for outside every grid).
type Move struct {
	ID               int64
	ExternalID       string
	Category, Status string
	From, To         string
}

// Impact summarises what publishing the plan a leaves does: the incident
// moves (flows by grid pair, open cases listed up to
// gridmap.MaxListedCases), the grids added, changed and retired, the
// people moved and the children reparented. Reused is left empty: which
// added codes were grids once is in the database.
func Impact(a *Applied, moves []Move) gridmap.Impact {
	im := gridmap.Impact{Flows: []gridmap.IncidentFlow{}, OpenCases: []gridmap.MovedIncident{},
		Added: []string{}, Changed: []string{}, Retired: []string{}, RetiredMembers: map[string]int{},
		Members: []gridmap.MemberChange{}, Reparented: slices.Clone(a.Reparented), Reused: []gridmap.ReusedCode{}}
	if im.Reparented == nil {
		im.Reparented = []gridmap.Reparented{}
	}
	flows := map[[2]string]*gridmap.IncidentFlow{}
	for _, m := range moves {
		open := gridmap.Status(m.Status).Open()
		im.Moved++
		f := flows[[2]string{m.From, m.To}]
		if f == nil {
			f = &gridmap.IncidentFlow{From: m.From, To: m.To}
			flows[[2]string{m.From, m.To}] = f
		}
		f.Incidents++
		if open {
			im.MovedOpen++
			f.Open++
			if len(im.OpenCases) < gridmap.MaxListedCases {
				im.OpenCases = append(im.OpenCases, gridmap.MovedIncident{ID: m.ID, ExternalID: m.ExternalID,
					Category: gridmap.Category(m.Category), Status: gridmap.Status(m.Status), From: m.From, To: m.To})
			}
		}
	}
	for _, f := range flows {
		im.Flows = append(im.Flows, *f)
	}
	sort.Slice(im.Flows, func(i, j int) bool {
		if im.Flows[i].Incidents != im.Flows[j].Incidents {
			return im.Flows[i].Incidents > im.Flows[j].Incidents
		}
		return im.Flows[i].From+"\x00"+im.Flows[i].To < im.Flows[j].From+"\x00"+im.Flows[j].To
	})
	for _, code := range a.Order {
		_, existed := a.Cur[code]
		switch g := a.State[code]; {
		case g == nil && existed:
			im.Retired = append(im.Retired, code)
		case g != nil && !existed:
			im.Added = append(im.Added, code)
		case g != nil:
			im.Changed = append(im.Changed, code)
		}
	}
	for _, code := range im.Retired {
		if _, moved := a.Members[code]; !moved && len(a.CurMembers[code]) > 0 {
			im.RetiredMembers[code] = len(a.CurMembers[code])
		}
	}
	for _, code := range slices.Sorted(maps.Keys(a.Members)) {
		from := a.MembersFrom[code]
		if from == nil {
			from = []string{}
		}
		im.Members = append(im.Members, gridmap.MemberChange{Code: code,
			Before: len(a.CurMembers[code]), After: len(a.Members[code]), From: from})
	}
	return im
}
