// Browser test of editing village grids in the boundary editor, in Debian's
// headless Chromium driven by playwright-core:
//   node test/editor-village.test.mjs BASE_URL [SCREENSHOT.png]
//
// Switches the level to 村/社区: the villages are picked with clicks, the
// micro-grids only drawn. Merges two neighbouring villages A and B (A's code
// kept, a new name): validated clean, the impact lists B's micro-grids as
// moving to A, published; then /api/v1/grids has no B, every micro-grid
// that was under B has A as parent, and a lookup in one of them has A in its
// chain. Then splits the merged village back along the old border, the cut
// drawn by clicking its vertices (they snap, so the cut follows the
// micro-grids' borders exactly): the largest piece keeps the code and the
// other takes the next village serial and the name numbered on (…二);
// validated clean, the micro-grids of the new piece move to it, published
// and served. Prints one line per check and "N passed, N failed".
import { browserTest } from './browser.mjs';
import { fit, inRing, inside, openEditor, publish, screen, seq, validated } from './editor-util.mjs';

await browserTest('usage: node test/editor-village.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  await openEditor(page, base, check);
  const api = (url) => page.evaluate(async (url) => {
    const r = await fetch(url);
    return { status: r.status, body: await r.json() };
  }, url);
  const codesOf = (fc) => fc.features.map((f) => f.properties.code).sort();
  const ringOf = (g) => (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0];
  // click at p ([lon, lat]), off by dx, dy pixels.
  const click = async (p, shift = false, dx = 0, dy = 0) => {
    const s = await screen(page, p);
    if (shift) await page.keyboard.down('Shift');
    await page.mouse.click(s.x + dx, s.y + dy);
    if (shift) await page.keyboard.up('Shift');
  };

  // ---------- the level switch ----------
  check('the level switch is Chinese', (await page.textContent('#level button[data-value="village"]')) === '村/社区' && (await page.textContent('#level button[data-value="micro"]')) === '微网格');
  check('it starts on the micro-grids', (await page.getAttribute('#level button[data-value="micro"]', 'aria-checked')) === 'true');
  const microBefore = (await api('/api/v1/grids?level=micro')).body.features;
  await page.click('#level button[data-value="village"]');
  const lv = await page.evaluate(() => ({
    level: window.__editor.level,
    codes: window.__editor.codes(),
    url: location.search,
    hint: !document.querySelector('#level-hint').hidden,
    checked: document.querySelector('#level button[data-value="village"]').getAttribute('aria-checked'),
  }));
  const villagesBefore = (await api('/api/v1/grids?level=village')).body.features;
  check('村/社区 switches to the villages', lv.level === 'village' && lv.checked === 'true' && lv.codes.join() === codesOf({ features: villagesBefore }).join(), `${lv.level} ${lv.codes.length} codes`);
  check('the URL keeps the level', lv.url.includes('level=village'), lv.url);
  check('the hint says the micro-grids are for reference', lv.hint && (await page.textContent('#level-hint')).includes('仅供参考'));

  // Two neighbouring villages A < B (one polygon each, B not the last
  // serial, B with micro-grids), sharing one stretch of border.
  const g = await page.evaluate(() => {
    const ed = window.__editor;
    const ring = (c) => { const g = ed.grid(c).geometry; return (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0]; };
    const single = (c) => ed.grid(c).geometry.type === 'Polygon' || ed.grid(c).geometry.coordinates.length === 1;
    const key = (p) => p.join(',');
    const codes = ed.codes().sort();
    const last = codes[codes.length - 1];
    // The border A and B share, in order along A's ring (one run of shared vertices).
    const border = (a, b) => {
      const ra = ring(a).slice(0, -1);
      const kb = new Set(ring(b).map(key));
      const shared = ra.map((p) => kb.has(key(p)));
      const n = ra.length;
      const count = shared.filter(Boolean).length;
      if (count < 2 || count === n) return null;
      const i = shared.findIndex((s, k) => s && !shared[(k - 1 + n) % n]);
      const path = [];
      for (let k = 0; k < n && shared[(i + k) % n]; k++) path.push(ra[(i + k) % n]);
      return path.length === count ? path : null;
    };
    for (const a of codes) {
      if (!single(a)) continue;
      for (const b of ed.neighbours(a)) {
        if (b <= a || b === last || !single(b)) continue;
        const path = border(a, b);
        if (path) return { a, b, ra: ring(a), rb: ring(b), path, nameA: ed.grid(a).properties.name, versionA: ed.grid(a).properties.version };
      }
    }
    return null;
  });
  check('found neighbouring villages A and B', !!g, g && `${g.a} ${g.b}, border of ${g.path.length} vertices`);
  if (!g) throw new Error('no villages to merge');
  const underB = microBefore.filter((f) => f.properties.parent === g.b);
  const underA = microBefore.filter((f) => f.properties.parent === g.a);
  check('B has micro-grids', underB.length >= 2 && underA.length >= 2, `${underA.length} under A, ${underB.length} under B`);

  await fit(page, [g.a, g.b]);
  const faint = await page.evaluate(() => window.__editor.map.queryRenderedFeatures({ layers: ['child-line'] }).length);
  check('the micro-grids are drawn faintly', faint > 0, `${faint} features`);

  // A click in one of A's micro-grids picks A: micro-grids cannot be picked.
  const m0 = underA[0];
  await click(inside(ringOf(m0.geometry)));
  await page.waitForFunction((a) => window.__editor.selected === a, g.a, { timeout: 10_000 }).catch(() => {});
  check('a click on a micro-grid selects its village', (await page.evaluate(() => window.__editor.selected)) === g.a);
  check('the side panel says it is a village', (await page.textContent('#grid-level')) === '村/社区');
  await page.evaluate((c) => window.__editor.pick(c), m0.properties.code);
  check('a micro-grid cannot be picked for a merge', (await page.evaluate(() => window.__editor.picked)).length === 0);

  // ---------- merge A and B ----------
  await click(inside(g.rb), true);
  const picked = await page.evaluate(() => window.__editor.picked);
  check('Shift-click picks the neighbouring village', picked.join() === [g.a, g.b].join() && (await page.isVisible('#merge-panel')), picked.join());
  const mergedName = '测试合并村';
  await page.fill('#merge-name', mergedName);
  const s0 = await seq(page);
  await page.click('#merge-apply');
  await validated(page, s0);
  await page.waitForFunction((a) => window.__editor.planned(a) && !window.__editor.planned(a).pending, g.a, { timeout: 10_000 }).catch(() => {});
  const after = await page.evaluate((bs) => ({
    steps: window.__editor.steps.map((s) => ({ kind: s.kind, codes: s.codes, grid: s.grid })),
    report: window.__editor.report && { n: window.__editor.report.features.length, counts: window.__editor.report.counts },
    impact: window.__editor.impact && { changed: window.__editor.impact.changed, retired: window.__editor.impact.retired, reparented: window.__editor.impact.reparented },
    planned: bs.map((c) => window.__editor.planned(c)?.parent),
    row: document.querySelector('#impact dd[data-row="reparented"]')?.textContent,
    label: document.querySelector('#impact dd[data-row="reparented"]')?.previousElementSibling?.textContent,
    listed: [...document.querySelectorAll('#reparented li')].map((li) => li.dataset.code),
  }), underB.map((f) => f.properties.code));
  check('the merge is one step keeping A', after.steps.length === 1 && after.steps[0].kind === 'merge' && after.steps[0].grid.code === g.a && after.steps[0].grid.name === mergedName, JSON.stringify(after.steps));
  check('the merge validates clean', after.report?.n === 0, JSON.stringify(after.report));
  const bCodes = underB.map((f) => f.properties.code).sort();
  const moves = after.impact?.reparented ?? [];
  check('the impact lists every micro-grid of B as moving from B to A',
    moves.map((m) => m.code).sort().join() === bCodes.join() && moves.every((m) => m.from === g.b && m.to === g.a), JSON.stringify(moves));
  check('the impact: A and the moved micro-grids changed, B retired',
    after.impact?.retired?.join() === g.b && [g.a, ...bCodes].every((c) => after.impact.changed.includes(c)), JSON.stringify(after.impact && { changed: after.impact.changed, retired: after.impact.retired }));
  check('the side panel shows the count, Chinese first', after.label === '下级网格改挂' && after.row === String(bCodes.length), `${after.label}: ${after.row}`);
  check('and lists the moved micro-grids', after.listed.sort().join() === bCodes.join(), after.listed.join(', '));
  check('the draft already draws them under A', after.planned.every((p) => p === g.a), after.planned.join());
  if (shot) await page.screenshot({ path: shot });

  let pub = await publish(page);
  check('publish succeeds', pub.kind === 'ok', pub.text);

  const villages = (await api('/api/v1/grids?level=village')).body;
  check('/api/v1/grids?level=village no longer has B', !codesOf(villages).includes(g.b) && codesOf(villages).length === villagesBefore.length - 1);
  const a = villages.features.find((f) => f.properties.code === g.a);
  check('and has A with its new name and version', a?.properties.name === mergedName && a.properties.version > g.versionA);
  const childrenA = (await api(`/api/v1/grids?parent=${g.a}&level=micro`)).body;
  check("every micro-grid that was under B (and A's own) is under A",
    codesOf(childrenA).join() === [...underA.map((f) => f.properties.code), ...bCodes].sort().join(), codesOf(childrenA).join());
  check('none is left under B', (await api(`/api/v1/grids?parent=${g.b}&level=micro`)).body.features.length === 0);
  const own = await Promise.all(bCodes.map((c) => api(`/api/v1/grids/${c}`)));
  check("each one's own GET has A as parent", own.every((r) => r.status === 200 && r.body.properties.parent === g.a), own.map((r) => r.body.properties?.parent).join());
  const chainOf = async (p, want) => {
    let got = null;
    for (let i = 0; i < 75; i++) {
      got = await page.evaluate(async (p) => (await (await fetch(`/api/v1/lookup?lon=${p[0]}&lat=${p[1]}`)).json()).chain?.map((c) => c.code), p);
      if (got?.includes(want)) break;
      await page.waitForTimeout(200);
    }
    return got;
  };
  const pB = inside(ringOf(underB[0].geometry));
  const chain = await chainOf(pB, g.a);
  check('a lookup in one of them has A in its chain, not B', chain?.[0] === underB[0].properties.code && chain.includes(g.a) && !chain.includes(g.b), `${pB} → ${chain}`);
  check('the editor stays on the villages and shows the merged one', await page.evaluate((g) => window.__editor.level === 'village' && !!window.__editor.grid(g.a) && !window.__editor.grid(g.b), g));

  // ---------- split it back along the old border ----------
  // The cut is drawn by clicking near the old border's vertices (5 px off:
  // a hand is no more precise): micro-grid vertices now, which the line
  // snaps to.
  await page.waitForFunction((a) => window.__editor.selected === a, g.a, { timeout: 10_000 }).catch(() => {});
  check('the merged village is still selected', (await page.evaluate(() => window.__editor.selected)) === g.a);
  await page.evaluate((path) => {
    const xs = path.map((p) => p[0]);
    const ys = path.map((p) => p[1]);
    const m = window.__editor.map;
    m.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: { top: 160, bottom: 120, left: 120, right: 520 }, duration: 0 });
  }, g.path);
  await page.waitForFunction(() => window.__editor.map.loaded() && !window.__editor.map.isMoving(), null, { timeout: 20_000 });
  await page.click('#split');
  check('Split draws a line', (await page.evaluate(() => window.__editor.mode)) === 'split');
  for (const p of g.path) {
    await click(p, false, 4, -3);
    await page.waitForTimeout(150);
  }
  await click(g.path[g.path.length - 1], false, 4, -3);
  await page.waitForFunction(() => window.__editor.pieces.length > 0, null, { timeout: 10_000 }).catch(() => {});
  const pieces = await page.evaluate(() => window.__editor.pieces);
  check('the line along the old border cuts the village in two', pieces.length === 2, `${pieces.length} pieces`);
  if (pieces.length !== 2) throw new Error('no split');
  const serials = codesOf(villages).filter((c) => c.startsWith(g.a.slice(0, 9))).map((c) => Number(c.slice(9)));
  const next = g.a.slice(0, 9) + String(Math.max(...serials) + 1).padStart(3, '0');
  const key = (p) => p.join(',');
  const hasPath = (b) => { const ks = new Set((b.type === 'Polygon' ? [b.coordinates] : b.coordinates).flat(2).map(key)); return g.path.every((p) => ks.has(key(p))); };
  check('the cut snapped onto the border vertices exactly', pieces.every((p) => hasPath(p.boundary)));
  check('the largest piece keeps the code and name', pieces[0].code === g.a && pieces[0].name === mergedName, `${pieces[0].code} ${pieces[0].name}`);
  check('the other takes the next village serial and the name numbered on', pieces[1].code === next && pieces[1].name === mergedName + '二', `${pieces[1].code} ${pieces[1].name} (want ${next})`);
  // The new piece is B's old land or A's, whichever is smaller.
  const newRing = ringOf(pieces[1].boundary);
  const newIsB = inRing(inside(g.rb), newRing);
  const moving = (newIsB ? underB : underA).map((f) => f.properties.code).sort();
  check('the new piece is one of the old villages', newIsB !== inRing(inside(g.ra), newRing));

  const s1 = await seq(page);
  await page.click('#split-apply');
  await validated(page, s1);
  const split = await page.evaluate(() => ({
    report: window.__editor.report && { n: window.__editor.report.features.length, counts: window.__editor.report.counts },
    impact: window.__editor.impact && { added: window.__editor.impact.added, retired: window.__editor.impact.retired, reparented: window.__editor.impact.reparented },
  }));
  check('the split along the micro-grid borders validates clean', split.report?.n === 0, JSON.stringify(split.report));
  const moved = split.impact?.reparented ?? [];
  check('the impact: the micro-grids of the new piece move from A to it',
    moved.map((m) => m.code).sort().join() === moving.join() && moved.every((m) => m.from === g.a && m.to === next), JSON.stringify(moved));
  check('the new village is added, none retired', split.impact?.added?.join() === next && split.impact.retired.length === 0, JSON.stringify(split.impact && { added: split.impact.added, retired: split.impact.retired }));

  pub = await publish(page);
  check('publish succeeds', pub.kind === 'ok', pub.text);
  const v2 = (await api('/api/v1/grids?level=village')).body;
  check('/api/v1/grids serves the new village with its name', v2.features.find((f) => f.properties.code === next)?.properties.name === mergedName + '二');
  const children = (await api(`/api/v1/grids?parent=${next}&level=micro`)).body;
  check('with its micro-grids under it', codesOf(children).join() === moving.join(), codesOf(children).join());
  const pN = inside(ringOf(children.features[0].geometry));
  const chain2 = await chainOf(pN, next);
  check('a lookup in one of them has the new village in its chain', chain2?.includes(next) && !chain2.includes(g.a), `${pN} → ${chain2}`);
});
