// Unit tests of src/editor/state.js, the editor's state and the functions
// that change it: node --test test/unit/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  boundarySteps, deselect, editPiece, enqueue, enterSplit, featuresOf, lastStep, leaveSplit, newState, pickSelected, popSteps,
  pushSteps, recompute, recordUnions, resetDraft, selectGrid, setCut, setGrids, switchLevel, toggleLang, togglePick,
} from '../../src/editor/state.js';

const sq = (x, y, s) => ({ type: 'Polygon', coordinates: [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]] });
const feature = (code, level, parent, geometry, version = 3) => ({ type: 'Feature', properties: { code, name: 'n' + code, level, parent, version }, geometry });
const S = '370812001000';
const V = '370812001001';
const two = { type: 'MultiPolygon', coordinates: [sq(0.003, 0, 0.001).coordinates, sq(0.005, 0, 0.001).coordinates] };
const features = [
  feature(S, 'street', '', sq(0, 0, 0.01)),
  feature(V, 'village', S, sq(0, 0, 0.006)),
  feature(V + '01', 'micro', V, sq(0, 0, 0.001)),
  feature(V + '02', 'micro', V, sq(0.001, 0, 0.001)),
  feature(V + '03', 'micro', V, two),
];

// loaded is a state with the grids above and the steps given.
function loaded(steps = [], params = '') {
  const s = newState(params);
  s.steps = steps;
  setGrids(s, features);
  return s;
}

test('newState: the language and level from the query, English and villages only when asked', () => {
  for (const [q, lang, level] of [
    ['', 'zh', 'micro'],
    ['?lang=en', 'en', 'micro'],
    ['lang=fr&level=village', 'zh', 'village'],
    [new URLSearchParams('level=street'), 'zh', 'micro'],
  ]) {
    const s = newState(q);
    assert.equal(s.lang, lang, String(q));
    assert.equal(s.level, level, String(q));
    assert.equal(s.mode, 'edit');
    assert.deepEqual([s.steps, s.picked, s.pieces, s.drawIds], [[], [], [], []]);
    assert.equal(s.seq, 0);
  }
});

test('toggleLang and switchLevel', () => {
  const s = newState();
  toggleLang(s);
  assert.equal(s.lang, 'en');
  toggleLang(s);
  assert.equal(s.lang, 'zh');
  assert.equal(switchLevel(s, 'micro'), false, 'already the level');
  assert.equal(switchLevel(s, 'street'), false, 'the street is not edited');
  assert.equal(s.level, 'micro');
  assert.equal(switchLevel(s, 'village'), true);
  assert.equal(s.level, 'village');
});

test('setGrids: the grids by code, the view as the steps leave them; featuresOf by level', () => {
  const s = loaded([{ kind: 'replace', code: V + '01', boundary: sq(0, 0, 0.0011) }]);
  assert.equal(s.grids.size, 5);
  assert.equal(s.view.get(V + '01').status, 'changed');
  assert.equal(s.view.get(V + '02').status, 'current');
  assert.deepEqual(featuresOf(s, 'micro').map((f) => f.properties.code), [V + '01', V + '02', V + '03']);
  assert.deepEqual(featuresOf(s, 'village').map((f) => f.properties.code), [V]);
  setGrids(s, features.slice(0, 2));
  assert.equal(s.grids.size, 2, 'the grids are replaced, not added to');
});

test('pushSteps and popSteps: one undo step each', () => {
  const s = loaded();
  const a = [{ kind: 'replace', code: V + '01', boundary: sq(0, 0, 0.0011) }];
  const b = [...a, { kind: 'replace', code: V + '02', boundary: sq(0.001, 0, 0.0009) }];
  pushSteps(s, a);
  pushSteps(s, b);
  assert.equal(s.steps, b);
  assert.equal(popSteps(s), true);
  assert.equal(s.steps, a);
  assert.equal(popSteps(s), true);
  assert.deepEqual(s.steps, []);
  assert.equal(popSteps(s), false, 'nothing left to undo');
  assert.deepEqual(s.steps, []);
});

test('lastStep: the last step touching a code', () => {
  const steps = [
    { kind: 'replace', code: V + '01', boundary: sq(0, 0, 1) },
    { kind: 'merge', codes: [V + '01', V + '02'], grid: { code: V + '01', name: '' } },
  ];
  assert.equal(lastStep(steps, V + '01'), 1);
  assert.equal(lastStep(steps, V + '02'), 1);
  assert.equal(lastStep(steps.slice(0, 1), V + '01'), 0);
  assert.equal(lastStep(steps, V + '03'), -1);
});

test('boundarySteps: one replace step per grid, dropped when the boundary is back', () => {
  const s = loaded();
  const moved = sq(0, 0, 0.0011);
  const one = boundarySteps(s, V + '01', moved);
  assert.deepEqual(one, [{ kind: 'replace', code: V + '01', boundary: moved }]);
  assert.deepEqual(s.steps, [], 'the state is left as it is');
  pushSteps(s, one);
  recompute(s);
  const again = sq(0, 0, 0.0012);
  const two = boundarySteps(s, V + '01', again);
  assert.equal(two.length, 1, 'the same grid edited again: still one step');
  assert.equal(two[0].boundary, again);
  assert.equal(one[0].boundary, moved, 'the step before is not rewritten');
  assert.deepEqual(boundarySteps(s, V + '01', features[2].geometry), [], 'back as it was: the step is dropped');
  assert.equal(boundarySteps(loaded(), V + '02', sq(0.001, 0, 0.001)), null, 'nothing changed');
  assert.throws(() => boundarySteps(s, 'nope', moved), /nope is not a grid of the draft/);
});

test('boundarySteps: a grid a split made gets a replace step after the split', () => {
  const into = [{ code: V + '04', name: 'a', boundary: sq(0, 0, 0.0005) }, { code: V + '05', name: 'b', boundary: sq(0.0005, 0, 0.0005) }];
  const s = loaded([{ kind: 'split', code: V + '01', into }]);
  const next = boundarySteps(s, V + '04', sq(0, 0, 0.0006));
  assert.equal(next.length, 2);
  assert.equal(next[0].kind, 'split');
  assert.equal(next[1].kind, 'replace');
});

test('recompute: a grid the steps took away is no longer picked or selected', () => {
  const s = loaded();
  selectGrid(s, V + '01');
  togglePick(s, V + '02');
  assert.deepEqual(s.picked, [V + '01', V + '02']);
  s.steps = [{ kind: 'merge', codes: [V + '02', V + '01'], grid: { code: V + '02', name: '' } }];
  recompute(s);
  assert.deepEqual(s.picked, [V + '02']);
  assert.equal(s.selected, null);
  assert.ok(s.view.get(V + '02').geometry.type === 'MultiPolygon', 'pending: the merged polygons side by side');
});

test('selectGrid: editable grids only, the level follows, the part clicked', () => {
  const s = loaded();
  assert.equal(selectGrid(s, S), false);
  assert.equal(s.selected, null, 'the street is context only');
  assert.equal(selectGrid(s, 'nope'), false);
  assert.equal(s.selected, null);
  selectGrid(s, V + '01');
  togglePick(s, V + '02');
  assert.equal(selectGrid(s, V), true, 'a village switches the level');
  assert.equal(s.level, 'village');
  assert.equal(s.selected, V);
  assert.deepEqual(s.picked, [], 'nothing of the other level stays picked');
  assert.equal(selectGrid(s, V + '03', [0.0055, 0.0005]), true);
  assert.equal(s.selectedPart, 1, 'the part clicked');
  selectGrid(s, V + '03', [0.0035, 0.0005]);
  assert.equal(s.selectedPart, 0);
  selectGrid(s, V + '03', [0.9, 0.9]);
  assert.equal(s.selectedPart, 0, 'a point in no part: the first');
  selectGrid(s, null);
  assert.equal(s.selected, null);
  selectGrid(s, V + '03', [0.0055, 0.0005]);
  deselect(s);
  assert.equal(s.selected, null);
  assert.equal(s.selectedPart, 1, 'deselect keeps the part for the next drawing');
});

test('togglePick: the selected grid comes along; in and out; not while splitting or of another level', () => {
  const s = loaded();
  selectGrid(s, V + '01');
  assert.equal(togglePick(s, V + '02'), true);
  assert.deepEqual(s.picked, [V + '01', V + '02']);
  togglePick(s, V + '02');
  assert.deepEqual(s.picked, [V + '01']);
  togglePick(s, V + '01');
  assert.deepEqual(s.picked, []);
  togglePick(s, V + '01');
  assert.deepEqual(s.picked, [V + '01'], 'the selected grid itself: picked once');
  assert.equal(togglePick(s, V), false, 'a village while editing micro-grids');
  assert.equal(togglePick(s, 'nope'), false);
  enterSplit(s);
  assert.equal(togglePick(s, V + '02'), false, 'clicks draw the cut line');
  assert.deepEqual(s.picked, [], 'a split starts with nothing picked');
});

test('pickSelected: the selected grid first, once', () => {
  const s = loaded();
  pickSelected(s);
  assert.deepEqual(s.picked, [], 'nothing selected');
  selectGrid(s, V + '02');
  s.picked.push(V + '03');
  pickSelected(s);
  assert.deepEqual(s.picked, [V + '02', V + '03']);
  pickSelected(s);
  assert.deepEqual(s.picked, [V + '02', V + '03']);
});

test('enterSplit, setCut, editPiece, leaveSplit', () => {
  const s = loaded();
  selectGrid(s, V + '01');
  togglePick(s, V + '02');
  enterSplit(s);
  assert.equal(s.mode, 'split');
  assert.deepEqual([s.picked, s.pieces, s.cutLine], [[], [], null]);
  const line = [[0.0005, -1], [0.0005, 1]];
  setCut(s, line, [{ code: 'a', name: 'A' }, { code: 'b', name: 'B' }]);
  editPiece(s, 1, 'code', 'c');
  editPiece(s, 0, 'name', 'X');
  assert.deepEqual(s.pieces, [{ code: 'a', name: 'X' }, { code: 'c', name: 'B' }]);
  assert.equal(s.cutLine, line);
  leaveSplit(s);
  assert.equal(s.mode, 'edit');
  assert.deepEqual([s.pieces, s.cutLine], [[], null]);
  assert.equal(s.selected, V + '01', 'the grid stays selected');
});

test('recordUnions: the merged boundary the server joined, the view redone while the steps are the same', () => {
  const union = sq(0, 0, 0.002);
  const s = loaded();
  const sent = [{ kind: 'replace', code: V + '03', boundary: sq(0.003, 0, 0.001) }, { kind: 'merge', codes: [V + '01', V + '02'], grid: { code: V + '01', name: '' } }];
  s.steps = sent;
  recompute(s);
  assert.equal(s.view.get(V + '01').pending, true);
  assert.equal(recordUnions(s, sent, [{}, { grid: { boundary: union } }]), true);
  assert.equal(sent[1].union, union);
  assert.equal(sent[0].union, undefined);
  assert.equal(s.view.get(V + '01').geometry, union);
  assert.ok(!s.view.get(V + '01').pending);
  // A step taken while the request was out: the view is left to it.
  const later = loaded();
  later.steps = [...sent.map((x) => ({ ...x, union: undefined }))];
  recompute(later);
  const before = later.view;
  assert.equal(recordUnions(later, sent, [{}, { grid: { boundary: union } }]), false);
  assert.equal(later.view, before);
  assert.equal(recordUnions(loaded(), [], undefined), false);
});

test('resetDraft: no plan, steps, undo, picks or report', () => {
  const s = loaded();
  selectGrid(s, V + '01');
  togglePick(s, V + '02');
  pushSteps(s, [{ kind: 'replace', code: V + '01', boundary: sq(0, 0, 0.0011) }]);
  Object.assign(s, { plan: { id: 7 }, report: { features: [] }, impact: { changed: [] } });
  const undoStack = s.undoStack;
  resetDraft(s);
  assert.deepEqual([s.plan, s.steps, s.picked, s.report, s.impact], [null, [], [], null, null]);
  assert.equal(s.undoStack, undoStack);
  assert.deepEqual(s.undoStack, []);
  assert.equal(s.selected, V + '01', 'the selection is the page’s to redo once the grids are reloaded');
});

test('enqueue: one after another; a failure goes to onError and the queue goes on', async () => {
  const s = newState();
  const done = [];
  const failed = [];
  const onError = (err) => failed.push(err.message);
  enqueue(s, async () => {
    await Promise.resolve();
    done.push(1);
  }, onError);
  enqueue(s, () => {
    throw new Error('boom');
  }, onError);
  const last = enqueue(s, () => done.push(3), onError);
  assert.equal(last, s.busy);
  await last;
  assert.deepEqual(done, [1, 3]);
  assert.deepEqual(failed, ['boom']);
});
