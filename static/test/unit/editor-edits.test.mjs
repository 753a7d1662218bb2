// Unit tests of the pure parts of the editor's modules under
// src/editor/: what a split proposes (split.js), which grids a merge may
// take and the step it makes (merge.js), the snapping helpers (draw.js)
// and the GeoJSON of the map's sources (layers.js). node --test test/unit/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawnParts, exact, partOf, round9, vertices } from '../../src/editor/draw.js';
import { gridFeatures, labelFeatures, PIECE_COLOURS, pieceFeatures } from '../../src/editor/layers.js';
import { mergeCandidates, mergeStep, neighbours } from '../../src/editor/merge.js';
import { proposeSplit, splitStep } from '../../src/editor/split.js';
import { enterSplit, newState, recompute, selectGrid, setCut, setDrawIds, setGrids, togglePick } from '../../src/editor/state.js';

const sq = (x, y, s) => ({ type: 'Polygon', coordinates: [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]] });
const feature = (code, level, parent, geometry, name = 'n' + code) => ({ type: 'Feature', properties: { code, name, level, parent, version: 1 }, geometry });
const S = '370812001000';
const V = '370812001001';
const W = '370812001002';
const features = [
  feature(S, 'street', '', sq(0, 0, 0.01), '演示街道'),
  feature(V, 'village', S, sq(0, 0, 0.004), '王庄村'),
  feature(W, 'village', S, sq(0.004, 0, 0.004), '李家庄'),
  feature(V + '01', 'micro', V, sq(0, 0, 0.001), '王庄村第1网格'),
  feature(V + '02', 'micro', V, sq(0.001, 0, 0.001), '王庄村第2网格'),
  feature(V + '03', 'micro', V, sq(0.003, 0, 0.001), '王庄村第3网格'),
  feature(V + '04', 'micro', V, sq(0, 0.001, 0.001), '王庄村第4网格'),
  // Another village's grid beside 02, sharing its border.
  feature(W + '01', 'micro', W, sq(0.001, 0.001, 0.001), '李家庄第1网格'),
];

function loaded(steps = []) {
  const s = newState();
  s.steps = steps;
  setGrids(s, features);
  return s;
}

const area = (p) => p.area;

test('proposeSplit: pieces numbered on after the codes in use, named after the village, largest first', () => {
  const s = loaded();
  // Cut 01 at a quarter: two pieces, the larger first.
  const line = [[0.00025, -0.001], [0.00025, 0.002]];
  const pieces = proposeSplit(s, V + '01', line);
  assert.equal(pieces.length, 2);
  assert.deepEqual(pieces.map((p) => p.code), [V + '05', V + '06']);
  assert.deepEqual(pieces.map((p) => p.name), ['王庄村第5网格', '王庄村第6网格']);
  assert.ok(pieces[0].area > pieces[1].area, pieces.map(area).join());
  const whole = 111195 * 111195 * 1e-6 * Math.cos(0.0005 * Math.PI / 180);
  assert.ok(Math.abs(pieces[0].area + pieces[1].area - whole) / whole < 0.01, `areas ${pieces.map(area)} of ${whole} m²`);
  for (const p of pieces) assert.equal(p.boundary.type, 'Polygon');
});

test('proposeSplit: a code a step uses, even one since undone in the view, is not proposed again', () => {
  const into = [{ code: V + '05', name: 'a', boundary: sq(0.003, 0, 0.0005) }, { code: V + '07', name: 'b', boundary: sq(0.0035, 0, 0.0005) }];
  const s = loaded([{ kind: 'split', code: V + '03', into }]);
  const pieces = proposeSplit(s, V + '01', [[0.0005, -0.001], [0.0005, 0.002]]);
  assert.deepEqual(pieces.map((p) => p.code), [V + '08', V + '09']);
});

test('proposeSplit: a village keeps its code and name on the largest piece', () => {
  const s = loaded();
  const pieces = proposeSplit(s, V, [[0.003, -0.001], [0.003, 0.005]]);
  assert.deepEqual(pieces.map((p) => [p.code, p.name]), [[V, '王庄村'], ['370812001003', '王庄村二']]);
});

test('proposeSplit: a line that does not cut the grid in two proposes nothing', () => {
  const s = loaded();
  assert.deepEqual(proposeSplit(s, V + '01', [[0.0005, -0.001], [0.0005, 0.0005]]), [], 'a line ending inside');
  assert.deepEqual(proposeSplit(s, V + '01', [[0.002, -0.001], [0.002, 0.002]]), [], 'a line beside it');
});

test('splitStep: codes and names as typed, trimmed; a problem rather than a step', () => {
  const s = loaded();
  const b = sq(0, 0, 0.0005);
  const { step, problem } = splitStep(s.view, V + '01', [{ code: ' A1 ', name: ' a ', boundary: b, area: 3 }, { code: 'A2', name: 'b', boundary: b, area: 2 }]);
  assert.equal(problem, undefined);
  assert.deepEqual(step, { kind: 'split', code: V + '01', into: [{ code: 'A1', name: 'a', boundary: b }, { code: 'A2', name: 'b', boundary: b }] });
  assert.deepEqual(splitStep(s.view, V + '01', [{ code: 'A1', name: 'a', boundary: b }, { code: 'A1 ', name: 'b', boundary: b }]),
    { problem: { key: 'edCodeTwice', codes: ['A1'] } });
  assert.deepEqual(splitStep(s.view, V + '01', [{ code: V + '02', name: 'a', boundary: b }, { code: 'A1', name: 'b', boundary: b }]),
    { problem: { key: 'edCodeTaken', codes: [V + '02'] } });
});

test('neighbours: grids of the level and parent sharing a border, sorted', () => {
  const s = loaded();
  assert.deepEqual(neighbours(s.view, V + '01'), [V + '02', V + '04']);
  assert.deepEqual(neighbours(s.view, V + '02'), [V + '01'], 'not a corner (04), not another village’s grid (W01)');
  assert.deepEqual(neighbours(s.view, V + '03'), [], 'apart');
});

test('neighbours: villages; a merge the server has not joined is none', () => {
  const s = loaded();
  assert.deepEqual(neighbours(s.view, W), [V]);
  s.steps = [{ kind: 'merge', codes: [V + '02', V + '03'], grid: { code: V + '02', name: '' } }];
  recompute(s);
  assert.equal(s.view.get(V + '02').pending, true);
  assert.deepEqual(neighbours(s.view, V + '01'), [V + '04']);
  assert.deepEqual(neighbours(s.view, 'nope'), []);
});

test('mergeCandidates: the picked first, then their neighbours once', () => {
  const s = loaded();
  assert.deepEqual(mergeCandidates(s.view, [V + '02']), [V + '02', V + '01']);
  assert.deepEqual(mergeCandidates(s.view, [V + '02', V + '04']), [V + '02', V + '04', V + '01']);
  assert.deepEqual(mergeCandidates(s.view, []), []);
});

test('mergeStep: the kept grid first, its name unless one is typed', () => {
  const s = loaded();
  const picked = [V + '01', V + '02', V + '04'];
  assert.deepEqual(mergeStep(s.view, picked, '', '  '), { kind: 'merge', codes: picked, grid: { code: V + '01', name: '王庄村第1网格' } });
  assert.deepEqual(mergeStep(s.view, picked, V + '02', ' 新网格 '),
    { kind: 'merge', codes: [V + '02', V + '01', V + '04'], grid: { code: V + '02', name: '新网格' } });
});

test('draw helpers: part ids, rounding, exact vertices back', () => {
  assert.equal(partOf(`${V}01#0`), 0);
  assert.equal(partOf(`${V}01#12`), 12);
  assert.equal(partOf('a#b#3'), 3);
  assert.deepEqual(round9([116.1234567891234, 35.9876543219876]), [116.123456789, 35.987654322]);
  const q = [116.1234567891234, 35.9876543219876];
  assert.equal(exact(round9(q), [[0, 0], q]), q, 'the original behind a rounded vertex');
  const p = [1, 2];
  assert.equal(exact(p, [q]), p, 'no original near: as it is');
  const multi = { type: 'MultiPolygon', coordinates: [sq(0, 0, 1 / 3).coordinates, sq(1, 1, 1 / 3).coordinates] };
  const parts = drawnParts(multi);
  assert.equal(parts.length, 2);
  assert.deepEqual(parts[0][0][1], [0.333333333, 0]);
});

test('vertices: every vertex of every grid but one, of every level', () => {
  const s = loaded();
  const all = vertices(s.view, null);
  assert.equal(all.length, features.length * 5);
  const but = vertices(s.view, V + '01');
  assert.equal(but.length, (features.length - 1) * 5);
  assert.ok(all.includes(features[3].geometry.coordinates[0][0]), 'the very arrays, to give back exactly');
});

test('gridFeatures: the level edited active, the others as context; selected, target, picked', () => {
  const s = loaded();
  selectGrid(s, V + '01');
  togglePick(s, V + '02');
  s.steps = [{ kind: 'replace', code: V + '04', boundary: sq(0, 0.001, 0.0011) }];
  recompute(s);
  const props = Object.fromEntries(gridFeatures(s).map((f) => [f.id, f.properties]));
  assert.deepEqual(props[V + '01'], { code: V + '01', level: 'micro', active: true, ctx: '', edited: false, selected: false, target: true, picked: true });
  assert.equal(props[V + '02'].picked, true);
  assert.equal(props[V + '04'].edited, true);
  assert.equal(props[V].ctx, 'parent');
  assert.equal(props[S].ctx, 'parent');
  assert.equal(props[V].active, false);
  setDrawIds(s, [`${V}01#0`]);
  assert.equal(gridFeatures(s).find((f) => f.id === V + '01').properties.selected, true, 'drawn by terra-draw: out of grid-fill');
  selectGrid(s, V);
  const village = Object.fromEntries(gridFeatures(s).map((f) => [f.id, f.properties]));
  assert.equal(village[V + '01'].ctx, 'child');
  assert.equal(village[S].ctx, 'parent');
  assert.equal(village[W].active, true);
});

test('labelFeatures: a name per grid of the level edited, at a point inside it', () => {
  const s = loaded();
  const labels = labelFeatures(s);
  assert.deepEqual(labels.map((f) => f.properties.code), [V + '01', V + '02', V + '03', V + '04', W + '01']);
  const l = labels[0];
  assert.equal(l.properties.name, '王庄村第1网格');
  const [x, y] = l.geometry.coordinates;
  assert.ok(x > 0 && x < 0.001 && y > 0 && y < 0.001, `${x}, ${y}`);
  assert.equal(labelFeatures(s)[0].geometry.coordinates, l.geometry.coordinates, 'kept per boundary');
});

test('pieceFeatures: numbered and coloured in turn', () => {
  const s = loaded();
  enterSplit(s);
  setCut(s, [], PIECE_COLOURS.concat('x').map((_, i) => ({ code: 'c' + i, name: '', boundary: sq(i, 0, 1) })));
  const fs = pieceFeatures(s);
  assert.equal(fs.length, PIECE_COLOURS.length + 1);
  assert.deepEqual(fs[0].properties, { n: 1, colour: PIECE_COLOURS[0] });
  assert.deepEqual(fs.at(-1).properties, { n: PIECE_COLOURS.length + 1, colour: PIECE_COLOURS[0] });
  assert.equal(fs[2].geometry, s.pieces[2].boundary);
});
