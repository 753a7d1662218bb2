package caseflow

// Labels are the Chinese and English names of a status, a step, a role or
// a revisit's answer, as people read them.
type Labels struct {
	Zh, En string
}

var statusLabels = map[Status]Labels{
	StatusReported:   {"待立案", "Reported"},
	StatusRejected:   {"不予立案", "Rejected"},
	StatusRegistered: {"已立案", "Registered"},
	StatusDispatched: {"已派遣", "Dispatched"},
	StatusInProgress: {"处置中", "In progress"},
	StatusResolved:   {"已处置", "Resolved"},
	StatusReviewed:   {"已会审", "Reviewed"},
	StatusReplied:    {"已答复", "Replied"},
	StatusRevisited:  {"已回访", "Revisited"},
	StatusClosed:     {"已结案", "Closed"},
}

var stepLabels = map[Kind]Labels{
	StepRegister:    {"立案", "Register"},
	StepReject:      {"不予立案", "Reject"},
	StepDispatch:    {"派遣", "Dispatch"},
	StepInvestigate: {"调查", "Investigate"},
	StepConsult:     {"会商", "Consult"},
	StepSupervise:   {"督办", "Supervise"},
	StepResolve:     {"处置", "Resolve"},
	StepReview:      {"会审", "Review"},
	StepReply:       {"答复", "Reply"},
	StepRevisit:     {"回访", "Revisit"},
	StepClose:       {"结案", "Close"},
}

var roleLabels = map[Role]Labels{
	RoleAdmin:      {"管理员", "Admin"},
	RoleDispatcher: {"指挥中心", "Command centre"},
	RoleDepartment: {"职能部门", "Department"},
	RoleReporter:   {"网格员", "Grid worker"},
	RoleViewer:     {"查看", "Viewer"},
	RoleSystem:     {"系统", "System"},
}

var satisfactionLabels = map[Satisfaction]Labels{
	Satisfied:          {"满意", "Satisfied"},
	BasicallySatisfied: {"基本满意", "Basically satisfied"},
	NotSatisfied:       {"不满意", "Not satisfied"},
}

// Labels returns the status's names.
func (s Status) Labels() Labels { return statusLabels[s] }

// LabelZh returns the status's Chinese name.
func (s Status) LabelZh() string { return statusLabels[s].Zh }

// Labels returns the step's names.
func (k Kind) Labels() Labels { return stepLabels[k] }

// Labels returns the role's names.
func (r Role) Labels() Labels { return roleLabels[r] }

// Labels returns the answer's names.
func (s Satisfaction) Labels() Labels { return satisfactionLabels[s] }

// Department is one row of the department table: a code (what a dispatch
// step and a department token name), its names and its kind (command,
// office, station, team, partner).
type Department struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Kind   string `json:"kind"`
}
