package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// heartbeat is how often an idle event stream sends a comment, so proxies
// and browsers keep it open.
const heartbeat = 15 * time.Second

// eventJSON is an event as the stream shows it: no personal data, no
// location finer than the grid.
type eventJSON struct {
	ID         int64            `json:"id"`
	Category   gridmap.Category `json:"category"`
	Status     gridmap.Status   `json:"status"`
	Previous   gridmap.Status   `json:"previous,omitempty"`
	Grid       *incidentGrid    `json:"grid"`
	ReportedAt time.Time        `json:"reported_at"`
	At         time.Time        `json:"at"`
	// Step: a "step" event's step of the case loop; kinds and statuses
	// only, no note and no person.
	Step *eventStepJSON `json:"step,omitempty"`
}

// eventStepJSON is the step of a "step" event: its number in the case's
// history, its kind (caseflow.Kind) and the case status after it
// (caseflow.Status; status is the public one).
type eventStepJSON struct {
	Seq        int    `json:"seq"`
	Kind       string `json:"kind"`
	CaseStatus string `json:"case_status"`
}

// streamEvents streams Server-Sent Events (GET /api/v1/events?category=&grid=):
// "incident" for each new incident, "status" for each change of status and
// "step" for each step of the case loop (kind and status only), on any instance, so a wall map updates without polling. Each event has an
// id; a client that reconnects with Last-Event-ID gets what it missed while
// this instance still holds it, and otherwise an event "resync" telling it
// to reload its statistics.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	if s.events == nil {
		return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the live feed is not running"}
	}
	cats, err := s.paramCategories(r)
	if err != nil {
		return err
	}
	var grids []string
	if r.URL.Query().Get("grid") != "" {
		ix, err := s.currentIndex()
		if err != nil {
			return err
		}
		if grids, err = paramGrid(r.URL.Query(), ix); err != nil {
			return err
		}
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id") // for clients that cannot set headers
	}
	replay, live, resync, cancel := s.events.Subscribe(last)
	defer cancel()

	// The stream outlives the server's write timeout.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	bw.WriteString("retry: 3000\n\n")
	if resync {
		bw.WriteString("event: resync\ndata: {}\n\n")
	}
	keep := func(ev *gridmap.IncidentEvent) bool {
		return (cats == nil || slices.Contains(cats, ev.Category)) &&
			(grids == nil || slices.Contains(grids, ev.GridCode))
	}
	ix := s.indexOrNil()
	write := func(ev *gridmap.IncidentEvent) {
		if !keep(ev) {
			return
		}
		if s.index != nil {
			ix, _ = s.index()
		}
		b, _ := json.Marshal(eventJSONOf(ev, ix))
		bw.WriteString("id: " + ev.EventID + "\nevent: " + ev.Type + "\ndata: ")
		bw.Write(b)
		bw.WriteString("\n\n")
	}
	for i := range replay {
		write(&replay[i])
	}
	if err := flush(bw, rc); err != nil {
		return nil // the client went away
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case ev, ok := <-live:
			if !ok {
				// Dropped (too slow) or shutting down: the client reconnects
				// with Last-Event-ID.
				return nil
			}
			write(&ev)
			// Send what else is waiting in one write.
			for more := true; more; {
				select {
				case ev, ok := <-live:
					if !ok {
						_ = flush(bw, rc)
						return nil
					}
					write(&ev)
				default:
					more = false
				}
			}
		case <-tick.C:
			bw.WriteString(": keep-alive\n\n")
		}
		if err := flush(bw, rc); err != nil {
			return nil
		}
	}
}

// recentEvents answers GET /api/v1/events/recent?limit=&category=&status=
// &from=&to=&grid=&overdue=: the newest incidents (by time reported) with
// their current status, as "incident" events newest first, so a wall map's
// ticker has something to show before the stream brings anything. From the
// in-memory statistics (the filters are theirs); no personal data, no
// location finer than the grid, as the stream.
func (s *Server) recentEvents(w http.ResponseWriter, r *http.Request) error {
	limit, err := paramInt(r.URL.Query(), "limit", 10, 1, 100)
	if err != nil {
		return err
	}
	ix, _, agg, f, err := s.heatQuery(r)
	if err != nil {
		return err
	}
	if _, err := s.planWindow(&f, "the newest incidents", false); err != nil {
		return err
	}
	type recentJSON struct {
		Type string `json:"type"`
		eventJSON
	}
	out := []recentJSON{}
	for _, row := range agg.Newest(f, limit) {
		out = append(out, recentJSON{Type: "incident", eventJSON: eventJSON{ID: row.ID, Category: row.Category,
			Status: row.Status, Grid: gridOf(ix, row.GridCode), ReportedAt: row.ReportedAt, At: row.ReportedAt}})
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
	return nil
}

func flush(bw *bufio.Writer, rc *http.ResponseController) error {
	if err := bw.Flush(); err != nil {
		return err
	}
	return rc.Flush()
}

func eventJSONOf(ev *gridmap.IncidentEvent, ix *geo.Index) eventJSON {
	out := eventJSON{ID: ev.ID, Category: ev.Category, Status: ev.Status, Previous: ev.Previous,
		Grid: gridOf(ix, ev.GridCode), ReportedAt: ev.ReportedAt, At: ev.At}
	if ev.Step != nil {
		out.Step = &eventStepJSON{Seq: ev.Step.Seq, Kind: ev.Step.Kind, CaseStatus: ev.Step.CaseStatus}
	}
	return out
}
