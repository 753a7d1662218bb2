// Package heat aggregates incidents in memory for the command centre's wall
// map: counts per grid by category, status and time window, time series,
// and density cells for heatmap vector tiles. It does no I/O: the caller
// loads it from the database and keeps it current from the change feed.
// Counts roll up the grid tree (ByLevel) through geo's tree queries; the
// tree is geo's, not heat's.
//
// An Aggregate holds, per incident, only what the aggregations need: id,
// time reported, deadline, grid, category, status and the location as
// EPSG:3857 world coordinates in 32-bit fixed point (about 1 cm at the
// equator). It holds no personal data, so nothing built from it can leak
// any. That is 30 bytes per incident in columns (one slice per field),
// about 30 MB per million incidents plus slice growth (see BENCHMARKS.md
// for the measured figure).
//
// Times are whole seconds since 1970 in 32 bits, so an Aggregate holds
// incidents reported from 1970 to 2106; callers refuse others at ingest.
// Deadlines are clamped to that range.
package heat

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/gridmap/gridmap"
)

// blockRows is the number of rows one zone-map entry covers. Rows are kept
// in id order, which is close to time order, so most blocks of a time
// window are either wholly inside it or wholly outside.
const blockRows = 4096

// Row is one incident as it enters the aggregate. Lon and Lat are EPSG:4326
// degrees; GridCode is "" for an incident outside every grid; Deadline is
// the zero time for an incident without one.
type Row struct {
	ID         int64
	ReportedAt time.Time
	Deadline   time.Time
	Category   gridmap.Category
	Status     gridmap.Status
	GridCode   string
	Lon, Lat   float64
}

// Change says what Apply did with one row.
type Change struct {
	Row Row
	// New is true for an incident the aggregate did not hold.
	New bool
	// Previous is the status before, for a row already held.
	Previous gridmap.Status
}

// Aggregate holds incidents for aggregation.
//
// It is safe for concurrent use: any number of readers (counts, series,
// tiles) run at once under a read lock; Apply takes the write lock for the
// short time it takes to add or update a batch of rows.
type Aggregate struct {
	mu   sync.RWMutex
	ids  []int64  // sorted ascending: rows are kept in id order
	t    []uint32 // reported_at, Unix seconds
	due  []uint32 // deadline, Unix seconds (at least 1); 0 for none
	grid []int32  // index into codes, -1 for none
	cat  []uint8  // index into cats
	st   []uint8  // gridmap.Status rank
	wx   []uint32 // EPSG:3857 x in [0, 1) × 2³², west to east
	wy   []uint32 // EPSG:3857 y in [0, 1) × 2³², north to south

	// Zone map: min and max of t per block of blockRows rows.
	bmin, bmax []uint32

	codes  []string
	codeIx map[string]int32
	cats   []gridmap.Category
	catIx  map[gridmap.Category]uint8

	// Block counts by grid (gridcounts.go), made by the counts that use
	// them, under cmu as those hold only the read lock.
	cmu     sync.Mutex
	bcounts []blockCount
}

// New returns an empty Aggregate.
func New() *Aggregate {
	return &Aggregate{codeIx: map[string]int32{}, catIx: map[gridmap.Category]uint8{}}
}

// Len returns the number of incidents held.
func (a *Aggregate) Len() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.ids)
}

// Bytes returns the bytes held by the aggregate's columns (capacity, so
// slice growth is included), excluding the small code dictionaries.
func (a *Aggregate) Bytes() int64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return int64(8*cap(a.ids) + 4*cap(a.t) + 4*cap(a.due) + 4*cap(a.grid) + cap(a.cat) + cap(a.st) +
		4*cap(a.wx) + 4*cap(a.wy) + 4*cap(a.bmin) + 4*cap(a.bmax))
}

// Grow makes room for n more rows, so a bulk load allocates once.
func (a *Aggregate) Grow(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = slices.Grow(a.ids, n)
	a.t = slices.Grow(a.t, n)
	a.due = slices.Grow(a.due, n)
	a.grid = slices.Grow(a.grid, n)
	a.cat = slices.Grow(a.cat, n)
	a.st = slices.Grow(a.st, n)
	a.wx = slices.Grow(a.wx, n)
	a.wy = slices.Grow(a.wy, n)
}

// Apply adds rows not held yet and updates those held (same ID), and
// reports what it did with each row, in order. A row whose status is not a
// gridmap.Status is held as reported.
func (a *Aggregate) Apply(rows []Row) []Change {
	a.mu.Lock()
	defer a.mu.Unlock()
	changes := make([]Change, len(rows))
	dirty := -1 // first block whose zone map must be rebuilt
	for k, r := range rows {
		changes[k].Row = r
		t := unixSeconds(r.ReportedAt)
		d := deadlineSeconds(r.Deadline)
		g := a.codeIndex(r.GridCode)
		c := a.catIndex(r.Category)
		st := uint8(max(0, r.Status.Rank()))
		x, y := worldFixed(r.Lon, r.Lat)
		n := len(a.ids)
		if n > 0 && r.ID > a.ids[n-1] || n == 0 {
			a.ids = append(a.ids, r.ID)
			a.t = append(a.t, t)
			a.due = append(a.due, d)
			a.grid = append(a.grid, g)
			a.cat = append(a.cat, c)
			a.st = append(a.st, st)
			a.wx = append(a.wx, x)
			a.wy = append(a.wy, y)
			if dirty < 0 {
				a.zoneAppend(t)
			}
			changes[k].New = true
			continue
		}
		i, found := slices.BinarySearch(a.ids, r.ID)
		if found {
			changes[k].Previous = gridmap.Statuses[a.st[i]]
			if a.t[i] != t && (dirty < 0 || i/blockRows < dirty) {
				dirty = i / blockRows
			}
			if a.grid[i] != g {
				a.regrid(i, a.grid[i], g)
			}
			a.t[i], a.due[i], a.grid[i], a.cat[i], a.st[i], a.wx[i], a.wy[i] = t, d, g, c, st, x, y
			continue
		}
		// An id older than the newest held: another instance's insert that
		// committed late. Rare, and near the end, so the shift is short.
		a.ids = slices.Insert(a.ids, i, r.ID)
		a.t = slices.Insert(a.t, i, t)
		a.due = slices.Insert(a.due, i, d)
		a.grid = slices.Insert(a.grid, i, g)
		a.cat = slices.Insert(a.cat, i, c)
		a.st = slices.Insert(a.st, i, st)
		a.wx = slices.Insert(a.wx, i, x)
		a.wy = slices.Insert(a.wy, i, y)
		if dirty < 0 || i/blockRows < dirty {
			dirty = i / blockRows
		}
		changes[k].New = true
	}
	if dirty >= 0 {
		a.zoneRebuild(dirty)
	}
	return changes
}

func (a *Aggregate) codeIndex(code string) int32 {
	if code == "" {
		return -1
	}
	i, ok := a.codeIx[code]
	if !ok {
		i = int32(len(a.codes))
		a.codes = append(a.codes, code)
		a.codeIx[code] = i
	}
	return i
}

func (a *Aggregate) catIndex(c gridmap.Category) uint8 {
	i, ok := a.catIx[c]
	if !ok {
		if len(a.cats) == 255 {
			// 255 categories is far beyond any city's list; fold the rest.
			return 254
		}
		i = uint8(len(a.cats))
		a.cats = append(a.cats, c)
		a.catIx[c] = i
	}
	return i
}

// zoneAppend extends the zone map with the row just appended.
func (a *Aggregate) zoneAppend(t uint32) {
	b := (len(a.ids) - 1) / blockRows
	if b == len(a.bmin) {
		a.bmin = append(a.bmin, t)
		a.bmax = append(a.bmax, t)
		return
	}
	a.bmin[b] = min(a.bmin[b], t)
	a.bmax[b] = max(a.bmax[b], t)
}

// zoneRebuild recomputes the zone map from block b on.
func (a *Aggregate) zoneRebuild(b int) {
	a.bmin, a.bmax = a.bmin[:b], a.bmax[:b]
	for start := b * blockRows; start < len(a.t); start += blockRows {
		end := min(start+blockRows, len(a.t))
		lo, hi := uint32(math.MaxUint32), uint32(0)
		for _, t := range a.t[start:end] {
			lo, hi = min(lo, t), max(hi, t)
		}
		a.bmin = append(a.bmin, lo)
		a.bmax = append(a.bmax, hi)
	}
}

// unixSeconds returns t as whole Unix seconds (rounded down), clamped to
// the uint32 range.
func unixSeconds(t time.Time) uint32 {
	s := t.Unix()
	return uint32(max(0, min(s, math.MaxUint32)))
}

// deadlineSeconds returns a deadline as Unix seconds (rounded down) in
// [1, MaxUint32], or 0 for none (the zero time).
func deadlineSeconds(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	return uint32(max(1, min(t.Unix(), math.MaxUint32)))
}

// maxLat is where EPSG:3857 ends, in degrees.
const maxLat = 85.05112877980659

// worldFixed projects lon, lat (EPSG:4326 degrees) to EPSG:3857 world
// coordinates scaled to [0, 2³²), y pointing south.
func worldFixed(lon, lat float64) (uint32, uint32) {
	lat = max(-maxLat, min(maxLat, lat))
	sin := math.Sin(lat * math.Pi / 180)
	x := lon/360 + 0.5
	y := 0.5 - math.Log((1+sin)/(1-sin))/(4*math.Pi)
	return fixed(x), fixed(y)
}

func fixed(f float64) uint32 {
	v := math.Floor(f * (1 << 32))
	if !(v >= 0) { // also NaN
		return 0
	}
	if v > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(v)
}

// Filter selects the incidents an aggregation counts. Zero values select
// everything.
type Filter struct {
	Categories []gridmap.Category // nil for all
	Statuses   []gridmap.Status   // nil for all
	// From and To bound the time reported: From ≤ reported_at < To. Zero
	// times are unbounded.
	From, To time.Time
	// Grids, when non-nil, keeps only incidents assigned to these grid
	// codes (see Descendants); unassigned incidents are then left out.
	Grids []string
	// Overdue, when non-nil, keeps only overdue (true) or only not overdue
	// (false) incidents as of Now: overdue is open (gridmap.Status.Open)
	// with a deadline before Now, as gridmap.Incident.Overdue says. A zero
	// Now is the time of the call.
	Overdue *bool
	Now     time.Time
}

// compiled is a Filter turned into lookups for the scan loops. Callers
// hold the read lock.
type compiled struct {
	catOK  [256]bool
	stOK   [256]bool
	lo, hi uint32 // inclusive bounds on t
	empty  bool
	gridOK []bool // by grid index + 1; nil for all

	// The overdue filter, when due: a row is overdue when openSt[st] and
	// due-1 <= dueMax (a deadline of 0, none, wraps to MaxUint32 and never
	// is); rows whose overdue-ness is not dueWant are left out.
	due     bool
	dueWant bool
	dueMax  uint32
	openSt  [256]bool
}

func (a *Aggregate) compile(f Filter) *compiled {
	c := &compiled{lo: 0, hi: math.MaxUint32}
	if f.Categories == nil {
		for i := range c.catOK {
			c.catOK[i] = true
		}
	} else {
		for _, cat := range f.Categories {
			if i, ok := a.catIx[cat]; ok {
				c.catOK[i] = true
			}
		}
	}
	if f.Statuses == nil {
		for i := range c.stOK {
			c.stOK[i] = true
		}
	} else {
		for _, s := range f.Statuses {
			if r := s.Rank(); r >= 0 {
				c.stOK[r] = true
			}
		}
	}
	if !f.From.IsZero() {
		s := ceilSeconds(f.From)
		if s > math.MaxUint32 {
			c.empty = true
		}
		c.lo = uint32(max(0, min(s, math.MaxUint32)))
	}
	if !f.To.IsZero() {
		s := ceilSeconds(f.To) - 1 // t < To ⇔ t ≤ ceil(To) - 1 for whole seconds
		if s < 0 {
			c.empty = true
		}
		c.hi = uint32(max(0, min(s, math.MaxUint32)))
	}
	if c.lo > c.hi {
		c.empty = true
	}
	if f.Overdue != nil {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		// A deadline d in whole seconds is before now ⇔ d < ceil(now) ⇔
		// d-1 <= ceil(now)-2.
		m := ceilSeconds(now) - 2
		switch {
		case m < 0: // nothing is overdue
			if *f.Overdue {
				c.empty = true
			}
		default:
			c.due, c.dueWant = true, *f.Overdue
			c.dueMax = uint32(min(m, math.MaxUint32-1))
			for _, s := range gridmap.Statuses {
				if s.Open() {
					c.openSt[s.Rank()] = true
				}
			}
		}
	}
	if f.Grids != nil {
		c.gridOK = make([]bool, len(a.codes)+1)
		for _, code := range f.Grids {
			if i, ok := a.codeIx[code]; ok {
				c.gridOK[i+1] = true
			}
		}
	}
	return c
}

// overdue reports whether a row of status rank st and deadline d is
// overdue under c's reference time.
func (c *compiled) overdue(st uint8, d uint32) bool {
	return c.openSt[st] && d-1 <= c.dueMax
}

func ceilSeconds(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// blocks calls fn for each block range [start, end) whose times may meet
// c's window.
func (a *Aggregate) blocks(c *compiled, fn func(start, end int)) {
	if c.empty {
		return
	}
	for b := range a.bmin {
		if a.bmax[b] < c.lo || a.bmin[b] > c.hi {
			continue
		}
		fn(b*blockRows, min((b+1)*blockRows, len(a.ids)))
	}
}

// GridCounts is the result of CountByGrid.
type GridCounts struct {
	// ByCode counts incidents by the grid they are assigned to (the
	// deepest grid containing them); grids with none are absent.
	ByCode map[string]int
	// Unassigned counts matching incidents outside every grid.
	Unassigned int
	// Total counts all matching incidents.
	Total int
}

// CountByGrid counts the incidents matching f by assigned grid.
func (a *Aggregate) CountByGrid(f Filter) GridCounts {
	v := a.CountVector(f)
	res := GridCounts{ByCode: map[string]int{}, Unassigned: v.Unassigned, Total: v.Total}
	for i, n := range v.Counts {
		if n != 0 {
			res.ByCode[v.Codes[i]] = n
		}
	}
	return res
}

// FromIncident returns the row of an incident.
func FromIncident(in *gridmap.Incident) Row {
	r := Row{ID: in.ID, ReportedAt: in.ReportedAt, Category: in.Category, Status: in.Status,
		GridCode: in.GridCode, Lon: in.Location[0], Lat: in.Location[1]}
	if in.Deadline != nil {
		r.Deadline = *in.Deadline
	}
	return r
}
