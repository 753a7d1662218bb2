// Splitting a grid: a line drawn across the grid selected (terra-draw's
// linestring mode) cuts it in the browser (geometry.js); the pieces get
// proposed codes and names (plansteps.js), which the panel lets the
// planner change before the split becomes a step of the draft.

import { areaM2, splitByLine } from '../geometry.js';
import { proposePieces, splitProblem, touched } from '../plansteps.js';
import { drawSelected, exact, vertices } from './draw.js';
import { problemText, renderAll, status, t } from './panel.js';
import { push } from './plan.js';
import { deselect, enterSplit, leaveSplit, setCut, state } from './state.js';

// proposeSplit cuts grid code of s.view along line: the pieces
// [{code, name, boundary, area (m²)}], largest first with codes and names
// proposed, none used by a grid or a step; [] when the line does not cut
// it in two or more.
export function proposeSplit(s, code, line) {
  const src = s.view.get(code);
  const geoms = splitByLine(src.geometry, line);
  if (geoms.length < 2) return [];
  const taken = new Set([...s.grids.keys(), ...s.view.keys(), ...s.steps.flatMap(touched)]);
  const names = new Set([...s.view.values()].filter((g) => g.level === src.level).map((g) => g.name));
  const proposed = proposePieces(src, s.view.get(src.parent)?.name, taken, names, geoms.length);
  return geoms.map((g, i) => ({ ...proposed[i], boundary: g, area: areaM2(g) }));
}

// splitStep makes the step splitting code into pieces (codes and names as
// typed, trimmed): {step}, or {problem} (plansteps.js splitProblem).
export function splitStep(view, code, pieces) {
  const into = pieces.map((p) => ({ code: p.code.trim(), name: p.name.trim(), boundary: p.boundary }));
  const problem = splitProblem(view, code, into);
  return problem ? { problem } : { step: { kind: 'split', code, into } };
}

export function startSplit() {
  if (!state.selected) return status(t('edPickFirst'), 'error');
  if (state.view.get(state.selected)?.pending) return status(t('edMergePending'), 'error');
  enterSplit(state);
  drawSelected(); // removes the grid from terra-draw: the line is drawn over it
  state.draw.setMode('linestring');
  status('');
  renderAll();
}

// endSplit leaves split mode (the grid selected again for editing).
export function endSplit() {
  if (state.mode !== 'split') return;
  const { draw } = state;
  leaveSplit(state);
  for (const f of draw.getSnapshot()) if (f.geometry.type === 'LineString') draw.removeFeatures([f.id]);
  draw.setMode('select');
  drawSelected();
  renderAll();
}

// cut takes the line terra-draw finished and cuts the grid with it.
export function cut(id) {
  const { draw } = state;
  const f = draw.getSnapshotFeature(id);
  setTimeout(() => draw.getSnapshotFeature(id) && draw.removeFeatures([id]), 0);
  if (!f || state.mode !== 'split') return;
  // Snapped points back to the exact vertices, so a cut along borders
  // shares them exactly.
  const originals = vertices(state.view, null);
  const line = f.geometry.coordinates.map((p) => exact(p, originals));
  const pieces = proposeSplit(state, state.selected, line);
  setCut(state, line, pieces);
  if (!pieces.length) status(t('edSplitNoCut'), 'error');
  else status(t('edSplitPieces').replace('{n}', pieces.length), 'ok');
  renderAll();
}

export function applySplit() {
  if (state.mode !== 'split' || state.pieces.length < 2) return;
  const { step, problem } = splitStep(state.view, state.selected, state.pieces);
  if (problem) return status(problemText(problem), 'error');
  endSplit();
  deselect(state);
  drawSelected();
  status('');
  push([...state.steps, step]);
}
