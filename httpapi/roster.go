package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap"
)

// The roster (issue 15): who serves which grid, versioned like the grids
// (migration 00012). Reads are of the boundaries class, with names and
// contacts shown as lookups show them (memberView); writes are the
// command centre's (admin, dispatcher). A write answers once this
// instance's lookups have the new people; the others follow from the
// change feed.

// rosterJSON is one roster row as a request may see it.
type rosterJSON struct {
	ID          int64      `json:"id"`
	Version     int64      `json:"version"`
	Grid        string     `json:"grid"`
	GridName    string     `json:"grid_name,omitempty"`
	Role        string     `json:"role"`
	Name        string     `json:"name"`
	Contact     string     `json:"contact,omitempty"`
	ValidFrom   time.Time  `json:"valid_from"`
	ValidTo     *time.Time `json:"valid_to,omitempty"`
	ChangedBy   string     `json:"changed_by,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	ClosedBy    string     `json:"closed_by,omitempty"`
	CloseReason string     `json:"close_reason,omitempty"`
}

// rosterOut renders e for view: contacts masked or left out as in lookups
// (memberArrays); who changed it and why only with full view.
func (s *Server) rosterOut(e gridmap.RosterEntry, view personalLevel) rosterJSON {
	out := rosterJSON{ID: e.ID, Version: e.Version, Grid: e.GridCode, Role: e.Role, Name: e.Name,
		ValidFrom: e.ValidFrom, ValidTo: e.ValidTo}
	if ix := s.indexOrNil(); ix != nil {
		if g, ok := ix.Grid(e.GridCode); ok {
			out.GridName = g.Name
		}
	}
	switch view {
	case viewFull:
		out.Contact, out.ChangedBy, out.Reason, out.ClosedBy, out.CloseReason = e.Contact, e.ChangedBy, e.Reason, e.ClosedBy, e.CloseReason
	case viewMasked:
		out.Contact = MaskPhone(e.Contact)
	}
	return out
}

// listRoster answers GET /api/v1/roster?grid=&as_of=&history=.
func (s *Server) listRoster(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	asOf, err := paramAsOf(q)
	if err != nil {
		return err
	}
	f := gridmap.RosterFilter{Grid: q.Get("grid"), AsOf: asOf}
	if err := gridmap.CheckText("grid", f.Grid, gridmap.MaxName, false); err != nil {
		return err
	}
	switch h := q.Get("history"); h {
	case "", "false":
	case "true":
		f.History = true
		if asOf != nil {
			return gridmap.Errorf(gridmap.EINVALID, "history=true lists every version; it takes no as_of")
		}
	default:
		return gridmap.Errorf(gridmap.EINVALID, "history=%q must be true or false", h)
	}
	es, err := s.roster.Roster(r.Context(), f)
	if err != nil {
		return err
	}
	view := s.memberView(r)
	out := make([]rosterJSON, len(es))
	for i, e := range es {
		out[i] = s.rosterOut(e, view)
	}
	levels := map[personalLevel]string{viewNone: "none", viewMasked: "masked", viewFull: "full"}
	writeJSON(w, http.StatusOK, map[string]any{"members": out, "personal_data": levels[view]})
	return nil
}

// rosterInput is the body of a roster write.
type rosterInput struct {
	Grid    string `json:"grid"`
	Role    string `json:"role"`
	Name    string `json:"name"`
	Contact string `json:"contact"`
	Reason  string `json:"reason"`
	Actor   string `json:"actor"`
}

func (in rosterInput) edit(r *http.Request) (gridmap.RosterEdit, error) {
	if err := checkLines("actor", in.Actor); err != nil {
		return gridmap.RosterEdit{}, err
	}
	return gridmap.RosterEdit{GridCode: strings.TrimSpace(in.Grid), Role: in.Role, Name: strings.TrimSpace(in.Name),
		Contact: strings.TrimSpace(in.Contact), Reason: in.Reason, Actor: actorOf(r, in.Actor)}, nil
}

// addMember answers POST /api/v1/roster {grid, role, name, contact, reason}.
func (s *Server) addMember(w http.ResponseWriter, r *http.Request) error {
	var in rosterInput
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	e, err := in.edit(r)
	if err != nil {
		return err
	}
	out, ver, err := s.roster.AddMember(r.Context(), e)
	if err != nil {
		return err
	}
	return s.rosterWritten(w, r, http.StatusCreated, out, ver)
}

// changeMember answers PATCH /api/v1/roster/{id}: a move (grid) or a new
// role, name or contact; If-Match with the person's ETag guards it.
func (s *Server) changeMember(w http.ResponseWriter, r *http.Request) error {
	id, ifv, err := rosterTarget(r)
	if err != nil {
		return err
	}
	var in rosterInput
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	e, err := in.edit(r)
	if err != nil {
		return err
	}
	if e.GridCode == "" && e.Role == "" && e.Name == "" && e.Contact == "" {
		return gridmap.Errorf(gridmap.EINVALID, "nothing to change: give a new grid (a move), role, name or contact")
	}
	e.IfVersion = ifv
	out, ver, err := s.roster.ChangeMember(r.Context(), id, e)
	if err != nil {
		return err
	}
	return s.rosterWritten(w, r, http.StatusOK, out, ver)
}

// retireMember answers POST /api/v1/roster/{id}/retire {reason}: the
// person leaves the roster; the history keeps them.
func (s *Server) retireMember(w http.ResponseWriter, r *http.Request) error {
	id, ifv, err := rosterTarget(r)
	if err != nil {
		return err
	}
	var in rosterInput
	if err := readJSON(r, &in, true); err != nil {
		return err
	}
	if in.Grid != "" || in.Role != "" || in.Name != "" || in.Contact != "" {
		return gridmap.Errorf(gridmap.EINVALID, "a retirement takes only a reason (and an actor); to move or change a person use PATCH /api/v1/roster/%d", id)
	}
	e, err := in.edit(r)
	if err != nil {
		return err
	}
	e.IfVersion = ifv
	out, ver, err := s.roster.RetireMember(r.Context(), id, e)
	if err != nil {
		return err
	}
	return s.rosterWritten(w, r, http.StatusOK, out, ver)
}

// rosterWritten waits (briefly) until this instance's index has the data
// version the write made, so a lookup right after it answers the new
// people, then answers the row.
func (s *Server) rosterWritten(w http.ResponseWriter, r *http.Request, status int, e gridmap.RosterEntry, ver int64) error {
	if s.waitIndex != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		s.waitIndex(ctx, ver)
		cancel()
	}
	w.Header().Set("ETag", fmt.Sprintf(`"m%d.%d"`, e.ID, e.Version))
	writeJSON(w, status, map[string]any{"member": s.rosterOut(e, viewFull), "data_version": ver})
	return nil
}

// rosterTarget reads the person's id and the If-Match version of a write:
// `"m{id}.{version}"` (the ETag of the last answer); none gives 0.
func rosterTarget(r *http.Request) (id, version int64, err error) {
	if id, err = idVar(r, "person"); err != nil {
		return 0, 0, err
	}
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return id, 0, nil
	}
	tag, ok := strings.CutPrefix(strings.Trim(h, `"`), "m"+strconv.FormatInt(id, 10)+".")
	if ok {
		version, err = strconv.ParseInt(tag, 10, 64)
	}
	if !ok || err != nil || version <= 0 || !strings.HasPrefix(h, `"`) {
		return 0, 0, gridmap.Errorf(gridmap.EPRECONDITION, "If-Match %s is not an ETag of person %d (they look like \"m%d.42\")", h, id, id)
	}
	return id, version, nil
}
