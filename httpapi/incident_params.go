package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/heat"
)

// Query parameters of the incident, statistics and heat endpoints. Each
// parser returns an EINVALID error naming the parameter and what a valid
// value looks like.

// paramTime parses an RFC 3339 time, or a date YYYY-MM-DD as its midnight
// in China Standard Time.
func paramTime(q url.Values, name string) (*time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return &t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, gridmap.ChinaTime); err == nil {
		return &t, nil
	}
	return nil, gridmap.Errorf(gridmap.EINVALID, "%s=%q is not a time: use RFC 3339 such as 2026-11-25T09:30:00+08:00, or a date 2026-11-25 (midnight, China Standard Time)", name, v)
}

// paramWindow parses from and to (from ≤ reported_at < to).
func paramWindow(q url.Values) (from, to *time.Time, err error) {
	if from, err = paramTime(q, "from"); err != nil {
		return nil, nil, err
	}
	if to, err = paramTime(q, "to"); err != nil {
		return nil, nil, err
	}
	if from != nil && to != nil && !to.After(*from) {
		return nil, nil, gridmap.Errorf(gridmap.EINVALID, "to=%s must be after from=%s", q.Get("to"), q.Get("from"))
	}
	return from, to, nil
}

// list splits a comma-separated parameter; nil when absent.
func list(q url.Values, name string) []string {
	v := q.Get(name)
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// paramCategories parses category=dispute,hazard against the category
// table.
func (s *Server) paramCategories(r *http.Request) ([]gridmap.Category, error) {
	names := list(r.URL.Query(), "category")
	if names == nil {
		return nil, nil
	}
	cats, err := s.incidents.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]gridmap.Category, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(cats, func(c gridmap.CategoryInfo) bool { return string(c.Name) == n })
		if i < 0 {
			known := make([]string, len(cats))
			for k, c := range cats {
				known[k] = string(c.Name)
			}
			return nil, gridmap.Errorf(gridmap.EINVALID, "category=%q: unknown category; the categories are %s", n, strings.Join(known, ", "))
		}
		out = append(out, cats[i].Name)
	}
	return out, nil
}

// paramStatuses parses status=reported,accepted; "open" stands for the
// statuses before resolved.
func paramStatuses(q url.Values) ([]gridmap.Status, error) {
	names := list(q, "status")
	if names == nil {
		return nil, nil
	}
	var out []gridmap.Status
	for _, n := range names {
		if n == "open" {
			for _, st := range gridmap.Statuses {
				if st.Open() {
					out = append(out, st)
				}
			}
			continue
		}
		st := gridmap.Status(n)
		if !st.Valid() {
			return nil, gridmap.Errorf(gridmap.EINVALID, "status=%q: unknown status; the statuses are reported, accepted, in_progress, resolved, replied, closed, or open (the first three)", n)
		}
		out = append(out, st)
	}
	return out, nil
}

// paramBool parses true or false; nil when absent.
func paramBool(q url.Values, name string) (*bool, error) {
	switch v := q.Get(name); v {
	case "":
		return nil, nil
	case "true", "1":
		b := true
		return &b, nil
	case "false", "0":
		b := false
		return &b, nil
	default:
		return nil, gridmap.Errorf(gridmap.EINVALID, "%s=%q must be true or false", name, v)
	}
}

// paramGrid resolves grid=CODE (any level) to the codes of it and every
// grid below it, through the current index; nil when absent.
func paramGrid(q url.Values, ix *geo.Index) ([]string, error) {
	code := q.Get("grid")
	if code == "" {
		return nil, nil
	}
	codes, ok := ix.Descendants(code)
	if !ok {
		return nil, gridmap.Errorf(gridmap.EINVALID, "grid=%q is not a current grid code", code)
	}
	return codes, nil
}

// heatFilter parses the filters shared by statistics, heat tiles and the
// time series: category, status, from, to, grid, overdue and at (the time
// overdue is judged at: the request's time unless given).
func (s *Server) heatFilter(r *http.Request, ix *geo.Index) (heat.Filter, error) {
	q := r.URL.Query()
	var f heat.Filter
	var err error
	if f.Categories, err = s.paramCategories(r); err != nil {
		return f, err
	}
	if f.Statuses, err = paramStatuses(q); err != nil {
		return f, err
	}
	from, to, err := paramWindow(q)
	if err != nil {
		return f, err
	}
	if from != nil {
		f.From = *from
	}
	if to != nil {
		f.To = *to
	}
	if f.Grids, err = paramGrid(q, ix); err != nil {
		return f, err
	}
	if f.Overdue, err = paramBool(q, "overdue"); err != nil {
		return f, err
	}
	at, err := paramTime(q, "at")
	if err != nil {
		return f, err
	}
	switch {
	case at != nil && f.Overdue == nil:
		return f, gridmap.Errorf(gridmap.EINVALID, "at= is the time overdue= is judged at: add overdue=true (or false), or leave at out")
	case at != nil:
		f.Now = *at
	default:
		f.Now = time.Now()
	}
	return f, nil
}

// paramSources parses source=hotline,grid_worker.
func paramSources(q url.Values) ([]gridmap.Source, error) {
	names := list(q, "source")
	if names == nil {
		return nil, nil
	}
	out := make([]gridmap.Source, 0, len(names))
	for _, n := range names {
		src := gridmap.Source(n)
		if !slices.Contains(gridmap.Sources, src) {
			return nil, gridmap.Errorf(gridmap.EINVALID, "source=%q: unknown source; the sources are grid_worker, hotline, visit, other", n)
		}
		out = append(out, src)
	}
	return out, nil
}

// paramDepartments parses department=police,justice against the
// department table.
func (s *Server) paramDepartments(r *http.Request) ([]string, error) {
	names := list(r.URL.Query(), "department")
	if names == nil {
		return nil, nil
	}
	if s.cases == nil {
		return names, nil
	}
	ds, err := s.cases.Departments(r.Context())
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(ds))
	for i, d := range ds {
		codes[i] = d.Code
	}
	for _, n := range names {
		if !slices.Contains(codes, n) {
			return nil, gridmap.Errorf(gridmap.EINVALID, "department=%q: unknown department; the departments are %s", n, strings.Join(codes, ", "))
		}
	}
	return names, nil
}
