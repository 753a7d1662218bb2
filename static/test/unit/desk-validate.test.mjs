// The checks of the case desk's step forms (src/desk/validate.js), as
// caseflow.Apply makes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateStep, fromChinaLocal, chinaDate, chinaLocal, nextWednesday, weekday, defaultDeadline } from '../../src/desk/validate.js';

// Thursday 3 December 2026, 15:30 China time.
const now = new Date('2026-12-03T07:30:00Z');
const photo = 'a'.repeat(64);

test('China time', () => {
  assert.equal(chinaDate(now), '2026-12-03');
  assert.equal(chinaDate(new Date('2026-12-03T16:30:00Z')), '2026-12-04'); // past midnight in China
  assert.equal(chinaLocal(now), '2026-12-03T15:30');
  assert.equal(fromChinaLocal('2026-12-05T18:00'), '2026-12-05T18:00:00+08:00');
  assert.equal(fromChinaLocal('2026-12-09'), '2026-12-09T00:00:00+08:00');
  assert.equal(fromChinaLocal('5 Dec'), '');
  assert.equal(fromChinaLocal('2026-13-40T10:00'), '');
  assert.equal(weekday('2026-12-09'), 3);
  assert.equal(nextWednesday(now), '2026-12-09');
  assert.equal(nextWednesday(new Date('2026-12-09T01:00:00Z')), '2026-12-09'); // a Wednesday is its own
  assert.equal(defaultDeadline(now, 2), '2026-12-05T18:00');
});

const cases = [
  { name: 'register needs nothing', step: 'register', v: {}, body: { step: 'register' } },
  { name: 'register keeps its note, trimmed', step: 'register', v: { note: ' 已核实 ' }, body: { step: 'register', note: '已核实' } },
  { name: 'reject needs a reason', step: 'reject', v: { note: 'x' }, errors: { reason: 'vRequired' } },
  { name: 'reject', step: 'reject', v: { reason: '不属于受理范围' }, body: { step: 'reject', reason: '不属于受理范围' } },
  { name: 'dispatch needs department, person, deadline', step: 'dispatch', v: { deadline: '' }, errors: { department: 'vChoose', person: 'vRequired', deadline: 'vRequired' } },
  { name: 'dispatch deadline must be ahead', step: 'dispatch', v: { department: 'police', person: '张警官', deadline: '2026-12-03T15:00' }, errors: { deadline: 'vFuture' } },
  { name: 'dispatch deadline must be a time', step: 'dispatch', v: { department: 'police', person: '张警官', deadline: 'tomorrow' }, errors: { deadline: 'vTime' } },
  { name: 'dispatch person is one line', step: 'dispatch', v: { department: 'police', person: '张\n警官', deadline: '2026-12-05T18:00' }, errors: { person: 'vLine' } },
  { name: 'dispatch', step: 'dispatch', v: { department: 'police', person: '张警官', deadline: '2026-12-05T18:00' },
    body: { step: 'dispatch', department: 'police', person: '张警官', deadline: '2026-12-05T18:00:00+08:00' } },
  { name: 'investigate needs a note', step: 'investigate', v: {}, errors: { note: 'vRequired' } },
  { name: 'consult needs a decision or an agenda', step: 'consult', v: { note: 'x' }, errors: { decision: 'vConsult' } },
  { name: 'consult agenda must be a Wednesday', step: 'consult', v: { agenda: '2026-12-10' }, errors: { agenda: 'vWednesday' } },
  { name: 'consult agenda must not be past', step: 'consult', v: { agenda: '2026-12-02' }, errors: { agenda: 'vPast' } },
  { name: 'consult on the agenda', step: 'consult', v: { agenda: '2026-12-09' }, body: { step: 'consult', agenda: '2026-12-09' } },
  { name: 'consult with a decision', step: 'consult', v: { decision: '联合调解' }, body: { step: 'consult', decision: '联合调解' } },
  { name: 'supervise needs a new deadline', step: 'supervise', v: {}, errors: { deadline: 'vRequired' } },
  { name: 'supervise', step: 'supervise', v: { deadline: '2026-12-04T12:00', note: '请加快' }, body: { step: 'supervise', deadline: '2026-12-04T12:00:00+08:00', note: '请加快' } },
  { name: 'resolve needs photos', step: 'resolve', v: { note: '已清理' }, errors: { attachments: 'vPhotos' } },
  { name: 'resolve', step: 'resolve', v: { attachments: [photo], note: '已清理' }, body: { step: 'resolve', attachments: [photo], note: '已清理' } },
  { name: 'review needs an outcome', step: 'review', v: {}, errors: { outcome: 'vChoose' } },
  { name: 'review send back needs a reason', step: 'review', v: { outcome: 'send_back' }, errors: { reason: 'vReason' } },
  { name: 'review accept', step: 'review', v: { outcome: 'accept' }, body: { step: 'review', outcome: 'accept' } },
  { name: 'review outcome from the list', step: 'review', v: { outcome: 'maybe' }, errors: { outcome: 'vChoose' } },
  { name: 'reply needs a note', step: 'reply', v: {}, errors: { note: 'vRequired' } },
  { name: 'revisit not satisfied needs a reason', step: 'revisit', v: { outcome: 'not_satisfied' }, errors: { reason: 'vReason' } },
  { name: 'revisit satisfied', step: 'revisit', v: { outcome: 'satisfied' }, body: { step: 'revisit', outcome: 'satisfied' } },
  { name: 'close', step: 'close', v: {}, body: { step: 'close' } },
  { name: 'a note too long', step: 'close', v: { note: 'x'.repeat(4001) }, errors: { note: 'vLong' } },
  { name: 'an unknown step', step: 'fly', v: {}, errors: { step: 'vUnknownStep' } },
];

for (const c of cases) {
  test(c.name, () => {
    const { errors, body } = validateStep(c.step, c.v, now);
    assert.deepEqual(errors, c.errors ?? {});
    assert.deepEqual(body, c.body ?? null);
  });
}
