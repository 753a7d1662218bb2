// The draft plan: the steps taken (with undo), kept on the server as a
// draft plan that is validated, with its impact, after every step; publish
// makes it the current map, discard drops it. Server work runs one at a
// time (queue).

import { toChanges } from '../plansteps.js';
import { addChanges, createPlan, deleteChange, discardPlan, getGrids, getPlan, planImpact, publishPlan, validatePlan } from './api.js';
import { select, syncDraw } from './draw.js';
import { refreshSources } from './layers.js';
import { renderAll, renderEdits, renderGrid, renderMerge, renderReport, status, t } from './panel.js';
import { endSplit } from './split.js';
import {
  boundarySteps, enqueue, LEVELS, popSteps, pushSteps, recompute, recordUnions, resetDraft, setGrids, setPlan, setPublished,
  setReport, setResults, state, validated,
} from './state.js';

// queue runs fn after the server work before it; a failure is shown.
export function queue(fn) {
  return enqueue(state, fn, (err) => {
    console.warn(err.message);
    status(err.message, 'error');
  });
}

// loadGrids loads the current grids of every level.
export async function loadGrids() {
  const levels = await Promise.all(LEVELS.map((l) => getGrids(l)));
  setGrids(state, levels.flatMap((res) => res.features));
  refreshSources();
}

// push makes next the draft, one undo step.
export function push(next) {
  pushSteps(state, next);
  afterEdit();
}

// setBoundary makes geom the edited boundary of code (one undo step): one
// replace step per grid, dropped when the boundary is back as it was.
export function setBoundary(code, geom) {
  const next = boundarySteps(state, code, geom);
  if (!next) {
    afterEdit(); // nothing changed: put terra-draw back as it was
    return;
  }
  push(next);
}

export function undo() {
  if (state.mode === 'split') return endSplit();
  if (!popSteps(state)) return;
  afterEdit();
}

function afterEdit() {
  recompute(state);
  syncDraw();
  renderGrid();
  renderEdits();
  renderMerge();
  refreshSources();
  queue(() => syncAndValidate());
}

// syncAndValidate makes the draft plan hold exactly the steps, then
// validates it and asks for its impact.
export async function syncAndValidate() {
  if (!state.steps.length && !state.plan) {
    setResults(state, null, null);
    renderReport();
    validated(state);
    return;
  }
  status(t('edSaving'));
  if (!state.plan) {
    const p = await createPlan(`${t('edTitle')} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`);
    setPlan(state, { id: p.id });
  }
  const { id } = state.plan;
  const sent = state.steps;
  const cur = await getPlan(id);
  for (let n = (cur.changes ?? []).length; n >= 1; n--) await deleteChange(id, n);
  if (sent.length) {
    const p = await addChanges(id, toChanges(state.grids, sent));
    // The server joined the merged boundaries: draw (and edit) those.
    if (recordUnions(state, sent, p.changes)) {
      syncDraw();
      renderGrid();
      refreshSources();
    }
  }
  status(t('edValidating'));
  const [report, impact] = await Promise.all([validatePlan(id), planImpact(id)]);
  setResults(state, report, impact);
  status('');
  renderReport();
  validated(state);
}

export async function publish() {
  await syncAndValidate();
  if (!state.steps.length) return status(t('edNothing'));
  try {
    const res = await publishPlan(state.plan.id);
    setPublished(state, res);
    await reset();
    status(`${t('edPublished')} ${res.data_version}`, 'ok');
  } catch (err) {
    if (err.status === 409 && err.data?.extra?.features) {
      setReport(state, err.data.extra);
      renderReport();
    }
    throw err;
  }
}

export async function discard() {
  if (state.plan) await discardPlan(state.plan.id);
  await reset();
  status(t('edDiscarded'), 'ok');
}

// reset empties the draft and reloads the grids (the map as published).
async function reset() {
  resetDraft(state);
  const code = state.selected;
  if (state.mode === 'split') endSplit();
  select(null);
  await loadGrids();
  if (code && state.view.has(code)) select(code);
  renderAll();
}
