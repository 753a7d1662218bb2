// The field app's pure rules (src/field/logic.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, memoryStore, thin, keepPosition, metres, fitSize, pieceBody, chinaDay, nearBorder, borderMetres, inside } from '../../src/field/logic.js';

// A walk east along a latitude: dx metres a step, dt seconds a step.
function walk(n, dx, dt, acc = 5) {
  const lat = 35.55;
  const degPerM = 1 / ((Math.PI / 180) * 6371008.8 * Math.cos((lat * Math.PI) / 180));
  return Array.from({ length: n }, (_, i) => ({ lon: 116.8 + i * dx * degPerM, lat, t: 1_700_000_000 + i * dt, acc }));
}

test('thinning keeps a position every 10 m, or every minute standing still', () => {
  const moving = thin(walk(101, 3, 1)); // 300 m in 3 m steps
  assert.equal(moving.length, 26);
  for (let i = 1; i < moving.length; i++) assert.ok(metres([moving[i - 1].lon, moving[i - 1].lat], [moving[i].lon, moving[i].lat]) >= 10 - 1e-6);
  const still = thin(walk(301, 0, 1)); // 5 minutes on one spot
  assert.equal(still.length, 6);
});

test('thinning drops bad accuracy, repeats and positions out of order', () => {
  const [a, b] = walk(2, 50, 10);
  assert.equal(keepPosition(a, { ...b, acc: 150 }), false);
  assert.equal(keepPosition(a, { ...b, t: a.t }), false);
  assert.equal(keepPosition(a, { ...b, t: a.t - 5 }), false);
  assert.equal(keepPosition(null, { ...a, lon: NaN }), false);
  assert.equal(keepPosition(a, b), true);
});

test('pieces carry their id and accuracy; days are China days', () => {
  const p = pieceBody('patrol-1', 3, walk(2, 20, 5));
  assert.equal(p.id, 'patrol-1-3');
  assert.deepEqual(p.points[0].length, 4);
  assert.equal(chinaDay(Date.UTC(2026, 11, 2, 16, 30) / 1000), '2026-12-03');
  assert.equal(chinaDay(Date.UTC(2026, 11, 2, 15, 30) / 1000), '2026-12-02');
});

test('photos shrink to 1600 px on the long side, never grow', () => {
  assert.deepEqual(fitSize(4000, 3000), [1600, 1200]);
  assert.deepEqual(fitSize(3000, 4000), [1200, 1600]);
  assert.deepEqual(fitSize(800, 600), [800, 600]);
});

test('the outbox sends in order, keeps items while offline, sends each once', async () => {
  const server = new Map(); // external id → times stored
  let online = false;
  const sent = [];
  const box = new Outbox(memoryStore(), async (item) => {
    if (!online) throw new TypeError('Failed to fetch');
    server.set(item.id, (server.get(item.id) ?? 0) + 1);
    return { id: server.size };
  }, { onSent: (item) => sent.push(item.id) });
  let r = await box.add({ id: 'a', queuedAt: 1 });
  assert.deepEqual(r, { sent: 0, left: 1, offline: true });
  await box.add({ id: 'b', queuedAt: 2 });
  online = true;
  r = await box.flush();
  assert.deepEqual(r, { sent: 2, left: 0, offline: false });
  assert.deepEqual(sent, ['a', 'b']);
  r = await box.flush();
  assert.equal(r.sent, 0);
  assert.deepEqual([...server.values()], [1, 1]);
});

test('the outbox sets a refused item aside and retries a server error', async () => {
  let fail = 503;
  const box = new Outbox(memoryStore(), async (item) => {
    if (item.id === 'bad') throw Object.assign(new Error('category unknown'), { status: 400 });
    if (fail) throw Object.assign(new Error('busy'), { status: fail });
    return {};
  });
  await box.add({ id: 'bad', queuedAt: 1 });
  let r = await box.add({ id: 'ok', queuedAt: 2 });
  assert.deepEqual(r, { sent: 0, left: 1, offline: true });
  assert.equal((await box.refused())[0].refused, 'category unknown');
  fail = 0;
  r = await box.flush();
  assert.deepEqual(r, { sent: 1, left: 0, offline: false });
  assert.equal((await box.refused()).length, 1);
});

test('two flushes at once send an item once', async () => {
  let calls = 0;
  const box = new Outbox(memoryStore(), async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 5));
    return {};
  });
  await box.store.put({ id: 'x', queuedAt: 1, tries: 0, refused: null });
  await Promise.all([box.flush(), box.flush()]);
  assert.equal(calls, 1);
});

test('near a border the neighbour is named', () => {
  const sq = (x0, code) => ({ properties: { code, name: code }, geometry: { type: 'Polygon', coordinates: [[[x0, 35], [x0 + 0.01, 35], [x0 + 0.01, 35.01], [x0, 35.01], [x0, 35]]] } });
  const grids = [sq(116, 'A'), sq(116.01, 'B')];
  const mPerDeg = (Math.PI / 180) * 6371008.8 * Math.cos((35.005 * Math.PI) / 180);
  const p = [116.01 - 20 / mPerDeg, 35.005]; // 20 m west of the A|B border
  assert.ok(inside(grids[0].geometry, p) && !inside(grids[1].geometry, p));
  assert.ok(Math.abs(borderMetres(grids[1].geometry, p) - 20) < 0.1);
  const r = nearBorder(grids, p);
  assert.equal(r.here.properties.code, 'A');
  assert.equal(r.neighbour.properties.code, 'B');
  assert.equal(nearBorder(grids, [116.005, 35.005]).neighbour, null);
});
