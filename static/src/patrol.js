// Patrol coverage classes of the wall map: a micro-grid is coloured by the
// China days (UTC+8) since a patrol track last passed it, from
// /api/v1/stats/patrol. Days are counted on the calendar, not in 24-hour
// steps, so "today" means the same China date however late it is.

// PATROL_CLASSES: class index (feature-state "patrol") → key in i18n.js
// strings and colour; green is walked, red is neglected.
export const PATROL_CLASSES = [
  { key: 'patrolToday', colour: '#22c55e' },
  { key: 'patrol3d', colour: '#a3e635' },
  { key: 'patrol7d', colour: '#facc15' },
  { key: 'patrolOlder', colour: '#f97316' },
  { key: 'patrolNever', colour: '#dc2626' },
];
export const NEVER = 4;

const DAY = 86400e3;
const cstDay = (ms) => Math.floor((ms + 8 * 3600e3) / DAY);

// daysSince is the number of China dates from lastVisited to now (0 the
// same date), or null when there is no (valid) last visit.
export function daysSince(lastVisited, now = Date.now()) {
  if (!lastVisited) return null;
  const t = new Date(lastVisited).getTime();
  if (Number.isNaN(t)) return null;
  return Math.max(0, cstDay(typeof now === 'number' ? now : now.getTime()) - cstDay(t));
}

// patrolClass is the class of a grid last visited at lastVisited (an ISO
// time, or null when not in the window): 0 today, 1 ≤ 3 days, 2 ≤ 7 days,
// 3 older, 4 never.
export function patrolClass(lastVisited, now = Date.now()) {
  const d = daysSince(lastVisited, now);
  if (d === null) return NEVER;
  if (d === 0) return 0;
  if (d <= 3) return 1;
  if (d <= 7) return 2;
  return 3;
}

// patrolPaint is the fill colour expression of the micro-grid layer in the
// coverage view: the class in feature-state, other grids (no answer yet)
// in fallback.
export function patrolPaint(fallback) {
  const expr = ['match', ['coalesce', ['feature-state', 'patrol'], -1]];
  PATROL_CLASSES.forEach((c, i) => expr.push(i, c.colour));
  expr.push(fallback);
  return expr;
}
