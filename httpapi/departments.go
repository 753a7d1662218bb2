package httpapi

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// The people of the departments (issue 14): the desk offers them as the
// person responsible when it dispatches. Names and phones are personal
// data, seen as the personal data of a case given to that department
// (caseView): admin and dispatcher in full, a department token its own
// department's people, a reporter token not scoped to a grid in full;
// everyone else sees the role and a masked name (王******) and phone
// (199-****-0007). Adding and retiring people is the admin's.

// MemberStore stores the people of the departments (postgis.Store
// implements it); part of CaseStore.
type MemberStore interface {
	// DepartmentMembers returns department code's people ("" for every
	// department), the retired too when retired is set. Errors: ENOTFOUND.
	DepartmentMembers(ctx context.Context, code string, retired bool) ([]caseflow.Member, error)
	// AddDepartmentMember adds m to m.Department. Errors: EINVALID, ENOTFOUND.
	AddDepartmentMember(ctx context.Context, m caseflow.Member) (caseflow.Member, error)
	// RetireDepartmentMember marks person id of department code as left.
	// Errors: ENOTFOUND, ECONFLICT.
	RetireDepartmentMember(ctx context.Context, code string, id int64) (caseflow.Member, error)
}

// departmentVar reads the {department} path variable, checked as a line.
func departmentVar(r *http.Request) (string, error) {
	code := mux.Vars(r)["department"]
	return code, gridmap.CheckText("department", code, gridmap.MaxName, false)
}

// memberOut is m as view shows it: masked, name and phone masked; none,
// left out.
func memberOut(m caseflow.Member, view personalLevel) caseflow.Member {
	switch view {
	case viewMasked:
		m.Name, m.Phone = MaskName(m.Name), MaskPhone(m.Phone)
	case viewNone:
		m.Name, m.Phone = "", ""
	}
	return m
}

// listDepartmentMembers answers GET /api/v1/departments/{department}/members?retired=.
func (s *Server) listDepartmentMembers(w http.ResponseWriter, r *http.Request) error {
	code, err := departmentVar(r)
	if err != nil {
		return err
	}
	retired := false
	switch v := r.URL.Query().Get("retired"); v {
	case "", "false":
	case "true":
		retired = true
	default:
		return gridmap.Errorf(gridmap.EINVALID, "retired=%q must be true or false", v)
	}
	ms, err := s.cases.DepartmentMembers(r.Context(), code, retired)
	if err != nil {
		return err
	}
	view := s.caseView(r, "", code)
	out := make([]caseflow.Member, len(ms))
	for i, m := range ms {
		out[i] = memberOut(m, view)
	}
	levels := map[personalLevel]string{viewNone: "none", viewMasked: "masked", viewFull: "full"}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"department": code, "members": out, "personal_data": levels[view]})
	return nil
}

// memberInput is the body of POST /api/v1/departments/{department}/members.
type memberInput struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Phone string `json:"phone"`
}

// addDepartmentMember answers POST /api/v1/departments/{department}/members
// {name, role, phone}: 201 with the person.
func (s *Server) addDepartmentMember(w http.ResponseWriter, r *http.Request) error {
	code, err := departmentVar(r)
	if err != nil {
		return err
	}
	var in memberInput
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	m := caseflow.Member{Department: code, Name: in.Name, Role: in.Role, Phone: in.Phone}
	// Checked here too, so a bad body is named before an unknown department.
	if err := caseflow.CheckMember(&m); err != nil {
		return err
	}
	out, err := s.cases.AddDepartmentMember(r.Context(), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"member": out})
	return nil
}

// retireDepartmentMember answers DELETE
// /api/v1/departments/{department}/members/{id}: the person leaves the
// department's list; the row stays, retired, for the history.
func (s *Server) retireDepartmentMember(w http.ResponseWriter, r *http.Request) error {
	code, err := departmentVar(r)
	if err != nil {
		return err
	}
	id, err := idVar(r, "person")
	if err != nil {
		return err
	}
	out, err := s.cases.RetireDepartmentMember(r.Context(), code, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"member": out})
	return nil
}
