package caseflow

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var updateLabels = flag.Bool("update-labels", false, "rewrite testdata/labels.json from the tables")

// TestLabelsJSON keeps testdata/labels.json equal to the label tables (in
// loop order): the case desk's static/src/desk/labels.js is tested against
// that file (static/test/unit/desk-labels.test.mjs), so the page and the
// Go rules cannot name a status or a step differently.
// go test ./caseflow -run TestLabelsJSON -update-labels rewrites it.
func TestLabelsJSON(t *testing.T) {
	type entry struct {
		Name string `json:"name"`
		Zh   string `json:"zh"`
		En   string `json:"en"`
	}
	var out struct {
		Statuses      []entry `json:"statuses"`
		Steps         []entry `json:"steps"`
		Roles         []entry `json:"roles"`
		Satisfactions []entry `json:"satisfactions"`
	}
	for _, s := range Statuses {
		l := s.Labels()
		out.Statuses = append(out.Statuses, entry{string(s), l.Zh, l.En})
	}
	for _, k := range Kinds {
		l := k.Labels()
		out.Steps = append(out.Steps, entry{string(k), l.Zh, l.En})
	}
	for _, r := range Roles {
		l := r.Labels()
		out.Roles = append(out.Roles, entry{string(r), l.Zh, l.En})
	}
	for _, s := range []Satisfaction{Satisfied, BasicallySatisfied, NotSatisfied} {
		l := s.Labels()
		out.Satisfactions = append(out.Satisfactions, entry{string(s), l.Zh, l.En})
	}
	want, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	const file = "testdata/labels.json"
	if *updateLabels {
		if err := os.WriteFile(file, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (go test ./caseflow -run TestLabelsJSON -update-labels writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the label tables: run go test ./caseflow -run TestLabelsJSON -update-labels, then check static/src/desk/labels.js (node --test test/unit/ in static/)", file)
	}
}
