package intake_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/intake"
)

var cats = []gridmap.CategoryInfo{
	{Name: "dispute", LabelZh: "矛盾纠纷", LabelEn: "Dispute"},
	{Name: "hazard", LabelZh: "安全隐患", LabelEn: "Hazard"},
}

func good() map[string]any {
	return map[string]any{
		"external_id": "12345-2026-000001", "category": "dispute", "source": "hotline",
		"lon": json.Number("116.87"), "lat": json.Number("35.60"), "reported_at": "2026-11-25T09:30:00+08:00",
	}
}

func TestCheck(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change map[string]any
		fields string // the fields with problems, in order
	}{
		{"good", nil, ""},
		{"Chinese label", map[string]any{"category": "安全隐患"}, ""},
		{"English label", map[string]any{"category": "hazard"}, ""},
		{"source label", map[string]any{"source": "12345"}, ""},
		{"local time", map[string]any{"reported_at": "2026-11-25 09:30:00"}, ""},
		{"numbers as strings", map[string]any{"lon": "116.87", "lat": "35.6"}, ""},
		{"no external id", map[string]any{"external_id": nil}, "external_id"},
		{"unknown category", map[string]any{"category": "weather"}, "category"},
		{"unknown source", map[string]any{"source": "fax"}, "source"},
		{"lat out of range", map[string]any{"lat": json.Number("95")}, "lat"},
		{"lon not a number", map[string]any{"lon": "east"}, "lon"},
		{"unknown crs", map[string]any{"crs": "utm"}, "crs"},
		{"future", map[string]any{"reported_at": "2027-01-01T00:00:00Z"}, "reported_at"},
		{"not a time", map[string]any{"reported_at": "yesterday"}, "reported_at"},
		{"step beyond status", map[string]any{"status": "accepted", "closed_at": "2026-11-25T12:00:00+08:00"}, "closed_at"},
		{"step before report", map[string]any{"status": "accepted", "accepted_at": "2026-11-24T12:00:00+08:00"}, "accepted_at"},
		{"reporter not an object", map[string]any{"reporter": "王"}, "reporter"},
		{"reporter extra field", map[string]any{"reporter": map[string]any{"name": "王", "id_card": "x"}}, "reporter.id_card"},
		{"several", map[string]any{"lat": nil, "category": "x"}, "category lat"},
		// Issue 12: bytes that are not text are refused, named by field.
		{"NUL in the description", map[string]any{"description": "a\x00b"}, "description"},
		{"line breaks in the description", map[string]any{"description": "line 1\nline 2"}, ""},
		{"invalid UTF-8 in the department (CSV)", map[string]any{"department": "\xC3\x28"}, "department"},
		{"replacement character (JSON)", map[string]any{"department": "\uFFFD"}, "department"},
		{"NUL in the external id", map[string]any{"external_id": "A\x00"}, "external_id"},
		{"NUL in the category", map[string]any{"category": "\x00"}, "category"},
		{"control in a reporter name", map[string]any{"reporter_name": "王\a"}, "reporter_name"},
		{"NUL in the reporter object", map[string]any{"reporter": map[string]any{"phone": "1\x00"}}, "reporter.phone"},
		{"newline in the reporter object", map[string]any{"reporter": map[string]any{"name": "a\nb"}}, "reporter.name"},
		{"NUL in a time", map[string]any{"reported_at": "2026-11-25\x00"}, "reported_at"},
		{"overlong external id", map[string]any{"external_id": strings.Repeat("x", 129)}, "external_id"},
		{"overlong description", map[string]any{"description": strings.Repeat("述", 10001)}, "description"},
		{"overlong reporter name", map[string]any{"reporter_name": strings.Repeat("x", 201)}, "reporter_name"},
	}
	c := intake.NewChecker(cats, now)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := good()
			for k, v := range tc.change {
				if v == nil {
					delete(rec, k)
				} else {
					rec[k] = v
				}
			}
			ck, errs := c.Check(intake.Record{Index: 3, Line: 7, Fields: rec})
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
				if e.Index != 3 || e.Line != 7 || e.Message == "" {
					t.Errorf("error %+v lacks its place or message", e)
				}
			}
			if got := strings.Join(fields, " "); got != tc.fields {
				t.Fatalf("problems in %q, want %q (%v)", got, tc.fields, errs)
			}
			if tc.fields == "" && (ck.Incident.ExternalID == "" || ck.Incident.ReportedAt.IsZero() || ck.Incident.Status != gridmap.StatusReported && tc.change["status"] == nil) {
				t.Errorf("checked %+v", ck.Incident)
			}
		})
	}
}

func TestReadCSV(t *testing.T) {
	csv := "\ufeff工单编号,类别,经度,纬度,时间\n" +
		"A-1,矛盾纠纷,116.8,35.5,2026-11-25 09:00:00\n" +
		"A-2,安全隐患,116.8\n" +
		"A-3,安全隐患,116.8,35.5,2026-11-25 10:00:00\n"
	var got []string
	for rec, err := range intake.ReadCSV(strings.NewReader(csv), map[string]string{
		"external_id": "工单编号", "category": "类别", "lon": "经度", "lat": "纬度", "reported_at": "时间"}) {
		if err != nil {
			got = append(got, "error@"+strconv.Itoa(rec.Line))
			continue
		}
		got = append(got, rec.Fields["external_id"].(string)+"@"+strconv.Itoa(rec.Line))
	}
	if strings.Join(got, " ") != "A-1@2 error@3 A-3@4" {
		t.Errorf("read %v", got)
	}
	for _, err := range intake.ReadCSV(strings.NewReader("a,b\n1,2\n"), map[string]string{"lon": "x"}) {
		if gridmap.ErrorCode(err) != gridmap.EINVALID {
			t.Errorf("a missing mapped column: %v", err)
		}
		break
	}
}

// TestCheckDefaultDeadline: an incident without a deadline is due its
// category's deadline_days after it was reported (issue 12: posted
// incidents were never overdue); one with a deadline keeps it; a category
// without a default leaves none.
func TestCheckDefaultDeadline(t *testing.T) {
	seven := 7
	cats := []gridmap.CategoryInfo{
		{Name: "dispute", LabelZh: "矛盾纠纷", LabelEn: "Dispute", DeadlineDays: &seven},
		{Name: "hazard", LabelZh: "安全隐患", LabelEn: "Hazard"},
	}
	c := intake.NewChecker(cats, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	reported := time.Date(2026, 11, 25, 9, 30, 0, 0, gridmap.ChinaTime)
	tests := []struct {
		name   string
		change map[string]any
		want   *time.Time
	}{
		{"default of the category", nil, ptr(reported.AddDate(0, 0, 7))},
		{"given", map[string]any{"deadline": "2026-11-27T18:00:00+08:00"}, ptr(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))},
		{"empty cell", map[string]any{"deadline": ""}, ptr(reported.AddDate(0, 0, 7))},
		{"no default", map[string]any{"category": "hazard"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := good()
			for k, v := range tc.change {
				rec[k] = v
			}
			ck, errs := c.Check(intake.Record{Fields: rec})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			got := ck.Incident.Deadline
			if (got == nil) != (tc.want == nil) || got != nil && !got.Equal(*tc.want) {
				t.Errorf("deadline %v, want %v", got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
