// Package intake takes incidents in, written once for every way they
// arrive (POST /api/v1/incidents, gridmap import incidents, Open311, and the
// field routes to come): it parses them (JSON, NDJSON, CSV, GeoJSON),
// checks each field (the root's text rules among them), converts the
// location to WGS84, assigns it to its grid through the live map, stores
// the rows, and when the map moved under them waits for its replacement and
// assigns them again. A bad row is reported by index, line and field and
// reading goes on, so every problem of a batch is reported at once.
//
// It does no I/O of its own: the map comes in as a Map, the database as a
// Store, so it is tested without either.
package intake

import (
	"context"
	"iter"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// Map is the live grid map incidents are assigned through: the server's
// live index, or in a command an index built from the store.
type Map interface {
	// Index returns the current index and its grid data version; nil
	// before the first build.
	Index() (*geo.Index, int64)
	// WaitVersion waits until Index is at data version v or newer, woken
	// by the map's replacement; false when ctx ends first or the map
	// cannot catch up.
	WaitVersion(ctx context.Context, v int64) bool
}

// Store stores assigned incidents; gridmap.IncidentService (postgis.Store)
// is one.
type Store interface {
	// Categories returns the category table records are checked against.
	Categories(ctx context.Context) ([]gridmap.CategoryInfo, error)
	// ImportIncidents stores rows; with opts.BoundaryVersion set it refuses
	// rows assigned under another grid data version with an error that
	// gridmap.StaleGridsOf recognises, before it reads any row.
	ImportIncidents(ctx context.Context, opts gridmap.ImportIncidentsOptions, rows iter.Seq2[gridmap.IncidentRow, error]) (gridmap.ImportIncidentsResult, error)
}

// Attempts is how many times Import assigns and stores a batch before it
// gives up on a map that keeps moving.
const Attempts = 3

// Intake takes incidents in through a map and into a store.
type Intake struct {
	Map   Map
	Store Store
	// MaxWait bounds each wait for the map's replacement; zero waits as
	// long as the context allows.
	MaxWait time.Duration
}

// Request is one batch to take in.
type Request struct {
	// Records are the incidents as read: Records(ReadJSON(…)), ReadNDJSON,
	// ReadCSV or ReadGeoJSON. Import ranges over them once per attempt;
	// the store refuses a stale map before it reads a row, so a reader
	// that can be read only once (a file) is read only once.
	Records iter.Seq2[Record, error]
	// CRS is the coordinate system of records without a crs field ("":
	// WGS84).
	CRS geo.CRS
	// Source is the source of records without a source field ("": each
	// record must name its own).
	Source gridmap.Source
	// Now is the time reported_at is checked against (not in the future);
	// zero: time.Now().
	Now time.Time
	// Scope, when set, checks each good row's grid code: any refusal
	// refuses the whole batch, EFORBIDDEN naming every row outside it
	// (an HTTP token's write scope). Nil allows every grid.
	Scope func(gridCode string) error
	// Options are passed to Store.ImportIncidents (Partial, Items, By);
	// Import sets BoundaryVersion to the version of the index it assigned
	// with.
	Options gridmap.ImportIncidentsOptions
}

// Result is what Import stored, with the index (and its data version) the
// stored rows were assigned with, to name their grids.
type Result struct {
	gridmap.ImportIncidentsResult
	Index   *geo.Index
	Version int64
}

// Import checks req.Records, converts and assigns them through in.Map and
// stores them in in.Store. When the store answers that the grids changed
// since the rows were assigned, Import waits for the map's replacement
// (Map.WaitVersion, at most MaxWait) and assigns them again, at most
// Attempts times in all.
//
// Errors: EUNAVAILABLE when the map is not loaded yet; the stale-grids
// EUNAVAILABLE of the store (gridmap.StaleGrids in Details) when the map
// did not catch up in time or moved on every attempt; EFORBIDDEN from
// req.Scope; and whatever the store returns (EINVALID with each bad row
// as a gridmap.ItemError in Details, unless req.Options.Partial).
func (in *Intake) Import(ctx context.Context, req Request) (Result, error) {
	if ix, _ := in.Map.Index(); ix == nil {
		return Result{}, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grid index is not loaded yet; try again shortly"}
	}
	cats, err := in.Store.Categories(ctx)
	if err != nil {
		return Result{}, err
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := NewChecker(cats, now)
	if req.CRS != "" {
		c.CRS = req.CRS
	}
	c.Source = req.Source
	opts := req.Options
	var res Result
	for attempt := 1; ; attempt++ {
		// The index and its version are read together; a boundary change
		// landing meanwhile makes the store refuse, and the batch is
		// assigned again once the map has caught up.
		res.Index, res.Version = in.Map.Index()
		rows := Rows(req.Records, c, res.Index, res.Version)
		if req.Scope != nil {
			if rows, err = scopedRows(rows, req.Scope); err != nil {
				return Result{}, err
			}
		}
		opts.BoundaryVersion = res.Version
		res.ImportIncidentsResult, err = in.Store.ImportIncidents(ctx, opts, rows)
		sg, stale := gridmap.StaleGridsOf(err)
		if !stale || attempt == Attempts || !in.wait(ctx, sg.Current) {
			return res, err
		}
	}
}

// wait waits (at most MaxWait) for the map to reach data version v.
func (in *Intake) wait(ctx context.Context, v int64) bool {
	if in.MaxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, in.MaxWait)
		defer cancel()
	}
	return in.Map.WaitVersion(ctx, v)
}
