package indicators

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, gridmap.ChinaTime)

func step(k caseflow.Kind, at time.Time, outcome string) caseflow.Step {
	return caseflow.Step{Kind: k, At: at, Outcome: outcome}
}

func TestSummarize(t *testing.T) {
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	reopened := []caseflow.Step{
		step(caseflow.StepRegister, h(1), ""), step(caseflow.StepResolve, h(2), ""),
		step(caseflow.StepReview, h(3), caseflow.ReviewAccept), step(caseflow.StepReply, h(4), ""),
		step(caseflow.StepRevisit, h(5), string(caseflow.NotSatisfied)),
		step(caseflow.StepResolve, h(30), ""), step(caseflow.StepReview, h(31), caseflow.ReviewAccept),
		step(caseflow.StepReply, h(32), ""), step(caseflow.StepRevisit, h(33), string(caseflow.Satisfied)),
		step(caseflow.StepClose, h(34), ""),
	}
	tests := []struct {
		name    string
		history []caseflow.Step
		due     *time.Time
		want    Case
		onTime  bool
	}{
		{"reported", nil, nil, Case{Open: true}, false},
		{"rejected", []caseflow.Step{step(caseflow.StepReject, h(1), "")}, nil, Case{Rejected: true}, false},
		{"implied closed", caseflow.Implied(gridmap.StatusClosed, caseflow.StoredTimes{Reported: t0}), nil,
			Case{Registered: true, Replied: true, Closed: true}, true},
		{"reopened", reopened, ptr(h(30)), Case{Registered: true, Replied: true, Revisited: true, Reopened: true,
			Closed: true, Answers: 2, Satisfied: 1, ResolvedAt: h(30), ClosedAt: h(34)}, true},
		{"late", reopened, ptr(h(29)), Case{Registered: true, Replied: true, Revisited: true, Reopened: true,
			Closed: true, Answers: 2, Satisfied: 1, ResolvedAt: h(30), ClosedAt: h(34)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Case{Deadline: tt.due}
			Summarize(&c, tt.history)
			got := c
			got.Deadline = nil
			if tt.name == "implied closed" {
				got.ResolvedAt, got.ClosedAt = time.Time{}, time.Time{}
			}
			if got != tt.want {
				t.Errorf("Summarize = %+v, want %+v", got, tt.want)
			}
			if c.OnTime() != tt.onTime {
				t.Errorf("OnTime = %v, want %v", c.OnTime(), tt.onTime)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestComputeNaive checks Compute against a plain loop over the cases.
func TestComputeNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := randomCases(rng, 20000)
	s := NewSet()
	// Apply out of order and twice, as the feed may.
	s.Apply(cases[10000:])
	s.Apply(cases[:10000])
	s.Apply(cases[5000:6000])
	q := Query{By: ByDepartment, From: t0.AddDate(0, 1, 0), To: t0.AddDate(0, 3, 0), Now: t0.AddDate(0, 2, 0)}
	res := s.Compute(q)
	want := map[string]*Row{}
	closes := map[string][]int64{}
	unassigned := 0
	for i := range cases {
		c := &cases[i]
		if c.ReportedAt.Before(q.From) || !c.ReportedAt.Before(q.To) {
			continue
		}
		if c.Department == "" {
			unassigned++
			continue
		}
		r := want[c.Department]
		if r == nil {
			r = &Row{Key: c.Department}
			want[c.Department] = r
		}
		r.Received++
		if c.Registered {
			r.Registered++
		}
		if c.Closed {
			r.Closed++
			closes[c.Department] = append(closes[c.Department], int64(c.ClosedAt.Sub(c.ReportedAt)/time.Second))
			if c.OnTime() {
				r.ClosedOnTime++
			}
		}
		if c.Open && c.Deadline != nil && c.Deadline.Before(q.Now) {
			r.OpenOverdue++
		}
		r.Answers += c.Answers
		r.Satisfied += c.Satisfied
	}
	if res.Unassigned != unassigned || len(res.Rows) != len(want) {
		t.Fatalf("unassigned %d, rows %d; want %d, %d", res.Unassigned, len(res.Rows), unassigned, len(want))
	}
	for _, r := range res.Rows {
		w := want[r.Key]
		if r.Received != w.Received || r.Registered != w.Registered || r.Closed != w.Closed ||
			r.ClosedOnTime != w.ClosedOnTime || r.OpenOverdue != w.OpenOverdue || r.Answers != w.Answers || r.Satisfied != w.Satisfied {
			t.Errorf("%s: got %+v, want %+v", r.Key, r, w)
		}
		d := closes[r.Key]
		slices.Sort(d)
		if p := d[(len(d)+1)/2-1]; *r.MedianCloseSeconds != p {
			t.Errorf("%s: median %d, want %d", r.Key, *r.MedianCloseSeconds, p)
		}
		if p := d[(len(d)*9+9)/10-1]; *r.P90CloseSeconds != p {
			t.Errorf("%s: p90 %d, want %d", r.Key, *r.P90CloseSeconds, p)
		}
	}
}

func randomCases(rng *rand.Rand, n int) []Case {
	depts := []string{"", "police", "justice", "sanitation", "emergency"}
	out := make([]Case, n)
	for i := range out {
		at := t0.Add(time.Duration(rng.IntN(120*24*3600)) * time.Second)
		c := Case{ID: int64(i + 1), ReportedAt: at, Source: gridmap.Sources[rng.IntN(4)],
			GridCode: "g" + string(rune('a'+rng.IntN(20))), Department: depts[rng.IntN(len(depts))],
			RaisedBy: int64(rng.IntN(30)), Duplicate: rng.IntN(20) == 0}
		if rng.IntN(4) > 0 {
			c.Deadline = ptr(at.Add(time.Duration(rng.IntN(10*24)) * time.Hour))
		}
		var h []caseflow.Step
		t := at
		adv := func() time.Time { t = t.Add(time.Duration(1+rng.IntN(48*3600)) * time.Second); return t }
		switch rng.IntN(6) {
		case 0:
		case 1:
			h = append(h, step(caseflow.StepReject, adv(), ""))
		default:
			h = append(h, step(caseflow.StepRegister, adv(), ""))
			if rng.IntN(3) > 0 {
				h = append(h, step(caseflow.StepResolve, adv(), ""), step(caseflow.StepReview, adv(), caseflow.ReviewAccept),
					step(caseflow.StepReply, adv(), ""))
				if rng.IntN(2) == 0 {
					h = append(h, step(caseflow.StepRevisit, adv(), []string{"satisfied", "basically_satisfied", "not_satisfied"}[rng.IntN(3)]))
					if caseflow.StatusOf(h) == caseflow.StatusRevisited {
						h = append(h, step(caseflow.StepClose, adv(), ""))
					}
				}
			}
		}
		Summarize(&c, h)
		out[i] = c
	}
	return out
}

func TestNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 5, 17, 100, 1000} {
		xs := make([]uint32, n)
		for i := range xs {
			xs[i] = uint32(rng.IntN(50))
		}
		sorted := slices.Sorted(slices.Values(xs))
		for k := range n {
			if got := nth(slices.Clone(xs), k); got != sorted[k] {
				t.Fatalf("n=%d k=%d: %d, want %d", n, k, got, sorted[k])
			}
		}
	}
}

// TestRankFollowsRules ranks the same rows by two rule sets that weigh
// opposite indicators and checks the lists swap.
func TestRankFollowsRules(t *testing.T) {
	rows := []Row{
		{Key: "a", Received: 10, ClosureRate: ptr(1.0), SatisfactionRate: ptr(0.5)},
		{Key: "b", Received: 10, ClosureRate: ptr(0.7), SatisfactionRate: ptr(0.9)},
		{Key: "c", Received: 10, ClosureRate: ptr(0.5), SatisfactionRate: ptr(1.0)},
		{Key: "d", Received: 1, ClosureRate: ptr(1.0), SatisfactionRate: ptr(1.0)},
	}
	byClosure := RuleSet{Rules: []Rule{{"closure_rate", 1, 1, 0.5}}, Red: 1, Black: 1, MinCases: 5}
	bySat := RuleSet{Rules: []Rule{{"satisfaction_rate", 1, 1, 0.5}}, Red: 1, Black: 1, MinCases: 5}
	r1, r2 := Rank(OfVillage, rows, byClosure), Rank(OfVillage, rows, bySat)
	if r1.Red[0].Key != "a" || r1.Black[0].Key != "c" || r2.Red[0].Key != "c" || r2.Black[0].Key != "a" {
		t.Errorf("red/black: by closure %s/%s, by satisfaction %s/%s", r1.Red[0].Key, r1.Black[0].Key, r2.Red[0].Key, r2.Black[0].Key)
	}
	if len(r1.Unranked) != 1 || r1.Unranked[0] != "d" {
		t.Errorf("unranked %v, want [d]", r1.Unranked)
	}
	if r1.Red[0].Why[0].Indicator != "closure_rate" || r1.Red[0].Score != 100 || r1.Black[0].Score != 0 {
		t.Errorf("red %+v", r1.Red[0])
	}
	if err := DefaultRules().Check(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultRules()
	bad[OfWorker] = RuleSet{Rules: []Rule{{"nope", 1, 1, 0}}}
	if err := bad.Check(); err == nil {
		t.Error("an unknown indicator passed Check")
	}
}

// TestDropBefore: after a drop, the set answers as one holding only the
// cases reported at or after the cut, and keeps taking changes.
func TestDropBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := randomCases(rng, 20000)
	// Ids shuffled against time, as a late import makes them.
	rng.Shuffle(len(cases), func(i, j int) { cases[i].ReportedAt, cases[j].ReportedAt = cases[j].ReportedAt, cases[i].ReportedAt })
	cut := t0.AddDate(0, 2, 0).Add(time.Millisecond)
	s, want := NewSet(), NewSet()
	s.Apply(cases)
	var kept []Case
	for _, c := range cases {
		if !c.ReportedAt.Before(cut) {
			kept = append(kept, c)
		}
	}
	want.Apply(kept)
	if n := s.DropBefore(cut); n != len(cases)-len(kept) || s.Len() != len(kept) {
		t.Fatalf("dropped %d, left %d; want %d, %d", n, s.Len(), len(cases)-len(kept), len(kept))
	}
	same := func(stage string) {
		t.Helper()
		for _, by := range []By{ByDepartment, ByGrid} {
			q := Query{By: by, Now: t0.AddDate(0, 3, 0), GroupOfGrid: func(c string) string { return c }}
			if got, exp := s.Compute(q), want.Compute(q); !reflect.DeepEqual(got, exp) {
				t.Fatalf("%s, by %s: computed %+v, want %+v", stage, by, got, exp)
			}
		}
	}
	same("after the drop")
	kept[0].Department = "police"
	s.Apply(kept[:1])
	want.Apply(kept[:1])
	same("after an update")
}
