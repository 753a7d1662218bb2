// Browser test of merging grids in the boundary editor, and of editing a
// grid of several parts, in Debian's headless Chromium driven by
// playwright-core: node test/editor-merge.test.mjs BASE_URL [SCREENSHOT.png]
//
// Picks grid A, Shift-clicks a grid that is not its neighbour (refused in
// the page, nothing sent), picks one of another village (refused), then
// ticks neighbour B in the side panel's list, keeps B's code under a new
// name, merges: validated clean, published; /api/v1/grids serves B alone
// and lookups in either old grid answer B. Then a grid made of two parts
// (two non-neighbours merged through the plans API) has a vertex of its
// second part dragged with the mouse: the edit keeps the first part exactly.
// Prints one line per check and "N passed, N failed".
import { browserTest } from './browser.mjs';
import { drag, fit, inside, lookup, microGrids, openEditor, publish, screen, seq, statusOf, validated } from './editor-util.mjs';

await browserTest('usage: node test/editor-merge.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  await openEditor(page, base, check);

  // A and B share an edge; C is in their village and shares no vertex with
  // either; D is in another village.
  const findGrids = () => page.evaluate(() => {
    const ed = window.__editor;
    const ring = (code) => { const g = ed.grid(code).geometry; return (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0]; };
    const key = (p) => p[0].toFixed(9) + ',' + p[1].toFixed(9);
    const vs = (code) => new Set(ring(code).map(key));
    const edges = (code) => { const r = ring(code).map(key); return new Set(r.slice(1).map((k, i) => [k, r[i]].sort().join('|'))); };
    const codes = ed.codes().filter((c) => ed.grid(c).geometry.type === 'Polygon' || ed.grid(c).geometry.coordinates.length === 1);
    const parent = (c) => ed.grid(c).properties.parent;
    for (const a of codes) {
      const ea = edges(a);
      for (const b of codes) {
        if (b === a || parent(b) !== parent(a) || ![...edges(b)].some((e) => ea.has(e))) continue;
        const c = codes.find((c) => c !== a && c !== b && parent(c) === parent(a) && ![...vs(c)].some((k) => vs(a).has(k) || vs(b).has(k)));
        const d = codes.find((d) => parent(d) !== parent(a));
        if (c && d) return { a, b, c, d, ra: ring(a), rb: ring(b), rc: ring(c), nameB: ed.grid(b).properties.name, versionB: ed.grid(b).properties.version };
      }
    }
    return null;
  });
  const g = await findGrids();
  check('found neighbours A, B, a non-neighbour C and a grid of another village D', !!g, g && `${g.a} ${g.b} ${g.c} ${g.d}`);
  if (!g) throw new Error('no grids to merge');

  await fit(page, [g.a, g.b, g.c]);
  const click = async (p, shift = false) => {
    const s = await screen(page, p);
    if (shift) await page.keyboard.down('Shift');
    await page.mouse.click(s.x, s.y);
    if (shift) await page.keyboard.up('Shift');
  };
  await click(inside(g.ra));
  await page.waitForFunction((a) => window.__editor.selected === a, g.a, { timeout: 10_000 });

  // Shift-click C: picked with A, the merge panel opens; merging is refused.
  await click(inside(g.rc), true);
  const picked1 = await page.evaluate(() => window.__editor.picked);
  check('Shift-click picks grids for a merge', picked1.join() === [g.a, g.c].join() && (await page.isVisible('#merge-panel')), JSON.stringify(picked1));
  await page.click('#merge-apply');
  let st = await statusOf(page);
  check('grids that are not neighbours are refused with a message', st.kind === 'error' && st.text.includes('不相邻'), st.text);
  const nothing = () => page.evaluate(() => window.__editor.plan === null && window.__editor.steps.length === 0);
  check('and nothing is sent', await nothing());

  // Untick C; pick D (another village): refused.
  await page.click(`#merge-list input[value="${g.c}"]`);
  check('unticking C takes it out', (await page.evaluate(() => window.__editor.picked)).join() === g.a);
  await page.evaluate((d) => window.__editor.pick(d), g.d);
  await page.click('#merge-apply');
  st = await statusOf(page);
  check('grids of different parents are refused with a message', st.kind === 'error' && st.text.includes('同一上级'), st.text);
  check('and nothing is sent', await nothing());
  await page.evaluate((d) => window.__editor.pick(d), g.d);

  // B is offered as A's neighbour in the list: tick it.
  const offered = await page.$$eval('#merge-list input', (l) => l.map((i) => i.value));
  check("the list offers A's neighbours", offered.includes(g.b) && !offered.includes(g.c) && !offered.includes(g.d), offered.join(', '));
  await page.click(`#merge-list input[value="${g.b}"]`);
  check('ticking picks the grid', (await page.evaluate(() => window.__editor.picked)).join() === [g.a, g.b].join());
  await page.selectOption('#merge-code', g.b);
  check('the name follows the code kept', (await page.inputValue('#merge-name')) === g.nameB);
  const newName = '测试合并网格';
  await page.fill('#merge-name', newName);
  if (shot) await page.screenshot({ path: shot });
  const s0 = await seq(page);
  await page.click('#merge-apply');
  await validated(page, s0);
  await page.waitForFunction((b) => window.__editor.planned(b) && !window.__editor.planned(b).pending, g.b, { timeout: 10_000 }).catch(() => {});
  const after = await page.evaluate((b) => ({
    steps: window.__editor.steps.map((s) => ({ kind: s.kind, codes: s.codes, grid: s.grid })),
    report: window.__editor.report && { n: window.__editor.report.features.length, counts: window.__editor.report.counts },
    impact: window.__editor.impact && { changed: window.__editor.impact.changed, retired: window.__editor.impact.retired },
    merged: window.__editor.planned(b),
  }), g.b);
  check('the merge is one step keeping the code and name chosen',
    after.steps.length === 1 && after.steps[0].kind === 'merge' && after.steps[0].codes.join() === [g.b, g.a].join() && after.steps[0].grid.code === g.b && after.steps[0].grid.name === newName,
    JSON.stringify(after.steps));
  check('the merge validates clean', after.report?.n === 0, JSON.stringify(after.report));
  check('the impact: B changed, A retired', after.impact?.changed?.join() === g.b && after.impact?.retired?.join() === g.a, JSON.stringify(after.impact));
  const mergedParts = after.merged?.geometry.type === 'Polygon' ? 1 : after.merged?.geometry.coordinates.length;
  check('the merged grid is drawn as the union the server joined (one polygon)', after.merged && !after.merged.pending && mergedParts === 1);

  const pub = await publish(page);
  check('publish succeeds', pub.kind === 'ok', pub.text);
  const served = await microGrids(page);
  const b = served.find((f) => f.properties.code === g.b);
  check('/api/v1/grids serves the merged grid with its new name and no longer A',
    b?.properties.name === newName && b.properties.version > g.versionB && !served.some((f) => f.properties.code === g.a));
  for (const [label, ring] of [['A', g.ra], ['B', g.rb]]) {
    const p = inside(ring);
    const got = await lookup(page, p, g.b);
    check(`a lookup in what was ${label} answers the merged grid`, got?.code === g.b && got.name === newName, `${p} → ${JSON.stringify(got)}`);
  }

  // A grid of two parts: C merged with a grid of its village that is not
  // its neighbour, through the plans API.
  const multi = await page.evaluate(async (c) => {
    const ed = window.__editor;
    const ring = (code) => { const g = ed.grid(code).geometry; return (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0]; };
    const key = (p) => p[0].toFixed(9) + ',' + p[1].toFixed(9);
    const vc = new Set(ring(c).map(key));
    const e = ed.codes().find((x) => x !== c && ed.grid(x).properties.parent === ed.grid(c).properties.parent && !ring(x).some((p) => vc.has(key(p))));
    const call = async (method, url, body) => {
      const r = await fetch(url, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    };
    const plan = (await call('POST', '/api/v1/plans', { title: 'two parts', actor: 'test' })).body;
    const add = await call('POST', `/api/v1/plans/${plan.id}/changes`, { kind: 'merge', codes: [c, e], grid: { code: c } });
    const pub = await call('POST', `/api/v1/plans/${plan.id}/publish`, { actor: 'test' });
    return { e, add: add.status, pub: pub.status, detail: pub.body.detail };
  }, g.c);
  check('a grid of two parts is published through the API', multi.add === 200 && multi.pub === 200, JSON.stringify(multi));
  await page.reload();
  await page.waitForFunction(() => window.__editor?.ready && window.__editor.codes().length > 0, null, { timeout: 60_000 });
  const geom = await page.evaluate((c) => window.__editor.grid(c).geometry, g.c);
  check('it is a MultiPolygon of two parts', geom.type === 'MultiPolygon' && geom.coordinates.length === 2);
  // The second part: the one the editor used to leave alone.
  const k = 1;
  const part = geom.coordinates[k][0];
  await fit(page, [g.c]);
  await click(inside(part));
  await page.waitForFunction((c) => window.__editor.selected === c, g.c, { timeout: 10_000 });
  const ids = await page.evaluate(() => window.__editor.drawIds);
  check('both parts are put into terra-draw for editing', ids.length === 2, ids.join(', '));
  check('the html says so', (await page.textContent('#grid-parts')).includes('2'));

  const v = part[0];
  const cx = part.slice(0, -1).reduce((s, p) => s + p[0], 0) / (part.length - 1);
  const cy = part.slice(0, -1).reduce((s, p) => s + p[1], 0) / (part.length - 1);
  const to = [v[0] * 0.75 + cx * 0.25, v[1] * 0.75 + cy * 0.25];
  await drag(page, v, to);
  await page.waitForFunction((c) => !!window.__editor.edits[c], g.c, { timeout: 5_000 }).catch(() => {});
  const edited = await page.evaluate((c) => window.__editor.edits[c], g.c);
  check('dragging a vertex of the second part with the mouse edits the grid', !!edited);
  if (edited) {
    const moved = edited.coordinates[k]?.[0] ?? [];
    check('the edit keeps both parts', edited.type === 'MultiPolygon' && edited.coordinates.length === 2);
    check('the other part is exactly as it was', JSON.stringify(edited.coordinates[1 - k]) === JSON.stringify(geom.coordinates[1 - k]));
    check('the dragged part has the vertex where it was dropped', moved.some((p) => Math.hypot(p[0] - to[0], p[1] - to[1]) < 3e-5) && !moved.some((p) => p[0] === v[0] && p[1] === v[1]));
  }
  await page.evaluate(() => window.__editor.idle());
  await page.click('#undo');
  await page.waitForFunction(() => Object.keys(window.__editor.edits).length === 0, null, { timeout: 10_000 }).catch(() => {});
  check('undo takes the edit back', (await page.evaluate(() => Object.keys(window.__editor.edits).length)) === 0);
  await page.evaluate(() => window.__editor.idle());
});
