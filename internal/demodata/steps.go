package demodata

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// departmentCodes is the department (migration 00007) a category's cases
// are dispatched to: the codes of the names in departments.
var departmentCodes = map[gridmap.Category]string{
	gridmap.CategoryDispute:        "justice",
	gridmap.CategoryHazard:         "emergency",
	gridmap.CategoryPublicRequest:  "service",
	gridmap.CategoryServiceRequest: "service",
	gridmap.CategoryPetition:       "petition",
	gridmap.CategoryEnvironment:    "sanitation",
	gridmap.CategoryPublicSecurity: "police",
	gridmap.CategoryOther:          "command",
}

// hardShare is the share of a category's cases taken to the Wednesday
// review (周三说事): the seed's 45 requests, 81 disputes and 7 old
// petitions a year, out of its 3,589 requests, 329 disputes and the
// petitions.
var hardShare = map[gridmap.Category]float64{
	gridmap.CategoryDispute: 0.25, gridmap.CategoryPetition: 0.3, gridmap.CategoryPublicRequest: 0.0125,
}

// The seed's revisits: 12345 tickets all satisfied; of the rest these
// shares are basically satisfied and not satisfied (then reopened); and
// this share of resolutions is sent back by the review.
const (
	basicallyShare = 0.12
	notSatisfied   = 0.02
	sendBackShare  = 0.03
)

// Photo is the demo's one after photo: a small synthetic PNG (a grey
// square), and its attachment id (SHA-256, hex). Made once.
func Photo() (id string, b []byte) { return photo() }

var photo = sync.OnceValues(func() (string, []byte) {
	img := image.NewGray(image.Rect(0, 0, 32, 24))
	for i := range img.Pix {
		img.Pix[i] = 0x99
	}
	img.Set(0, 0, color.Gray{Y: 0})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // an in-memory image always encodes
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), buf.Bytes()
})

// Steps returns a step history for a demo incident that leads to its
// status (caseflow.StatusOf(steps).Public() == in.Status) at the times of
// its steps (in.StepAt): registered and dispatched to its category's
// department, investigated, the hard ones put on a Wednesday agenda and
// decided there, supervised when late, resolved with an after photo
// (some sent back once), reviewed, answered, revisited (12345 tickets
// satisfied; a few others not, then reopened and done again) and closed.
// Deterministic: drawn from the external id alone, so Incidents is
// unchanged. end is the time Incidents was given. People are fictional
// (…演示NN).
func Steps(in gridmap.Incident, end time.Time) []caseflow.Step {
	if in.Status == gridmap.StatusReported {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(in.ExternalID))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x73746570))
	photoID, _ := Photo()
	dept := departmentCodes[in.Category]
	if dept == "" {
		dept = "command"
	}
	centre := caseflow.Actor{Person: fmt.Sprintf("张演示%02d", 1+rng.IntN(4)), Role: caseflow.RoleDispatcher}
	staff := caseflow.Actor{Person: fmt.Sprintf("李演示%02d", 1+rng.IntN(20)), Role: caseflow.RoleDepartment, Department: dept}
	at := func(s gridmap.Status) time.Time { return in.StepAt[s] }
	var out []caseflow.Step
	add := func(st caseflow.Step) { out = append(out, st) }

	// Registered and dispatched.
	tAcc := at(gridmap.StatusAccepted)
	if tAcc.IsZero() {
		tAcc = in.ReportedAt.Add(time.Hour)
	}
	add(caseflow.Step{Kind: caseflow.StepRegister, At: tAcc, Actor: centre})
	deadline := tAcc.Add(time.Duration(DeadlineDays[in.Category]) * 24 * time.Hour)
	if in.Deadline != nil && in.Deadline.After(tAcc.Add(10*time.Minute)) {
		deadline = *in.Deadline
	}
	next := at(gridmap.StatusInProgress) // the next step's time, zero when none
	if next.IsZero() {
		next = end
	}
	add(caseflow.Step{Kind: caseflow.StepDispatch, At: soon(tAcc, next, 5*time.Minute), Actor: centre,
		Department: dept, Person: staff.Person, Deadline: &deadline})
	if in.Status == gridmap.StatusAccepted {
		return out
	}

	// Investigated; the hard ones to the Wednesday review; late ones supervised.
	tIP := at(gridmap.StatusInProgress)
	tRes := at(gridmap.StatusResolved)
	limit := tRes // what happens before the resolve must be before it
	if limit.IsZero() {
		limit = end
	}
	add(caseflow.Step{Kind: caseflow.StepInvestigate, At: tIP, Actor: staff, Note: "（演示）现场调查，了解情况"})
	if rng.Float64() < hardShare[in.Category] {
		d := tIP.In(gridmap.ChinaTime)
		d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, gridmap.ChinaTime)
		wed := d.AddDate(0, 0, (int(time.Wednesday)-int(d.Weekday())+7)%7)
		meeting := wed.Add(9 * time.Hour)
		if meeting.After(tIP) && meeting.Before(limit) {
			add(caseflow.Step{Kind: caseflow.StepConsult, At: soon(tIP, meeting, time.Minute), Actor: centre, Agenda: &wed})
			add(caseflow.Step{Kind: caseflow.StepConsult, At: meeting, Actor: centre,
				Decision: "（演示）周三说事：联合调处，当场归口定责"})
		} else {
			add(caseflow.Step{Kind: caseflow.StepConsult, At: soon(tIP, limit, time.Hour), Actor: centre,
				Decision: "（演示）联合会商：明确责任部门和办结时限"})
		}
	}
	if sup := deadline.Add(time.Hour); sup.Before(limit) && sup.After(out[len(out)-1].At) {
		nd := deadline.Add(3 * 24 * time.Hour)
		add(caseflow.Step{Kind: caseflow.StepSupervise, At: sup, Actor: centre, Deadline: &nd, Note: "（演示）逾期督办"})
	}
	if in.Status == gridmap.StatusInProgress {
		return out
	}

	// Resolved, perhaps once sent back first.
	last := out[len(out)-1].At
	if rng.Float64() < sendBackShare && tRes.Sub(last) > 2*time.Hour {
		gap := min(24*time.Hour, tRes.Sub(last)/2)
		add(caseflow.Step{Kind: caseflow.StepResolve, At: tRes.Add(-gap).Truncate(time.Second), Actor: staff, Attachments: []string{photoID}})
		add(caseflow.Step{Kind: caseflow.StepReview, At: tRes.Add(-gap / 2).Truncate(time.Second), Actor: centre,
			Outcome: caseflow.ReviewSendBack, Reason: "（演示）整改不到位，退回重办"})
	}
	add(caseflow.Step{Kind: caseflow.StepResolve, At: tRes, Actor: staff, Attachments: []string{photoID}})
	if in.Status == gridmap.StatusResolved {
		return out
	}

	// Reviewed, answered.
	tRep := at(gridmap.StatusReplied)
	add(caseflow.Step{Kind: caseflow.StepReview, At: tRes.Add(tRep.Sub(tRes) / 2).Truncate(time.Second), Actor: centre, Outcome: caseflow.ReviewAccept})
	add(caseflow.Step{Kind: caseflow.StepReply, At: tRep, Actor: staff, Note: "（演示）已向反映人答复办理结果"})
	if in.Status == gridmap.StatusReplied {
		return out
	}

	// Revisited and closed.
	tCl := at(gridmap.StatusClosed)
	span := tCl.Sub(tRep)
	part := func(f float64) time.Time { return tRep.Add(time.Duration(f * float64(span))).Truncate(time.Second) }
	answer := caseflow.Satisfied
	r := rng.Float64()
	if in.Source != gridmap.SourceHotline {
		switch {
		case r < notSatisfied:
			add(caseflow.Step{Kind: caseflow.StepRevisit, At: part(0.1), Actor: centre, Outcome: string(caseflow.NotSatisfied), Reason: "（演示）问题反复，群众不满意"})
			add(caseflow.Step{Kind: caseflow.StepResolve, At: part(0.4), Actor: staff, Attachments: []string{photoID}})
			add(caseflow.Step{Kind: caseflow.StepReview, At: part(0.5), Actor: centre, Outcome: caseflow.ReviewAccept})
			add(caseflow.Step{Kind: caseflow.StepReply, At: part(0.6), Actor: staff, Note: "（演示）重新办理后再次答复"})
		case r < notSatisfied+basicallyShare:
			answer = caseflow.BasicallySatisfied
		}
	}
	add(caseflow.Step{Kind: caseflow.StepRevisit, At: part(0.8), Actor: centre, Outcome: string(answer)})
	add(caseflow.Step{Kind: caseflow.StepClose, At: tCl, Actor: centre})
	return out
}

// soon is d after a, or halfway to b when that is sooner, in whole seconds.
func soon(a, b time.Time, d time.Duration) time.Time {
	return a.Add(min(d, b.Sub(a)/2)).Truncate(time.Second)
}
