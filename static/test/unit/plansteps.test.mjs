// Unit tests of src/plansteps.js: node --test test/unit/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { interiorPoint } from '../../src/geometry.js';
import { applySteps, codeScheme, defaultName, mergeProblem, proposeCodes, proposePieces, splitProblem, toChanges, zhNumeral } from '../../src/plansteps.js';

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

// A street of two villages side by side (S1, S2), each of two micro-grids.
const S = '370812001000';
const [S1, S2] = ['370812001001', '370812001002'];
const tree = new Map([
  [S, { ...feature(S, '', sq(0, 0, 0.004)), properties: { code: S, name: '演示街道', level: 'street', parent: '', version: 1 } }],
  [S1, { ...feature(S1, S, sq(0, 0, 0.002)), properties: { code: S1, name: '王庄村', level: 'village', parent: S, version: 2 } }],
  [S2, { ...feature(S2, S, sq(0.002, 0, 0.002)), properties: { code: S2, name: '李家营村', level: 'village', parent: S, version: 4 } }],
  [S1 + '01', feature(S1 + '01', S1, sq(0, 0, 0.001))],
  [S1 + '02', feature(S1 + '02', S1, sq(0.001, 0, 0.001))],
  [S2 + '01', feature(S2 + '01', S2, sq(0.002, 0, 0.001))],
  [S2 + '02', feature(S2 + '02', S2, sq(0.003, 0, 0.001))],
]);

test('applySteps: the children of villages merged away follow the merged village', () => {
  const v = applySteps(tree, [{ kind: 'merge', codes: [S1, S2], grid: { code: S1, name: '王庄村' } }]);
  assert.ok(!v.has(S2));
  for (const c of [S2 + '01', S2 + '02']) {
    assert.equal(v.get(c).parent, S1, c);
    assert.equal(v.get(c).status, 'changed');
    assert.equal(v.get(c).reparented, S2, 'the old parent is kept');
  }
  for (const c of [S1 + '01', S1 + '02']) assert.equal(v.get(c).status, 'current', `${c} stays as it was`);
  const fresh = applySteps(tree, [{ kind: 'merge', codes: [S1, S2], grid: { code: '370812001032', name: '新村' } }]);
  assert.deepEqual([...fresh.values()].filter((g) => g.level === 'micro').map((g) => g.parent), Array(4).fill('370812001032'), 'a new code takes every child');
  assert.equal(tree.get(S2 + '01').properties.parent, S2, 'grids untouched');
});

test('applySteps: the children of a split village go to the piece holding them', () => {
  const west = sq(0, 0, 0.001);
  const east = sq(0.001, 0, 0.001);
  const kept = applySteps(tree, [{ kind: 'split', code: S1, into: [{ code: S1, name: '王庄村', boundary: west }, { code: '370812001003', name: '王庄村二', boundary: east }] }]);
  assert.equal(kept.get(S1 + '01').parent, S1, 'in the piece keeping the code: stays');
  assert.equal(kept.get(S1 + '01').status, 'current');
  assert.equal(kept.get(S1 + '02').parent, '370812001003');
  assert.equal(kept.get(S1 + '02').reparented, S1);
  assert.equal(kept.get(S2 + '01').parent, S2, 'another village’s children stay');
  const both = applySteps(tree, [{ kind: 'split', code: S1, into: [{ code: 'A', name: 'a', boundary: west }, { code: 'B', name: 'b', boundary: east }] }]);
  assert.deepEqual([both.get(S1 + '01').parent, both.get(S1 + '02').parent], ['A', 'B']);
  // A micro-grid then split keeps following: its pieces take the new parent.
  const then = applySteps(tree, [
    { kind: 'split', code: S1, into: [{ code: S1, name: '王庄村', boundary: west }, { code: '370812001003', name: '王庄村二', boundary: east }] },
    { kind: 'split', code: S1 + '02', into: [{ code: 'P', name: 'p', boundary: sq(0.001, 0, 0.0005) }, { code: 'Q', name: 'q', boundary: sq(0.0015, 0, 0.0005) }] },
  ]);
  assert.equal(then.get('P').parent, '370812001003');
});

test('codeScheme: parent + serial, or the parent’s trailing zeros replaced', () => {
  assert.deepEqual(codeScheme('37081200100107', '370812001001'), { prefix: '370812001001', width: 2 }, 'micro-grid under its village');
  assert.deepEqual(codeScheme('370812001031', '370812001000'), { prefix: '370812001', width: 3 }, 'village under its street');
  assert.deepEqual(codeScheme('37081200100207', '370812001001'), { prefix: '370812001001', width: 2 }, 'a micro-grid moved to another village');
  assert.equal(codeScheme('370812001000', '370812001000'), null, 'the parent’s own code');
  assert.equal(codeScheme('370812002001', '370812001000'), null, 'under another street');
  assert.equal(codeScheme('A7', 'X'), null);
  assert.equal(codeScheme('99', ''), null);
});

test('proposeCodes: the next free village serial under the street', () => {
  const taken = new Set([S]);
  for (let i = 1; i <= 31; i++) taken.add('370812001' + String(i).padStart(3, '0'));
  for (let i = 1; i <= 9; i++) taken.add('370812001031' + String(i).padStart(2, '0')); // micro-grids: not villages
  taken.add('370812002001'); // another street's village
  assert.deepEqual(proposeCodes('370812001007', S, taken, 2), ['370812001032', '370812001033']);
  taken.delete('370812001015');
  assert.deepEqual(proposeCodes('370812001007', S, taken, 1), ['370812001032'], 'numbered on from the highest, not into a gap');
  assert.deepEqual(proposeCodes('37081200100207', S1, new Set([S1 + '01', S1 + '02', '37081200100207']), 1), [S1 + '03'], 'a moved-in grid’s siblings under its new parent');
});

test('proposePieces: a village keeps its code on the largest piece and numbers the others on', () => {
  const village = { code: S1, name: '王庄村', level: 'village', parent: S };
  const taken = new Set([...tree.keys()]);
  assert.deepEqual(proposePieces(village, '演示街道', taken, new Set(['王庄村', '李家营村']), 3), [
    { code: S1, name: '王庄村' },
    { code: '370812001003', name: '王庄村二' },
    { code: '370812001004', name: '王庄村三' },
  ]);
  assert.deepEqual(proposePieces(village, '演示街道', taken, new Set(['王庄村', '王庄村二']), 2)[1], { code: '370812001003', name: '王庄村三' }, 'a name in use is skipped');
  const micro = { code: S1 + '02', name: '王庄村第2网格', level: 'micro', parent: S1 };
  assert.deepEqual(proposePieces(micro, '王庄村', taken, new Set(), 2), [
    { code: S1 + '03', name: '王庄村第3网格' },
    { code: S1 + '04', name: '王庄村第4网格' },
  ], 'micro-grids: every piece new, after the village');
});

test('zhNumeral: 1–99 in Chinese numerals', () => {
  assert.deepEqual([1, 2, 9, 10, 11, 20, 23, 99].map(zhNumeral), ['一', '二', '九', '十', '十一', '二十', '二十三', '九十九']);
  assert.equal(zhNumeral(100), '100');
});

// The plan engine's cases (plan/testdata, shared with the Go tests of
// package plan): the preview must leave the map the server's engine
// leaves. Cases marked go_only are beyond the preview (kinds it does not
// make, people, errors); the preview does not keep a chain of
// reparentings of a grid later split away, so only the moves of grids
// still there are compared.
const testdata = new URL('../../../plan/testdata/', import.meta.url);
const readJSON = (name) => JSON.parse(readFileSync(new URL(name, testdata), 'utf8'));

// stepOf turns a plan change (the API's shape) into the editor's step.
function stepOf(c) {
  switch (c.kind) {
    case 'replace':
      assert.ok(c.boundary, 'the editor’s replace sets a boundary');
      return { kind: 'replace', code: c.code, boundary: c.boundary };
    case 'split':
      return { kind: 'split', code: c.code, into: c.into.map((p) => ({ code: p.code, name: p.name ?? '', boundary: p.boundary })) };
    case 'merge':
      return { kind: 'merge', codes: c.codes, grid: { code: c.grid.code, name: c.grid.name ?? '' }, union: c.grid.boundary };
  }
  throw new Error(`the editor makes no ${c.kind} step: mark the case go_only`);
}

const byCode = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

for (const file of readdirSync(new URL('cases/', testdata)).filter((f) => f.endsWith('.json')).sort()) {
  const c = readJSON('cases/' + file);
  test(`plan case ${c.name}: ${c.description}`, { skip: c.go_only }, () => {
    const grids = new Map(readJSON(`maps/${c.map}.json`).grids.map((g) => [g.code, {
      type: 'Feature', properties: { code: g.code, name: g.name, level: g.level, parent: g.parent, version: g.version }, geometry: g.boundary,
    }]));
    const view = applySteps(grids, c.changes.map(stepOf));
    const got = Object.fromEntries([...view].map(([code, g]) => [code, { name: g.name, level: g.level, parent: g.parent }]));
    assert.deepEqual(got, c.expect.grids, 'the grids after the plan');
    const status = (s) => [...view.values()].filter((g) => g.status === s).map((g) => g.code).sort();
    assert.deepEqual(status('added'), [...c.expect.added].sort(), 'added');
    assert.deepEqual(status('changed'), [...c.expect.changed].sort(), 'changed');
    assert.deepEqual([...grids.keys()].filter((code) => !view.has(code)).sort(), [...c.expect.retired].sort(), 'retired');
    const moved = [...view.values()].filter((g) => g.reparented).map((g) => ({ code: g.code, from: g.reparented, to: g.parent }));
    assert.deepEqual(moved.sort(byCode), c.expect.reparented.filter((r) => view.has(r.code)).sort(byCode), 'reparented');
  });
}

test('interiorPoint: the points on surface of plan/testdata/point-on-surface.json', () => {
  for (const c of readJSON('point-on-surface.json').cases) {
    assert.deepEqual(interiorPoint(c.geometry), c.point, c.name);
  }
});
