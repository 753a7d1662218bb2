package demodata

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// Every demo history is accepted by caseflow.Apply step by step and leads
// to the incident's status; the proportions are the seed's.
func TestStepsFollowTheLoop(t *testing.T) {
	end := time.Date(2026, 12, 2, 18, 0, 0, 0, gridmap.ChinaTime)
	rng := rand.New(rand.NewPCG(1, 2))
	cats := []gridmap.Category{gridmap.CategoryDispute, gridmap.CategoryHazard, gridmap.CategoryPublicRequest,
		gridmap.CategoryPetition, gridmap.CategoryEnvironment, gridmap.CategoryOther}
	var n, hotlineClosed, hotlineSatisfied, supervised, sentBack, reopened, wednesday, closed int
	for i := range 6000 {
		cat := cats[i%len(cats)]
		in := gridmap.Incident{ExternalID: fmt.Sprintf("DEMO-%06d", i), Category: cat, Source: gridmap.SourceGridWorker,
			ReportedAt: end.Add(-time.Duration(rng.IntN(365*24*3600)) * time.Second).Truncate(time.Second)}
		if i%5 == 0 {
			in.Source = gridmap.SourceHotline
		}
		dl := in.ReportedAt.AddDate(0, 0, DeadlineDays[cat])
		in.Deadline = &dl
		var stall time.Duration
		if i%7 == 0 {
			stall = dl.Sub(in.ReportedAt) + time.Duration(1+rng.IntN(60*24))*time.Hour
		}
		walk(rng, &in, end, stall)
		steps := Steps(in, end)
		var hist []caseflow.Step
		var c caseflow.Case
		var last caseflow.Result
		for j, st := range steps {
			r, err := caseflow.Apply(c, hist, st, end)
			if err != nil {
				t.Fatalf("%s (%s, %s) step %d %s: %v", in.ExternalID, cat, in.Status, j+1, st.Kind, err)
			}
			if j > 0 && st.At.Before(hist[j-1].At) {
				t.Fatalf("%s step %d %s at %s before the step before (%s)", in.ExternalID, j+1, st.Kind, st.At, hist[j-1].At)
			}
			if r.Changes.Department != nil {
				c.Department, c.Person, c.Deadline = *r.Changes.Department, *r.Changes.Person, r.Changes.Deadline
			}
			if r.Changes.Deadline != nil {
				c.Deadline = r.Changes.Deadline
			}
			hist = append(hist, r.Step)
			last = r
			switch {
			case st.Kind == caseflow.StepSupervise:
				supervised++
			case st.Kind == caseflow.StepReview && st.Outcome == caseflow.ReviewSendBack:
				sentBack++
			case st.Kind == caseflow.StepRevisit && st.Outcome == string(caseflow.NotSatisfied):
				reopened++
			case st.Kind == caseflow.StepConsult && st.Agenda != nil:
				wednesday++
			}
		}
		if got := caseflow.StatusOf(hist).Public(); got != in.Status {
			t.Fatalf("%s: steps lead to %s, the incident is %s", in.ExternalID, got, in.Status)
		}
		n++
		if in.Status == gridmap.StatusClosed {
			closed++
			if in.Source == gridmap.SourceHotline {
				hotlineClosed++
				if s := last.Step; s.Kind == caseflow.StepClose && hist[len(hist)-2].Outcome == string(caseflow.Satisfied) {
					hotlineSatisfied++
				}
			}
		}
	}
	t.Logf("%d cases, %d closed; supervised %d, sent back %d, reopened %d, on a Wednesday agenda %d", n, closed, supervised, sentBack, reopened, wednesday)
	if hotlineClosed == 0 || hotlineSatisfied != hotlineClosed {
		t.Errorf("12345 tickets closed %d, satisfied %d: want all", hotlineClosed, hotlineSatisfied)
	}
	if supervised == 0 || sentBack == 0 || reopened == 0 || wednesday == 0 {
		t.Errorf("want some of each: supervised %d, sent back %d, reopened %d, Wednesday %d", supervised, sentBack, reopened, wednesday)
	}
	if supervised > n/4 || sentBack > n/20 || reopened > n/20 {
		t.Errorf("want few: supervised %d, sent back %d, reopened %d of %d", supervised, sentBack, reopened, n)
	}
}

func TestPhotoIsAPNG(t *testing.T) {
	id, b := Photo()
	if len(id) != 64 || len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Fatalf("photo %s, %d bytes", id, len(b))
	}
}
