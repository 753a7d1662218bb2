package gridmap

import (
	"context"
	"time"
)

// Work logs (工作日志, issue 15): a grid worker's day, with the pieces of
// its patrol track.

// TrackPoint is one position of a patrol track: EPSG:4326 degrees, the
// time it was taken, and the GPS accuracy in metres (0: not given).
type TrackPoint struct {
	Lon, Lat float64
	Time     time.Time
	Accuracy float64
}

// Track flags: why a piece of track is not to be trusted as walked.
const (
	// FlagSpeed: two consecutive points farther apart than MaxPatrolKmh
	// allows in the time between them.
	FlagSpeed = "speed"
	// FlagOutside: a point outside every grid of the street.
	FlagOutside = "outside"
	// FlagAccuracy: a point whose accuracy is worse than MaxAccuracyMetres.
	FlagAccuracy = "accuracy"
)

// The limits of a plausible patrol.
const (
	MaxPatrolKmh      = 150
	MaxAccuracyMetres = 100
)

// TrackPiece is a piece of a patrol track as uploaded and stored.
type TrackPiece struct {
	ID       int64        `json:"id"`
	ClientID string       `json:"client_id"`
	Points   []TrackPoint `json:"-"`
	Start    time.Time    `json:"started_at"`
	End      time.Time    `json:"ended_at"`
	Metres   float64      `json:"metres"`
	Flags    []string     `json:"flags"`
	// Grids are the micro-grids the piece passed through, by code, with
	// the metres of the piece assigned to each (GridMetres, same order).
	Grids      []string  `json:"grids"`
	GridMetres []float64 `json:"grid_metres"`
	// Stored is false when the piece was a resend of one already stored
	// under the same ClientID (nothing new was stored).
	Stored bool `json:"stored"`
}

// Worklog is one worker's log of one China day.
type Worklog struct {
	ID int64 `json:"id"`
	// TokenID and Worker (the token's name: personal data) say who.
	TokenID   int64     `json:"token_id"`
	Worker    string    `json:"worker"`
	Role      Role      `json:"role"`
	GridScope string    `json:"grid_scope,omitempty"`
	Day       string    `json:"date"` // YYYY-MM-DD, Asia/Shanghai
	Notes     string    `json:"notes"`
	People    []string  `json:"visited_people"`
	CaseIDs   []int64   `json:"case_ids"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Tracks    []TrackPiece
}

// WorklogInput is what a worker posts: the day, notes and people (merged
// into the day's log), and track pieces (appended; a piece whose
// ClientID the log already holds is skipped).
type WorklogInput struct {
	Worker Actor // token id and name
	Role   Role
	Grid   string // the token's grid scope
	Day    string
	Notes  string
	People []string
	Cases  []int64
	Tracks []TrackPiece
}

// WorklogFilter selects work logs: by worker (token id, 0 for any), a
// grid its tracks passed (by code, "" for any) and days [From, To]
// (YYYY-MM-DD, "" for open).
type WorklogFilter struct {
	TokenID  int64
	Grid     string
	From, To string
	Limit    int
}

// PatrolStat is the patrol of one grid over a time range.
type PatrolStat struct {
	Grid        string     `json:"grid"`
	Visits      int        `json:"visits"`
	Metres      float64    `json:"metres"`
	LastVisited *time.Time `json:"last_visited"`
	Workers     int        `json:"workers"`
}

// WorklogService stores and reads work logs. Implemented by
// postgis.Store.
type WorklogService interface {
	// SaveWorklog creates the log of in.Worker for in.Day or merges into
	// it, appending the new track pieces, in one transaction. created
	// says whether the log is new. Errors: EINVALID.
	SaveWorklog(ctx context.Context, in WorklogInput) (w Worklog, created bool, err error)
	// Worklog returns the log with the id, its tracks' points included.
	// Errors: ENOTFOUND.
	Worklog(ctx context.Context, id int64) (Worklog, error)
	// Worklogs lists logs, newest day first, tracks without points.
	Worklogs(ctx context.Context, f WorklogFilter) ([]Worklog, error)
	// PatrolStats aggregates the tracks ended in [from, to) per grid
	// code (only grids some track passed).
	PatrolStats(ctx context.Context, from, to time.Time) (map[string]PatrolStat, error)
	// PatrolTile returns vector tile z/x/y (EPSG:3857 XYZ, uncompressed
	// MVT) of the pieces ended in [from, to): the tracks with the
	// worker's role, the day, flags and metres, no personal data.
	PatrolTile(ctx context.Context, z, x, y uint32, from, to time.Time) ([]byte, error)
}

// ChinaDay returns the China calendar day (Asia/Shanghai, UTC+8, no
// daylight saving) of t as YYYY-MM-DD.
func ChinaDay(t time.Time) string {
	return t.In(ChinaTime).Format(time.DateOnly)
}
