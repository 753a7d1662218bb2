package httpapi

import (
	"testing"

	"github.com/gridmap/gridmap"
)

// TestBatchCSVNamesEveryBadLine: a CSV lookup batch with several bad lines
// is refused naming each of them (line and item), malformed or out of
// range alike, not just the first (issue 12).
func TestBatchCSVNamesEveryBadLine(t *testing.T) {
	body := "lon,lat\n116.8,35.5\nabc,def\n116.9\n200,35\n\n116.7,35.4\nx,1\n"
	b, err := parseBatchCSV([]byte(body), 1000)
	if err == nil {
		err = b.check()
	}
	e, ok := err.(*gridmap.Error)
	if !ok || e.Code != gridmap.EINVALID {
		t.Fatalf("error %v, want EINVALID", err)
	}
	items, _ := e.Details.([]gridmap.ItemError)
	want := []struct{ line, index int }{{3, 1}, {4, 2}, {5, 3}, {8, 5}}
	if len(items) != len(want) {
		t.Fatalf("%d bad lines named, want %d: %+v (%s)", len(items), len(want), items, e.Message)
	}
	for i, w := range want {
		if items[i].Line != w.line || items[i].Index != w.index || items[i].Message == "" {
			t.Errorf("bad line %d: %+v, want line %d item %d", i, items[i], w.line, w.index)
		}
	}
	if e.Message != "4 of 6 lines are not valid lon,lat numbers; nothing was looked up" {
		t.Errorf("message %q", e.Message)
	}
}
