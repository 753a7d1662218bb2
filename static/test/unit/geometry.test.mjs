// Unit tests of src/geometry.js: node --test test/unit/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaM2, components, fromParts, interiorPoint, partAt, polygons, replacePart, sameBoundary, sharedBorderM, splitByLine } from '../../src/geometry.js';

const sq = (x, y, s) => [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]];
const key = (p) => p.join(',');
const verts = (g) => new Set(polygons(g).flat(2).map(key));
const signed = (ring) => ring.slice(1).reduce((s, p, i) => s + ring[i][0] * p[1] - p[0] * ring[i][1], 0) / 2;
// planar is the area in square degrees: additive exactly where areaM2
// (on the sphere) is only nearly so.
// (about the origin o, so the products do not swamp the digits).
const planar = (g, o = [0, 0]) => polygons(g).reduce((s, poly) => s + poly.reduce((t, r, i) => t + (i ? -1 : 1) * Math.abs(signed(r.map((p) => [p[0] - o[0], p[1] - o[1]]))), 0), 0);
const O = [116.8, 35.55];

// A micro-grid sized polygon in the demo street, with coordinates that are
// not round numbers.
const grid = { type: 'Polygon', coordinates: [[
  [116.80123456789, 35.55012345678], [116.80612345678, 35.55034567891], [116.80798765432, 35.55398765432],
  [116.80456789012, 35.55712345678], [116.80087654321, 35.55501234567], [116.80123456789, 35.55012345678],
]] };

test('a line across a grid cuts it in two pieces that share the cut exactly', () => {
  const line = [[116.8040, 35.5490], [116.8052, 35.5540], [116.8031, 35.5590]];
  const pieces = splitByLine(grid, line);
  assert.equal(pieces.length, 2);
  const total = planar(grid, O);
  assert.ok(Math.abs(planar(pieces[0], O) + planar(pieces[1], O) - total) < 1e-9 * total, 'areas add up');
  assert.ok(Math.abs(areaM2(pieces[0]) + areaM2(pieces[1]) - areaM2(grid)) < 1e-5 * areaM2(grid), 'and in m²');
  assert.ok(Math.abs(areaM2(grid) - 355015) < 1, `area ${areaM2(grid)} m²`);
  assert.ok(areaM2(pieces[0]) >= areaM2(pieces[1]), 'largest first');
  const orig = verts(grid);
  const [a, b] = pieces.map(verts);
  // Every vertex of the grid is kept exactly, in one piece or the other.
  for (const v of orig) assert.ok(a.has(v) || b.has(v), `vertex ${v} kept`);
  // The new vertices (where the line crosses and bends) are in both pieces.
  const newA = [...a].filter((v) => !orig.has(v));
  const newB = [...b].filter((v) => !orig.has(v));
  assert.equal(newA.length, 3, 'two crossings and the bend');
  assert.deepEqual(newA.sort(), newB.sort());
  assert.ok(newA.includes(key([116.8052, 35.5540])), 'the bend of the line is a vertex of both');
  for (const p of pieces) {
    assert.equal(p.type, 'Polygon');
    assert.ok(signed(p.coordinates[0]) > 0, 'exterior counter-clockwise');
  }
});

test('a line that does not cut across gives no pieces', () => {
  assert.deepEqual(splitByLine(grid, [[116.8040, 35.5490], [116.8045, 35.5530]]), [], 'ends inside');
  assert.deepEqual(splitByLine(grid, [[116.79, 35.54], [116.79, 35.56]]), [], 'outside');
  assert.deepEqual(splitByLine(grid, [[116.8040, 35.5530]]), [], 'one point');
  const r = grid.coordinates[0];
  assert.deepEqual(splitByLine(grid, [r[0], r[1]]), [], 'along an edge');
});

test('a straight line through a U cuts it in three', () => {
  const u = { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] };
  const pieces = splitByLine(u, [[-1, 2], [4, 2]]);
  assert.equal(pieces.length, 3);
  assert.ok(Math.abs(pieces.reduce((s, p) => s + planar(p), 0) - planar(u)) < 1e-9 * planar(u));
});

test('a hole stays a hole, split with the rest', () => {
  const g = { type: 'Polygon', coordinates: [sq(0, 0, 4)[0], [[1, 1], [1, 3], [3, 3], [3, 1], [1, 1]]] };
  const pieces = splitByLine(g, [[2, -1], [2, 5]]);
  assert.equal(pieces.length, 2);
  for (const p of pieces) assert.equal(planar(p), planar(g) / 2);
});

test('parts of a MultiPolygon the line misses go, unchanged, with the nearest piece', () => {
  const island = sq(10, 0, 1);
  const g = { type: 'MultiPolygon', coordinates: [sq(0, 0, 4), island] };
  const pieces = splitByLine(g, [[-1, 1], [5, 1]]);
  assert.equal(pieces.length, 2);
  const withIsland = pieces.filter((p) => p.type === 'MultiPolygon');
  assert.equal(withIsland.length, 1);
  assert.deepEqual(withIsland[0].coordinates[1], island, 'the island exactly as it was');
  // The piece nearer the island: both are as near (x = 4 … 10), so check
  // with an island nearer the top.
  const g2 = { type: 'MultiPolygon', coordinates: [sq(0, 0, 4), sq(0, 6, 1)] };
  const [big, small] = splitByLine(g2, [[-1, 1], [5, 1]]);
  assert.equal(big.type, 'MultiPolygon', 'the top piece (y 1…4) is nearer the island at y 6');
  assert.equal(small.type, 'Polygon');
  // A line through no part: nothing.
  assert.deepEqual(splitByLine(g, [[6, -1], [6, 5]]), []);
});

test('random lines across a grid: pieces cover it and share every new vertex', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const [minX, maxX, minY, maxY] = [116.8008, 116.8080, 35.5501, 35.5572];
  let split = 0;
  for (let n = 0; n < 50; n++) {
    const line = [[minX - 0.001, minY + rnd() * (maxY - minY)], [minX + rnd() * (maxX - minX), minY + rnd() * (maxY - minY)], [maxX + 0.001, minY + rnd() * (maxY - minY)]];
    const pieces = splitByLine(grid, line);
    if (!pieces.length) continue;
    split++;
    const total = planar(grid, O);
    assert.ok(Math.abs(pieces.reduce((s, p) => s + planar(p, O), 0) - total) < 1e-9 * total, `areas, line ${JSON.stringify(line)}`);
    const orig = verts(grid);
    const count = new Map();
    for (const p of pieces) for (const v of verts(p)) if (!orig.has(v)) count.set(v, (count.get(v) ?? 0) + 1);
    for (const [v, c] of count) assert.ok(c >= 2, `new vertex ${v} in ${c} piece(s)`);
  }
  assert.ok(split >= 25, `${split} of 50 lines cut the grid`);
});

test('replacePart keeps the other parts as they are', () => {
  const a = sq(0, 0, 1);
  const b = sq(5, 5, 1);
  const g = { type: 'MultiPolygon', coordinates: [a, b] };
  const moved = [[[0, 0], [1.5, 0], [1, 1], [0, 1], [0, 0]]];
  const r = replacePart(g, 0, moved);
  assert.equal(r.type, 'MultiPolygon');
  assert.equal(r.coordinates[0], moved);
  assert.equal(r.coordinates[1], b, 'the same array, untouched');
  assert.deepEqual(replacePart({ type: 'Polygon', coordinates: a }, 0, moved), { type: 'Polygon', coordinates: moved });
  assert.throws(() => replacePart(g, 2, moved));
  assert.ok(sameBoundary({ type: 'Polygon', coordinates: a }, { type: 'MultiPolygon', coordinates: [a] }));
  assert.ok(!sameBoundary(g, fromParts([a])));
});

test('partAt finds the part under a point', () => {
  const g = { type: 'MultiPolygon', coordinates: [sq(0, 0, 1), sq(5, 5, 1)] };
  assert.equal(partAt(g, [0.5, 0.5]), 0);
  assert.equal(partAt(g, [5.5, 5.5]), 1);
  assert.equal(partAt(g, [3, 3]), -1);
});

test('sharedBorderM measures shared edges, T-junctions included, not corners', () => {
  const d = 0.001; // about 90 m east-west, 111 m north-south here
  const a = { type: 'Polygon', coordinates: sq(116.8, 35.55, d) };
  const east = { type: 'Polygon', coordinates: sq(116.8 + d, 35.55, d) };
  const corner = { type: 'Polygon', coordinates: sq(116.8 + d, 35.55 + d, d) };
  const halfT = { type: 'Polygon', coordinates: [[[116.8 + d, 35.55 + d / 2], [116.8 + 2 * d, 35.55 + d / 2], [116.8 + 2 * d, 35.55 + 2 * d], [116.8 + d, 35.55 + 2 * d], [116.8 + d, 35.55 + d / 2]]] };
  const side = (6371008.8 * Math.PI / 180) * d;
  assert.ok(Math.abs(sharedBorderM(a, east) - side) < 0.01, `${sharedBorderM(a, east)} ≈ ${side}`);
  assert.equal(sharedBorderM(a, corner), 0);
  assert.ok(Math.abs(sharedBorderM(a, halfT) - side / 2) < 0.01, 'half an edge, no shared vertex');
  assert.deepEqual(components([a, corner]), [[0], [1]], 'a corner is not a border');
  assert.deepEqual(components([a, corner, east]), [[0, 1, 2]], 'the corner grid touches east along an edge');
  assert.deepEqual(components([a, halfT, corner]), [[0, 1, 2]]);
});

test('interiorPoint: a point inside, even where the centroid is not', () => {
  // A U shape: its centroid lies in the notch.
  const u = { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] };
  const p = interiorPoint(u);
  assert.ok(partAt(u, p) === 0, `${p} inside`);
  assert.ok(!(p[0] > 1 && p[0] < 2 && p[1] > 1), 'not in the notch');
  const two = { type: 'MultiPolygon', coordinates: [sq(0, 0, 1), sq(5, 5, 2)] };
  assert.ok(partAt(two, interiorPoint(two)) >= 0);
  assert.equal(interiorPoint({ type: 'MultiPolygon', coordinates: [] }), null);
});
