// The editor's draft as a list of steps, and what follows from it: the map
// as the steps leave it, the plan changes sent to the server, default codes
// and names for new grids, and the checks a merge must pass before it is
// sent. Pure functions (no DOM, no map), unit-tested in test/unit/.
//
// A step is one of
//   {kind: 'replace', code, boundary}
//   {kind: 'split', code, into: [{code, name, boundary}, …]}
//   {kind: 'merge', codes: [...], grid: {code, name}, union?}
// (union: the merged boundary as the server computed it, for drawing.)

import { components, polygons } from './geometry.js';

// CODE is what the server accepts as a grid code.
export const CODE = /^[A-Za-z0-9_-]{1,64}$/;

// touched lists the codes a step reads, changes or creates.
export function touched(step) {
  switch (step.kind) {
    case 'replace':
      return [step.code];
    case 'split':
      return [step.code, ...step.into.map((p) => p.code)];
    case 'merge':
      return [...step.codes, step.grid.code];
  }
  return [];
}

// applySteps returns the micro-grids as the steps leave them: code →
// {code, name, level, parent, version, geometry, status} where status is
// 'current' (untouched), 'changed' or 'added', and pending is set on a
// merged grid whose union the server has not yet computed (its geometry is
// then the merged grids' polygons side by side). grids maps code → the
// current GeoJSON Feature.
export function applySteps(grids, steps) {
  const view = new Map();
  for (const [code, f] of grids) {
    const p = f.properties;
    view.set(code, { code, name: p.name, level: p.level, parent: p.parent, version: p.version, geometry: f.geometry, status: 'current' });
  }
  for (const s of steps) {
    if (s.kind === 'replace') {
      const g = view.get(s.code);
      if (g) view.set(s.code, { ...g, geometry: s.boundary, status: g.status === 'added' ? 'added' : 'changed' });
    } else if (s.kind === 'split') {
      const src = view.get(s.code);
      if (!src) continue;
      view.delete(s.code);
      for (const p of s.into) {
        const kept = p.code === s.code && src.status !== 'added';
        view.set(p.code, {
          code: p.code, name: p.name || src.name, level: src.level, parent: src.parent,
          version: kept ? src.version : undefined, geometry: p.boundary, status: kept ? 'changed' : 'added',
        });
      }
    } else if (s.kind === 'merge') {
      const members = s.codes.map((c) => view.get(c)).filter(Boolean);
      if (!members.length) continue;
      const first = members[0];
      for (const c of s.codes) view.delete(c);
      const kept = s.codes.includes(s.grid.code) && grids.has(s.grid.code);
      view.set(s.grid.code, {
        code: s.grid.code, name: s.grid.name || first.name, level: first.level, parent: first.parent,
        version: kept ? grids.get(s.grid.code).properties.version : undefined,
        geometry: s.union ?? { type: 'MultiPolygon', coordinates: members.flatMap((m) => polygons(m.geometry)) },
        status: kept ? 'changed' : 'added',
        pending: !s.union,
      });
    }
  }
  return view;
}

// toChanges makes the plan changes of the steps, each with the versions
// of the current grids it touches (base), so a plan drafted on a map that
// changed since is refused as stale rather than applied blindly.
export function toChanges(grids, steps) {
  return steps.map((s) => {
    const base = {};
    for (const c of touched(s)) if (grids.has(c)) base[c] = grids.get(c).properties.version;
    switch (s.kind) {
      case 'replace':
        return { kind: 'replace', code: s.code, boundary: s.boundary, base };
      case 'split':
        return { kind: 'split', code: s.code, into: s.into.map((p) => ({ code: p.code, name: p.name, boundary: p.boundary })), base };
      case 'merge':
        // No boundary: the server joins the merged boundaries (ST_Union).
        return { kind: 'merge', codes: s.codes, grid: { code: s.grid.code, name: s.grid.name }, base };
    }
    throw new Error('unknown step ' + s.kind);
  });
}

// proposeCodes returns n unused codes for new grids under parent, after
// the scheme of the demo street and the national codes: the parent's code
// and a two-digit serial (37081200100107), numbered on from the highest
// serial among the taken codes. Where the siblings do not follow it, the
// split grid's code with -1, -2, ….
export function proposeCodes(code, parent, taken, n) {
  const serial = new RegExp('^' + (parent ?? '').replace(/[^A-Za-z0-9]/g, '\\$&') + '(\\d{2,})$');
  const out = [];
  if (parent && serial.test(code)) {
    const width = code.length - parent.length;
    let next = 1;
    for (const c of taken) {
      const m = serial.exec(c);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
    while (out.length < n) {
      const c = parent + String(next++).padStart(width, '0');
      if (!taken.has(c)) out.push(c);
    }
    return out;
  }
  for (let k = 1; out.length < n; k++) {
    const c = `${code}-${k}`;
    if (!taken.has(c)) out.push(c);
  }
  return out;
}

// defaultName names a new grid as the demo street does: the parent's name
// and the serial, 王庄村第12网格; otherwise the split grid's name and the
// code's suffix.
export function defaultName(code, parent, parentName, fallback) {
  if (parent && parentName && code.startsWith(parent) && /^\d+$/.test(code.slice(parent.length))) {
    return `${parentName}第${Number(code.slice(parent.length))}网格`;
  }
  const dash = code.lastIndexOf('-');
  return dash > 0 ? fallback + code.slice(dash) : `${fallback} ${code}`;
}

// mergeProblem says why the grids codes (in view) cannot be merged, or
// null: {key, codes} with key one of edMergeFew, edMergeLevel,
// edMergeParent, edMergeApart (the i18n string).
export function mergeProblem(view, codes) {
  const gs = codes.map((c) => view.get(c)).filter(Boolean);
  if (gs.length < 2) return { key: 'edMergeFew', codes };
  if (new Set(gs.map((g) => g.level)).size > 1) return { key: 'edMergeLevel', codes: gs.map((g) => `${g.code} (${g.level})`) };
  if (new Set(gs.map((g) => g.parent ?? '')).size > 1) return { key: 'edMergeParent', codes: gs.map((g) => `${g.code} → ${g.parent || '–'}`) };
  if (gs.some((g) => g.pending)) return { key: 'edMergePending', codes: gs.filter((g) => g.pending).map((g) => g.code) };
  const groups = components(gs.map((g) => g.geometry));
  if (groups.length > 1) return { key: 'edMergeApart', codes: groups.map((grp) => grp.map((i) => gs[i].code).join('+')) };
  return null;
}

// splitProblem checks the codes and names given to the pieces of a split
// of code: null, or {key, codes}.
export function splitProblem(view, code, into) {
  const bad = into.filter((p) => !CODE.test(p.code)).map((p) => p.code || '""');
  if (bad.length) return { key: 'edCodeMalformed', codes: bad };
  const seen = new Set();
  const twice = [];
  for (const p of into) {
    if (seen.has(p.code)) twice.push(p.code);
    seen.add(p.code);
  }
  if (twice.length) return { key: 'edCodeTwice', codes: twice };
  const taken = into.filter((p) => p.code !== code && view.has(p.code)).map((p) => p.code);
  if (taken.length) return { key: 'edCodeTaken', codes: taken };
  if (into.some((p) => !p.name.trim())) return { key: 'edNameEmpty', codes: [] };
  return null;
}
