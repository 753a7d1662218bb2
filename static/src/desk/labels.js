// The names of the case loop's statuses, steps, roles and revisit answers,
// Chinese and English, as caseflow/labels.go has them (in loop order).
// static/test/unit/desk-labels.test.mjs checks them against
// caseflow/testdata/labels.json, which a Go test keeps equal to the Go
// tables: one set of names for the page and the rules.

export const STATUSES = [
  { name: 'reported', zh: '待立案', en: 'Reported' },
  { name: 'rejected', zh: '不予立案', en: 'Rejected' },
  { name: 'registered', zh: '已立案', en: 'Registered' },
  { name: 'dispatched', zh: '已派遣', en: 'Dispatched' },
  { name: 'in_progress', zh: '处置中', en: 'In progress' },
  { name: 'resolved', zh: '已处置', en: 'Resolved' },
  { name: 'reviewed', zh: '已会审', en: 'Reviewed' },
  { name: 'replied', zh: '已答复', en: 'Replied' },
  { name: 'revisited', zh: '已回访', en: 'Revisited' },
  { name: 'closed', zh: '已结案', en: 'Closed' },
];

export const STEPS = [
  { name: 'register', zh: '立案', en: 'Register' },
  { name: 'reject', zh: '不予立案', en: 'Reject' },
  { name: 'dispatch', zh: '派遣', en: 'Dispatch' },
  { name: 'investigate', zh: '调查', en: 'Investigate' },
  { name: 'consult', zh: '会商', en: 'Consult' },
  { name: 'supervise', zh: '督办', en: 'Supervise' },
  { name: 'resolve', zh: '处置', en: 'Resolve' },
  { name: 'review', zh: '会审', en: 'Review' },
  { name: 'reply', zh: '答复', en: 'Reply' },
  { name: 'revisit', zh: '回访', en: 'Revisit' },
  { name: 'close', zh: '结案', en: 'Close' },
];

export const ROLES = [
  { name: 'admin', zh: '管理员', en: 'Admin' },
  { name: 'dispatcher', zh: '指挥中心', en: 'Command centre' },
  { name: 'department', zh: '职能部门', en: 'Department' },
  { name: 'reporter', zh: '网格员', en: 'Grid worker' },
  { name: 'viewer', zh: '查看', en: 'Viewer' },
  { name: 'system', zh: '系统', en: 'System' },
];

export const SATISFACTIONS = [
  { name: 'satisfied', zh: '满意', en: 'Satisfied' },
  { name: 'basically_satisfied', zh: '基本满意', en: 'Basically satisfied' },
  { name: 'not_satisfied', zh: '不满意', en: 'Not satisfied' },
];

// The outcomes of a review (会审), caseflow.ReviewAccept and ReviewSendBack.
export const REVIEW_OUTCOMES = [
  { name: 'accept', zh: '通过', en: 'Accept' },
  { name: 'send_back', zh: '退回', en: 'Send back' },
];

// The public statuses of the incident table (what the API's status and
// the wall map show), and the case statuses each stands for.
export const PUBLIC_STATUSES = [
  { name: 'reported', zh: '上报', en: 'Reported', of: ['reported'] },
  { name: 'accepted', zh: '受理', en: 'Accepted', of: ['registered', 'dispatched'] },
  { name: 'in_progress', zh: '办理中', en: 'In progress', of: ['in_progress'] },
  { name: 'resolved', zh: '办结', en: 'Resolved', of: ['resolved', 'reviewed'] },
  { name: 'replied', zh: '答复', en: 'Replied', of: ['replied', 'revisited'] },
  { name: 'closed', zh: '归档', en: 'Closed', of: ['closed', 'rejected'] },
];

const byName = (list) => new Map(list.map((x) => [x.name, x]));
const tables = {
  status: byName(STATUSES),
  step: byName(STEPS),
  role: byName(ROLES),
  satisfaction: byName(SATISFACTIONS),
  outcome: byName([...REVIEW_OUTCOMES, ...SATISFACTIONS]),
  public: byName(PUBLIC_STATUSES),
};

// label names a status, step, role, satisfaction, outcome or public
// status in lang ('zh' or 'en'); an unknown name is shown as it is.
export function label(kind, name, lang) {
  const x = tables[kind]?.get(name);
  return x ? x[lang === 'en' ? 'en' : 'zh'] : name ?? '';
}
