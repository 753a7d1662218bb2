// The wall map's patrol coverage classes (src/patrol.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daysSince, patrolClass, patrolPaint, PATROL_CLASSES, NEVER } from '../../src/patrol.js';

// 2026-12-03 09:00 in China (01:00 UTC).
const now = Date.parse('2026-12-03T01:00:00Z');

test('days are China dates, not 24-hour steps', () => {
  // 2026-12-02 23:30 China: yesterday, though only 9.5 hours ago.
  assert.equal(daysSince('2026-12-02T15:30:00Z', now), 1);
  // 2026-12-03 00:10 China: today, though the UTC date is the 2nd.
  assert.equal(daysSince('2026-12-02T16:10:00Z', now), 0);
  assert.equal(daysSince(null, now), null);
  assert.equal(daysSince('not a time', now), null);
  // A clock a little ahead of the browser's: today, not -1.
  assert.equal(daysSince('2026-12-03T01:05:00Z', now), 0);
});

test('classes: today, ≤3, ≤7, older, never', () => {
  const at = (days) => new Date(now - days * 86400e3).toISOString();
  assert.deepEqual([0, 1, 3, 4, 7, 8, 29].map((d) => patrolClass(at(d), now)), [0, 1, 1, 2, 2, 3, 3]);
  assert.equal(patrolClass(null, now), NEVER);
  assert.equal(patrolClass(undefined, now), NEVER);
});

test('the paint expression maps every class to its colour', () => {
  const e = patrolPaint('#000');
  assert.equal(e[0], 'match');
  assert.equal(e.length, 2 + 2 * PATROL_CLASSES.length + 1);
  PATROL_CLASSES.forEach((c, i) => assert.equal(e[e.indexOf(i, 2) + 1], c.colour));
  assert.equal(e.at(-1), '#000');
});
