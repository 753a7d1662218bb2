// searchGrids finds grids by code or name for the editor's search box:
// grids is an iterable of {code, name, level}; q is matched without regard
// to case or surrounding spaces. The best come first: the exact code, then
// codes starting with q, the exact name, names starting with q, names and
// codes containing q; among equals the upper level first (a village before
// its micro-grids), then by code. At most limit.
const LEVEL_ORDER = { street: 0, village: 1, micro: 2 };

export function searchGrids(grids, q, limit = 8) {
  const s = String(q ?? '').trim().toLowerCase();
  if (!s) return [];
  const rank = (g) => {
    const code = String(g.code).toLowerCase();
    const name = String(g.name ?? '').toLowerCase();
    if (code === s) return 0;
    if (code.startsWith(s)) return 1;
    if (name === s) return 2;
    if (name.startsWith(s)) return 3;
    if (name.includes(s)) return 4;
    if (code.includes(s)) return 5;
    return -1;
  };
  const hits = [];
  for (const g of grids) {
    const r = rank(g);
    if (r >= 0) hits.push([r, g]);
  }
  hits.sort(([ra, a], [rb, b]) => ra - rb || (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return hits.slice(0, limit).map(([, g]) => g);
}
