package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/internal/incidentio"
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
}

func publicIncident(in *gridmap.Incident, ix *geo.Index, now time.Time) incidentJSON {
	step := func(s gridmap.Status) *time.Time {
		if t, ok := in.StepAt[s]; ok {
			return &t
		}
		return nil
	}
	return incidentJSON{
		ID: in.ID, ExternalID: in.ExternalID, Category: in.Category, Source: in.Source, Status: in.Status,
		Lon: in.Location[0], Lat: in.Location[1], Grid: gridOf(ix, in.GridCode), BoundaryVersion: in.BoundaryVersion,
		ReportedAt: in.ReportedAt, AcceptedAt: step(gridmap.StatusAccepted), InProgressAt: step(gridmap.StatusInProgress),
		ResolvedAt: step(gridmap.StatusResolved), RepliedAt: step(gridmap.StatusReplied), ClosedAt: step(gridmap.StatusClosed),
		Department: in.Department, Deadline: in.Deadline, Overdue: in.Overdue(now),
		CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
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

// awaitIndex waits (at most 5 s) until the index is at data version v or
// newer; false when it is not.
func (s *Server) awaitIndex(ctx context.Context, v int64) bool {
	if s.waitIndex == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return s.waitIndex(ctx, v)
}

// postIncidents stores one incident or a batch {"incidents": [...]} (at most
// 10,000), assigned through the in-memory index. ?crs=wgs84|gcj02|bd09 is
// the default coordinate system of the items; ?partial=true stores the good
// items of a batch that has bad ones. One incident answers 201 with the
// stored incident, or 200 with the incident stored before under its
// external id. A batch answers counts, the errors and each stored item.
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
	recs, single, err := incidentio.ReadJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	if _, err := s.currentIndex(); err != nil {
		return err
	}
	cats, err := s.incidents.Categories(r.Context())
	if err != nil {
		return err
	}
	now := time.Now()
	c := incidentio.NewChecker(cats, now)
	c.CRS = crs
	opts := gridmap.ImportIncidentsOptions{Items: true, Partial: partial != nil && *partial && !single,
		By: PrincipalFrom(r.Context()).By()}
	// Assigned with the index and version read together; when a boundary
	// change lands meanwhile the store refuses, and the batch is assigned
	// again once this instance's index has caught up.
	var res gridmap.ImportIncidentsResult
	var ix *geo.Index
	for attempt := 0; ; attempt++ {
		ix, opts.BoundaryVersion = s.index()
		rows := incidentio.Rows(incidentio.Records(recs), c, ix, opts.BoundaryVersion)
		if scope := s.writeScope(r); scope != nil {
			if rows, err = scopedRows(rows, scope); err != nil {
				return err
			}
		}
		res, err = s.incidents.ImportIncidents(r.Context(), opts, rows)
		sg, stale := gridmap.StaleGridsOf(err)
		if !stale || attempt == 2 || !s.awaitIndex(r.Context(), sg.Current) {
			break
		}
	}
	if err != nil {
		return err
	}
	s.metrics.ingested(res.Created, res.Existing, len(res.Errors))
	if single {
		it := res.Items[0]
		status := http.StatusOK
		if it.Created {
			status = http.StatusCreated
			w.Header().Set("Location", "/api/v1/incidents/"+strconv.FormatInt(it.Incident.ID, 10))
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

// scopedRows reads rows whole and checks each good one's grid with scope
// (writeScope): when any is outside it, the post is refused, EFORBIDDEN
// naming every such item; else it yields the rows read.
func scopedRows(rows iter.Seq2[gridmap.IncidentRow, error], scope func(string) error) (iter.Seq2[gridmap.IncidentRow, error], error) {
	type item struct {
		row gridmap.IncidentRow
		err error
	}
	var all []item
	var out []gridmap.ItemError
	var first error
	read := 0
	for row, err := range rows {
		all = append(all, item{row, err})
		read = max(read, row.Index+1)
		if err != nil {
			continue
		}
		if serr := scope(row.Incident.GridCode); serr != nil {
			first = cmp.Or(first, serr)
			out = append(out, gridmap.ItemError{Index: row.Index, Code: row.Incident.ExternalID, Message: gridmap.ErrorMessage(serr)})
		}
	}
	if len(out) > 0 {
		msg := gridmap.ErrorMessage(first)
		if read > 1 {
			msg = fmt.Sprintf("%d of %d incidents are outside the grid this token is scoped to; nothing was stored (errors names each): %s", len(out), read, msg)
		}
		return nil, &gridmap.Error{Code: gridmap.EFORBIDDEN, Message: msg, Details: out}
	}
	return func(yield func(gridmap.IncidentRow, error) bool) {
		for _, it := range all {
			if !yield(it.row, it.err) {
				return
			}
		}
	}, nil
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
	writeJSON(w, http.StatusOK, s.incidentDetail(r, &in))
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

// listIncidents answers a page of incidents, newest first, public fields
// only: ?grid= (a grid of any level: it and the grids below it),
// unassigned=true, category=, status= (or open), from=, to=, overdue=,
// external_id=, limit= (1–1000, default 100), cursor= (from next_cursor).
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
	out := make([]incidentJSON, 0, min(limit, 128))
	more := false
	err = s.incidents.ListIncidents(r.Context(), f, func(in gridmap.Incident) error {
		if len(out) == limit {
			more = true
			return nil
		}
		out = append(out, publicIncident(&in, ix, now))
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
