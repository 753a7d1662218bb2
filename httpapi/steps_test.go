package httpapi

import (
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// TestRowCaseStatus: a row without stored steps shows the case status its
// implied steps lead to (a case given to a department: dispatched), and a
// row with steps its newest step's.
func TestRowCaseStatus(t *testing.T) {
	for _, st := range gridmap.Statuses {
		in := gridmap.Incident{Status: st, ReportedAt: time.Unix(0, 0)}
		want := caseflow.StatusOf(caseflow.Implied(st, caseflow.StoredTimes{Reported: in.ReportedAt}))
		if got := rowCaseStatus(&in); got != want {
			t.Errorf("%s: %s, want %s", st, got, want)
		}
	}
	in := gridmap.Incident{Status: gridmap.StatusAccepted, Department: "police"}
	if got := rowCaseStatus(&in); got != caseflow.StatusDispatched {
		t.Errorf("accepted with a department: %s", got)
	}
	in.LastStep.CaseStatus = string(caseflow.StatusRegistered)
	if got := rowCaseStatus(&in); got != caseflow.StatusRegistered {
		t.Errorf("with a stored step: %s", got)
	}
}

// TestLoopRole: token roles act as the loop role of their name; a planner
// as a viewer.
func TestLoopRole(t *testing.T) {
	for r, want := range map[gridmap.Role]caseflow.Role{gridmap.RoleAdmin: caseflow.RoleAdmin, gridmap.RoleDispatcher: caseflow.RoleDispatcher,
		gridmap.RoleDepartment: caseflow.RoleDepartment, gridmap.RoleReporter: caseflow.RoleReporter,
		gridmap.RoleViewer: caseflow.RoleViewer, gridmap.RolePlanner: caseflow.RoleViewer} {
		if got := loopRole(r); got != want {
			t.Errorf("%s acts as %s, want %s", r, got, want)
		}
	}
}
