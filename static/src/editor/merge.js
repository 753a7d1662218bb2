// Merging grids: neighbours of the level edited picked with Shift-click
// (or ticked in the panel) become one grid, keeping the code and name
// chosen; the server joins their boundaries once the step is sent.

import { bbox, MIN_SHARED_M, sharedBorderM } from '../geometry.js';
import { mergeProblem } from '../plansteps.js';
import { refreshSources } from './layers.js';
import { $, problemText, renderMerge, status, t } from './panel.js';
import { push } from './plan.js';
import { clearPicked, pickSelected, state, togglePick } from './state.js';

// neighbours of code in view: grids of its level and parent sharing a
// border with it (at least MIN_SHARED_M), sorted; a merge still pending
// on the server is none.
export function neighbours(view, code) {
  const g = view.get(code);
  if (!g) return [];
  const b = bbox(g.geometry);
  const out = [];
  for (const [c, o] of view) {
    if (c === code || o.level !== g.level || (o.parent ?? '') !== (g.parent ?? '') || o.pending) continue;
    const ob = bbox(o.geometry);
    if (ob[0] > b[2] + 1e-6 || b[0] > ob[2] + 1e-6 || ob[1] > b[3] + 1e-6 || b[1] > ob[3] + 1e-6) continue;
    if (sharedBorderM(g.geometry, o.geometry) >= MIN_SHARED_M) out.push(c);
  }
  return out.sort();
}

// mergeCandidates: the grids the panel offers to tick, the picked ones
// first and then their neighbours.
export function mergeCandidates(view, picked) {
  const codes = [...picked];
  for (const c of picked) for (const n of neighbours(view, c)) if (!codes.includes(n)) codes.push(n);
  return codes;
}

// mergeStep makes the step merging the picked grids into keep (the first
// picked when empty) named name (keep's name when blank): the kept grid
// first, for the merged grid takes its level, parent and attributes.
export function mergeStep(view, picked, keep, name) {
  const code = keep || picked[0];
  return { kind: 'merge', codes: [code, ...picked.filter((c) => c !== code)], grid: { code, name: name.trim() || view.get(code).name } };
}

// pick adds code to the grids picked for a merge, or takes it out.
export function pick(code) {
  if (!togglePick(state, code)) return;
  status('');
  renderMerge();
  refreshSources();
}

export function startMerge() {
  if (!state.selected) return status(t('edPickFirst'), 'error');
  pickSelected(state);
  renderMerge();
  refreshSources();
}

export function cancelMerge() {
  clearPicked(state);
  renderMerge();
  refreshSources();
}

export function applyMerge() {
  const problem = mergeProblem(state.view, state.picked);
  if (problem) return status(problemText(problem), 'error');
  const step = mergeStep(state.view, state.picked, $('merge-code').value, $('merge-name').value);
  clearPicked(state);
  status('');
  push([...state.steps, step]);
}
