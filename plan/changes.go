package plan

import (
	"fmt"
	"maps"
	"slices"

	"github.com/gridmap/gridmap"
)

// ReferencedCodes lists every code the changes name: grids touched, codes
// created and parents.
func ReferencedCodes(changes []gridmap.Change) []string {
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

// ReshapedCodes lists the grids the changes merge or split.
func ReshapedCodes(changes []gridmap.Change) []string {
	var out []string
	for i := range changes {
		switch c := &changes[i]; c.Kind {
		case gridmap.ChangeMerge:
			out = append(out, c.Codes...)
		case gridmap.ChangeSplit:
			out = append(out, c.Code)
		}
	}
	return out
}

// Conflicts compares the base versions of the changes with the current
// versions: every grid whose version moved on (or that was retired).
func Conflicts(changes []gridmap.Change, cur map[string]gridmap.Grid) []gridmap.Conflict {
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

func changeErr(i int, c *gridmap.Change, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &gridmap.Error{Code: gridmap.EINVALID, Message: fmt.Sprintf("changes[%d] (%s): %s", i, c.Kind, msg),
		Details: []gridmap.ItemError{{Index: i, Code: c.Code, Field: string(c.Kind), Message: msg}}}
}

// CheckChange checks the shape of change c, the plan's change i: its kind
// and the fields the kind needs. Errors: EINVALID naming changes[i], with
// a gridmap.ItemError as Details (but for an unknown kind).
func CheckChange(i int, c *gridmap.Change) error {
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
