// Package indicators computes the street office's assessment indicators
// (received, registered, closed, closure and on-time rates, reply, revisit
// and satisfaction rates, time to close, overdue, supervised, duplicates,
// and the grid workers' work) in memory, and ranks workers, villages and
// departments by a scoring rule set into the red and black lists (红黑榜).
// It does no I/O: the caller summarises each case's steps (Summarize),
// keeps the summaries in a Set current from the change feed, and passes
// the workers' days.
//
// Every indicator counts the cases reported in a window [From, To), in
// China Standard Time when the window is given as dates, by what their
// steps say now (the definitions are in README.md, "Indicators"). Steps
// implied by a stored status (caseflow.Implied) count as steps.
package indicators

import (
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// Case is what the indicators need of one case: a few fields of the
// incident row and a summary of its steps (Summarize). No personal data.
type Case struct {
	ID         int64
	ReportedAt time.Time
	Source     gridmap.Source
	// GridCode is the grid the case was assigned to ("" for none).
	GridCode string
	// Department is the department the case is with ("" for none).
	Department string
	// RaisedBy is the API token of the grid worker who reported it (a
	// case of source grid_worker stored with a token), else 0.
	RaisedBy int64
	// Deadline is the case's current deadline (the last a dispatch or
	// supervision set, else the one it was reported with); nil for none.
	Deadline *time.Time
	// Duplicate: the case is linked as the duplicate of another.
	Duplicate bool

	// From the steps (Summarize).
	Registered bool // a register step
	Rejected   bool // status rejected
	Open       bool // status reported, registered, dispatched or in_progress
	Closed     bool // status closed
	Replied    bool // a reply step
	Revisited  bool // a revisit step
	Reopened   bool // a review sent back or a revisit not satisfied
	Supervised bool // a supervise step
	// Answers counts the revisit steps, Satisfied those answered satisfied
	// or basically satisfied.
	Answers, Satisfied int
	// ResolvedAt is the time of the last resolve step and ClosedAt of the
	// last close step (zero: none).
	ResolvedAt, ClosedAt time.Time
}

// Summarize sets c's step fields from its history (oldest first; the
// implied steps for a case stored with a status and no steps).
func Summarize(c *Case, history []caseflow.Step) {
	c.Registered, c.Replied, c.Revisited, c.Reopened, c.Supervised = false, false, false, false, false
	c.Answers, c.Satisfied = 0, 0
	c.ResolvedAt, c.ClosedAt = time.Time{}, time.Time{}
	for _, st := range history {
		switch st.Kind {
		case caseflow.StepRegister:
			c.Registered = true
		case caseflow.StepSupervise:
			c.Supervised = true
		case caseflow.StepResolve:
			c.ResolvedAt = st.At
		case caseflow.StepReview:
			if st.Outcome == caseflow.ReviewSendBack {
				c.Reopened = true
			}
		case caseflow.StepReply:
			c.Replied = true
		case caseflow.StepRevisit:
			c.Revisited = true
			c.Answers++
			switch caseflow.Satisfaction(st.Outcome) {
			case caseflow.Satisfied, caseflow.BasicallySatisfied:
				c.Satisfied++
			case caseflow.NotSatisfied:
				c.Reopened = true
			}
		case caseflow.StepClose:
			c.ClosedAt = st.At
		}
	}
	s := caseflow.StatusOf(history)
	c.Rejected = s == caseflow.StatusRejected
	c.Closed = s == caseflow.StatusClosed
	switch s {
	case caseflow.StatusReported, caseflow.StatusRegistered, caseflow.StatusDispatched, caseflow.StatusInProgress:
		c.Open = true
	default:
		c.Open = false
	}
}

// OnTime reports whether a closed case was resolved by its deadline: its
// last resolution at or before the deadline, or no deadline.
func (c *Case) OnTime() bool {
	return c.Closed && (c.Deadline == nil || !c.ResolvedAt.After(*c.Deadline))
}
