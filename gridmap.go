// Package gridmap holds the domain types of the grid-governance GIS service:
// grids, their levels and members, and the service interfaces that the
// storage (postgis/) and transport (httpapi/) packages implement and use,
// among them the sources and change feed the live state (live/) is kept
// current from (live_source.go).
//
// All geometry is in EPSG:4326 (WGS84 longitude, latitude in degrees) unless
// a name says otherwise.
package gridmap

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Level names a tier of the grid tree. The built-in tiers are street,
// village and micro; a city may add its own, so Level is an open string.
type Level string

// The built-in levels, from the top of the tree to the bottom.
const (
	LevelStreet  Level = "street"  // 街道
	LevelVillage Level = "village" // 村/社区
	LevelMicro   Level = "micro"   // 微网格
)

// Grid is one version of one grid: its identity, place in the tree and
// boundary. Boundary is a MultiPolygon in EPSG:4326 degrees.
type Grid struct {
	// ID is a stable number for the grid code, the same in every version;
	// tiles use it as the feature id so maps can key feature-state on it.
	ID         int64          `json:"id"`
	Code       string         `json:"code"`
	Name       string         `json:"name"`
	Level      Level          `json:"level"`
	Parent     string         `json:"parent,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Boundary   orb.MultiPolygon
	// Version is the database id of this version row; it increases with
	// every change of any grid, so it also serves as an ETag.
	Version   int64      `json:"version"`
	ValidFrom time.Time  `json:"valid_from"`
	ValidTo   *time.Time `json:"valid_to,omitempty"` // nil for the current version
	// Members are the people responsible, where the caller loaded them.
	Members []Member `json:"-"`
}

// GridRow is one grid read from a file (internal/gridio) for
// postgis.Store.ImportGrids, before validation in PostGIS. Index is its
// 0-based position in the file. Boundary is a Polygon or MultiPolygon in
// EPSG:4326 degrees.
type GridRow struct {
	Index      int
	Code       string
	Name       string
	Parent     string
	Attributes map[string]any
	Boundary   orb.Geometry
}

// Member is a person responsible for a grid. Contact is personal data.
type Member struct {
	GridCode string `json:"grid_code"`
	Role     string `json:"role"` // leader, worker, legal_adviser, police_assistant
	Name     string `json:"name"`
	Contact  string `json:"contact,omitempty"`
}

// MemberRoles are the roles a grid member can have.
var MemberRoles = []string{"leader", "worker", "legal_adviser", "police_assistant"}

// GridFilter selects grids. Zero values select everything current.
type GridFilter struct {
	Level  Level
	Parent string
	// BBox, when non-empty, keeps grids whose boundary intersects it (degrees).
	BBox  *orb.Bound
	AsOf  *time.Time // nil for the current map
	After string     // cursor: codes strictly greater than this
	Limit int        // 0 for no limit
}

// GridService reads grids. Implemented by postgis.Store.
type GridService interface {
	// ListGrids calls fn for every grid matching f, ordered by code.
	// fn's error stops the listing and is returned.
	ListGrids(ctx context.Context, f GridFilter, fn func(Grid) error) error
	// Grid returns the version of code valid at asOf (nil: current).
	// Errors: ENOTFOUND.
	Grid(ctx context.Context, code string, asOf *time.Time) (Grid, error)
	// Members returns the people responsible for the given grids.
	Members(ctx context.Context, codes []string) ([]Member, error)
	// Levels returns the grid levels, top of the tree first.
	Levels(ctx context.Context) ([]Level, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}
