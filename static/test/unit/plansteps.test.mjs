// Unit tests of src/plansteps.js: node --test test/unit/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySteps, defaultName, mergeProblem, proposeCodes, splitProblem, toChanges } from '../../src/plansteps.js';

const sq = (x, y, s) => ({ type: 'Polygon', coordinates: [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]] });
const feature = (code, parent, geometry, version = 3) => ({ type: 'Feature', properties: { code, name: 'n' + code, level: 'micro', parent, version }, geometry });
const V = '370812001001';
const grids = new Map([
  [V + '01', feature(V + '01', V, sq(0, 0, 0.001))],
  [V + '02', feature(V + '02', V, sq(0.001, 0, 0.001), 5)],
  [V + '03', feature(V + '03', V, sq(0.003, 0, 0.001))],
  ['370812001002' + '01', feature('37081200100201', '370812001002', sq(0, 0.001, 0.001))],
]);

test('applySteps: the map as replace, split and merge leave it', () => {
  const moved = sq(0, 0, 0.0011);
  const left = sq(0, 0, 0.0005);
  const right = sq(0.0005, 0, 0.0005);
  const steps = [
    { kind: 'replace', code: V + '01', boundary: moved },
    { kind: 'split', code: V + '03', into: [{ code: V + '04', name: 'a', boundary: left }, { code: V + '05', name: '', boundary: right }] },
    { kind: 'merge', codes: [V + '01', V + '02'], grid: { code: V + '02', name: 'm' } },
  ];
  const v = applySteps(grids, steps.slice(0, 1));
  assert.equal(v.get(V + '01').geometry, moved);
  assert.equal(v.get(V + '01').status, 'changed');
  assert.equal(v.get(V + '02').status, 'current');
  const v2 = applySteps(grids, steps.slice(0, 2));
  assert.ok(!v2.has(V + '03'));
  assert.equal(v2.get(V + '04').status, 'added');
  assert.equal(v2.get(V + '04').parent, V);
  assert.equal(v2.get(V + '05').name, 'n' + V + '03', 'an empty name is the split grid’s');
  const v3 = applySteps(grids, steps);
  assert.ok(!v3.has(V + '01'));
  const m = v3.get(V + '02');
  assert.equal(m.name, 'm');
  assert.equal(m.status, 'changed');
  assert.equal(m.version, 5);
  assert.ok(m.pending, 'no union from the server yet');
  assert.equal(m.geometry.coordinates.length, 2, 'drawn as the two grids meanwhile');
  const union = sq(0, 0, 0.002);
  const v4 = applySteps(grids, [...steps.slice(0, 2), { ...steps[2], union }]);
  assert.equal(v4.get(V + '02').geometry, union);
  assert.ok(!v4.get(V + '02').pending);
  assert.equal(grids.size, 4, 'grids untouched');
});

test('toChanges: the request shapes of the plans API, with base versions', () => {
  const steps = [
    { kind: 'replace', code: V + '01', boundary: sq(0, 0, 1) },
    { kind: 'split', code: V + '03', into: [{ code: V + '04', name: 'a', boundary: sq(0, 0, 1) }, { code: V + '05', name: 'b', boundary: sq(1, 0, 1) }] },
    { kind: 'merge', codes: [V + '04', V + '02'], grid: { code: V + '02', name: 'm' }, union: sq(0, 0, 2) },
  ];
  const ch = toChanges(grids, steps);
  assert.deepEqual(ch[0], { kind: 'replace', code: V + '01', boundary: sq(0, 0, 1), base: { [V + '01']: 3 } });
  assert.deepEqual(ch[1], { kind: 'split', code: V + '03', into: [{ code: V + '04', name: 'a', boundary: sq(0, 0, 1) }, { code: V + '05', name: 'b', boundary: sq(1, 0, 1) }], base: { [V + '03']: 3 } });
  assert.deepEqual(ch[2], { kind: 'merge', codes: [V + '04', V + '02'], grid: { code: V + '02', name: 'm' }, base: { [V + '02']: 5 } }, 'no boundary: the server joins them');
});

test('proposeCodes follows the parent code + two-digit serial scheme', () => {
  const taken = new Set([...grids.keys()]);
  assert.deepEqual(proposeCodes(V + '03', V, taken, 2), [V + '04', V + '05']);
  taken.add(V + '09');
  assert.deepEqual(proposeCodes(V + '03', V, taken, 3), [V + '10', V + '11', V + '12']);
  assert.deepEqual(proposeCodes('A7', 'X', new Set(['A7', 'A7-1']), 2), ['A7-2', 'A7-3'], 'codes off the scheme');
  assert.deepEqual(proposeCodes('99', '', new Set(), 2), ['99-1', '99-2'], 'no parent');
});

test('defaultName: the parent’s name and the serial, as the demo names grids', () => {
  assert.equal(defaultName(V + '12', V, '王庄村', '王庄村第3网格'), '王庄村第12网格');
  assert.equal(defaultName('A7-2', 'X', 'P', '东区'), '东区-2');
  assert.equal(defaultName('B', '', '', '东区'), '东区 B');
});

test('mergeProblem: two or more neighbours of one parent and level', () => {
  const view = applySteps(grids, []);
  assert.equal(mergeProblem(view, [V + '01', V + '02']), null);
  assert.equal(mergeProblem(view, [V + '01']).key, 'edMergeFew');
  assert.equal(mergeProblem(view, [V + '01', V + '03']).key, 'edMergeApart');
  assert.deepEqual(mergeProblem(view, [V + '01', V + '02', V + '03']).codes, [`${V}01+${V}02`, `${V}03`]);
  assert.equal(mergeProblem(view, [V + '01', '37081200100201']).key, 'edMergeParent', 'neighbours across a village border');
  const other = new Map(view);
  other.set('S', { ...view.get(V + '02'), code: 'S', level: 'village' });
  assert.equal(mergeProblem(other, [V + '01', 'S']).key, 'edMergeLevel');
});

test('splitProblem: codes well formed, distinct, unused; names given', () => {
  const view = applySteps(grids, []);
  const p = (code, name = 'x') => ({ code, name, boundary: null });
  assert.equal(splitProblem(view, V + '03', [p(V + '04'), p(V + '05')]), null);
  assert.equal(splitProblem(view, V + '03', [p(V + '03'), p(V + '05')]), null, 'a piece may keep the code');
  assert.equal(splitProblem(view, V + '03', [p('a b'), p(V + '05')]).key, 'edCodeMalformed');
  assert.equal(splitProblem(view, V + '03', [p(''), p(V + '05')]).key, 'edCodeMalformed');
  assert.equal(splitProblem(view, V + '03', [p(V + '05'), p(V + '05')]).key, 'edCodeTwice');
  assert.deepEqual(splitProblem(view, V + '03', [p(V + '01'), p(V + '05')]), { key: 'edCodeTaken', codes: [V + '01'] });
  assert.equal(splitProblem(view, V + '03', [p(V + '04', ' '), p(V + '05')]).key, 'edNameEmpty');
});
