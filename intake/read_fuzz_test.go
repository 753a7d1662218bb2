package intake

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// fuzzIndex is a two-grid index: a street and one micro-grid in it.
func fuzzIndex(tb testing.TB) *geo.Index {
	tb.Helper()
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	ix, err := geo.NewIndex([]gridmap.Grid{
		{ID: 1, Code: "s", Name: "街道", Level: gridmap.LevelStreet, Boundary: sq(116, 35, 117, 36)},
		{ID: 2, Code: "m", Name: "微网格", Level: gridmap.LevelMicro, Parent: "s", Boundary: sq(116.2, 35.2, 116.4, 35.4)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}

var fuzzCats = []gridmap.CategoryInfo{{Name: "dispute", LabelZh: "矛盾纠纷", LabelEn: "Dispute"}, {Name: "hazard", LabelZh: "安全隐患", LabelEn: "Hazard"}}

// checkErr fails unless err is nil or a clear ItemError or gridmap.Error.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var ie *gridmap.ItemError
	var ge *gridmap.Error
	switch {
	case err == nil:
	case errors.As(err, &ie):
		if ie.Message == "" {
			t.Fatalf("an item error without a message: %#v", ie)
		}
	case errors.As(err, &ge):
		if ge.Message == "" || (ge.Code != gridmap.EINVALID && ge.Code != gridmap.ETOOLARGE) {
			t.Fatalf("an error that is not a clear EINVALID or ETOOLARGE: %#v", ge)
		}
	default:
		t.Fatalf("an error that is neither an ItemError nor a gridmap.Error: %T %v", err, err)
	}
}

// FuzzReadIncidentCSV: any CSV file, read, checked and assigned as
// `gridmap import incidents` does, yields incidents and clear errors,
// never a panic; an incident that passes has a category of the table, a
// location in range and a grid of the index or none. Seeds:
// testdata/fuzz/FuzzReadIncidentCSV.
func FuzzReadIncidentCSV(f *testing.F) {
	f.Add([]byte("external_id,category,source,lon,lat,reported_at,description,reporter_name,reporter_phone\n" +
		"A-1,dispute,hotline,116.3,35.3,2026-11-25 09:30:00,楼道堆放杂物,李演示,199-0537-9999\n"))
	f.Add([]byte("\ufeff工单编号,诉求类别,经度,纬度,受理时间\nB-1,矛盾纠纷,116.3,35.3,2026-11-25T09:30:00+08:00\n"))
	f.Add([]byte("external_id,category,lon,lat,reported_at,crs\nC-1,hazard,116.3,35.3,2026-11-25,gcj02\nC-2,hazard,x,y,z,bd09\n"))
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ix := fuzzIndex(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewChecker(fuzzCats, now)
		c.Source = gridmap.SourceHotline
		cols := map[string]string{}
		if bytes.Contains(data, []byte("工单编号")) {
			cols = map[string]string{"external_id": "工单编号", "category": "诉求类别", "lon": "经度", "lat": "纬度", "reported_at": "受理时间"}
		}
		n := 0
		for row, err := range Rows(ReadCSV(bytes.NewReader(data), cols), c, ix, 7) {
			checkErr(t, err)
			if err == nil {
				checkRow(t, ix, row)
			}
			if n++; n > 10000 {
				break
			}
		}
	})
}

// FuzzReadIncidentJSON: the same for a posted body (one incident or a batch).
func FuzzReadIncidentJSON(f *testing.F) {
	f.Add([]byte(`{"external_id":"A-1","category":"dispute","source":"hotline","lon":116.3,"lat":35.3,"reported_at":"2026-11-25T09:30:00+08:00","reporter":{"name":"李演示","phone":"199-0537-9999"}}`))
	f.Add([]byte(`{"incidents":[{"external_id":"A-1","category":"hazard","lon":116.3,"lat":35.3,"crs":"bd09","reported_at":"2026-11-25"},7,null]}`))
	f.Add([]byte(`{"incidents":{}}`))
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ix := fuzzIndex(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _, err := ReadJSON(bytes.NewReader(data))
		checkErr(t, err)
		if err != nil {
			return
		}
		c := NewChecker(fuzzCats, now)
		c.Source = gridmap.SourceOther
		for row, err := range Rows(Records(recs), c, ix, 7) {
			checkErr(t, err)
			if err == nil {
				checkRow(t, ix, row)
			}
		}
	})
}

func checkRow(t *testing.T, ix *geo.Index, row gridmap.IncidentRow) {
	t.Helper()
	in := row.Incident
	if in.Category != "dispute" && in.Category != "hazard" {
		t.Fatalf("category %q passed", in.Category)
	}
	if p := in.Location; !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
		t.Fatalf("location %v passed", p)
	}
	if in.GridCode != "" {
		if _, ok := ix.Grid(in.GridCode); !ok {
			t.Fatalf("grid %q is not in the index", in.GridCode)
		}
	}
	if in.ExternalID == "" {
		t.Fatal("an incident without external_id passed")
	}
	// No bytes that are not text reach the database (issue 12).
	texts := map[string]string{"external_id": in.ExternalID, "department": in.Department}
	if in.Reporter != nil {
		texts["reporter name"], texts["reporter phone"] = in.Reporter.Name, in.Reporter.Phone
	}
	for field, v := range texts {
		if p := gridmap.TextProblem(v, 0, false); p != "" {
			t.Fatalf("%s %q passed: it %s", field, v, p)
		}
	}
	if p := gridmap.TextProblem(in.Description, 0, true); p != "" {
		t.Fatalf("description %q passed: it %s", in.Description, p)
	}
}
