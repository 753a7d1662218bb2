package httpapi

import (
	"net/http"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/report"
)

// The daily bulletin (访情通报) and the Wednesday agenda (周三说事), as JSON,
// HTML or an A4 PDF (package report). They are for the street's leaders:
// class incidents, so any token may read them (leaders hold viewer
// tokens) and none is open without one, since they place single cases on
// a map. They carry no personal data (the listing has none); the agenda's
// invitees' contacts are masked as memberView says.

// reportDay reads ?date=YYYY-MM-DD (China Standard Time; default today).
func reportDay(r *http.Request) (time.Time, error) {
	date := r.URL.Query().Get("date")
	if date == "" {
		date = time.Now().In(gridmap.ChinaTime).Format(time.DateOnly)
	}
	return report.DayStart(date)
}

// reportFormat reads ?format=json|html|pdf (default json).
func reportFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return "json", nil
	case "html", "pdf":
		return f, nil
	default:
		return "", gridmap.Errorf(gridmap.EINVALID, "format %q is not json, html or pdf", f)
	}
}

// reportIncidents lists the incidents of the filters (no personal data).
func (s *Server) reportIncidents(r *http.Request, fs ...gridmap.IncidentFilter) ([]gridmap.Incident, error) {
	var out []gridmap.Incident
	for _, f := range fs {
		if err := s.incidents.ListIncidents(r.Context(), f, func(in gridmap.Incident) error {
			out = append(out, in)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// reportLabels are the category and department names the documents print.
func (s *Server) reportLabels(r *http.Request) (report.Labels, error) {
	l := report.Labels{Categories: map[string]string{}, Departments: map[string]string{}}
	cats, err := s.incidents.Categories(r.Context())
	if err != nil {
		return l, err
	}
	for _, c := range cats {
		l.Categories[string(c.Name)] = c.LabelZh
	}
	if s.cases != nil {
		ds, err := s.cases.Departments(r.Context())
		if err != nil {
			return l, err
		}
		for _, d := range ds {
			l.Departments[d.Code] = d.NameZh
		}
	}
	return l, nil
}

func writeDocument(w http.ResponseWriter, format, name string, b []byte) {
	w.Header().Set("Cache-Control", "no-store")
	if format == "pdf" {
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="`+name+`.pdf"`)
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// dailyReport answers GET /api/v1/reports/daily?date=&format=.
func (s *Server) dailyReport(w http.ResponseWriter, r *http.Request) error {
	day, err := reportDay(r)
	if err != nil {
		return err
	}
	format, err := reportFormat(r)
	if err != nil {
		return err
	}
	ix, err := s.currentIndex()
	if err != nil {
		return err
	}
	incs, err := s.reportIncidents(r, report.DailyWindow(day)...)
	if err != nil {
		return err
	}
	d := report.BuildDaily(day, incs, ix, time.Now())
	return s.answerReport(w, r, format, "bulletin-"+d.Date, d, func(l report.Labels) ([]byte, error) {
		if format == "pdf" {
			return report.DailyPDF(d, ix, l, s.fonts)
		}
		return report.DailyHTML(d, ix, l)
	})
}

// answerReport writes report v as JSON, or the document draw makes of it
// (PDF or HTML, as format says) with the labels of the request's language.
func (s *Server) answerReport(w http.ResponseWriter, r *http.Request, format, name string, v any, draw func(report.Labels) ([]byte, error)) error {
	if format == "json" {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	l, err := s.reportLabels(r)
	if err != nil {
		return err
	}
	b, err := draw(l)
	if err != nil {
		return err
	}
	writeDocument(w, format, name, b)
	return nil
}

// wednesdayReport answers GET /api/v1/reports/wednesday?date=&format=.
func (s *Server) wednesdayReport(w http.ResponseWriter, r *http.Request) error {
	day, err := reportDay(r)
	if err != nil {
		return err
	}
	format, err := reportFormat(r)
	if err != nil {
		return err
	}
	ix, err := s.currentIndex()
	if err != nil {
		return err
	}
	incs, err := s.reportIncidents(r, report.WednesdayWindow())
	if err != nil {
		return err
	}
	var contact func(string) string
	switch s.memberView(r) {
	case viewFull:
		contact = func(c string) string { return c }
	case viewMasked:
		contact = MaskPhone
	}
	a := report.BuildWednesday(day, incs, ix, contact, time.Now())
	return s.answerReport(w, r, format, "wednesday-"+a.Date, a, func(l report.Labels) ([]byte, error) {
		if format == "pdf" {
			return report.WednesdayPDF(a, ix, l, s.fonts)
		}
		return report.WednesdayHTML(a, ix, l)
	})
}
