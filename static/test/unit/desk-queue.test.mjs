// The case desk's queue (src/desk/queue.js) and keys (src/desk/keys.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FILTERS, queueQuery, sortQueue, queueCounts, moveIn, filtersFromURL, filtersToURL, dueOf } from '../../src/desk/queue.js';
import { keyAction } from '../../src/desk/keys.js';

test('the listing query of the filters', () => {
  assert.equal(queueQuery(FILTERS).toString(), 'status=open&limit=200');
  const q = queueQuery({ ...FILTERS, status: 'all', overdue: true, supervised: true, department: 'police', village: '370812001001', category: 'dispute', source: 'hotline' });
  assert.equal(q.toString(), 'overdue=true&supervised=true&department=police&grid=370812001001&category=dispute&source=hotline&limit=200');
});

test('filters round-trip through the URL, bad values dropped', () => {
  const f = { ...FILTERS, overdue: true, department: 'police', sort: 'reported' };
  const p = filtersToURL(f);
  assert.equal(p.toString(), 'overdue=true&department=police&sort=reported');
  assert.deepEqual(filtersFromURL(p), f);
  assert.deepEqual(filtersFromURL(new URLSearchParams('sort=sideways&status=<b>&overdue=1')), { ...FILTERS, overdue: true });
});

const items = [
  { id: 1, reported_at: '2026-12-01T00:00:00Z', deadline: '2026-12-05T00:00:00Z' },
  { id: 2, reported_at: '2026-12-02T00:00:00Z', deadline: null },
  { id: 3, reported_at: '2026-12-03T00:00:00Z', deadline: '2026-12-02T00:00:00Z', overdue: true, supervised: true },
  { id: 4, reported_at: '2026-12-03T00:00:00Z', due: { step: 'register', by: '2026-12-04T16:00:00Z' } },
];

test('sort by due: soonest first, none last; by reported: newest first', () => {
  assert.deepEqual(sortQueue(items, 'due').map((c) => c.id), [3, 4, 1, 2]);
  assert.deepEqual(sortQueue(items, 'reported').map((c) => c.id), [4, 3, 2, 1]);
  assert.equal(dueOf(items[1]), Infinity);
  assert.deepEqual(items.map((c) => c.id), [1, 2, 3, 4]); // not sorted in place
});

test('counts', () => {
  assert.deepEqual(queueCounts(items), { total: 4, overdue: 1, supervised: 1 });
});

test('moving in the queue stops at the ends', () => {
  const ids = [7, 8, 9];
  assert.equal(moveIn(ids, 8, 1), 9);
  assert.equal(moveIn(ids, 9, 1), 9);
  assert.equal(moveIn(ids, 7, -1), 7);
  assert.equal(moveIn(ids, null, 1), 7);
  assert.equal(moveIn(ids, null, -1), 9);
  assert.equal(moveIn(ids, 8, 10), 9);
  assert.equal(moveIn([], 1, 1), null);
});

test('keys', () => {
  const idle = { typing: false, form: false, actions: 3 };
  assert.deepEqual(keyAction({ key: 'j' }, idle), { type: 'move', delta: 1 });
  assert.deepEqual(keyAction({ key: 'ArrowUp' }, idle), { type: 'move', delta: -1 });
  assert.deepEqual(keyAction({ key: 'Enter' }, idle), { type: 'open' });
  assert.equal(keyAction({ key: 'Enter' }, { ...idle, onButton: true }), null); // the button's own
  assert.deepEqual(keyAction({ key: '2' }, idle), { type: 'action', index: 1 });
  assert.equal(keyAction({ key: '4' }, idle), null); // only three actions
  assert.equal(keyAction({ key: 'Escape' }, idle), null);
  assert.deepEqual(keyAction({ key: 'Escape' }, { ...idle, form: true }), { type: 'close' });
  assert.deepEqual(keyAction({ key: 'Escape' }, { ...idle, photo: true }), { type: 'close' });
  assert.equal(keyAction({ key: 'j' }, { ...idle, typing: true }), null); // typing in a field
  assert.deepEqual(keyAction({ key: 'Escape' }, { ...idle, typing: true }), { type: 'close' });
  assert.equal(keyAction({ key: 'j', ctrlKey: true }, idle), null);
});
