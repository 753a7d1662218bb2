package postgis

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridmap/gridmap"
)

// Applying a plan: its changes, in order, turn the current versions of the
// grids they touch into the grids the plan leaves (or retires). This runs
// in Go on the few grids a plan names; the topology checks then run in
// PostGIS on the result (topology.go).

// referencedCodes lists every code the changes name: grids touched, codes
// created and parents.
func referencedCodes(changes []gridmap.Change) []string {
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" {
			seen[s] = true
		}
	}
	draft := func(d *gridmap.GridDraft) {
		add(d.Code)
		if d.Parent != nil {
			add(*d.Parent)
		}
	}
	for i := range changes {
		c := &changes[i]
		add(c.Code)
		for _, s := range c.Codes {
			add(s)
		}
		if c.Parent != nil {
			add(*c.Parent)
		}
		if c.Grid != nil {
			draft(c.Grid)
		}
		for k := range c.Into {
			draft(&c.Into[k])
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

const currentByCodeSQL = `
SELECT ` + gridColumns + `
FROM grid_version v JOIN grid g ON g.id = v.grid_id
WHERE v.valid_to IS NULL AND v.code = ANY($1)
ORDER BY v.code`

// currentGrids returns the current versions of codes (those that have
// one), by code; forUpdate locks them until the transaction ends.
func currentGrids(ctx context.Context, q querier, codes []string, forUpdate bool) (map[string]gridmap.Grid, error) {
	sql := currentByCodeSQL
	if forUpdate {
		sql += ` FOR UPDATE OF v`
	}
	rows, err := q.Query(ctx, sql, codes)
	if err != nil {
		return nil, mapErr(err, "grids")
	}
	defer rows.Close()
	out := make(map[string]gridmap.Grid, len(codes))
	for rows.Next() {
		g, err := scanGrid(rows)
		if err != nil {
			return nil, err
		}
		out[g.Code] = g
	}
	return out, mapErr(rows.Err(), "grids")
}

// conflicts compares the base versions of the changes with the current
// versions: every grid whose version moved on (or that was retired).
func conflicts(changes []gridmap.Change, cur map[string]gridmap.Grid) []gridmap.Conflict {
	seen := map[string]bool{}
	var out []gridmap.Conflict
	for i := range changes {
		for _, code := range slices.Sorted(maps.Keys(changes[i].Base)) {
			base := changes[i].Base[code]
			if seen[code] {
				continue
			}
			seen[code] = true
			if g, ok := cur[code]; !ok || g.Version != base {
				out = append(out, gridmap.Conflict{Code: code, BaseVersion: base, CurrentVersion: g.Version})
			}
		}
	}
	return out
}

// planGrid is a grid as the plan leaves it.
type planGrid struct {
	gridmap.Grid
}

// applied is the state of the map a plan's changes lead to, for the grids
// they touch.
type applied struct {
	cur map[string]gridmap.Grid // current versions of the codes the plan names
	// state is the grid each touched or created code ends as; nil when
	// retired.
	state map[string]*planGrid
	order []string         // codes in state, first touched first
	base  map[string]int64 // current grids touched → version drafted against
	dups  []gridmap.Problem
	// curMembers are the people responsible for the current grids the plan
	// names; members holds, for every code whose people the plan changes,
	// who they are after it (empty: moved away), and membersFrom the codes
	// they came from.
	curMembers  map[string][]gridmap.Member
	members     map[string][]gridmap.Member
	membersFrom map[string][]string
	// interior holds a point inside each current child of a grid the plan
	// merges or splits (prepare loads them), and reparented the children
	// the plan moves to the merged grid or the part that holds them.
	interior   map[string]orb.Point
	reparented []gridmap.Reparented
}

func newApplied(cur map[string]gridmap.Grid, members []gridmap.Member) *applied {
	a := &applied{cur: cur, state: map[string]*planGrid{}, base: map[string]int64{},
		curMembers: map[string][]gridmap.Member{}, members: map[string][]gridmap.Member{}, membersFrom: map[string][]string{},
		interior: map[string]orb.Point{}}
	for _, m := range members {
		a.curMembers[m.GridCode] = append(a.curMembers[m.GridCode], m)
	}
	return a
}

// membersOf returns the people responsible for code at this point of the plan.
func (a *applied) membersOf(code string) []gridmap.Member {
	if ms, ok := a.members[code]; ok {
		return ms
	}
	return a.curMembers[code]
}

// setMembers gives code the members ms (a draft's own list when it has
// one), recording the codes they come from.
func (a *applied) setMembers(code string, d *gridmap.GridDraft, ms []gridmap.Member, from ...string) {
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
	a.members[code] = out
	a.membersFrom[code] = from
}

// live returns the grid code is at this point of the plan, or nil when it
// is not a grid (never was, or retired).
func (a *applied) live(code string) *planGrid {
	if g, ok := a.state[code]; ok {
		return g
	}
	if g, ok := a.cur[code]; ok {
		return &planGrid{Grid: g}
	}
	return nil
}

// touch puts code into the state (from the current grid) before a change
// modifies it.
func (a *applied) touch(code string) *planGrid {
	if g, ok := a.state[code]; ok {
		return g
	}
	g := a.live(code)
	a.state[code] = g
	a.order = append(a.order, code)
	if c, ok := a.cur[code]; ok {
		a.base[code] = c.Version
	}
	return g
}

// set gives code its state after a change.
func (a *applied) set(code string, g *planGrid) {
	if _, ok := a.state[code]; !ok {
		a.order = append(a.order, code)
		if c, ok := a.cur[code]; ok {
			a.base[code] = c.Version
		}
	}
	a.state[code] = g
}

// planned returns the grids the plan leaves, in order, and the current
// codes it touches (changed or retired).
func (a *applied) planned() (grids []*planGrid, touched []string) {
	for _, code := range a.order {
		if g := a.state[code]; g != nil {
			grids = append(grids, g)
		}
		if _, ok := a.cur[code]; ok {
			touched = append(touched, code)
		}
	}
	return grids, touched
}

func changeErr(i int, c *gridmap.Change, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &gridmap.Error{Code: gridmap.EINVALID, Message: fmt.Sprintf("changes[%d] (%s): %s", i, c.Kind, msg),
		Details: []gridmap.ItemError{{Index: i, Code: c.Code, Field: string(c.Kind), Message: msg}}}
}

// checkChange checks the shape of a change: its kind and the fields the
// kind needs.
func checkChange(i int, c *gridmap.Change) error {
	need := func(ok bool, what string) error {
		if !ok {
			return changeErr(i, c, "%s", what)
		}
		return nil
	}
	checkDraft := func(d *gridmap.GridDraft, what string, needBoundary bool) error {
		if d.Code == "" {
			return changeErr(i, c, "%s needs a code", what)
		}
		if needBoundary && d.Boundary == nil {
			return changeErr(i, c, "%s %s needs a boundary", what, d.Code)
		}
		for k, m := range d.Members {
			if !slices.Contains(gridmap.MemberRoles, m.Role) || m.Name == "" {
				return changeErr(i, c, "%s %s: members[%d] needs a name and a role, one of %v", what, d.Code, k, gridmap.MemberRoles)
			}
		}
		return nil
	}
	switch c.Kind {
	case gridmap.ChangeReplace:
		if err := need(c.Code != "", "replace needs the code of the grid to change"); err != nil {
			return err
		}
		return need(c.Name != nil || c.Attributes != nil || c.Boundary != nil, "replace needs a name, attributes or a boundary to set")
	case gridmap.ChangeAdd:
		if err := need(c.Grid != nil, `add needs the "grid" to add`); err != nil {
			return err
		}
		if err := checkDraft(c.Grid, "the added grid", true); err != nil {
			return err
		}
		return need(c.Grid.Level != "", "the added grid needs a level")
	case gridmap.ChangeSplit:
		if err := need(c.Code != "", "split needs the code of the grid to split"); err != nil {
			return err
		}
		if err := need(len(c.Into) >= 2, `split needs at least two parts in "into"`); err != nil {
			return err
		}
		seen := map[string]bool{}
		for k := range c.Into {
			if err := checkDraft(&c.Into[k], fmt.Sprintf("into[%d]", k), true); err != nil {
				return err
			}
			if seen[c.Into[k].Code] {
				return changeErr(i, c, "the code %s is given to two parts", c.Into[k].Code)
			}
			seen[c.Into[k].Code] = true
		}
	case gridmap.ChangeMerge:
		if err := need(len(c.Codes) >= 2, `merge needs at least two grids in "codes"`); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, s := range c.Codes {
			if seen[s] {
				return changeErr(i, c, "%s is named twice in codes", s)
			}
			seen[s] = true
		}
		if err := need(c.Grid != nil, `merge needs the resulting "grid" (at least its code)`); err != nil {
			return err
		}
		return checkDraft(c.Grid, "the merged grid", false)
	case gridmap.ChangeRetire:
		return need(c.Code != "", "retire needs the code of the grid to retire")
	case gridmap.ChangeMove:
		if err := need(c.Code != "", "move needs the code of the grid to move"); err != nil {
			return err
		}
		return need(c.Parent != nil, `move needs the new "parent" ("" for none)`)
	default:
		return &gridmap.Error{Code: gridmap.EINVALID,
			Message: fmt.Sprintf("changes[%d]: kind %q is not one of %v", i, c.Kind, gridmap.ChangeKinds)}
	}
	return nil
}

// fillBase completes c.Base with the version of each current grid c is
// the first change to touch, keeping versions a client sent; it returns
// the client's versions that are not current. Base entries for grids an
// earlier change touched are dropped: the first change holds them.
func (a *applied) fillBase(c *gridmap.Change) []gridmap.Conflict {
	given := c.Base
	c.Base = nil
	var stale []gridmap.Conflict
	for _, code := range c.Touches() {
		if _, done := a.state[code]; done {
			continue
		}
		g, ok := a.cur[code]
		if !ok {
			continue // checkRefs reports it
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

// checkRefs checks, when a change is added, that the grids it names exist
// at that point of the plan, and that a new parent does.
func (a *applied) checkRefs(i int, c *gridmap.Change) error {
	for _, code := range c.Touches() {
		if a.live(code) == nil {
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
		if p != nil && *p != "" && a.live(*p) == nil {
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
func fromDraft(d *gridmap.GridDraft, like *planGrid) *planGrid {
	g := &planGrid{}
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
func (a *applied) create(i int, c *gridmap.Change, g *planGrid) {
	if a.live(g.Code) != nil {
		a.dups = append(a.dups, gridmap.Problem{
			Kind: gridmap.ProblemDuplicateCode, Codes: []string{g.Code}, Level: g.Level,
			Message: fmt.Sprintf("changes[%d] (%s) creates grid %s, but %s is already a grid", i, c.Kind, g.Code, g.Code),
		})
		return
	}
	a.set(g.Code, g)
}

// apply applies change i. Its errors are EINVALID: a grid it changes is
// not there.
func (a *applied) apply(i int, c *gridmap.Change) error {
	for _, code := range c.Touches() {
		if a.live(code) == nil {
			return changeErr(i, c, "%s is not a current grid (nor added earlier in this plan)", code)
		}
	}
	switch c.Kind {
	case gridmap.ChangeReplace:
		old := a.touch(c.Code)
		g := &planGrid{Grid: old.Grid}
		if c.Name != nil {
			g.Name = *c.Name
		}
		if c.Attributes != nil {
			g.Attributes = c.Attributes
		}
		if c.Boundary != nil {
			g.Boundary = c.Boundary
		}
		a.state[c.Code] = g
	case gridmap.ChangeAdd:
		a.create(i, c, fromDraft(c.Grid, nil))
		if c.Grid.Members != nil {
			a.setMembers(c.Grid.Code, c.Grid, nil)
		}
	case gridmap.ChangeSplit:
		src := a.touch(c.Code)
		srcMembers := a.membersOf(c.Code)
		a.state[c.Code] = nil
		kept := false
		for k := range c.Into {
			d := &c.Into[k]
			part := fromDraft(d, src)
			if part.Code == c.Code {
				a.state[c.Code] = part
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
		a.reparent(c.Code, func(child *planGrid) string {
			p, ok := a.interiorOf(child)
			if !ok {
				return c.Code
			}
			for k := range c.Into {
				if part := a.live(c.Into[k].Code); part != nil && planar.MultiPolygonContains(part.Boundary, p) {
					return c.Into[k].Code
				}
			}
			return c.Code
		})
	case gridmap.ChangeMerge:
		first := a.live(c.Codes[0])
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
			a.state[code] = nil
			if code != res.Code && len(a.membersOf(code)) > 0 {
				a.setMembers(code, nil, nil) // moved to the merged grid
			}
		}
		a.setMembers(res.Code, c.Grid, ms, c.Codes...)
		if slices.Contains(c.Codes, res.Code) {
			a.state[res.Code] = res
		} else {
			a.create(i, c, res)
		}
		for _, code := range c.Codes {
			if code != res.Code {
				a.reparent(code, func(*planGrid) string { return res.Code })
			}
		}
	case gridmap.ChangeRetire:
		a.touch(c.Code)
		a.state[c.Code] = nil
	case gridmap.ChangeMove:
		old := a.touch(c.Code)
		g := &planGrid{Grid: old.Grid}
		g.Parent = *c.Parent
		a.state[c.Code] = g
	default:
		return changeErr(i, c, "unknown kind")
	}
	return nil
}

// reparent gives every grid whose parent is from (as the plan stands) the
// parent to(child) chooses, recording each move.
func (a *applied) reparent(from string, to func(child *planGrid) string) {
	codes := slices.Collect(maps.Keys(a.cur))
	for code := range a.state {
		if _, ok := a.cur[code]; !ok {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	for _, code := range codes {
		g := a.live(code)
		if g == nil || code == from || g.Parent != from {
			continue
		}
		np := to(g)
		if np == from {
			continue
		}
		old := a.touch(code)
		moved := &planGrid{Grid: old.Grid}
		moved.Parent = np
		a.state[code] = moved
		a.reparented = append(a.reparented, gridmap.Reparented{Code: code, From: from, To: np})
	}
}

// interiorOf returns a point inside g: the one loaded for a current child
// (ST_PointOnSurface), else (a grid the plan reshaped) the same computed
// here, so the editor's preview, which does the same, agrees.
func (a *applied) interiorOf(g *planGrid) (orb.Point, bool) {
	if cur, ok := a.cur[g.Code]; ok && orb.Equal(cur.Boundary, g.Boundary) {
		if p, ok := a.interior[g.Code]; ok {
			return p, true
		}
	}
	return pointOnSurface(g.Boundary)
}

// pointOnSurface returns a point inside mp as GEOS's InteriorPointArea
// (PostGIS ST_PointOnSurface) finds it: on a horizontal line through the
// middle of each polygon, placed between vertex ordinates, the midpoint of
// the widest stretch inside; false for no area.
func pointOnSurface(mp orb.MultiPolygon) (orb.Point, bool) {
	var best orb.Point
	width := 0.0
	var xs []float64
	for _, poly := range mp {
		if len(poly) == 0 {
			continue
		}
		b := poly.Bound()
		mid := (b.Min[1] + b.Max[1]) / 2
		lo, hi := b.Min[1], b.Max[1]
		for _, r := range poly {
			for _, p := range r {
				if p[1] <= mid && p[1] > lo {
					lo = p[1]
				}
				if p[1] > mid && p[1] < hi {
					hi = p[1]
				}
			}
		}
		y := (lo + hi) / 2
		xs = xs[:0]
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				p, q := r[i], r[i+1]
				if (p[1] > y) != (q[1] > y) {
					xs = append(xs, p[0]+(y-p[1])*(q[0]-p[0])/(q[1]-p[1]))
				}
			}
		}
		slices.Sort(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			if w := xs[i+1] - xs[i]; w > width {
				width, best = w, orb.Point{(xs[i] + xs[i+1]) / 2, y}
			}
		}
	}
	return best, width > 0
}

// unionSQL joins boundaries into one MultiPolygon, exterior rings
// counter-clockwise.
const unionSQL = `
SELECT ST_AsBinary(ST_Multi(ST_ForcePolygonCCW(ST_CollectionExtract(
    ST_Union(ARRAY(SELECT ST_SetSRID(ST_GeomFromWKB(w), 4326) FROM unnest($1::bytea[]) w)), 3))))`

// unionOf returns the union of the boundaries codes have at this point of
// the plan. Errors: EINVALID when they cannot be joined (invalid input).
func unionOf(ctx context.Context, tx pgx.Tx, a *applied, codes []string) (orb.MultiPolygon, error) {
	wkbs := make([][]byte, 0, len(codes))
	for _, code := range codes {
		g := a.live(code)
		if g == nil {
			return nil, gridmap.Errorf(gridmap.EINVALID, "merge: %s is not a current grid", code)
		}
		b, err := toWKB(g.Boundary)
		if err != nil {
			return nil, err
		}
		wkbs = append(wkbs, b)
	}
	// A savepoint, so a GEOS error on bad input does not end the transaction.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer sp.Rollback(ctx)
	var out []byte
	if err := sp.QueryRow(ctx, unionSQL, wkbs).Scan(&out); err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "merge: the boundaries of %v cannot be joined (is one invalid?); send the merged boundary", codes)
	}
	if err := sp.Commit(ctx); err != nil {
		return nil, err
	}
	return multiPolygonFromWKB(out)
}
