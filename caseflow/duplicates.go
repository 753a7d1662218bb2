package caseflow

import (
	"time"

	"github.com/gridmap/gridmap"
)

// Possible duplicates (重复件): a report of the same category as an open
// case, close to it in place and time, is likely the same matter reported
// twice. A dispatcher links a duplicate to its main case, so it is counted
// once and answered together.
const (
	// DuplicateRadiusM is how close (metres, on the ellipsoid) a possible
	// duplicate lies.
	DuplicateRadiusM = 50
	// DuplicateWindow is how close in time (reported_at, either way) it was
	// reported.
	DuplicateWindow = 7 * 24 * time.Hour
)

// Duplicate is a case related to another as a possible or linked
// duplicate: public fields only (no personal data).
type Duplicate struct {
	ID         int64            `json:"id"`
	Category   gridmap.Category `json:"category"`
	Status     gridmap.Status   `json:"status"`
	GridCode   string           `json:"-"`
	ReportedAt time.Time        `json:"reported_at"`
	// DistanceM is the distance between the two cases in metres.
	DistanceM float64 `json:"distance_m"`
	// Link says how it is linked to the case asked about: "main" (the case
	// is its duplicate), "duplicate" (it is the case's duplicate), or ""
	// for a possible duplicate not linked.
	Link string `json:"link,omitempty"`
}
