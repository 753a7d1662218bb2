package gridio

import (
	"sort"

	"github.com/gridmap/gridmap"
)

// rowText finds text in a row that may not be stored (gridmap.TextProblem):
// the code, name and parent are lines of at most gridmap.MaxName
// characters, the attributes as gridmap.CheckJSONText. It returns the bad
// field, as name (the file's name for "code", "name", "parent" or an
// attribute key) says it, and the problem; "" when the row is fine.
func rowText(row *gridmap.GridRow, name func(field string) string) (field, problem string) {
	for _, f := range []struct{ field, v string }{{"code", row.Code}, {"name", row.Name}, {"parent", row.Parent}} {
		if p := gridmap.TextProblem(f.v, gridmap.MaxName, false); p != "" {
			return name(f.field), p
		}
	}
	keys := make([]string, 0, len(row.Attributes))
	for k := range row.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same field named every time
	for _, k := range keys {
		if p := gridmap.TextProblem(k, gridmap.MaxName, false); p != "" {
			return name(""), "has a property name that " + p
		}
		switch v := row.Attributes[k].(type) {
		case string:
			if p := gridmap.TextProblem(v, gridmap.MaxText, true); p != "" {
				return name(k), p
			}
		default:
			if err := gridmap.CheckJSONText(name(k), v); err != nil {
				return name(k), gridmap.ErrorMessage(err)
			}
		}
	}
	return "", ""
}
