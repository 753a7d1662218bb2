package caseflow

import (
	"time"

	"github.com/gridmap/gridmap"
)

// stepDays is the time allowed for the step a case waits for in each
// status, in China calendar days after the step that led there (0: the
// same day): registered within a day of the report, dispatched within a
// day of registration, reviewed within two days of resolution, answered
// within a day of the review, revisited within three days of the answer,
// closed within a day of the revisit. Resolution is due by the case's
// deadline instead (Due).
var stepDays = map[Status]struct {
	Step Kind
	Days int
}{
	StatusReported:   {StepRegister, 1},
	StatusRegistered: {StepDispatch, 1},
	StatusResolved:   {StepReview, 2},
	StatusReviewed:   {StepReply, 1},
	StatusReplied:    {StepRevisit, 3},
	StatusRevisited:  {StepClose, 1},
}

// Due is the step a case waits for and when it is due.
type Due struct {
	Step Kind
	By   time.Time
}

// NextDue returns the step a case waits for and its due time. A case that
// is dispatched or in progress waits for resolve, due by its deadline: the
// last one a dispatch or supervision set, else deadline (the deadline the
// case was reported with), else reportedAt plus the category's
// deadlineDays (nil: none; then ok is false). Other steps are due by the
// end of the China calendar day a fixed number of days (stepDays) after
// the step that led to the status (the report for reported). ok is false
// for a closed or rejected case and for a resolve with no deadline.
func NextDue(history []Step, reportedAt time.Time, deadline *time.Time, deadlineDays *int) (d Due, ok bool) {
	s := StatusReported
	since := reportedAt
	for _, st := range history {
		if to, moved := next(s, st); moved {
			if st.Deadline != nil && (st.Kind == StepDispatch || st.Kind == StepSupervise) {
				deadline = st.Deadline
			}
			if to != s || st.Kind == StepReview || st.Kind == StepRevisit {
				since = st.At
			}
			s = to
		}
	}
	if deadline == nil && deadlineDays != nil {
		deadline = gridmap.CategoryInfo{DeadlineDays: deadlineDays}.DefaultDeadline(reportedAt)
		if deadline != nil {
			u := deadline.UTC()
			deadline = &u
		}
	}
	return DueIn(s, since, deadline)
}

// DueIn is NextDue for a case known by its status s, the time since it
// has been in it (the step that led there; the report for reported) and
// its deadline (nil: none): what a listing can say from the incident row
// alone, without the history.
func DueIn(s Status, since time.Time, deadline *time.Time) (d Due, ok bool) {
	switch s {
	case StatusDispatched, StatusInProgress:
		if deadline == nil {
			return Due{Step: StepResolve}, false
		}
		return Due{Step: StepResolve, By: *deadline}, true
	}
	sd, found := stepDays[s]
	if !found {
		return d, false
	}
	day := dayOf(since.In(gridmap.ChinaTime))
	return Due{Step: sd.Step, By: day.AddDate(0, 0, sd.Days+1)}, true
}

// Overdue reports whether the step the case waits for was due before now.
func Overdue(history []Step, reportedAt time.Time, deadline *time.Time, deadlineDays *int, now time.Time) bool {
	d, ok := NextDue(history, reportedAt, deadline, deadlineDays)
	return ok && now.After(d.By)
}
