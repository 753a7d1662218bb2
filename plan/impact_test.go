package plan_test

import (
	"reflect"
	"testing"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/plan"
)

// TestImpactFlows: moves are counted by grid pair, most first (ties by
// codes), open cases listed, closed ones only counted.
func TestImpactFlows(t *testing.T) {
	a := plan.New(map[string]gridmap.Grid{}, nil)
	moves := []plan.Move{
		{ID: 1, ExternalID: "e1", Category: "dispute", Status: "reported", From: "A", To: "B"},
		{ID: 2, ExternalID: "e2", Category: "hazard", Status: "closed", From: "A", To: "B"},
		{ID: 3, ExternalID: "e3", Category: "dispute", Status: "in_progress", From: "C", To: ""},
		{ID: 4, ExternalID: "e4", Category: "dispute", Status: "resolved", From: "", To: "C"},
	}
	im := plan.Impact(a, moves)
	if im.Moved != 4 || im.MovedOpen != 2 {
		t.Errorf("moved %d (open %d), want 4 (2)", im.Moved, im.MovedOpen)
	}
	wantFlows := []gridmap.IncidentFlow{{From: "A", To: "B", Incidents: 2, Open: 1}, {From: "", To: "C", Incidents: 1}, {From: "C", To: "", Incidents: 1, Open: 1}}
	if !reflect.DeepEqual(im.Flows, wantFlows) {
		t.Errorf("flows %+v, want %+v", im.Flows, wantFlows)
	}
	wantOpen := []gridmap.MovedIncident{
		{ID: 1, ExternalID: "e1", Category: "dispute", Status: "reported", From: "A", To: "B"},
		{ID: 3, ExternalID: "e3", Category: "dispute", Status: "in_progress", From: "C", To: ""},
	}
	if !reflect.DeepEqual(im.OpenCases, wantOpen) {
		t.Errorf("open cases %+v, want %+v", im.OpenCases, wantOpen)
	}
	if im.Added == nil || im.Reparented == nil || im.Reused == nil || im.Members == nil {
		t.Error("empty lists must be [] in JSON, not null")
	}
}
