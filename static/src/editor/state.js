// The editor's mutable state, all of it: one object (state, made by
// newState) and the small functions that change it. The other modules of
// the editor read its fields and change them only through these functions
// (one exception: segment.js's level switch writes state.level, as it does
// the wall map's). Pure: no DOM, no map, no fetch; unit-tested in
// test/unit/editor-state.test.mjs.

import { partAt, sameBoundary } from '../geometry.js';
import { applySteps, touched } from '../plansteps.js';

// LEVELS top down; EDITABLE the levels the editor edits (the street is
// drawn as context only).
export const LEVELS = ['street', 'village', 'micro'];
export const EDITABLE = ['village', 'micro'];

// newState returns a fresh state for the page's query parameters (a
// URLSearchParams or its string: ?lang=en, ?level=village). Fields:
//   lang        'zh' or 'en'
//   level       the level edited: 'village' or 'micro'
//   map, draw   the MapLibre map and the TerraDraw instance (set once at start)
//   paintLevel  repaints the level switch (set once it is bound)
//   grids       code → current Feature (every level, as served)
//   steps       the draft: replace, split and merge steps (plansteps.js), of any level
//   undoStack   the steps before each step, for undo
//   view        code → grid as the steps leave them (applySteps)
//   selected    code being edited in terra-draw (or split), of level; or null
//   selectedPart the part of its MultiPolygon selected in terra-draw
//   drawIds     terra-draw features of the selected grid, one per part (CODE#PART)
//   mode        'edit' (vertices) or 'split' (drawing the cut line)
//   cutLine     the line drawn to split ([lon, lat] coordinates), or null
//   pieces      the split proposed: [{code, name, boundary, area}]
//   picked      codes picked for a merge, in order
//   plan        the draft plan on the server, {id}, or null
//   report      the last validation report (GeoJSON of problems), or null
//   impact      the last impact summary, or null
//   busy        the queue of server work (a Promise; see enqueue)
//   seq         completed validations, for tests
//   published   the answer of the last publication, or null
export function newState(params = '') {
  const q = new URLSearchParams(params);
  return {
    lang: q.get('lang') === 'en' ? 'en' : 'zh',
    level: EDITABLE.includes(q.get('level')) ? q.get('level') : 'micro',
    map: null,
    draw: null,
    paintLevel: () => {},
    grids: new Map(),
    steps: [],
    undoStack: [],
    view: new Map(),
    selected: null,
    selectedPart: 0,
    drawIds: [],
    mode: 'edit',
    cutLine: null,
    pieces: [],
    picked: [],
    plan: null,
    report: null,
    impact: null,
    busy: Promise.resolve(),
    seq: 0,
    published: null,
  };
}

// state is the page's one state, for its query parameters.
export const state = newState(globalThis.location?.search ?? '');

// ---------- handles ----------

export function attachMap(s, map) {
  s.map = map;
}

export function attachDraw(s, draw) {
  s.draw = draw;
}

export function attachLevelSwitch(s, paint) {
  s.paintLevel = paint;
}

// ---------- language and level ----------

export function toggleLang(s) {
  s.lang = s.lang === 'zh' ? 'en' : 'zh';
}

// switchLevel makes level the level edited; false when it is not an
// editable level or already the one.
export function switchLevel(s, level) {
  if (!EDITABLE.includes(level) || level === s.level) return false;
  s.level = level;
  return true;
}

// featuresOf lists the current grids (as served) of a level.
export function featuresOf(s, level) {
  return [...s.grids.values()].filter((f) => f.properties.level === level);
}

// ---------- grids and steps ----------

// setGrids replaces the current grids with features (every level) and
// applies the steps to them.
export function setGrids(s, features) {
  s.grids.clear();
  for (const f of features) s.grids.set(f.properties.code, f);
  s.view = applySteps(s.grids, s.steps);
}

// recompute applies the steps again; a grid the steps took away is no
// longer picked or selected.
export function recompute(s) {
  s.view = applySteps(s.grids, s.steps);
  for (let i = s.picked.length - 1; i >= 0; i--) if (!s.view.has(s.picked[i])) s.picked.splice(i, 1);
  if (s.selected && !s.view.has(s.selected)) s.selected = null;
}

// pushSteps makes next the draft, one undo step.
export function pushSteps(s, next) {
  s.undoStack.push(s.steps);
  s.steps = next;
}

// popSteps puts back the steps before the last step; false when there is
// nothing to undo.
export function popSteps(s) {
  if (!s.undoStack.length) return false;
  s.steps = s.undoStack.pop();
  return true;
}

// lastStep is the index of the last of steps touching code, or -1.
export function lastStep(steps, code) {
  for (let i = steps.length - 1; i >= 0; i--) if (touched(steps[i]).includes(code)) return i;
  return -1;
}

// boundarySteps returns the steps with geom the boundary of code: one
// replace step per grid, dropped when the boundary is back as it was; null
// when nothing changes. The steps of s are left as they are.
export function boundarySteps(s, code, geom) {
  const g = s.view.get(code);
  if (!g) throw new Error(`${code} is not a grid of the draft`);
  const next = s.steps.slice();
  const i = lastStep(next, code);
  if (i >= 0 && next[i].kind === 'replace') {
    const before = applySteps(s.grids, next.slice(0, i)).get(code);
    if (before && sameBoundary(before.geometry, geom)) next.splice(i, 1);
    else next[i] = { ...next[i], boundary: geom };
  } else if (!sameBoundary(g.geometry, geom)) {
    next.push({ kind: 'replace', code, boundary: geom });
  } else {
    return null;
  }
  return next;
}

// recordUnions keeps on the merge steps sent the boundaries the server
// joined (changes: its answer, one per step), and applies the steps again
// when sent is still the draft; true then.
export function recordUnions(s, sent, changes) {
  sent.forEach((step, i) => {
    const union = changes?.[i]?.grid?.boundary;
    if (step.kind === 'merge' && union) step.union = union;
  });
  if (sent !== s.steps) return false;
  s.view = applySteps(s.grids, s.steps);
  return true;
}

// resetDraft empties the draft: no plan, no steps, nothing to undo or
// picked, no report.
export function resetDraft(s) {
  s.plan = null;
  s.steps = [];
  s.undoStack.length = 0;
  s.picked.length = 0;
  s.report = null;
  s.impact = null;
}

// ---------- selection ----------

// selectGrid makes code the grid edited (null unless a grid of an editable
// level); at ([lon, lat]) picks the part of a MultiPolygon clicked. A grid
// of the other level switches the level, and nothing stays picked: true
// then.
export function selectGrid(s, code, at) {
  const g = code && s.view.get(code);
  s.selected = g && EDITABLE.includes(g.level) ? code : null;
  let switched = false;
  if (s.selected && g.level !== s.level) {
    s.level = g.level;
    s.picked.length = 0;
    switched = true;
  }
  s.selectedPart = 0;
  if (s.selected && at) s.selectedPart = Math.max(0, partAt(g.geometry, at));
  return switched;
}

// deselect leaves no grid selected (the part selected stays for the next).
export function deselect(s) {
  s.selected = null;
}

export function setSelectedPart(s, k) {
  s.selectedPart = k;
}

export function setDrawIds(s, ids) {
  s.drawIds = ids;
}

// ---------- split ----------

// enterSplit starts drawing a cut line: nothing picked, no line, no pieces.
export function enterSplit(s) {
  s.picked.length = 0;
  s.mode = 'split';
  s.cutLine = null;
  s.pieces = [];
}

// leaveSplit goes back to editing vertices.
export function leaveSplit(s) {
  s.mode = 'edit';
  s.cutLine = null;
  s.pieces = [];
}

// setCut keeps the line drawn and the pieces proposed for it.
export function setCut(s, line, pieces) {
  s.cutLine = line;
  s.pieces = pieces;
}

// editPiece sets field ('code' or 'name') of piece i as typed.
export function editPiece(s, i, field, value) {
  s.pieces[i][field] = value;
}

// ---------- merge ----------

// togglePick adds code to the grids picked for a merge, or takes it out;
// the first pick brings the grid selected along. False (and nothing
// changed) while splitting or for a grid of another level.
export function togglePick(s, code) {
  if (s.mode === 'split' || s.view.get(code)?.level !== s.level) return false;
  if (!s.picked.length && s.selected && s.selected !== code) s.picked.push(s.selected);
  const i = s.picked.indexOf(code);
  if (i >= 0) s.picked.splice(i, 1);
  else s.picked.push(code);
  return true;
}

// pickSelected puts the grid selected first among the picked, unless it is
// picked already.
export function pickSelected(s) {
  if (s.selected && !s.picked.includes(s.selected)) s.picked.unshift(s.selected);
}

export function clearPicked(s) {
  s.picked.length = 0;
}

// ---------- plan ----------

export function setPlan(s, plan) {
  s.plan = plan;
}

// setResults keeps the validation report and impact of the draft.
export function setResults(s, report, impact) {
  s.report = report;
  s.impact = impact;
}

// setReport keeps a report alone (the problems a refused publication
// names).
export function setReport(s, report) {
  s.report = report;
}

// validated counts a validation done.
export function validated(s) {
  s.seq++;
}

export function setPublished(s, answer) {
  s.published = answer;
}

// enqueue runs fn after the server work queued before it; a failure is
// given to onError and the queue goes on. It returns the queue.
export function enqueue(s, fn, onError) {
  s.busy = s.busy.then(fn).catch(onError);
  return s.busy;
}
