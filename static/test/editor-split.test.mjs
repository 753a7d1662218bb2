// Browser test of splitting a grid in the boundary editor, in Debian's
// headless Chromium driven by playwright-core:
//   node test/editor-split.test.mjs BASE_URL [SCREENSHOT.png]
//
// Picks a micro-grid inside its village, chooses Split, draws with the mouse
// a line that ends inside it (refused in the page, nothing sent), then a
// line across it (terra-draw linestring mode): two pieces, codes and names
// proposed after the demo's scheme, one name changed in the side panel;
// the split validates clean and is published; /api/v1/grids serves the two
// new grids (and not the old one) and a lookup of a point in each piece
// answers that piece. Prints one line per check and "N passed, N failed".
import { browserTest } from './browser.mjs';
import { fit, inRing, inside, lookup, microGrids, openEditor, publish, screen, seq, statusOf, validated } from './editor-util.mjs';

await browserTest('usage: node test/editor-split.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  await openEditor(page, base, check);

  // A micro-grid well inside its village (no vertex on the village
  // boundary), the largest such: a convex Voronoi cell.
  const pick = await page.evaluate(() => {
    const ed = window.__editor;
    const ring = (g) => (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0];
    const segs = [];
    for (const v of ed.villages()) {
      const polys = v.geometry.type === 'Polygon' ? [v.geometry.coordinates] : v.geometry.coordinates;
      for (const poly of polys) for (const r of poly) for (let i = 0; i + 1 < r.length; i++) segs.push([r[i], r[i + 1]]);
    }
    const dist = (p, a, b) => {
      const dx = b[0] - a[0], dy = b[1] - a[1];
      const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
    };
    let best = null;
    for (const code of ed.codes()) {
      const f = ed.grid(code);
      if (f.geometry.type === 'MultiPolygon' && f.geometry.coordinates.length > 1) continue;
      const r = ring(f.geometry);
      if (r.some((p) => segs.some(([a, b]) => dist(p, a, b) < 1e-6))) continue;
      const xs = r.map((p) => p[0]);
      const ys = r.map((p) => p[1]);
      const size = (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
      if (!best || size > best.size) {
        const n = r.length - 1;
        const c = [r.slice(0, n).reduce((s, p) => s + p[0], 0) / n, r.slice(0, n).reduce((s, p) => s + p[1], 0) / n];
        best = { code, size, ring: r, c, parent: f.properties.parent, name: f.properties.name, minX: Math.min(...xs), maxX: Math.max(...xs) };
      }
    }
    return best;
  });
  check('found a micro-grid inside its village', !!pick, pick && pick.code);
  if (!pick) throw new Error('no grid to split');
  const before = (await microGrids(page)).map((f) => f.properties.code);

  await fit(page, [pick.code]);
  const c = await screen(page, pick.c);
  await page.mouse.click(c.x, c.y);
  await page.waitForFunction((code) => window.__editor.selected === code, pick.code, { timeout: 10_000 });
  await page.click('#split');
  check('Split switches to drawing a line', (await page.evaluate(() => window.__editor.mode)) === 'split' && (await page.isVisible('#split-panel')));
  check('the split hint is Chinese', (await page.textContent('#split-panel p')).includes('画一条穿过网格的线'));

  // Clicks at a and b ([lon, lat]); a click on the last point finishes.
  const drawLine = async (points) => {
    for (const p of points) {
      const s = await screen(page, p);
      await page.mouse.click(s.x, s.y);
      await page.waitForTimeout(150);
    }
    const last = await screen(page, points[points.length - 1]);
    await page.mouse.click(last.x, last.y);
    await page.waitForTimeout(300);
  };

  // A line from the middle to a point still inside: no cut.
  const r = pick.ring;
  const halfway = [(pick.c[0] + r[0][0]) / 2, (pick.c[1] + r[0][1]) / 2];
  await drawLine([pick.c, halfway]);
  const noCut = await page.evaluate(() => ({ pieces: window.__editor.pieces.length, plan: window.__editor.plan, steps: window.__editor.steps.length }));
  const st = await statusOf(page);
  check('a line that does not cut across is refused with a message', st.kind === 'error' && st.text.includes('没有把网格分成两块'), st.text);
  check('and nothing is sent', noCut.pieces === 0 && noCut.plan === null && noCut.steps === 0, JSON.stringify(noCut));

  // A line across, bent inside the grid: from beyond its west end to
  // beyond its east end through a point just north of the middle.
  const w = pick.maxX - pick.minX;
  const bend = [pick.c[0], pick.c[1] + w * 0.05];
  const line = [[pick.minX - w * 0.25, pick.c[1] - w * 0.05], bend, [pick.maxX + w * 0.25, pick.c[1]]];
  await drawLine(line);
  await page.waitForFunction(() => window.__editor.pieces.length > 0, null, { timeout: 10_000 }).catch(() => {});
  const pieces = await page.evaluate(() => window.__editor.pieces);
  check('a line across cuts the grid in two', pieces.length === 2, `${pieces.length} pieces`);
  if (pieces.length !== 2) throw new Error('no split');
  const listed = await page.$$eval('#pieces li', (l) => l.length);
  check('the pieces are listed in the side panel', listed === 2);
  const serial = new RegExp('^' + pick.parent + '\\d{2}$');
  const proposed = pieces.map((p) => p.code);
  check('new codes follow the scheme (village code + serial) and are unused',
    proposed.every((code) => serial.test(code) && !before.includes(code)) && proposed[0] !== proposed[1], proposed.join(', '));
  check('names follow the scheme (…第N网格)', pieces.every((p) => /第\d+网格$/.test(p.name) && p.name.endsWith(`第${Number(p.code.slice(-2))}网格`)), pieces.map((p) => p.name).join(', '));
  // The pieces share the cut exactly: the vertices that are not the grid's
  // are in both.
  const key = (p) => p.join(',');
  const orig = new Set(r.map(key));
  const fresh = pieces.map((p) => new Set((p.boundary.type === 'Polygon' ? p.boundary.coordinates : p.boundary.coordinates.flat()).flat().map(key).filter((k) => !orig.has(k))));
  // (The bend is where the mouse clicked: within a pixel of the point aimed at.)
  const nearBend = [...fresh[0]].some((k) => { const [x, y] = k.split(',').map(Number); return Math.hypot(x - bend[0], y - bend[1]) < 3e-5; });
  check('the pieces share the cut line exactly', fresh[0].size === 3 && fresh[1].size === 3 && [...fresh[0]].every((k) => fresh[1].has(k)) && nearBend, `${[...fresh[0]].join(' ')} | ${[...fresh[1]].join(' ')}`);

  // Rename the second piece in the side panel.
  const newName = '测试拆分第二块';
  await page.fill('#pieces li:nth-child(2) input.piece-name', newName);
  if (shot) await page.screenshot({ path: shot });
  const s0 = await seq(page);
  await page.click('#split-apply');
  await validated(page, s0);
  const after = await page.evaluate(() => ({
    mode: window.__editor.mode,
    steps: window.__editor.steps.map((s) => ({ kind: s.kind, code: s.code, into: s.into?.map((p) => [p.code, p.name]) })),
    report: window.__editor.report && { n: window.__editor.report.features.length, counts: window.__editor.report.counts },
    impact: window.__editor.impact && { added: window.__editor.impact.added, retired: window.__editor.impact.retired },
  }));
  check('the split is one step with the codes and names of the panel',
    after.steps.length === 1 && after.steps[0].kind === 'split' && after.steps[0].code === pick.code &&
      after.steps[0].into[0][0] === proposed[0] && after.steps[0].into[1][0] === proposed[1] && after.steps[0].into[1][1] === newName,
    JSON.stringify(after.steps));
  check('the split validates clean (no gap, no overlap)', after.report?.n === 0, JSON.stringify(after.report));
  check('the impact: two grids added, one retired',
    after.impact?.added?.length === 2 && after.impact.added.every((c) => proposed.includes(c)) && after.impact.retired?.length === 1 && after.impact.retired[0] === pick.code,
    JSON.stringify(after.impact));
  const drawn = await page.evaluate((codes) => new Set(window.__editor.map.querySourceFeatures('grids').map((f) => f.properties.code).filter((c) => codes.includes(c))).size, proposed);
  check('the pieces are drawn as grids', drawn === 2);
  check('the step is listed', (await page.textContent('#edits')).includes(pick.code));

  const pub = await publish(page);
  check('publish succeeds', pub.kind === 'ok', pub.text);

  const served = await microGrids(page);
  const codes = served.map((f) => f.properties.code);
  check('/api/v1/grids serves the two new grids', proposed.every((c) => codes.includes(c)));
  check('and no longer the grid split', !codes.includes(pick.code));
  check('with the names given', served.find((f) => f.properties.code === proposed[1])?.properties.name === newName);
  for (const code of proposed) {
    const f = served.find((x) => x.properties.code === code);
    const ring = (f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates[0])[0];
    const p = inside(ring);
    const other = served.find((x) => x.properties.code === proposed.find((c) => c !== code));
    const otherRing = (other.geometry.type === 'Polygon' ? other.geometry.coordinates : other.geometry.coordinates[0])[0];
    const got = await lookup(page, p, code);
    check(`a lookup in piece ${code} answers it`, inRing(p, ring) && !inRing(p, otherRing) && got?.code === code, `${p} → ${JSON.stringify(got)}`);
  }
  check('the editor shows the published grids', await page.evaluate((codes) => codes.every((c) => window.__editor.grid(c)), proposed));
});
