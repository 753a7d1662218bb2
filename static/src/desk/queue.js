// The queue of the case desk: the listing's query from the filters, the
// order, the counts and moving through it. Pure: no DOM, no fetch.

// FILTERS are the queue's filters and their defaults (URL parameters of
// /desk with the same names).
export const FILTERS = {
  status: 'open', // open | all | a public status
  overdue: false,
  supervised: false,
  department: '',
  village: '',
  category: '',
  source: '',
  sort: 'due', // due | reported
};

export const QUEUE_LIMIT = 200;

// queueQuery is the /api/v1/incidents query of filters f.
export function queueQuery(f) {
  const q = new URLSearchParams();
  if (f.status && f.status !== 'all') q.set('status', f.status);
  if (f.overdue) q.set('overdue', 'true');
  if (f.supervised) q.set('supervised', 'true');
  if (f.department) q.set('department', f.department);
  if (f.village) q.set('grid', f.village);
  if (f.category) q.set('category', f.category);
  if (f.source) q.set('source', f.source);
  q.set('limit', String(QUEUE_LIMIT));
  return q;
}

// dueOf is when a queued case is next due (ms), Infinity when never: the
// due time of the step it waits for (the listing's due.by), else its
// deadline.
export function dueOf(c) {
  const d = c.due?.by ?? c.deadline;
  const t = d ? Date.parse(d) : NaN;
  return Number.isNaN(t) ? Infinity : t;
}

// sortQueue orders cases: by due time, soonest (most overdue) first, then
// newest reported; or newest reported first. It returns a new array.
export function sortQueue(items, sort) {
  const reported = (c) => Date.parse(c.reported_at) || 0;
  const out = [...items];
  if (sort === 'reported') out.sort((a, b) => reported(b) - reported(a) || b.id - a.id);
  else out.sort((a, b) => dueOf(a) - dueOf(b) || reported(b) - reported(a) || b.id - a.id);
  return out;
}

// isOverdue: the case's deadline has passed while open, or the step it
// waits for is late.
export const isOverdue = (c) => !!(c.overdue || c.due?.overdue);

// queueCounts counts the cases listed, those overdue and those supervised.
export function queueCounts(items) {
  let overdue = 0;
  let supervised = 0;
  for (const c of items) {
    if (isOverdue(c)) overdue++;
    if (c.supervised > 0) supervised++;
  }
  return { total: items.length, overdue, supervised };
}

// moveIn is the id delta places from current in ids (the first or last
// when current is not there), held at the ends.
export function moveIn(ids, current, delta) {
  if (ids.length === 0) return null;
  const i = ids.indexOf(current);
  if (i < 0) return delta > 0 ? ids[0] : ids[ids.length - 1];
  return ids[Math.max(0, Math.min(ids.length - 1, i + delta))];
}

// filtersFromURL reads the filters from a URL's query, defaults for
// what is missing or malformed.
export function filtersFromURL(params) {
  const f = { ...FILTERS };
  for (const k of Object.keys(FILTERS)) {
    const v = params.get(k);
    if (v === null) continue;
    if (typeof FILTERS[k] === 'boolean') f[k] = v === 'true' || v === '1';
    else if (/^[A-Za-z0-9_,-]{0,64}$/.test(v)) f[k] = v;
  }
  if (!['due', 'reported'].includes(f.sort)) f.sort = 'due';
  return f;
}

// filtersToURL writes the filters that differ from the defaults.
export function filtersToURL(f, params = new URLSearchParams()) {
  for (const k of Object.keys(FILTERS)) {
    if (f[k] === FILTERS[k]) params.delete(k);
    else params.set(k, String(f[k]));
  }
  return params;
}
