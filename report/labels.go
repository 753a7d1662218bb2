package report

import "github.com/gridmap/gridmap"

// Chinese labels of what the documents print. Categories come from the
// category table (the caller's Labels), since a city may add its own.
var (
	sourceZh = map[string]string{
		string(gridmap.SourceHotline): "12345热线", string(gridmap.SourceVisit): "群众来访",
		string(gridmap.SourceGridWorker): "网格员上报", string(gridmap.SourceOther): "其他",
	}
	statusZh = map[string]string{
		string(gridmap.StatusReported): "上报", string(gridmap.StatusAccepted): "受理", string(gridmap.StatusInProgress): "办理中",
		string(gridmap.StatusResolved): "办结", string(gridmap.StatusReplied): "答复", string(gridmap.StatusClosed): "归档",
	}
	reasonZh = map[string]string{
		"dispute": "矛盾纠纷", "petition": "信访", "supervised": "督办", "overdue": "超期",
		"consult": "会商", "old_petition": "信访积案",
	}
	roleZh = map[string]string{
		"department": "职能部门", "legal_adviser": "法律顾问", "police_assistant": "警务助理",
	}
)

// Labels are the names a document prints for codes the report package
// does not own: categories (the category table's label_zh) and
// departments (their names), by code. A code without a label prints as is.
type Labels struct {
	Categories  map[string]string
	Departments map[string]string
}

func label(m map[string]string, code string) string {
	if s, ok := m[code]; ok && s != "" {
		return s
	}
	return code
}

func (l Labels) category(c string) string   { return label(l.Categories, c) }
func (l Labels) department(d string) string { return label(l.Departments, d) }

func reasonsZh(rs []string) string {
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += "、"
		}
		out += label(reasonZh, r)
	}
	return out
}
