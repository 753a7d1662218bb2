// The editor's grid search (src/search.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchGrids } from '../../src/search.js';

const grids = [
  { code: '370812001000', name: '演示街道', level: 'street' },
  { code: '370812001001', name: '王家村', level: 'village' },
  { code: '370812001002', name: '李家庄', level: 'village' },
  { code: '37081200100101', name: '王家村01', level: 'micro' },
  { code: '37081200100102', name: '王家村02', level: 'micro' },
  { code: '37081200100201', name: '李家庄01', level: 'micro' },
  { code: 'X-9', name: 'Riverside', level: 'micro' },
];
const codes = (q, limit) => searchGrids(grids, q, limit).map((g) => g.code);

test('an exact code comes first, then codes starting with it', () => {
  assert.deepEqual(codes('370812001001'), ['370812001001', '37081200100101', '37081200100102']);
});

test('a name: exact, then starting with it, the village before its micro-grids', () => {
  assert.deepEqual(codes('王家村'), ['370812001001', '37081200100101', '37081200100102']);
  assert.deepEqual(codes('家庄01'), ['37081200100201']);
});

test('case and spaces do not matter; nothing for nothing', () => {
  assert.deepEqual(codes('  riverSIDE '), ['X-9']);
  assert.deepEqual(codes('x-9'), ['X-9']);
  assert.deepEqual(codes(''), []);
  assert.deepEqual(codes('   '), []);
  assert.deepEqual(codes('nowhere'), []);
});

test('a code found inside comes after names, and the limit holds', () => {
  assert.deepEqual(codes('0101'), ['37081200100101']);
  assert.equal(codes('3708', 2).length, 2);
});
