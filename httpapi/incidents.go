package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/intake"
)

// incidentGrid is the grid of an incident as the API shows it; name and
// level come from the current index (absent for a code retired since).
type incidentGrid struct {
	Code  string        `json:"code"`
	Name  string        `json:"name,omitempty"`
	Level gridmap.Level `json:"level,omitempty"`
}

func gridOf(ix *geo.Index, code string) *incidentGrid {
	if code == "" {
		return nil
	}
	g := &incidentGrid{Code: code}
	if ix != nil {
		if gr, ok := ix.Grid(code); ok {
			g.Name, g.Level = gr.Name, gr.Level
		}
	}
	return g
}

// incidentJSON is the public view of an incident: what listings, imports
// and PATCH answer. It has no personal data field, so none can leak
// through it.
type incidentJSON struct {
	ID              int64            `json:"id"`
	ExternalID      string           `json:"external_id"`
	Category        gridmap.Category `json:"category"`
	Source          gridmap.Source   `json:"source"`
	Status          gridmap.Status   `json:"status"`
	Lon             float64          `json:"lon"`
	Lat             float64          `json:"lat"`
	Grid            *incidentGrid    `json:"grid"`
	BoundaryVersion int64            `json:"boundary_version"`
	ReportedAt      time.Time        `json:"reported_at"`
	AcceptedAt      *time.Time       `json:"accepted_at,omitempty"`
	InProgressAt    *time.Time       `json:"in_progress_at,omitempty"`
	ResolvedAt      *time.Time       `json:"resolved_at,omitempty"`
	RepliedAt       *time.Time       `json:"replied_at,omitempty"`
	ClosedAt        *time.Time       `json:"closed_at,omitempty"`
	Department      string           `json:"department"`
	Deadline        *time.Time       `json:"deadline"`
	Overdue         bool             `json:"overdue"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	// The case loop (issue 14), for the desk's queue: the finer case
	// status, the times it was supervised (督办), and the step it waits for
	// with its due time, from the row alone (GET …/steps derives them
	// from the history).
	CaseStatus caseflow.Status `json:"case_status"`
	Supervised int             `json:"supervised"`
	Due        *dueJSON        `json:"due"`
}

// rowCaseStatus is the case status an incident row shows: its newest
// stored step's, else the one its stored status implies (a case given to
// a department is dispatched).
func rowCaseStatus(in *gridmap.Incident) caseflow.Status {
	if in.LastStep.CaseStatus != "" {
		return caseflow.Status(in.LastStep.CaseStatus)
	}
	st := caseflow.ImpliedStatus(in.Status)
	if st == caseflow.StatusRegistered && in.Department != "" {
		return caseflow.StatusDispatched
	}
	return st
}

// rowDue is the step an incident row waits for and its due time
// (caseflow.DueIn), counted from the time of its public status.
func rowDue(in *gridmap.Incident, st caseflow.Status, now time.Time) *dueJSON {
	since, ok := in.StepAt[st.Public()]
	if !ok {
		since = in.ReportedAt
	}
	d, ok := caseflow.DueIn(st, since, in.Deadline)
	if !ok {
		return nil
	}
	return &dueJSON{Step: d.Step, By: d.By, Overdue: now.After(d.By)}
}

func publicIncident(in *gridmap.Incident, ix *geo.Index, now time.Time) incidentJSON {
	step := func(s gridmap.Status) *time.Time {
		if t, ok := in.StepAt[s]; ok {
			return &t
		}
		return nil
	}
	cs := rowCaseStatus(in)
	return incidentJSON{
		ID: in.ID, ExternalID: in.ExternalID, Category: in.Category, Source: in.Source, Status: in.Status,
		Lon: in.Location[0], Lat: in.Location[1], Grid: gridOf(ix, in.GridCode), BoundaryVersion: in.BoundaryVersion,
		ReportedAt: in.ReportedAt, AcceptedAt: step(gridmap.StatusAccepted), InProgressAt: step(gridmap.StatusInProgress),
		ResolvedAt: step(gridmap.StatusResolved), RepliedAt: step(gridmap.StatusReplied), ClosedAt: step(gridmap.StatusClosed),
		Department: in.Department, Deadline: in.Deadline, Overdue: in.Overdue(now),
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
		CaseStatus: cs, Supervised: in.Supervised, Due: rowDue(in, cs, now),
	}
}

// incidentDetailJSON is one incident with its personal data.
//
// Personal data: description and reporter are filled by role
// (incidentDetail in auth_personal.go).
type incidentDetailJSON struct {
	incidentJSON
	Description string            `json:"description"`
	Reporter    *gridmap.Reporter `json:"reporter"`
}

func (s *Server) indexOrNil() *geo.Index {
	if s.index == nil {
		return nil
	}
	ix, _ := s.index()
	return ix
}

func (s *Server) listCategories(w http.ResponseWriter, r *http.Request) error {
	cats, err := s.incidents.Categories(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": cats})
	return nil
}

// batchItemJSON is one good row of a posted batch.
type batchItemJSON struct {
	Index      int           `json:"index"`
	ID         int64         `json:"id"`
	ExternalID string        `json:"external_id"`
	Created    bool          `json:"created"`
	Grid       *incidentGrid `json:"grid"`
}

// incidentWait bounds how long a post waits for this instance's index to
// catch up with a boundary change that landed while it was assigned.
const incidentWait = 5 * time.Second

// liveMap is the live map as the server's dependencies give it
// (Deps.Index, Deps.WaitIndex), for intake.
type liveMap struct{ s *Server }

func (m liveMap) Index() (*geo.Index, int64) {
	if m.s.index == nil {
		return nil, 0
	}
	return m.s.index()
}

func (m liveMap) WaitVersion(ctx context.Context, v int64) bool {
	return m.s.waitIndex != nil && m.s.waitIndex(ctx, v)
}

// postIncidents stores one incident or a batch {"incidents": [...]} (at most
// 10,000) through intake, assigned through the in-memory index.
// ?crs=wgs84|gcj02|bd09 is the default coordinate system of the items;
// ?partial=true stores the good items of a batch that has bad ones. One
// incident answers 201 with the stored incident, or 200 with the incident
// stored before under its external id. A batch answers counts, the errors
// and each stored item.
func (s *Server) postIncidents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	crs, err := paramCRS(q.Get("crs"))
	if err != nil {
		return err
	}
	partial, err := paramBool(q, "partial")
	if err != nil {
		return err
	}
	body, err := readJSONBody(r)
	if err != nil {
		return err
	}
	recs, single, err := intake.ReadJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	photos, err := s.reportPhotos(recs, single)
	if err != nil {
		return err
	}
	now := time.Now()
	in := intake.Intake{Map: liveMap{s}, Store: s.incidents, MaxWait: incidentWait}
	res, err := in.Import(r.Context(), intake.Request{Records: intake.Records(recs), CRS: crs, Now: now, Scope: s.writeScope(r),
		Options: gridmap.ImportIncidentsOptions{Items: true, Partial: partial != nil && *partial && !single,
			By: PrincipalFrom(r.Context()).By()}})
	if err != nil {
		return err
	}
	ix := res.Index
	s.metrics.ingested(res.Created, res.Existing, len(res.Errors))
	if single {
		it := res.Items[0]
		status := http.StatusOK
		if photos != nil {
			// After the case: a resend finds it and links what is missing.
			if err := s.attachments.AttachToIncident(r.Context(), it.Incident.ID, PrincipalFrom(r.Context()).TokenID, photos); err != nil {
				return err
			}
		}
		if it.Created {
			status = http.StatusCreated
			w.Header().Set("Location", "/api/v1/incidents/"+strconv.FormatInt(it.Incident.ID, 10))
		}
		if photos != nil {
			writeJSON(w, status, struct {
				incidentJSON
				Attachments []string `json:"attachments"`
			}{publicIncident(&it.Incident, ix, now), photos})
			return nil
		}
		writeJSON(w, status, publicIncident(&it.Incident, ix, now))
		return nil
	}
	items := make([]batchItemJSON, len(res.Items))
	for i, it := range res.Items {
		items[i] = batchItemJSON{Index: it.Index, ID: it.Incident.ID, ExternalID: it.Incident.ExternalID,
			Created: it.Created, Grid: gridOf(ix, it.Incident.GridCode)}
	}
	errs := res.Errors
	if errs == nil {
		errs = []gridmap.ItemError{}
	}
	status := http.StatusOK
	if res.Created > 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{
		"read": res.Read, "created": res.Created, "existing": res.Existing, "unassigned": res.Unassigned,
		"errors": errs, "incidents": items,
	})
	return nil
}

// maxReportPhotos bounds the photos one report is posted with.
const maxReportPhotos = 10

// reportPhotos reads "attachments" of a single posted incident: the ids
// (POST /api/v1/attachments) of the photos it is reported with, nil when
// none are given. A batch does not take them.
func (s *Server) reportPhotos(recs []intake.Record, single bool) ([]string, error) {
	var raw any
	for _, r := range recs {
		if v, ok := r.Fields["attachments"]; ok {
			if !single {
				return nil, gridmap.Errorf(gridmap.EINVALID, "item %d: attachments are taken with one incident at a time, not in a batch", r.Index)
			}
			raw = v
		}
	}
	if raw == nil {
		return nil, nil
	}
	if s.attachments == nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "this server stores no attachments; post the incident without them")
	}
	list, ok := raw.([]any)
	if !ok || len(list) > maxReportPhotos {
		return nil, gridmap.Errorf(gridmap.EINVALID, "attachments must be a list of at most %d attachment ids (POST /api/v1/attachments answers them)", maxReportPhotos)
	}
	ids := make([]string, 0, len(list))
	for i, v := range list {
		id, _ := v.(string)
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			return nil, gridmap.Errorf(gridmap.EINVALID, "attachments[%d]: an attachment id is the 64 lower-case hex digits POST /api/v1/attachments answered", i)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// idVar reads the {id} path variable of a what ("incident", "plan"): a
// positive number, else ENOTFOUND.
func idVar(r *http.Request, what string) (int64, error) {
	v := mux.Vars(r)["id"]
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, gridmap.Errorf(gridmap.ENOTFOUND, "%s %s not found", what, v)
	}
	return id, nil
}

// getIncident answers one incident with its personal data (see
// incidentDetailJSON).
func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "incident")
	if err != nil {
		return err
	}
	in, err := s.incidents.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store") // personal data
	// Personal data by role: full, masked or none (auth_personal.go).
	out := s.incidentDetail(r, &in)
	if out.PersonalData == "full" && s.attachments != nil {
		// The report's photos are personal data too.
		if out.Attachments, err = s.attachments.IncidentAttachments(r.Context(), id); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// patchIncident applies {"status", "department", "deadline" (null clears
// it), "at" (the time of the step; default now)}. A status may only move
// forward: a move backwards or out of closed is 409.
func (s *Server) patchIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "incident")
	if err != nil {
		return err
	}
	raw, err := readJSONBody(r)
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return gridmap.Errorf(gridmap.EINVALID, "the body must be a JSON object such as {\"status\": \"accepted\"}")
	}
	var u gridmap.IncidentUpdate
	for k, raw := range body {
		null := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
		switch k {
		case "status":
			var st gridmap.Status
			if err := json.Unmarshal(raw, &st); err != nil || null {
				return gridmap.Errorf(gridmap.EINVALID, "status must be one of reported, accepted, in_progress, resolved, replied, closed")
			}
			u.Status = &st
		case "department":
			var d string
			if err := json.Unmarshal(raw, &d); err != nil || null {
				return gridmap.Errorf(gridmap.EINVALID, "department must be a string of at most 200 characters")
			}
			if err := gridmap.CheckText("department", d, gridmap.MaxName, false); err != nil {
				return err
			}
			u.Department = &d
		case "deadline":
			if null {
				u.ClearDeadline = true
				continue
			}
			var t time.Time
			if err := json.Unmarshal(raw, &t); err != nil {
				return gridmap.Errorf(gridmap.EINVALID, "deadline must be an RFC 3339 time such as 2026-12-01T18:00:00+08:00, or null to clear it")
			}
			u.Deadline = &t
		case "at":
			if err := json.Unmarshal(raw, &u.At); err != nil || null {
				return gridmap.Errorf(gridmap.EINVALID, "at must be an RFC 3339 time: when the step happened")
			}
			if u.At.After(time.Now().Add(time.Minute)) {
				return gridmap.Errorf(gridmap.EINVALID, "at is in the future")
			}
		default:
			return gridmap.Errorf(gridmap.EINVALID, "unknown field %q; a PATCH may set status, department, deadline and at", k)
		}
	}
	u.By = PrincipalFrom(r.Context()).By()
	u.Check = s.writeScope(r)
	in, err := s.incidents.UpdateIncident(r.Context(), id, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, publicIncident(&in, s.indexOrNil(), time.Now()))
	return nil
}

const (
	defaultIncidentPage = 100
	maxIncidentPage     = 1000
)

// queueItemJSON is an incident in a listing: the public fields, and the
// person responsible by role (the case desk's queue).
type queueItemJSON struct {
	incidentJSON
	Person string `json:"person,omitempty"`
}

// listIncidents answers a page of incidents, newest first, public fields
// only: ?grid= (a grid of any level: it and the grids below it),
// unassigned=true, category=, status= (or open), source=, department=
// (codes), supervised=, from=, to=, overdue=, external_id=, limit=
// (1–1000, default 100), cursor= (from next_cursor).
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	now := time.Now()
	f := gridmap.IncidentFilter{ExternalID: q.Get("external_id"), Now: now}
	var err error
	if f.Categories, err = s.paramCategories(r); err != nil {
		return err
	}
	if f.Statuses, err = paramStatuses(q); err != nil {
		return err
	}
	if f.From, f.To, err = paramWindow(q); err != nil {
		return err
	}
	if f.Overdue, err = paramBool(q, "overdue"); err != nil {
		return err
	}
	if f.Sources, err = paramSources(q); err != nil {
		return err
	}
	if f.Departments, err = s.paramDepartments(r); err != nil {
		return err
	}
	if f.Supervised, err = paramBool(q, "supervised"); err != nil {
		return err
	}
	un, err := paramBool(q, "unassigned")
	if err != nil {
		return err
	}
	f.Unassigned = un != nil && *un
	limit, err := paramInt(q, "limit", defaultIncidentPage, 1, maxIncidentPage)
	if err != nil {
		return err
	}
	if c := q.Get("cursor"); c != "" {
		if f.BeforeID, err = strconv.ParseInt(c, 10, 64); err != nil || f.BeforeID <= 0 {
			return gridmap.Errorf(gridmap.EINVALID, "cursor=%q is not a cursor from next_cursor", c)
		}
	}
	ix := s.indexOrNil()
	if q.Get("grid") != "" {
		if ix == nil {
			return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grid index is not loaded yet; try again shortly"}
		}
		if f.GridCodes, err = paramGrid(q, ix); err != nil {
			return err
		}
	}
	switch format := q.Get("format"); format {
	case "", "json":
	case "csv", "geojson":
		f.Limit = 0
		if q.Has("limit") {
			f.Limit = limit
		}
		return s.exportIncidents(w, r, f, ix, format)
	default:
		return gridmap.Errorf(gridmap.EINVALID, "format=%q is not supported; use json (the default, paged), csv or geojson (all matches, streamed)", format)
	}
	f.Limit = limit + 1 // one more tells whether a next page exists
	out := make([]queueItemJSON, 0, min(limit, 128))
	more := false
	err = s.incidents.ListIncidents(r.Context(), f, func(in gridmap.Incident) error {
		if len(out) == limit {
			more = true
			return nil
		}
		it := queueItemJSON{incidentJSON: publicIncident(&in, ix, now)}
		// The person responsible is named to roles that see this case's
		// personal data, masked to the others.
		switch s.caseView(r, in.GridCode, in.Department) {
		case viewFull:
			it.Person = in.Person
		case viewMasked:
			it.Person = MaskName(in.Person)
		}
		out = append(out, it)
		return nil
	})
	if err != nil {
		return err
	}
	body := map[string]any{"incidents": out, "number_returned": len(out)}
	if more {
		cursor := strconv.FormatInt(out[len(out)-1].ID, 10)
		next := *r.URL
		nq := next.Query()
		nq.Set("cursor", cursor)
		next.RawQuery = nq.Encode()
		body["next_cursor"] = cursor
		body["links"] = []map[string]string{{"rel": "next", "type": "application/json", "href": next.String()}}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
