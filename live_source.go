package gridmap

import (
	"context"
	"time"
)

// The change feed's channels (ChangeFeed.Subscribe). Every instance hears
// every change, whichever instance (or tool) made it.
const (
	// GridsChannel announces every change to grid versions or members;
	// the payload is the new data version.
	GridsChannel = "gridmap_grids"
	// IncidentsChannel announces every write to incidents, once per
	// statement; the payload is empty: read IncidentSource.IncidentChanges.
	IncidentsChannel = "gridmap_incidents"
)

// GridSource reads the grids an instance keeps in memory (package live):
// the current map, and the map as it was at a time. Implemented by
// *postgis.Store.
type GridSource interface {
	// CurrentGrids returns every current grid, with its Members, and the
	// data version they are at.
	CurrentGrids(ctx context.Context) ([]Grid, int64, error)
	// MapKeyAt returns a key that is equal for two times exactly when the
	// map (the set of grid versions valid) was the same at both.
	MapKeyAt(ctx context.Context, t time.Time) (string, error)
	// GridsAt returns the grids valid at t, with the people who served
	// them then (the roster is versioned), and the key of that map (see
	// MapKeyAt: it changes with the roster too).
	GridsAt(ctx context.Context, t time.Time) ([]Grid, string, error)
}

// IncidentSource reads the incident change feed that keeps an instance's
// incident aggregate current (package live). Implemented by *postgis.Store.
type IncidentSource interface {
	// IncidentChanges calls fn, in id order, for every incident written
	// after the snapshot since (every incident when since is ""), public
	// fields only, and returns the snapshot to pass next time. Nothing
	// written meanwhile is missed or seen twice. fn's error stops the read.
	IncidentChanges(ctx context.Context, since string, fn func(Incident) error) (next string, err error)
	// CountIncidents returns the number of incidents stored (an estimate
	// when exact is false, for sizing a load).
	CountIncidents(ctx context.Context, exact bool) (int64, error)
}

// ChangeFeed delivers change notices by channel (GridsChannel,
// IncidentsChannel). Implemented by *postgis.Listener.
type ChangeFeed interface {
	// Subscribe calls fn(payload) for every notice on channel, and fn("")
	// after every (re)subscription, the first included, so the subscriber
	// catches up on anything missed while the feed was down. fn runs on
	// the feed's goroutine: keep it short. Subscribe before the feed runs.
	Subscribe(channel string, fn func(payload string))
}
