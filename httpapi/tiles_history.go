package httpapi

import (
	"context"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/live"
)

// PastMaps gives the map as it was at a past time (as_of): one loading
// path and one kept set of maps for tiles and lookups with as_of alike.
// live.Map implements it.
type PastMaps interface {
	// At returns the map valid at t. Errors: EUNAVAILABLE when the
	// database does not answer or ctx ends while the map loads.
	At(ctx context.Context, t time.Time) (*live.Past, error)
}

// pastMap returns the map valid at asOf from past, or EUNAVAILABLE when
// this server has no past maps.
func pastMap(ctx context.Context, past PastMaps, asOf time.Time) (*live.Past, error) {
	if past == nil {
		return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "maps of past times (as_of) are not served by this instance"}
	}
	return past.At(ctx, asOf)
}
