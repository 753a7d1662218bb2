package intake

import (
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// Record is one incident as read, before checks: field name → value.
// Values are strings (CSV), or what encoding/json gives with UseNumber.
// Index is the 0-based position in the batch; Line the 1-based line of a
// line-oriented input (0 otherwise).
type Record struct {
	Index, Line int
	Fields      map[string]any
}

// Fields of an incident record. reporter is an object {name, phone}; in flat
// formats (CSV) its parts are reporter_name and reporter_phone.
var Fields = []string{
	"external_id", "category", "source", "lon", "lat", "crs", "reported_at",
	"status", "accepted_at", "in_progress_at", "resolved_at", "replied_at", "closed_at",
	"department", "deadline", "description", "reporter", "reporter_name", "reporter_phone",
}

// stepField maps each status after reported to its time field.
var stepField = map[gridmap.Status]string{
	gridmap.StatusAccepted:   "accepted_at",
	gridmap.StatusInProgress: "in_progress_at",
	gridmap.StatusResolved:   "resolved_at",
	gridmap.StatusReplied:    "replied_at",
	gridmap.StatusClosed:     "closed_at",
}

// Limits on text fields, in characters.
const (
	maxExternalID  = 128
	maxDescription = gridmap.MaxText
	maxShort       = gridmap.MaxName
)

// maxChars bounds each free-text field; the others (categories, times,
// numbers) are bounded by what parsing them accepts.
var maxChars = map[string]int{"external_id": maxExternalID, "department": maxShort, "description": maxDescription,
	"reporter_name": maxShort, "reporter_phone": maxShort}

// earliest is the earliest reported_at accepted.
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Checker checks records against the category table and defaults.
type Checker struct {
	categories map[string]gridmap.Category // name and labels → name
	catNames   []string
	catInfo    map[gridmap.Category]gridmap.CategoryInfo
	// CRS is the coordinate system of records without a crs field.
	CRS geo.CRS
	// Source is the source of records without a source field ("" to
	// require one).
	Source gridmap.Source
	// Now bounds reported_at: at most a day after it (clock skew).
	Now time.Time
}

// NewChecker returns a Checker for the categories (names, Chinese or
// English labels accepted; a record without a deadline gets its
// category's default, CategoryInfo.DeadlineDays), WGS84 by default, no
// default source.
func NewChecker(cats []gridmap.CategoryInfo, now time.Time) *Checker {
	c := &Checker{categories: map[string]gridmap.Category{}, catInfo: map[gridmap.Category]gridmap.CategoryInfo{}, CRS: geo.WGS84, Now: now}
	for _, ci := range cats {
		c.catInfo[ci.Name] = ci
		c.categories[string(ci.Name)] = ci.Name
		c.categories[strings.ToLower(ci.LabelEn)] = ci.Name
		c.categories[ci.LabelZh] = ci.Name
		c.catNames = append(c.catNames, string(ci.Name))
	}
	return c
}

// Checked is a record that passed the checks, in its original CRS.
type Checked struct {
	Index, Line int
	Incident    gridmap.Incident
	CRS         geo.CRS
}

// Check checks one record and returns the incident it describes, or every
// problem found as ItemErrors.
func (c *Checker) Check(r Record) (Checked, []gridmap.ItemError) {
	out := Checked{Index: r.Index, Line: r.Line}
	inc := &out.Incident
	var errs []gridmap.ItemError
	bad := func(field, format string, args ...any) {
		errs = append(errs, gridmap.ItemError{Index: r.Index, Line: r.Line, Code: inc.ExternalID, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	// missing reports a required field that is absent (not one str refused).
	refused := map[string]bool{}
	missing := func(field, format string, args ...any) {
		if !refused[field] {
			bad(field, format, args...)
		}
	}
	// str reads a text field, refusing bytes that are not text (a NUL,
	// invalid UTF-8, a control character; line breaks only in the
	// description) so that no row reaches the database with them.
	str := func(field string) (string, bool) {
		v, ok := r.Fields[field]
		if !ok || v == nil {
			return "", false
		}
		switch v := v.(type) {
		case string:
			v = strings.TrimSpace(v)
			if p := gridmap.TextProblem(v, maxChars[field], field == "description"); p != "" {
				bad(field, "%s", p)
				refused[field] = true
				return "", false
			}
			return v, v != ""
		case json.Number:
			return v.String(), true
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), true
		}
		bad(field, "must be a string")
		return "", false
	}

	if id, ok := str("external_id"); !ok {
		missing("external_id", "missing: every incident needs its external id (e.g. the hotline ticket number), the key that makes a re-post harmless")
	} else {
		inc.ExternalID = id
	}

	if v, ok := str("category"); !ok {
		missing("category", "missing; the categories are %s", strings.Join(c.catNames, ", "))
	} else if cat, ok := c.categories[v]; ok {
		inc.Category = cat
	} else if cat, ok := c.categories[strings.ToLower(v)]; ok {
		inc.Category = cat
	} else {
		bad("category", "unknown category %q; the categories are %s (or their Chinese or English labels)", v, strings.Join(c.catNames, ", "))
	}

	if v, ok := str("source"); ok {
		if src, ok := gridmap.ParseSource(v); ok {
			inc.Source = src
		} else {
			bad("source", "unknown source %q; the sources are grid_worker, hotline, visit, other", v)
		}
	} else if c.Source != "" {
		inc.Source = c.Source
	} else {
		missing("source", "missing; the sources are grid_worker, hotline, visit, other")
	}

	out.CRS = c.CRS
	if v, ok := str("crs"); ok {
		if crs, err := geo.ParseCRS(v); err == nil {
			out.CRS = crs
		} else {
			bad("crs", "unknown coordinate system %q; use %s", v, geo.CRSChoices)
		}
	}

	lon, lonOK := c.number(r, "lon", -180, 180, bad)
	lat, latOK := c.number(r, "lat", -90, 90, bad)
	if lonOK && latOK {
		inc.Location = orb.Point{lon, lat}
	}

	if v, ok := str("reported_at"); !ok {
		missing("reported_at", "missing: when the incident was reported, RFC 3339 such as 2026-11-25T09:30:00+08:00")
	} else if t, ok := c.time(v); !ok {
		bad("reported_at", "%q is not a time: use RFC 3339 such as 2026-11-25T09:30:00+08:00 (or 2026-11-25 09:30:00, read as China Standard Time)", v)
	} else if t.Before(earliest) || t.After(c.Now.Add(24*time.Hour)) {
		bad("reported_at", "%s is not plausible: it must be after 2000-01-01 and not in the future", t.Format(time.RFC3339))
	} else {
		inc.ReportedAt = t
	}

	inc.Status = gridmap.StatusReported
	if v, ok := str("status"); ok {
		if s := gridmap.Status(v); s.Valid() {
			inc.Status = s
		} else {
			bad("status", "unknown status %q; the statuses are reported, accepted, in_progress, resolved, replied, closed", v)
		}
	}
	for _, st := range gridmap.Statuses[1:] {
		field := stepField[st]
		v, ok := str(field)
		if !ok {
			continue
		}
		t, ok := c.time(v)
		switch {
		case !ok:
			bad(field, "%q is not an RFC 3339 time", v)
		case st.Rank() > inc.Status.Rank():
			bad(field, "is set but the status %s has not reached %s", inc.Status, st)
		case !inc.ReportedAt.IsZero() && t.Before(inc.ReportedAt):
			bad(field, "is before reported_at")
		default:
			if inc.StepAt == nil {
				inc.StepAt = map[gridmap.Status]time.Time{}
			}
			inc.StepAt[st] = t
		}
	}

	if v, ok := str("department"); ok {
		inc.Department = v
	}
	if v, ok := str("deadline"); ok {
		if t, ok := c.time(v); ok {
			inc.Deadline = &t
		} else {
			bad("deadline", "%q is not an RFC 3339 time", v)
		}
	} else {
		inc.Deadline = c.catInfo[inc.Category].DefaultDeadline(inc.ReportedAt)
	}

	// Personal data.
	if v, ok := str("description"); ok {
		inc.Description = v
	}
	var rep gridmap.Reporter
	if v, ok := r.Fields["reporter"]; ok && v != nil {
		m, isObj := v.(map[string]any)
		if !isObj {
			bad("reporter", "must be an object {\"name\": ..., \"phone\": ...}")
		}
		for k, x := range m {
			s, isStr := x.(string)
			s = strings.TrimSpace(s)
			switch p := gridmap.TextProblem(s, maxShort, false); {
			case k != "name" && k != "phone":
				bad("reporter."+k, "unknown field; a reporter has name and phone")
			case x != nil && !isStr:
				bad("reporter."+k, "must be a string")
			case p != "":
				bad("reporter."+k, "%s", p)
			case k == "name":
				rep.Name = s
			default:
				rep.Phone = s
			}
		}
	}
	if v, ok := str("reporter_name"); ok {
		rep.Name = v
	}
	if v, ok := str("reporter_phone"); ok {
		rep.Phone = v
	}
	if rep != (gridmap.Reporter{}) {
		inc.Reporter = &rep
	}
	return out, errs
}

func (c *Checker) number(r Record, field string, lo, hi float64, bad func(string, string, ...any)) (float64, bool) {
	v, ok := r.Fields[field]
	if !ok || v == nil || v == "" {
		bad(field, "missing: a %s in degrees", map[string]string{"lon": "longitude", "lat": "latitude"}[field])
		return 0, false
	}
	var f float64
	var err error
	switch v := v.(type) {
	case json.Number:
		f, err = v.Float64()
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
	case float64:
		f = v
	default:
		bad(field, "must be a number")
		return 0, false
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		bad(field, "%v is not a number", v)
		return 0, false
	}
	if f < lo || f > hi {
		bad(field, "%v is outside %g to %g degrees", v, lo, hi)
		return 0, false
	}
	return f, true
}

// time parses RFC 3339, or "2006-01-02 15:04:05" / "2006-01-02T15:04:05"
// / "2006/01/02 15:04" read as China Standard Time, as spreadsheets write
// them. The result is truncated to whole seconds.
func (c *Checker) time(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Truncate(time.Second), true
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, gridmap.ChinaTime); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// chunk is how many records Rows converts and looks up at once.
const chunk = 4096

// Rows checks records (see Check), converts their locations to WGS84 and
// assigns each to its grid (see Assign). A bad record yields a
// *gridmap.ItemError per problem; an error of the reader itself is passed
// on and ends the sequence.
func Rows(recs iter.Seq2[Record, error], c *Checker, ix *geo.Index, version int64) iter.Seq2[gridmap.IncidentRow, error] {
	return Assign(c.All(recs), ix, version)
}

// All checks every record of recs.
func (c *Checker) All(recs iter.Seq2[Record, error]) iter.Seq2[Checked, error] {
	return func(yield func(Checked, error) bool) {
		for rec, err := range recs {
			if err != nil {
				_, isItem := err.(*gridmap.ItemError)
				if !yield(Checked{Index: rec.Index, Line: rec.Line}, err) || !isItem {
					return
				}
				continue
			}
			ck, errs := c.Check(rec)
			if len(errs) == 0 {
				if !yield(ck, nil) {
					return
				}
				continue
			}
			for i := range errs {
				if !yield(Checked{Index: rec.Index, Line: rec.Line}, &errs[i]) {
					return
				}
			}
		}
	}
}

// Assign converts checked incidents to WGS84 and assigns each to the grid
// ix.LookupBatch finds for it (none: GridCode ""), stamping version as
// BoundaryVersion. It looks up chunk incidents at a time. Errors in the
// input are passed on; ix may be nil (no grids loaded): every incident is
// then unassigned.
func Assign(in iter.Seq2[Checked, error], ix *geo.Index, version int64) iter.Seq2[gridmap.IncidentRow, error] {
	return func(yield func(gridmap.IncidentRow, error) bool) {
		// Grown as records come (up to chunk): a single post allocates
		// for one record, not for 4,096 (1.5 MB to clear every time).
		var batch []Checked
		var pts []orb.Point
		var out []int32
		flush := func() bool {
			pts = pts[:0]
			out = slices.Grow(out[:0], len(batch))[:len(batch)]
			for _, ck := range batch {
				p, err := geo.ToWGS84(ck.CRS, ck.Incident.Location)
				if err != nil { // an unknown CRS: Check refuses those
					p = ck.Incident.Location
				}
				pts = append(pts, p)
			}
			if ix != nil {
				ix.LookupBatch(pts, out)
			}
			for i, ck := range batch {
				inc := ck.Incident
				inc.Location = pts[i]
				inc.BoundaryVersion = version
				if ix != nil && out[i] >= 0 {
					inc.GridCode = ix.At(int(out[i])).Code
				}
				if !yield(gridmap.IncidentRow{Index: ck.Index, Line: ck.Line, Incident: inc}, nil) {
					return false
				}
			}
			batch = batch[:0]
			return true
		}
		for ck, err := range in {
			if err != nil {
				_, isItem := err.(*gridmap.ItemError)
				if !yield(gridmap.IncidentRow{Index: ck.Index, Line: ck.Line}, err) || !isItem {
					return
				}
				continue
			}
			if ck.CRS == "" {
				ck.CRS = geo.WGS84
			}
			batch = append(batch, ck)
			if len(batch) == chunk && !flush() {
				return
			}
		}
		if len(batch) > 0 {
			flush()
		}
	}
}
