package httpapi

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// exportIncidents streams the incidents matching f as CSV or GeoJSON
// (GET /api/v1/incidents?format=csv|geojson with the list's filters): every
// match, or the first `limit`, newest first, with no paging. It carries the
// public fields only, whatever the caller's role: reporter identity and
// incident text stay behind the single-incident GET, where they are shown
// by role, so a bulk file can never spread them.
func (s *Server) exportIncidents(w http.ResponseWriter, r *http.Request, f gridmap.IncidentFilter, ix *geo.Index, format string) error {
	now := f.Now
	var bw *bufio.Writer
	var cw *csv.Writer
	n := 0
	start := func() {
		h := w.Header()
		switch format {
		case "csv":
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="incidents.csv"`)
		default:
			h.Set("Content-Type", "application/geo+json")
			h.Set("Content-Disposition", `attachment; filename="incidents.geojson"`)
		}
		bw = bufio.NewWriterSize(w, 64<<10)
		if format == "csv" {
			cw = csv.NewWriter(bw)
			_ = cw.Write(incidentCSVHeader)
		} else {
			bw.WriteString(`{"type":"FeatureCollection","features":[`)
		}
	}
	rec := make([]string, len(incidentCSVHeader))
	err := s.incidents.ListIncidents(r.Context(), f, func(in gridmap.Incident) error {
		if bw == nil {
			start()
		}
		p := publicIncident(&in, ix, now)
		n++
		if format == "csv" {
			fillIncidentCSV(rec, &p)
			return cw.Write(rec)
		}
		if n > 1 {
			bw.WriteByte(',')
		}
		props, err := json.Marshal(p)
		if err != nil {
			return err
		}
		bw.WriteString(`{"type":"Feature","id":`)
		bw.WriteString(strconv.FormatInt(p.ID, 10))
		bw.WriteString(`,"geometry":{"type":"Point","coordinates":[`)
		bw.WriteString(ftoa(p.Lon) + "," + ftoa(p.Lat))
		bw.WriteString(`]},"properties":`)
		bw.Write(props)
		bw.WriteByte('}')
		return nil
	})
	if err != nil && bw == nil {
		return err
	}
	if err != nil {
		// Too late for a status: cut the response rather than end it as if complete.
		s.log.ErrorContext(r.Context(), "incident export failed mid-stream", "request_id", requestID(r.Context()), "error", err.Error())
		panic(http.ErrAbortHandler)
	}
	if bw == nil {
		start()
	}
	if format == "csv" {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	} else {
		bw.WriteString(`],"numberReturned":` + strconv.Itoa(n) + "}\n")
	}
	return bw.Flush()
}

var incidentCSVHeader = []string{"id", "external_id", "category", "source", "status", "lon", "lat",
	"grid_code", "boundary_version", "reported_at", "accepted_at", "in_progress_at", "resolved_at",
	"replied_at", "closed_at", "department", "deadline", "overdue"}

func fillIncidentCSV(rec []string, p *incidentJSON) {
	t := func(x *time.Time) string {
		if x == nil {
			return ""
		}
		return x.Format(time.RFC3339)
	}
	grid := ""
	if p.Grid != nil {
		grid = p.Grid.Code
	}
	rec[0], rec[1], rec[2], rec[3], rec[4] = strconv.FormatInt(p.ID, 10), p.ExternalID, string(p.Category), string(p.Source), string(p.Status)
	rec[5], rec[6], rec[7], rec[8] = ftoa(p.Lon), ftoa(p.Lat), grid, strconv.FormatInt(p.BoundaryVersion, 10)
	rec[9], rec[10], rec[11], rec[12] = p.ReportedAt.Format(time.RFC3339), t(p.AcceptedAt), t(p.InProgressAt), t(p.ResolvedAt)
	rec[13], rec[14], rec[15], rec[16], rec[17] = t(p.RepliedAt), t(p.ClosedAt), p.Department, t(p.Deadline), strconv.FormatBool(p.Overdue)
}
