package intake

import (
	"cmp"
	"fmt"
	"iter"

	"github.com/gridmap/gridmap"
)

// scopedRows reads rows whole and checks each good one's grid with scope:
// when any is outside it, the batch is refused, EFORBIDDEN naming every
// such item; else it yields the rows read.
func scopedRows(rows iter.Seq2[gridmap.IncidentRow, error], scope func(string) error) (iter.Seq2[gridmap.IncidentRow, error], error) {
	type item struct {
		row gridmap.IncidentRow
		err error
	}
	var all []item
	var out []gridmap.ItemError
	var first error
	read := 0
	for row, err := range rows {
		all = append(all, item{row, err})
		read = max(read, row.Index+1)
		if err != nil {
			continue
		}
		if serr := scope(row.Incident.GridCode); serr != nil {
			first = cmp.Or(first, serr)
			out = append(out, gridmap.ItemError{Index: row.Index, Code: row.Incident.ExternalID, Message: gridmap.ErrorMessage(serr)})
		}
	}
	if len(out) > 0 {
		msg := gridmap.ErrorMessage(first)
		if read > 1 {
			msg = fmt.Sprintf("%d of %d incidents are outside the grid this token is scoped to; nothing was stored (errors names each): %s", len(out), read, msg)
		}
		return nil, &gridmap.Error{Code: gridmap.EFORBIDDEN, Message: msg, Details: out}
	}
	return func(yield func(gridmap.IncidentRow, error) bool) {
		for _, it := range all {
			if !yield(it.row, it.err) {
				return
			}
		}
	}, nil
}
