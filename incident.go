package gridmap

import (
	"context"
	"errors"
	"iter"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// ChinaTime is China Standard Time (UTC+8, no daylight saving since 1991): dates and
// times written without an offset are read in it, and statistics by day
// are cut at its midnight.
var ChinaTime = time.FixedZone("CST", 8*3600)

// Category is the kind of an incident. The built-in categories are rows of
// the incident_category table; a city may add its own, so Category is an
// open string like Level.
type Category string

// The built-in categories (migration 00003), in the order they are listed.
const (
	CategoryDispute        Category = "dispute"         // 矛盾纠纷
	CategoryHazard         Category = "hazard"          // 安全隐患
	CategoryPublicRequest  Category = "public_request"  // 民情民意
	CategoryServiceRequest Category = "service_request" // 帮办代办
	CategoryPetition       Category = "petition"        // 信访
	CategoryEnvironment    Category = "environment"     // 环境卫生
	CategoryPublicSecurity Category = "public_security" // 治安
	CategoryOther          Category = "other"           // 其他
)

// CategoryInfo is one row of the category table: the name used in the API
// and the labels shown to people.
type CategoryInfo struct {
	Name    Category `json:"name"`
	LabelZh string   `json:"label_zh"`
	LabelEn string   `json:"label_en"`
	// DeadlineDays is the default deadline: an incident posted or imported
	// without a deadline is due this many days (of 24 hours) after it was
	// reported; nil for none (the incident is then never overdue).
	DeadlineDays *int `json:"deadline_days"`
}

// DefaultDeadline returns the deadline of an incident of category c
// reported at reported, nil when c has no default.
func (c CategoryInfo) DefaultDeadline(reported time.Time) *time.Time {
	if c.DeadlineDays == nil || reported.IsZero() {
		return nil
	}
	t := reported.Add(time.Duration(*c.DeadlineDays) * 24 * time.Hour)
	return &t
}

// Source is the channel an incident came in through.
type Source string

// The sources. Unlike categories they are fixed: the workflow depends on them.
const (
	SourceGridWorker Source = "grid_worker" // 网格员上报
	SourceHotline    Source = "hotline"     // 12345 政务服务便民热线
	SourceVisit      Source = "visit"       // 群众来访
	SourceOther      Source = "other"       // 其他
)

// Sources lists the valid sources.
var Sources = []Source{SourceGridWorker, SourceHotline, SourceVisit, SourceOther}

// sourceAliases maps the labels people write in spreadsheets to sources.
var sourceAliases = map[string]Source{
	"网格员": SourceGridWorker, "网格员上报": SourceGridWorker, "grid worker": SourceGridWorker,
	"12345": SourceHotline, "热线": SourceHotline, "12345热线": SourceHotline, "hotline 12345": SourceHotline,
	"来访": SourceVisit, "群众来访": SourceVisit, "walk-in": SourceVisit,
	"其他": SourceOther,
}

// ParseSource returns the source named s: a source name (hotline) or a
// common label (12345, 热线, 网格员, 来访). ok is false for anything else.
func ParseSource(s string) (Source, bool) {
	s = strings.TrimSpace(s)
	for _, src := range Sources {
		if string(src) == s {
			return src, true
		}
	}
	src, ok := sourceAliases[strings.ToLower(s)]
	return src, ok
}

// Status is the step an incident has reached. Statuses only move forward,
// in this order: reported → accepted → in_progress → resolved → replied →
// closed (上报 → 受理 → 办理中 → 办结 → 答复 → 归档).
type Status string

// The statuses, in workflow order.
const (
	StatusReported   Status = "reported"    // 上报
	StatusAccepted   Status = "accepted"    // 受理
	StatusInProgress Status = "in_progress" // 办理中
	StatusResolved   Status = "resolved"    // 办结
	StatusReplied    Status = "replied"     // 答复
	StatusClosed     Status = "closed"      // 归档
)

// Statuses lists the statuses in workflow order.
var Statuses = []Status{StatusReported, StatusAccepted, StatusInProgress, StatusResolved, StatusReplied, StatusClosed}

// Rank returns the position of s in Statuses, or -1 for an unknown status.
func (s Status) Rank() int {
	for i, x := range Statuses {
		if x == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return s.Rank() >= 0 }

// Open reports whether an incident in status s is still being handled:
// not yet resolved.
func (s Status) Open() bool { r := s.Rank(); return r >= 0 && r < StatusResolved.Rank() }

// CheckTransition says whether an incident may move from s to to. Moving
// forward is allowed, skipping steps included (a grid worker may resolve
// on the spot); staying is allowed, so a retried request is harmless.
// Errors: EINVALID for an unknown status, ECONFLICT for a move backwards or
// out of closed.
func (s Status) CheckTransition(to Status) error {
	if !to.Valid() {
		return Errorf(EINVALID, "unknown status %q; the statuses are %s", to, statusList())
	}
	switch {
	case to == s:
		return nil
	case s == StatusClosed:
		return Errorf(ECONFLICT, "the incident is closed; a closed incident does not change status")
	case to.Rank() < s.Rank():
		return Errorf(ECONFLICT, "cannot move from %s back to %s: status only moves forward (%s)", s, to, statusList())
	}
	return nil
}

func statusList() string {
	parts := make([]string, len(Statuses))
	for i, s := range Statuses {
		parts[i] = string(s)
	}
	return strings.Join(parts, " → ")
}

// Incident is one reported dispute, hazard, request or petition.
//
// Location is EPSG:4326 (WGS84) whatever the CRS it was posted in. Times
// are whole seconds. Description and Reporter are personal data: they are
// filled only by IncidentService.Incident, never by listings, statistics,
// heat tiles or events.
type Incident struct {
	ID         int64
	ExternalID string
	Category   Category
	Source     Source
	Status     Status
	// Location is [lon, lat] in EPSG:4326 degrees.
	Location orb.Point
	// GridCode is the deepest grid containing Location when it was
	// assigned (a micro-grid in a street of three levels); "" when the
	// point was outside every grid.
	GridCode string
	// BoundaryVersion is the grid data version (the newest grid_version id)
	// of the boundaries the incident was assigned under.
	BoundaryVersion int64
	Department      string
	Deadline        *time.Time
	// Person is the person responsible in Department (a dispatch sets
	// both); Supervised counts the supervisions (督办) of the case.
	Person     string
	Supervised int
	// LastStep is the newest stored step of the case loop (Seq 0: none
	// stored; steps implied by a stored status are not counted).
	LastStep   StepMark
	ReportedAt time.Time
	// StepAt holds the time each status after reported was reached, by
	// Status; a step skipped on the way has no time.
	StepAt    map[Status]time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// CreatedBy is who stored the incident (Name "" for incidents stored
	// before this was recorded). Only IncidentService.Incident fills it.
	CreatedBy Actor
	// Changes are the writes made to the incident since, oldest first.
	// Only IncidentService.Incident fills them.
	Changes []IncidentChange

	// Personal data. Only IncidentService.Incident fills it.
	Description string
	Reporter    *Reporter
}

// StepMark names a case's newest stored step: its number, its kind and
// the case status after it (the names of package caseflow).
type StepMark struct {
	Seq        int
	Kind       string
	CaseStatus string
	// Fresh is set by the change feed when the write it reports appended
	// the step (so the step is news).
	Fresh bool
}

// Reporter is the person who reported an incident: personal data.
type Reporter struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Actor is who wrote something: an API token (its id and its name at the
// time), or a command run on the server (TokenID 0, Name naming it).
type Actor struct {
	TokenID int64  `json:"token_id,omitempty"`
	Name    string `json:"name"`
}

// IncidentChange is one write to a stored incident (a PATCH), as the
// append-only change log keeps it: when it was made, by whom, and each
// field it changed from what to what. Fields it left alone are nil.
type IncidentChange struct {
	At         time.Time       `json:"at"`
	By         Actor           `json:"by"`
	Status     *StatusChange   `json:"status,omitempty"`
	Department *TextChange     `json:"department,omitempty"`
	Deadline   *DeadlineChange `json:"deadline,omitempty"`
}

// StatusChange is a status moved forward; At is the time of the step
// (what the PATCH said, or when it was made).
type StatusChange struct {
	From Status    `json:"from"`
	To   Status    `json:"to"`
	At   time.Time `json:"at"`
}

// TextChange is a text field changed.
type TextChange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// DeadlineChange is a deadline set, moved or cleared (nil: none).
type DeadlineChange struct {
	From *time.Time `json:"from"`
	To   *time.Time `json:"to"`
}

// Overdue reports whether the incident has a deadline that passed at now
// while it was still open (not yet resolved).
func (i *Incident) Overdue(now time.Time) bool {
	return i.Deadline != nil && i.Status.Open() && now.After(*i.Deadline)
}

// IncidentFilter selects incidents. Zero values select everything.
type IncidentFilter struct {
	// GridCodes keeps incidents assigned to one of these grids (the leaf
	// codes under the grid asked for); nil keeps all.
	GridCodes  []string
	Unassigned bool // only incidents outside every grid
	Categories []Category
	Statuses   []Status
	Sources    []Source
	// Departments keeps the cases given to one of these departments
	// (codes); Supervised, when non-nil, those supervised at least once
	// (true) or never (false).
	Departments []string
	Supervised  *bool
	ExternalID  string
	// IDs keeps only the incidents with these ids; nil keeps all.
	IDs []int64
	// From and To bound ReportedAt: From ≤ reported_at < To.
	From, To *time.Time
	// Overdue, when non-nil, keeps only overdue (true) or only not
	// overdue (false) incidents as of Now.
	Overdue *bool
	Now     time.Time
	// BeforeID is the paging cursor: incidents with a smaller id.
	BeforeID int64
	Limit    int // 0 for no limit
}

// IncidentUpdate is a change by PATCH. Nil fields are left as they are.
type IncidentUpdate struct {
	Status     *Status
	Department *string
	// Deadline sets the deadline; ClearDeadline removes it.
	Deadline      *time.Time
	ClearDeadline bool
	// At is when the change happened (the step time); the zero time means now.
	At time.Time
	// By is who makes the change, recorded in the incident's change log.
	By Actor
	// Check, when set, is called with the incident's grid code ("" when
	// unassigned) once the incident is locked and before anything is
	// written; its error refuses the update (a grid-scoped token).
	Check func(gridCode string) error
}

// IncidentService stores and reads incidents. Implemented by postgis.Store.
type IncidentService interface {
	// ImportIncidents stores rows; see postgis.Store.ImportIncidents.
	ImportIncidents(ctx context.Context, opts ImportIncidentsOptions, rows iter.Seq2[IncidentRow, error]) (ImportIncidentsResult, error)
	// Incident returns one incident with its personal data, who stored
	// it and its change log. Errors: ENOTFOUND.
	Incident(ctx context.Context, id int64) (Incident, error)
	// ListIncidents calls fn for each incident matching f, newest id
	// first, without personal data.
	ListIncidents(ctx context.Context, f IncidentFilter, fn func(Incident) error) error
	// UpdateIncident applies u, logs who changed what, and returns the
	// incident after it. Errors: ENOTFOUND, EINVALID, ECONFLICT (a status
	// move backwards), and whatever u.Check returns.
	UpdateIncident(ctx context.Context, id int64, u IncidentUpdate) (Incident, error)
	// Categories returns the category table.
	Categories(ctx context.Context) ([]CategoryInfo, error)
}

// IncidentRow is one incident to import, already validated, converted to
// WGS84 and assigned to its grid (GridCode "" when outside every grid).
// Index is its 0-based position in the batch, Line its 1-based line in a
// line-oriented file (0 otherwise).
type IncidentRow struct {
	Index, Line int
	Incident    Incident
}

// ImportIncidentsOptions controls ImportIncidents.
type ImportIncidentsOptions struct {
	// Partial stores the good rows of a batch with bad ones; otherwise one
	// bad row refuses the whole batch.
	Partial bool
	// Items asks for one ItemResult per stored or existing row (for HTTP
	// batches); a file import only counts.
	Items bool
	// BoundaryVersion, when set, is the grid data version of the index
	// the rows were assigned with. The import then holds the grid data
	// still until it commits (a publication waits; one under way makes the
	// import wait) and refuses with EUNAVAILABLE, Details StaleGrids, when
	// the grids are at another version: assign again with an index of
	// StaleGrids.Current and retry. So no incident is stored under a map
	// that a publication has already replaced.
	BoundaryVersion int64
	// By is who stores the rows, recorded on each new incident.
	By Actor
}

// StaleGrids says the grids changed since an import's rows were assigned:
// they were assigned under version Have, the database is at Current.
type StaleGrids struct {
	Have    int64 `json:"have"`
	Current int64 `json:"current"`
}

// StaleGridsOf returns the StaleGrids of an import's error, if that is
// why it was refused.
func StaleGridsOf(err error) (StaleGrids, bool) {
	var e *Error
	if errors.As(err, &e) {
		if sg, ok := e.Details.(StaleGrids); ok {
			return sg, true
		}
	}
	return StaleGrids{}, false
}

// ImportIncidentsResult says what an import did.
type ImportIncidentsResult struct {
	Read       int
	Created    int
	Existing   int
	Unassigned int
	Errors     []ItemError
	// Items, when asked for, lists each good row in input order: its new
	// or stored incident (public fields only).
	Items []ItemResult
}

// ItemResult is the outcome of one good row of an import.
type ItemResult struct {
	Index    int
	Created  bool
	Incident Incident
}

// IncidentEvent is what the live feed says about an incident: no personal
// data, no location finer than its grid.
type IncidentEvent struct {
	// EventID identifies the event for resuming a feed (SSE Last-Event-ID).
	EventID string
	// Type is "incident" for a new one, "status" for a change of status,
	// "step" for a step of the case loop (with or without a change of
	// status: a step that changes it gives both events).
	Type       string
	ID         int64
	Category   Category
	Status     Status
	Previous   Status // for "status": the status before
	GridCode   string
	ReportedAt time.Time
	At         time.Time // when the change was seen
	// Step is the step of a "step" event (Fresh unset).
	Step *StepMark
}

// IncidentEvents is the live feed of incident events (new incidents and
// status changes) of every instance. Implemented by live.Incidents.
type IncidentEvents interface {
	// Subscribe starts a subscription. With the EventID of the last event
	// a client saw, it first gets the events it missed (replay) when they
	// are still held; resync is true when they are not, and the client
	// should reload what it shows. live is closed when the subscriber falls
	// too far behind or the feed stops; cancel ends the subscription.
	Subscribe(lastEventID string) (replay []IncidentEvent, live <-chan IncidentEvent, resync bool, cancel func())
}
