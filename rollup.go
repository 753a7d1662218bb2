package gridmap

import "time"

// RollupQuery selects counts from the monthly rollups of incidents (the
// months before an instance's memory window; issue 17).
type RollupQuery struct {
	// From and To bound the months counted: those that begin in
	// [From, To). Both are the first instant of a month in China time;
	// zero times are unbounded.
	From, To time.Time
	// Categories and Statuses, when non-nil, keep only these.
	Categories []Category
	Statuses   []Status
}

// RollupMonth is one month with rollups: its first instant in China time,
// when they were made (their counts are as of then) and how many
// incidents they counted.
type RollupMonth struct {
	Month       time.Time
	RefreshedAt time.Time
	Incidents   int64
}

// RollupCount is the incidents of one month in one grid ("" outside every
// grid) that match a RollupQuery.
type RollupCount struct {
	Month     time.Time
	GridCode  string
	Incidents int64
}

// Rollups answer a RollupQuery: the months that have rollups, oldest
// first, and their matching counts by grid.
type Rollups struct {
	Months []RollupMonth
	Counts []RollupCount
}

// MonthOf returns the first instant (China time) of the month t is in.
func MonthOf(t time.Time) time.Time {
	c := t.In(ChinaTime)
	return time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, ChinaTime)
}
