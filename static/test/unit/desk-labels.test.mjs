// The case desk's names of statuses, steps, roles and revisit answers
// (src/desk/labels.js) against caseflow's tables, which a Go test writes
// to caseflow/testdata/labels.json (TestLabelsJSON).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { STATUSES, STEPS, ROLES, SATISFACTIONS, PUBLIC_STATUSES, label } from '../../src/desk/labels.js';
import { FIELDS } from '../../src/desk/validate.js';
import { strings } from '../../src/desk/strings.js';

const golden = JSON.parse(readFileSync(new URL('../../../caseflow/testdata/labels.json', import.meta.url), 'utf8'));

test('labels equal caseflow\'s, in loop order', () => {
  assert.deepEqual(STATUSES, golden.statuses);
  assert.deepEqual(STEPS, golden.steps);
  assert.deepEqual(ROLES, golden.roles);
  assert.deepEqual(SATISFACTIONS, golden.satisfactions);
});

test('every step has a form, every case status a public one', () => {
  assert.deepEqual(Object.keys(FIELDS).sort(), golden.steps.map((s) => s.name).sort());
  const covered = PUBLIC_STATUSES.flatMap((p) => p.of).sort();
  assert.deepEqual(covered, golden.statuses.map((s) => s.name).sort());
});

test('label falls back to the name', () => {
  assert.equal(label('step', 'dispatch', 'zh'), '派遣');
  assert.equal(label('step', 'dispatch', 'en'), 'Dispatch');
  assert.equal(label('outcome', 'send_back', 'zh'), '退回');
  assert.equal(label('status', 'nonsense', 'en'), 'nonsense');
});

test('every form field and validation message has both languages', () => {
  const keys = new Set(Object.values(FIELDS).flat().map((f) => f.name));
  for (const k of ['vRequired', 'vChoose', 'vPhotos', 'vFuture', 'vTime', 'vWednesday', 'vPast', 'vConsult', 'vReason', 'vLine', 'vLong']) keys.add(k);
  for (const k of keys) {
    assert.ok(strings.zh[k], `zh ${k}`);
    assert.ok(strings.en[k], `en ${k}`);
  }
  assert.deepEqual(Object.keys(strings.zh).sort(), Object.keys(strings.en).sort());
});
