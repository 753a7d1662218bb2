// The editor's draft as a list of steps, and what follows from it: the map
// as the steps leave it, the plan changes sent to the server, default codes
// and names for new grids, and the checks a merge must pass before it is
// sent. Pure functions (no DOM, no map), unit-tested in test/unit/. The
// steps may touch grids of any level; children follow their parents as
// the server moves them (a merge takes the children of the grids merged
// away, a split gives each child to the piece holding it). applySteps is
// a preview of the server's plan engine (package plan): both are tested
// against the cases in plan/testdata/cases.
//
// A step is one of
//   {kind: 'replace', code, boundary}
//   {kind: 'split', code, into: [{code, name, boundary}, …]}
//   {kind: 'merge', codes: [...], grid: {code, name}, union?}
// (union: the merged boundary as the server computed it, for drawing.)

import { components, interiorPoint, partAt, polygons } from './geometry.js';

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

// applySteps returns the grids as the steps leave them: code →
// {code, name, level, parent, version, geometry, status} where status is
// 'current' (untouched), 'changed' or 'added', and pending is set on a
// merged grid whose union the server has not yet computed (its geometry is
// then the merged grids' polygons side by side). grids maps code → the
// current GeoJSON Feature. A child a merge or split moves to another parent
// (as publication will) is 'changed' with reparented: its old parent.
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
      // The server places a child by its ST_PointOnSurface; a child in no
      // piece, or in the piece keeping the code, stays.
      for (const [c, g] of view) {
        if (g.parent !== s.code) continue;
        const ip = interiorPoint(g.geometry);
        const piece = ip && s.into.find((p) => partAt(p.boundary, ip) >= 0);
        if (piece && piece.code !== s.code) view.set(c, reparent(g, piece.code));
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
      for (const [c, g] of view) if (g.parent !== s.grid.code && s.codes.includes(g.parent)) view.set(c, reparent(g, s.grid.code));
    }
  }
  return view;
}

function reparent(g, parent) {
  return { ...g, parent, status: g.status === 'added' ? 'added' : 'changed', reparented: g.reparented ?? g.parent };
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

// codeScheme says how code is made from its parent's code, after the
// national codes the demo street follows: the parent's code and a serial
// (micro-grid 37081200100107 under village 370812001001), or the parent's
// code with its trailing zeros replaced by one (village 370812001001 under
// street 370812001000). {prefix, width} (the serial's digits), or null.
// A numeric code longer than its numeric parent (a child moved in from
// another parent, 37081200100207 under 370812001001) counts as the first.
export function codeScheme(code, parent) {
  if (!parent || !code) return null;
  const rest = code.slice(parent.length);
  if (code.length > parent.length && /^\d+$/.test(rest) && (code.startsWith(parent) || /^\d+$/.test(code + parent))) {
    return { prefix: parent, width: rest.length };
  }
  const zeros = /0+$/.exec(parent)?.[0].length ?? 0;
  const prefix = parent.slice(0, parent.length - zeros);
  const serial = code.slice(prefix.length);
  if (zeros && code.length === parent.length && code.startsWith(prefix) && /^\d+$/.test(serial) && Number(serial) > 0) {
    return { prefix, width: zeros };
  }
  return null;
}

// proposeCodes returns n unused codes for new siblings of code under
// parent, after codeScheme: the prefix and the serial numbered on from the
// highest among the taken codes (gaps are left: a gap is usually a grid
// retired, whose code should not name another). Where code follows no
// scheme, code with -1, -2, ….
export function proposeCodes(code, parent, taken, n) {
  const out = [];
  const s = codeScheme(code, parent);
  if (s) {
    const serial = new RegExp('^' + s.prefix.replace(/[^A-Za-z0-9]/g, '\\$&') + '(\\d{' + s.width + '})$');
    let next = 1;
    for (const c of taken) {
      const m = serial.exec(c);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
    while (out.length < n) {
      const c = s.prefix + String(next++).padStart(s.width, '0');
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

// defaultName names a new micro-grid as the demo street does: the parent's
// name and the serial, 王庄村第12网格; otherwise the split grid's name and
// the code's suffix.
export function defaultName(code, parent, parentName, fallback) {
  const s = codeScheme(code, parent);
  if (s && s.prefix === parent && parentName) return `${parentName}第${Number(code.slice(parent.length))}网格`;
  const dash = code.lastIndexOf('-');
  return dash > 0 ? fallback + code.slice(dash) : `${fallback} ${code}`;
}

// REGISTERED levels are units of the civil register (街道, 村/社区) whose
// codes are official: a split leaves the code and name with the largest
// piece, and the others are new units numbered on.
const REGISTERED = new Set(['street', 'village']);

// proposePieces proposes the codes and names of the n pieces of a split of
// src ({code, name, level, parent}), largest first; taken holds the codes
// in use and names the names in use at its level. A village keeps its code
// and name on the largest piece, the others take the next free serials and
// the name numbered on (王庄村二, 王庄村三); a micro-grid's pieces are all
// new grids of its village (王庄村第9网格, after defaultName).
export function proposePieces(src, parentName, taken, names, n) {
  if (!REGISTERED.has(src.level)) {
    return proposeCodes(src.code, src.parent, taken, n).map((code) => ({ code, name: defaultName(code, src.parent, parentName, src.name) }));
  }
  const out = [{ code: src.code, name: src.name }];
  let k = 2;
  for (const code of proposeCodes(src.code, src.parent, taken, n - 1)) {
    while (names.has(src.name + zhNumeral(k))) k++;
    out.push({ code, name: src.name + zhNumeral(k++) });
  }
  return out;
}

// zhNumeral writes 1–99 in Chinese numerals (二, 十一, 二十三); others in digits.
export function zhNumeral(n) {
  const d = '零一二三四五六七八九';
  if (!Number.isInteger(n) || n < 1 || n > 99) return String(n);
  if (n < 10) return d[n];
  const tens = Math.floor(n / 10);
  return (tens > 1 ? d[tens] : '') + '十' + (n % 10 ? d[n % 10] : '');
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
