package heat

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/gridmap/gridmap"
)

// earthRadius is the radius of EPSG:3857's sphere (WGS84's semi-major
// axis), in metres.
const earthRadius = 6378137.0

// Nearby is an incident Near found, with its distance in metres.
type Nearby struct {
	Row
	DistanceM float64
}

// Near returns the incidents matching f within radius metres of lon, lat
// (EPSG:4326 degrees), nearest first (ties: lower id first), for possible
// duplicates (issue 14). Distances are measured in EPSG:3857 scaled by
// the cosine of lat: within 0.4% of the ellipsoid's at these distances,
// a few centimetres at 50 m. The zone map skips blocks outside f's time
// window; every other row is tested against the radius's box in fixed
// point before any floating point. Lon and Lat of the rows are set.
func (a *Aggregate) Near(lon, lat, radius float64, f Filter) []Nearby {
	a.mu.RLock()
	defer a.mu.RUnlock()
	c := a.compile(f)
	if c.empty || !(radius >= 0) {
		return nil
	}
	cx, cy := worldFixed(lon, lat)
	// Metres per world unit (2³² of them around the world) at lat.
	perUnit := 2 * math.Pi * earthRadius * math.Cos(lat*math.Pi/180) / (1 << 32)
	if !(perUnit > 0) {
		return nil
	}
	box := uint64(math.Ceil(radius/perUnit)) + 1
	var out []Nearby
	for b := range a.bmin {
		if a.bmax[b] < c.lo || a.bmin[b] > c.hi {
			continue
		}
		for i := b * blockRows; i < min((b+1)*blockRows, len(a.ids)); i++ {
			dx, dy := absDiff(a.wx[i], cx), absDiff(a.wy[i], cy)
			if dx > box || dy > box {
				continue
			}
			if ti := a.t[i]; ti < c.lo || ti > c.hi || !c.catOK[a.cat[i]] || !c.stOK[a.st[i]] ||
				c.due && c.overdue(a.st[i], a.due[i]) != c.dueWant ||
				c.gridOK != nil && !c.gridOK[a.grid[i]+1] {
				continue
			}
			d := math.Hypot(float64(dx), float64(dy)) * perUnit
			if d > radius {
				continue
			}
			out = append(out, Nearby{Row: a.row(i), DistanceM: d})
		}
	}
	slices.SortFunc(out, func(p, q Nearby) int {
		if x := cmp.Compare(p.DistanceM, q.DistanceM); x != 0 {
			return x
		}
		return cmp.Compare(p.ID, q.ID)
	})
	return out
}

func absDiff(a, b uint32) uint64 {
	if a > b {
		return uint64(a - b)
	}
	return uint64(b - a)
}

// row returns row i in full, Lon and Lat from the fixed-point position.
// The read lock is held.
func (a *Aggregate) row(i int) Row {
	r := Row{ID: a.ids[i], ReportedAt: time.Unix(int64(a.t[i]), 0).UTC(), Status: gridmap.Statuses[a.st[i]]}
	if int(a.cat[i]) < len(a.cats) {
		r.Category = a.cats[a.cat[i]]
	}
	if d := a.due[i]; d != 0 {
		r.Deadline = time.Unix(int64(d), 0).UTC()
	}
	if g := a.grid[i]; g >= 0 {
		r.GridCode = a.codes[g]
	}
	x := (float64(a.wx[i]) + 0.5) / (1 << 32)
	y := (float64(a.wy[i]) + 0.5) / (1 << 32)
	r.Lon = (x - 0.5) * 360
	r.Lat = 90 - 360*math.Atan(math.Exp((y-0.5)*2*math.Pi))/math.Pi
	return r
}
