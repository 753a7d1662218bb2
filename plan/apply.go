package plan

import (
	"fmt"
	"maps"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridmap/gridmap"
)

// Applied is the state of the map a plan's changes lead to, for the grids
// they touch. Build it with New, then Apply the changes in order. The
// exported fields are for reading (by postgis/, to load, check and write
// the result); only the methods change them. Not safe for concurrent use.
type Applied struct {
	Cur map[string]gridmap.Grid // current versions of the codes the plan names
	// State is the grid each touched or created code ends as; nil when
	// retired.
	State map[string]*gridmap.Grid
	Order []string // codes in State, first touched first
	// Dups are the codes the plan creates that are already grids
	// (ProblemDuplicateCode), for validation to report.
	Dups []gridmap.Problem
	// CurMembers are the people responsible for the current grids the plan
	// names; Members holds, for every code whose people the plan changes,
	// who they are after it (empty: moved away), and MembersFrom the codes
	// they came from.
	CurMembers  map[string][]gridmap.Member
	Members     map[string][]gridmap.Member
	MembersFrom map[string][]string
	// Interior holds a point inside each current child of a grid the plan
	// merges or splits, as PostGIS's ST_PointOnSurface puts it (the caller
	// loads them; a child without one gets PointOnSurface), and Reparented
	// the children the plan moves to the merged grid or the part that
	// holds them.
	Interior   map[string]orb.Point
	Reparented []gridmap.Reparented
}

// New returns the map before any change: cur are the current versions of
// the grids the plan names (ReferencedCodes, plus the children of the
// grids it reshapes), members the people responsible for them.
func New(cur map[string]gridmap.Grid, members []gridmap.Member) *Applied {
	a := &Applied{Cur: cur, State: map[string]*gridmap.Grid{},
		CurMembers: map[string][]gridmap.Member{}, Members: map[string][]gridmap.Member{}, MembersFrom: map[string][]string{},
		Interior: map[string]orb.Point{}}
	for _, m := range members {
		a.CurMembers[m.GridCode] = append(a.CurMembers[m.GridCode], m)
	}
	return a
}

// membersOf returns the people responsible for code at this point of the plan.
func (a *Applied) membersOf(code string) []gridmap.Member {
	if ms, ok := a.Members[code]; ok {
		return ms
	}
	return a.CurMembers[code]
}

// setMembers gives code the members ms (a draft's own list when it has
// one), recording the codes they come from.
func (a *Applied) setMembers(code string, d *gridmap.GridDraft, ms []gridmap.Member, from ...string) {
	if d != nil && d.Members != nil {
		ms, from = d.Members, nil
	}
	out := make([]gridmap.Member, 0, len(ms))
	seen := map[gridmap.Member]bool{}
	for _, m := range ms {
		m.GridCode = code
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	a.Members[code] = out
	a.MembersFrom[code] = from
}

// Live returns the grid code is at this point of the plan, or nil when it
// is not a grid (never was, or retired).
func (a *Applied) Live(code string) *gridmap.Grid {
	if g, ok := a.State[code]; ok {
		return g
	}
	if g, ok := a.Cur[code]; ok {
		return &g
	}
	return nil
}

// touch puts code into the state (from the current grid) before a change
// modifies it.
func (a *Applied) touch(code string) *gridmap.Grid {
	if g, ok := a.State[code]; ok {
		return g
	}
	g := a.Live(code)
	a.State[code] = g
	a.Order = append(a.Order, code)
	return g
}

// set gives code its state after a change.
func (a *Applied) set(code string, g *gridmap.Grid) {
	if _, ok := a.State[code]; !ok {
		a.Order = append(a.Order, code)
	}
	a.State[code] = g
}

// Planned returns the grids the plan leaves, in order, and the current
// codes it touches (changed or retired).
func (a *Applied) Planned() (grids []*gridmap.Grid, touched []string) {
	for _, code := range a.Order {
		if g := a.State[code]; g != nil {
			grids = append(grids, g)
		}
		if _, ok := a.Cur[code]; ok {
			touched = append(touched, code)
		}
	}
	return grids, touched
}

// FillBase completes c.Base with the version of each current grid c is
// the first change to touch, keeping versions a client sent; it returns
// the client's versions that are not current. Base entries for grids an
// earlier change touched are dropped: the first change holds them.
func (a *Applied) FillBase(c *gridmap.Change) []gridmap.Conflict {
	given := c.Base
	c.Base = nil
	var stale []gridmap.Conflict
	for _, code := range c.Touches() {
		if _, done := a.State[code]; done {
			continue
		}
		g, ok := a.Cur[code]
		if !ok {
			continue // CheckRefs reports it
		}
		v := g.Version
		if b, ok := given[code]; ok && b != v {
			stale = append(stale, gridmap.Conflict{Code: code, BaseVersion: b, CurrentVersion: v})
			v = b
		}
		if c.Base == nil {
			c.Base = map[string]int64{}
		}
		c.Base[code] = v
	}
	return stale
}

// CheckRefs checks, when a change is added, that the grids it names exist
// at that point of the plan, and that a new parent does.
func (a *Applied) CheckRefs(i int, c *gridmap.Change) error {
	for _, code := range c.Touches() {
		if a.Live(code) == nil {
			return changeErr(i, c, "%s is not a current grid (nor added earlier in this plan)", code)
		}
	}
	parents := []*string{c.Parent}
	if c.Grid != nil {
		parents = append(parents, c.Grid.Parent)
	}
	for k := range c.Into {
		parents = append(parents, c.Into[k].Parent)
	}
	for _, p := range parents {
		if p != nil && *p != "" && a.Live(*p) == nil {
			return changeErr(i, c, "the parent %s is not a current grid (nor added earlier in this plan)", *p)
		}
	}
	if c.Kind == gridmap.ChangeMove && c.Parent != nil && *c.Parent == c.Code {
		return changeErr(i, c, "a grid cannot be its own parent")
	}
	return nil
}

// fromDraft makes the grid a draft describes, its empty fields taken from
// like (the grid split or first merged), if any.
func fromDraft(d *gridmap.GridDraft, like *gridmap.Grid) *gridmap.Grid {
	g := &gridmap.Grid{}
	g.Code, g.Name, g.Level, g.Attributes, g.Boundary = d.Code, d.Name, d.Level, d.Attributes, d.Boundary
	if d.Parent != nil {
		g.Parent = *d.Parent
	}
	if like != nil {
		if g.Name == "" {
			g.Name = like.Name
		}
		if g.Level == "" {
			g.Level = like.Level
		}
		if d.Parent == nil {
			g.Parent = like.Parent
		}
		if g.Attributes == nil {
			g.Attributes = maps.Clone(like.Attributes)
		}
		if g.Boundary == nil {
			g.Boundary = like.Boundary
		}
	}
	if g.Attributes == nil {
		g.Attributes = map[string]any{}
	}
	return g
}

// create sets a grid the plan creates under a new code; a code that is
// already a grid is a duplicate, reported by validation.
func (a *Applied) create(i int, c *gridmap.Change, g *gridmap.Grid) {
	if a.Live(g.Code) != nil {
		a.Dups = append(a.Dups, gridmap.Problem{
			Kind: gridmap.ProblemDuplicateCode, Codes: []string{g.Code}, Level: g.Level,
			Message: fmt.Sprintf("changes[%d] (%s) creates grid %s, but %s is already a grid", i, c.Kind, g.Code, g.Code),
		})
		return
	}
	a.set(g.Code, g)
}

// Apply applies change c, the plan's change i (errors name it
// changes[i]): replace and move copy the grid with the fields set; add
// creates; split retires the grid (or keeps it as one part), creates the
// other parts from their drafts (empty fields from the grid split), gives
// them its people and each child to the part holding the child's point
// on surface; merge retires the grids merged, makes the result (fields
// from the first) with all their people and children; retire retires. A
// code created that is already a grid goes to Dups, not into the map.
// Errors: EINVALID when a grid it changes is not there at this point of
// the plan, or a merge has no boundary (AddChanges joins them first).
func (a *Applied) Apply(i int, c *gridmap.Change) error {
	for _, code := range c.Touches() {
		if a.Live(code) == nil {
			return changeErr(i, c, "%s is not a current grid (nor added earlier in this plan)", code)
		}
	}
	switch c.Kind {
	case gridmap.ChangeReplace:
		old := a.touch(c.Code)
		g := clone(old)
		if c.Name != nil {
			g.Name = *c.Name
		}
		if c.Attributes != nil {
			g.Attributes = c.Attributes
		}
		if c.Boundary != nil {
			g.Boundary = c.Boundary
		}
		a.State[c.Code] = g
	case gridmap.ChangeAdd:
		a.create(i, c, fromDraft(c.Grid, nil))
		if c.Grid.Members != nil {
			a.setMembers(c.Grid.Code, c.Grid, nil)
		}
	case gridmap.ChangeSplit:
		src := a.touch(c.Code)
		srcMembers := a.membersOf(c.Code)
		a.State[c.Code] = nil
		kept := false
		for k := range c.Into {
			d := &c.Into[k]
			part := fromDraft(d, src)
			if part.Code == c.Code {
				a.State[c.Code] = part
				kept = true
				if d.Members != nil {
					a.setMembers(c.Code, d, nil)
				}
			} else {
				a.create(i, c, part)
				a.setMembers(part.Code, d, srcMembers, c.Code)
			}
		}
		if !kept && len(srcMembers) > 0 {
			a.setMembers(c.Code, nil, nil) // moved to the parts
		}
		// Children go to the part that holds them; one in no part keeps
		// its parent, and validation reports it when that parent is gone.
		a.reparent(c.Code, func(child *gridmap.Grid) string {
			p, ok := a.interiorOf(child)
			if !ok {
				return c.Code
			}
			for k := range c.Into {
				if part := a.Live(c.Into[k].Code); part != nil && planar.MultiPolygonContains(part.Boundary, p) {
					return c.Into[k].Code
				}
			}
			return c.Code
		})
	case gridmap.ChangeMerge:
		first := a.Live(c.Codes[0])
		res := fromDraft(c.Grid, first)
		if c.Grid.Boundary == nil {
			return changeErr(i, c, "the merged grid has no boundary")
		}
		var ms []gridmap.Member
		for _, code := range c.Codes {
			ms = append(ms, a.membersOf(code)...)
		}
		for _, code := range c.Codes {
			a.touch(code)
			a.State[code] = nil
			if code != res.Code && len(a.membersOf(code)) > 0 {
				a.setMembers(code, nil, nil) // moved to the merged grid
			}
		}
		a.setMembers(res.Code, c.Grid, ms, c.Codes...)
		if slices.Contains(c.Codes, res.Code) {
			a.State[res.Code] = res
		} else {
			a.create(i, c, res)
		}
		for _, code := range c.Codes {
			if code != res.Code {
				a.reparent(code, func(*gridmap.Grid) string { return res.Code })
			}
		}
	case gridmap.ChangeRetire:
		a.touch(c.Code)
		a.State[c.Code] = nil
	case gridmap.ChangeMove:
		old := a.touch(c.Code)
		g := clone(old)
		g.Parent = *c.Parent
		a.State[c.Code] = g
	default:
		return changeErr(i, c, "unknown kind")
	}
	return nil
}

// reparent gives every grid whose parent is from (as the plan stands) the
// parent to(child) chooses, recording each move.
func (a *Applied) reparent(from string, to func(child *gridmap.Grid) string) {
	codes := slices.Collect(maps.Keys(a.Cur))
	for code := range a.State {
		if _, ok := a.Cur[code]; !ok {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	for _, code := range codes {
		g := a.Live(code)
		if g == nil || code == from || g.Parent != from {
			continue
		}
		np := to(g)
		if np == from {
			continue
		}
		old := a.touch(code)
		moved := clone(old)
		moved.Parent = np
		a.State[code] = moved
		a.Reparented = append(a.Reparented, gridmap.Reparented{Code: code, From: from, To: np})
	}
}

// interiorOf returns a point inside g: the one loaded for a current child
// (ST_PointOnSurface), else (a grid the plan reshaped) the same computed
// here, so the editor's preview, which does the same, agrees.
func (a *Applied) interiorOf(g *gridmap.Grid) (orb.Point, bool) {
	if cur, ok := a.Cur[g.Code]; ok && orb.Equal(cur.Boundary, g.Boundary) {
		if p, ok := a.Interior[g.Code]; ok {
			return p, true
		}
	}
	return PointOnSurface(g.Boundary)
}

// clone returns a copy of g for a change to modify.
func clone(g *gridmap.Grid) *gridmap.Grid {
	c := *g
	return &c
}
