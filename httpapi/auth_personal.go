package httpapi

import (
	"encoding/json"
	"net/http"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// Personal data (issue 7): member contacts, reporters and incident
// descriptions. Who sees what:
//
//	admin, dispatcher             everything
//	reporter                      everything; a reporter token scoped to a grid (a
//	                              grid worker's) sees the reporter and description of
//	                              incidents in its grid only, masked elsewhere
//	department                    the reporter, description, notes and persons of
//	                              the cases given to its department; masked elsewhere
//	                              and for member contacts
//	viewer, planner               masked: names as 王******, phones as 199-****-0007,
//	                              no description
//	no token                      none (contacts left out; incidents need a token)
//
// Work logs (issue 15: the worker's name, notes, people visited, the
// track) are read by admin and dispatcher, and by the reporter token that
// wrote them; no other role (worklogs.go, readsWorklogs).
//
// Tiles, statistics, heat tiles, the event stream and listings never carry
// personal data whoever asks, and the request log carries no body or query.

// personalLevel is how much personal data a request may see.
type personalLevel uint8

const (
	viewNone personalLevel = iota
	viewMasked
	viewFull
)

// memberView is the personal data a request may see of grid members.
func (s *Server) memberView(r *http.Request) personalLevel {
	switch PrincipalFrom(r.Context()).Role {
	case gridmap.RoleAdmin, gridmap.RoleReporter, gridmap.RoleDispatcher:
		return viewFull
	case gridmap.RoleViewer, gridmap.RolePlanner, gridmap.RoleDepartment:
		return viewMasked
	}
	return viewNone
}

// incidentView is the personal data a request may see of an incident
// assigned to gridCode ("" when outside every grid).
func (s *Server) incidentView(r *http.Request, gridCode string) personalLevel {
	return s.caseView(r, gridCode, "")
}

// caseView is incidentView for a case given to department (its code; ""
// when given to none or not known): a department token sees the personal
// data of its own department's cases only.
func (s *Server) caseView(r *http.Request, gridCode, department string) personalLevel {
	p := PrincipalFrom(r.Context())
	switch p.Role {
	case gridmap.RoleAdmin, gridmap.RoleDispatcher:
		return viewFull
	case gridmap.RoleDepartment:
		if department != "" && department == p.Department {
			return viewFull
		}
		return viewMasked
	case gridmap.RoleReporter:
		if p.Grid == "" || inGrid(s.indexOrNil(), gridCode, p.Grid) {
			return viewFull
		}
		return viewMasked
	case gridmap.RoleViewer, gridmap.RolePlanner:
		return viewMasked
	}
	return viewNone
}

// writeScope returns the check of the incidents a request may write, by
// their grid code, or nil when it may write any: writes are scoped as
// reads are, so a reporter token scoped to a grid (a grid worker's) may
// post and update only incidents of that grid and the grids below it.
// The check's error is EFORBIDDEN, naming the grid.
func (s *Server) writeScope(r *http.Request) func(gridCode string) error {
	p := PrincipalFrom(r.Context())
	if p.Role != gridmap.RoleReporter || p.Grid == "" {
		return nil
	}
	ix := s.indexOrNil()
	return func(code string) error {
		if inGrid(ix, code, p.Grid) {
			return nil
		}
		where := "outside every grid"
		if code != "" {
			where = "in grid " + code
		}
		return gridmap.Errorf(gridmap.EFORBIDDEN, "this token is scoped to grid %s: it may write only incidents in that grid and the grids below it, and this incident is %s", p.Grid, where)
	}
}

// inGrid reports whether the grid code is scope or lies below it.
func inGrid(ix *geo.Index, code, scope string) bool {
	if code == "" {
		return false
	}
	if code == scope {
		return true
	}
	if ix == nil {
		return false
	}
	for _, g := range ix.Chain(code) {
		if g.Code == scope {
			return true
		}
	}
	return false
}

// MaskPhone masks a phone number for roles that may not read it: the
// first three and the last four digits stay, the others become '*', and
// separators are kept ("199-0537-0007" → "199-****-0007"). Numbers of
// fewer than eight digits keep only their last two.
func MaskPhone(p string) string {
	digits := 0
	for _, c := range p {
		if unicode.IsDigit(c) {
			digits++
		}
	}
	keepHead, keepTail := 3, 4
	if digits < 8 {
		keepHead, keepTail = 0, 2
	}
	out := make([]rune, 0, len(p))
	i := 0
	for _, c := range p {
		switch {
		case unicode.IsDigit(c):
			if i >= keepHead && i < digits-keepTail {
				c = '*'
			}
			i++
		case unicode.IsLetter(c):
			c = '*'
		}
		out = append(out, c)
	}
	return string(out)
}

// MaskName keeps the first character of a name (the surname, in Chinese)
// and masks the rest: "王演示0001" → "王******".
func MaskName(n string) string {
	if n == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(n)
	rest := utf8.RuneCountInString(n[size:])
	out := make([]rune, 0, rest+1)
	out = append(out, r)
	for range rest {
		out = append(out, '*')
	}
	return string(out)
}

// incidentViewJSON is one incident as GET /api/v1/incidents/{id} shows it
// to a request: personal_data says whether description and reporter are
// "full" or "masked" (description then empty). created_by and changes (the
// change log) say who wrote the incident; a token's name is often a
// person's, so it is personal data too: masked, or left out with the log
// where none is shown.
type incidentViewJSON struct {
	incidentDetailJSON
	PersonalData string                    `json:"personal_data"`
	CreatedBy    *gridmap.Actor            `json:"created_by,omitempty"`
	Changes      *[]gridmap.IncidentChange `json:"changes,omitempty"` // nil: left out
	// Attachments are the photos the case was reported with (ids for
	// GET /api/v1/attachments/{id}); only with full personal data.
	Attachments []string `json:"attachments,omitempty"`
}

// incidentDetail renders an incident with the personal data the request
// may see.
func (s *Server) incidentDetail(r *http.Request, in *gridmap.Incident) incidentViewJSON {
	out := incidentViewJSON{incidentDetailJSON: incidentDetailJSON{incidentJSON: publicIncident(in, s.indexOrNil(), time.Now())}}
	switch s.caseView(r, in.GridCode, in.Department) {
	case viewFull:
		out.Description, out.Reporter, out.PersonalData = in.Description, in.Reporter, "full"
		changes := append([]gridmap.IncidentChange{}, in.Changes...)
		out.CreatedBy, out.Changes = &in.CreatedBy, &changes
	case viewMasked:
		out.PersonalData = "masked"
		if in.Reporter != nil {
			out.Reporter = &gridmap.Reporter{Name: MaskName(in.Reporter.Name), Phone: MaskPhone(in.Reporter.Phone)}
		}
		by := in.CreatedBy
		by.Name = MaskName(by.Name)
		changes := make([]gridmap.IncidentChange, len(in.Changes))
		for i, c := range in.Changes {
			c.By.Name = MaskName(c.By.Name)
			changes[i] = c
		}
		out.CreatedBy, out.Changes = &by, &changes
	default:
		out.PersonalData = "none"
	}
	return out
}

// memberJSON is a member in a lookup answer; contact by memberView.
type memberJSON struct {
	Grid    string `json:"grid"`
	Role    string `json:"role"`
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
}

// memberArrays renders the members of a lookup chain three ways: without
// contacts, with masked contacts and with full contacts (JSON arrays).
func memberArrays(chain []*gridmap.Grid) (none, masked, full []byte) {
	var ns, ms, fs []memberJSON
	ns, ms, fs = []memberJSON{}, []memberJSON{}, []memberJSON{}
	for _, g := range chain {
		for _, m := range g.Members {
			base := memberJSON{Grid: m.GridCode, Role: m.Role, Name: m.Name}
			ns = append(ns, base)
			mm, fm := base, base
			if m.Contact != "" {
				mm.Contact, fm.Contact = MaskPhone(m.Contact), m.Contact
			}
			ms, fs = append(ms, mm), append(fs, fm)
		}
	}
	none, _ = json.Marshal(ns)
	masked, _ = json.Marshal(ms)
	full, _ = json.Marshal(fs)
	return none, masked, full
}
