package httpapi

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/geo"
)

// Open311 reads of service requests (incidents). What they show is public:
// no reporter, and the description only on a single read by a token that
// may see the incident's personal data (incidentView: admin, a reporter in
// its grid); lists never carry it, nor media (attachments are personal
// data). status is open, or closed for an incident whose status is closed;
// status_notes the latest step (a single read) or the current status with
// its time (lists: no query per row).

const (
	// open311Window is the longest time a list covers, and the default:
	// the last 90 days (the spec's default window).
	open311Window = 90 * 24 * time.Hour
	// open311MaxResults bounds a list, newest first.
	open311MaxResults = 1000
)

// serviceRequestJSON is one service request as the spec writes it. Absent
// values are null in JSON and left out of XML.
type serviceRequestJSON struct {
	ServiceRequestID  string  `json:"service_request_id" xml:"service_request_id"`
	Status            string  `json:"status" xml:"status"`
	StatusNotes       string  `json:"status_notes" xml:"status_notes"`
	ServiceName       string  `json:"service_name" xml:"service_name"`
	ServiceCode       string  `json:"service_code" xml:"service_code"`
	Description       *string `json:"description" xml:"description,omitempty"`
	AgencyResponsible string  `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     *string `json:"service_notice" xml:"service_notice,omitempty"`
	RequestedDatetime string  `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string  `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  *string `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address           string  `json:"address" xml:"address"`
	AddressID         *string `json:"address_id" xml:"address_id,omitempty"`
	Zipcode           *string `json:"zipcode" xml:"zipcode,omitempty"`
	Lat               float64 `json:"lat" xml:"lat"`
	Long              float64 `json:"long" xml:"long"`
	MediaURL          *string `json:"media_url" xml:"media_url,omitempty"`
}

type serviceRequestsXML struct {
	XMLName  xml.Name             `xml:"service_requests"`
	Requests []serviceRequestJSON `xml:"request"`
}

// publicStatusLabels name the incident statuses.
var publicStatusLabels = map[gridmap.Status][2]string{
	gridmap.StatusReported:   {"已上报", "Reported"},
	gridmap.StatusAccepted:   {"已受理", "Accepted"},
	gridmap.StatusInProgress: {"办理中", "In progress"},
	gridmap.StatusResolved:   {"已办结", "Resolved"},
	gridmap.StatusReplied:    {"已答复", "Replied"},
	gridmap.StatusClosed:     {"已归档", "Closed"},
}

// open311View is what the rendering of requests needs, read once per
// answer.
type open311View struct {
	en    bool
	ix    *geo.Index
	cats  map[gridmap.Category]gridmap.CategoryInfo
	depts map[string]caseflow.Department
}

func (s *Server) open311View(r *http.Request) (*open311View, error) {
	en, err := open311English(r)
	if err != nil {
		return nil, err
	}
	v := &open311View{en: en, ix: s.indexOrNil(), cats: map[gridmap.Category]gridmap.CategoryInfo{}, depts: map[string]caseflow.Department{}}
	cats, err := s.incidents.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		v.cats[c.Name] = c
	}
	if s.cases != nil {
		ds, err := s.cases.Departments(r.Context())
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			v.depts[d.Code] = d
		}
	}
	return v, nil
}

// address is the grid path of a grid code, its parent first ("某村 / 第3网格");
// "" outside every grid.
func (v *open311View) address(code string) string {
	if code == "" || v.ix == nil {
		return ""
	}
	chain := v.ix.Chain(code) // the grid up to the root
	if len(chain) == 0 {
		return ""
	}
	chain = chain[:min(2, len(chain))]
	parts := make([]string, 0, len(chain))
	for i := len(chain) - 1; i >= 0; i-- {
		parts = append(parts, chain[i].Name)
	}
	return strings.Join(parts, " / ")
}

func (v *open311View) statusLabel(st gridmap.Status) string {
	l := publicStatusLabels[st]
	return pick(v.en, l[0], l[1])
}

// request renders an incident. notes is its status_notes ("": the status
// and when it was reached).
func (v *open311View) request(in *gridmap.Incident, notes string) serviceRequestJSON {
	status := "open"
	if in.Status == gridmap.StatusClosed {
		status = "closed"
	}
	if notes == "" {
		since := in.ReportedAt
		if t, ok := in.StepAt[in.Status]; ok {
			since = t
		}
		notes = v.statusLabel(in.Status) + pick(v.en, "，", " since ") + open311Time(since)
	}
	c := v.cats[in.Category]
	name := pick(v.en, c.LabelZh, c.LabelEn)
	if name == "" {
		name = string(in.Category)
	}
	agency := in.Department
	if d, ok := v.depts[agency]; ok {
		agency = pick(v.en, d.NameZh, d.NameEn)
	}
	out := serviceRequestJSON{
		ServiceRequestID: strconv.FormatInt(in.ID, 10), Status: status, StatusNotes: notes,
		ServiceName: name, ServiceCode: string(in.Category), AgencyResponsible: agency,
		RequestedDatetime: open311Time(in.ReportedAt), UpdatedDatetime: open311Time(in.UpdatedAt),
		Address: v.address(in.GridCode), Lat: in.Location[1], Long: in.Location[0],
	}
	if in.Deadline != nil {
		t := open311Time(*in.Deadline)
		out.ExpectedDatetime = &t
	}
	return out
}

// open311Request answers one service request (a list of one, as the spec
// writes it), with the latest step as status_notes and the description
// when the token may see it.
func (s *Server) open311Request(w http.ResponseWriter, r *http.Request) error {
	v, err := s.open311View(r)
	if err != nil {
		return err
	}
	id, err := serviceRequestID(r)
	if err != nil {
		return err
	}
	in, err := s.incidents.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	notes := ""
	if s.cases != nil {
		steps, err := s.cases.Steps(r.Context(), id)
		if err != nil {
			return err
		}
		if len(steps) > 0 {
			// The step's kind and time only: its note and actor may name
			// people.
			last := steps[len(steps)-1]
			l := last.Kind.Labels()
			notes = pick(v.en, l.Zh, l.En) + pick(v.en, "（", " (") + v.statusLabel(in.Status) + pick(v.en, "），", "), ") + open311Time(last.At)
		}
	}
	out := v.request(&in, notes)
	if s.incidentView(r, in.GridCode) == viewFull {
		d := in.Description
		out.Description = &d
	}
	w.Header().Set("Cache-Control", "no-store") // personal data by token
	list := []serviceRequestJSON{out}
	writeOpen311(w, r, http.StatusOK, list, serviceRequestsXML{Requests: list})
	return nil
}

// serviceRequestID reads the {service_request_id} path variable: a
// positive number, else ENOTFOUND.
func serviceRequestID(r *http.Request) (int64, error) {
	raw := mux.Vars(r)["service_request_id"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, gridmap.Errorf(gridmap.ENOTFOUND, "service_request_id %s not found", raw)
	}
	return id, nil
}

// open311Requests answers service requests, newest first, at most 1000:
// service_request_id= (a comma list, which overrides every other
// parameter), or service_code= (a comma list), status= (open, closed or
// both), start_date= and end_date= (ISO 8601 with an offset) bounding
// requested_datetime within 90 days; the last 90 days by default.
func (s *Server) open311Requests(w http.ResponseWriter, r *http.Request) error {
	v, err := s.open311View(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	now := time.Now()
	f := gridmap.IncidentFilter{Now: now, Limit: open311MaxResults}
	if ids := list(q, "service_request_id"); ids != nil {
		if len(ids) > open311MaxResults {
			return gridmap.Errorf(gridmap.EINVALID, "service_request_id lists %d ids; at most %d are allowed", len(ids), open311MaxResults)
		}
		for _, x := range ids {
			id, err := strconv.ParseInt(x, 10, 64)
			if err != nil || id <= 0 {
				return gridmap.Errorf(gridmap.EINVALID, "service_request_id=%q is not a service request id (a positive whole number)", x)
			}
			f.IDs = append(f.IDs, id)
		}
	} else if err := open311Filter(q, v, now, &f); err != nil {
		return err
	}
	out := []serviceRequestJSON{}
	err = s.incidents.ListIncidents(r.Context(), f, func(in gridmap.Incident) error {
		out = append(out, v.request(&in, ""))
		return nil
	})
	if err != nil {
		return err
	}
	writeOpen311(w, r, http.StatusOK, out, serviceRequestsXML{Requests: out})
	return nil
}

// open311Filter reads service_code, status, start_date and end_date.
func open311Filter(q url.Values, v *open311View, now time.Time, f *gridmap.IncidentFilter) error {
	for _, code := range list(q, "service_code") {
		if _, ok := v.cats[gridmap.Category(code)]; !ok {
			return gridmap.Errorf(gridmap.EINVALID, "service_code=%q: unknown service code; see services.json", code)
		}
		f.Categories = append(f.Categories, gridmap.Category(code))
	}
	open, closed := false, false
	for _, st := range list(q, "status") {
		switch st {
		case "open":
			open = true
		case "closed":
			closed = true
		default:
			return gridmap.Errorf(gridmap.EINVALID, "status=%q: a service request is open or closed (status=open,closed for both)", st)
		}
	}
	switch {
	case open && !closed:
		for _, st := range gridmap.Statuses {
			if st != gridmap.StatusClosed {
				f.Statuses = append(f.Statuses, st)
			}
		}
	case closed && !open:
		f.Statuses = []gridmap.Status{gridmap.StatusClosed}
	}
	start, err := open311Date(q, "start_date")
	if err != nil {
		return err
	}
	end, err := open311Date(q, "end_date")
	if err != nil {
		return err
	}
	if start != nil && end != nil && end.Sub(*start) > open311Window {
		return gridmap.Errorf(gridmap.EINVALID, "start_date to end_date spans %.0f days; at most 90 days may be asked for at once", end.Sub(*start).Hours()/24)
	}
	switch {
	case start == nil && end == nil:
		e := now.Add(time.Second) // a request made this second is in
		s := now.Add(-open311Window)
		start, end = &s, &e
	case end == nil:
		e := start.Add(open311Window)
		end = &e
	case start == nil:
		s := end.Add(-open311Window)
		start = &s
	}
	if !end.After(*start) {
		return gridmap.Errorf(gridmap.EINVALID, "end_date=%s must be after start_date=%s", open311Time(*end), open311Time(*start))
	}
	f.From, f.To = start, end
	return nil
}

// open311Date parses a w3c datetime (ISO 8601 with Z or an offset, as the
// spec asks); nil when absent.
func open311Date(q url.Values, name string) (*time.Time, error) {
	raw := q.Get(name)
	if raw == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "%s=%q is not a w3c datetime with its time zone, such as 2026-11-25T09:30:00+08:00 or 2026-11-25T01:30:00Z", name, raw)
	}
	return &t, nil
}
