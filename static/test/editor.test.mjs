// Browser test of the boundary editor, in Debian's headless Chromium driven
// by playwright-core: node test/editor.test.mjs BASE_URL [SCREENSHOT.png]
//
// Opens /editor, picks a micro-grid by clicking it, drags a vertex it shares
// with a neighbour into that neighbour with the mouse (terra-draw), sees the
// overlap reported and drawn, undoes it, makes a clean edit (the shared
// vertex moved in both grids), publishes it, checks the API answers the new
// boundary, then opens the wall map (/) and checks the grid it draws has the
// moved vertex. Prints one line per check and "N passed, N failed"; exits 1
// on any failure.
import { browserTest } from './browser.mjs';
import { fit, openEditor, screen } from './editor-util.mjs';

await browserTest('usage: node test/editor.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot: shotPath, page, check }) => {
  await openEditor(page, base, check);
  check('labels are Chinese by default', (await page.textContent('h1 span')) === '网格边界编辑');

  // A vertex shared by micro-grids A, B (and maybe more), inside their village
  // and on no edge of another grid.
  const pick = await page.evaluate(() => {
    const ed = window.__editor;
    const ring = (code) => {
      const g = ed.grid(code).geometry;
      return (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0];
    };
    const key = (p) => p[0].toFixed(9) + ',' + p[1].toFixed(9);
    const owners = new Map();
    for (const code of ed.codes()) for (const p of ring(code).slice(0, -1)) {
      const k = key(p);
      if (!owners.has(k)) owners.set(k, new Set());
      owners.get(k).add(code);
    }
    // Segments of the village boundaries and of every micro-grid: the
    // vertex must lie on no village boundary and on no edge of a third grid.
    const segs = [];
    const addSegs = (g, owner) => {
      for (const poly of g.type === 'Polygon' ? [g.coordinates] : g.coordinates)
        for (const r of poly) for (let i = 0; i + 1 < r.length; i++) segs.push([r[i], r[i + 1], owner]);
    };
    for (const v of ed.villages()) addSegs(v.geometry, '');
    for (const c of ed.codes()) addSegs(ed.grid(c).geometry, c);
    const dist = (p, a, b) => {
      const dx = b[0] - a[0], dy = b[1] - a[1];
      const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
    };
    const touches = (p, o) => segs.some(([a, b, owner]) => !o.has(owner) && dist(p, a, b) < 1e-7);
    const villageKeys = new Set();
    const centroid = (r) => {
      const n = r.length - 1;
      return [r.slice(0, n).reduce((s, p) => s + p[0], 0) / n, r.slice(0, n).reduce((s, p) => s + p[1], 0) / n];
    };
    for (const code of ed.codes()) {
      for (const p of ring(code).slice(0, -1)) {
        const o = owners.get(key(p));
        if (o.size < 2 || touches(p, o)) continue;
        const other = [...o].find((c) => c !== code);
        // Both polygons must hold the vertex once, and the grids' parents agree.
        if (ed.grid(code).properties.parent !== ed.grid(other).properties.parent) continue;
        return { a: code, b: other, owners: [...o], v: p, ca: centroid(ring(code)), cb: centroid(ring(other)), version: ed.grid(code).properties.version };
      }
    }
    return null;
  });
  check('found two micro-grids sharing a vertex', !!pick, JSON.stringify(pick));
  if (!pick) throw new Error('no shared vertex');

  // Zoom to the pair and click A.
  await fit(page, [pick.a, pick.b]);
  const screenOf = (p) => screen(page, p);
  // A point inside A: between its centroid and the shared vertex.
  const inA = await screenOf([pick.ca[0] * 0.8 + pick.v[0] * 0.2, pick.ca[1] * 0.8 + pick.v[1] * 0.2]);
  await page.mouse.click(inA.x, inA.y);
  await page.waitForFunction((a) => window.__editor.selected === a, pick.a, { timeout: 10_000 }).catch(() => {});
  check('a click on a micro-grid selects it for editing', (await page.evaluate(() => window.__editor.selected)) === pick.a);
  check('the grid name shows', (await page.textContent('#grid-code')) === pick.a);

  // Drag the shared vertex into B with the mouse.
  const seq0 = await page.evaluate(() => window.__editor.seq);
  const from = await screenOf(pick.v);
  const to = await screenOf([pick.v[0] * 0.5 + pick.cb[0] * 0.5, pick.v[1] * 0.5 + pick.cb[1] * 0.5]);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(from.x + ((to.x - from.x) * i) / 12, from.y + ((to.y - from.y) * i) / 12);
  await page.mouse.up();
  let dragged = true;
  try {
    await page.waitForFunction((a) => !!window.__editor.edits[a], pick.a, { timeout: 5_000 });
  } catch {
    dragged = false;
  }
  check('dragging a vertex with terra-draw edits the boundary', dragged);
  if (!dragged) {
    // Go on through the hook, to test the rest.
    await page.evaluate(({ a, v, cb }) => {
      const ed = window.__editor;
      const g = structuredClone(ed.grid(a).geometry);
      const ring = (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0];
      for (const p of ring) if (p[0] === v[0] && p[1] === v[1]) { p[0] = (v[0] + cb[0]) / 2; p[1] = (v[1] + cb[1]) / 2; }
      ed.setBoundary(a, g);
    }, pick);
  }
  await page.waitForFunction((s) => window.__editor.seq > s && window.__editor.report, seq0, { timeout: 30_000 });
  await page.evaluate(() => window.__editor.idle());
  const overlap = await page.evaluate(({ a, b }) => (window.__editor.report?.features ?? []).filter((f) => f.properties.kind === 'overlap' && f.properties.codes.includes(a) && f.properties.codes.includes(b)).length, pick);
  check('the overlap with the neighbour is reported', overlap > 0, await page.evaluate(() => JSON.stringify(window.__editor.report?.counts)));
  const listed = await page.$$eval('#problems li[data-kind="overlap"]', (l) => l.length);
  check('the overlap is listed', listed > 0);
  await page.waitForFunction(() => window.__editor.map.loaded(), null, { timeout: 10_000 });
  const drawn = await page.evaluate(() => window.__editor.map.queryRenderedFeatures({ layers: ['problem-fill'] }).length);
  check('the overlap is drawn on the map', drawn > 0);
  const impactShown = await page.$$eval('#impact dd', (l) => l.length);
  check('the impact summary shows', impactShown >= 3);
  if (shotPath) await page.screenshot({ path: shotPath });

  // Undo.
  const seq1 = await page.evaluate(() => window.__editor.seq);
  await page.click('#undo');
  await page.waitForFunction((s) => window.__editor.seq > s, seq1, { timeout: 30_000 });
  await page.evaluate(() => window.__editor.idle());
  const afterUndo = await page.evaluate(() => ({ edits: Object.keys(window.__editor.edits).length, problems: window.__editor.report?.features.length }));
  check('undo removes the edit and the problem', afterUndo.edits === 0 && afterUndo.problems === 0, JSON.stringify(afterUndo));

  // Snapping: a vertex of A dropped a few pixels from a vertex of B (not
  // one of A's) lands exactly on it.
  const w = await page.evaluate(({ a, b, v }) => {
    const ed = window.__editor;
    const ring = (c) => { const g = ed.grid(c).geometry; return (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0]; };
    const inA = new Set(ring(a).map((p) => p.join()));
    let best = null;
    for (const p of ring(b)) if (!inA.has(p.join()) && (!best || Math.hypot(p[0] - v[0], p[1] - v[1]) < Math.hypot(best[0] - v[0], best[1] - v[1]))) best = p;
    return best;
  }, pick);
  const seqS = await page.evaluate(() => window.__editor.seq);
  const sFrom = await screenOf(pick.v);
  const sTo = await screenOf(w);
  await page.mouse.move(sFrom.x, sFrom.y);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(sFrom.x + ((sTo.x + 5 - sFrom.x) * i) / 12, sFrom.y + ((sTo.y + 4 - sFrom.y) * i) / 12);
  await page.mouse.up();
  await page.waitForFunction((a) => !!window.__editor.edits[a], pick.a, { timeout: 5_000 }).catch(() => {});
  const snapped = await page.evaluate(({ a, w }) => {
    const g = window.__editor.edits[a];
    return !!g && (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0].some((p) => p[0] === w[0] && p[1] === w[1]);
  }, { a: pick.a, w });
  check("a dragged vertex snaps exactly onto a neighbour's vertex", snapped, JSON.stringify(w));
  await page.waitForFunction((s) => window.__editor.seq > s, seqS, { timeout: 30_000 }).catch(() => {});
  await page.evaluate(() => window.__editor.idle());
  await page.click('#undo');
  await page.waitForFunction(() => Object.keys(window.__editor.edits).length === 0, null, { timeout: 10_000 });
  await page.evaluate(() => window.__editor.idle());

  // A clean edit: the shared vertex moved in every grid that has it.
  const nv = [pick.v[0] * 0.7 + pick.ca[0] * 0.3, pick.v[1] * 0.7 + pick.ca[1] * 0.3];
  const seq2 = await page.evaluate(() => window.__editor.seq);
  await page.evaluate(({ owners, v, nv }) => {
    const ed = window.__editor;
    for (const c of owners) {
      const g = structuredClone(ed.grid(c).geometry);
      for (const poly of g.type === 'Polygon' ? [g.coordinates] : g.coordinates)
        for (const r of poly) for (const p of r) if (p[0] === v[0] && p[1] === v[1]) { p[0] = nv[0]; p[1] = nv[1]; }
      ed.setBoundary(c, g);
    }
  }, { ...pick, nv });
  await page.waitForFunction((s) => window.__editor.seq >= s + 1, seq2, { timeout: 30_000 });
  await page.evaluate(() => window.__editor.idle());
  const clean = await page.evaluate(() => ({ edits: Object.keys(window.__editor.edits).length, report: window.__editor.report && { n: window.__editor.report.features.length, counts: window.__editor.report.counts } }));
  check('moving the shared vertex in every grid that has it is clean', clean.edits === pick.owners.length && clean.report?.n === 0, JSON.stringify(clean));

  await page.click('#publish');
  await page.waitForFunction(() => document.querySelector('#status').dataset.kind, null, { timeout: 30_000 });
  const st = await page.evaluate(() => ({ kind: document.querySelector('#status').dataset.kind, text: document.querySelector('#status').textContent }));
  check('publish succeeds', st.kind === 'ok', st.text);
  const served = await page.evaluate(async (a) => (await (await fetch('/api/v1/grids/' + a)).json()).geometry, pick.a);
  const ring = (served.type === 'Polygon' ? served.coordinates : served.coordinates[0])[0];
  check('the published boundary is the new one', ring.some((p) => Math.abs(p[0] - nv[0]) < 1e-9 && Math.abs(p[1] - nv[1]) < 1e-9));
  const version = await page.evaluate((a) => window.__editor.grid(a).properties.version, pick.a);
  check('the editor reloads the new version', version > pick.version, `${pick.version} → ${version}`);

  // The wall map's tiles follow the publication (grid change feed).
  const dv = await page.evaluate(() => window.__editor.published?.data_version);
  let tilesVersion = 0;
  for (let i = 0; i < 50 && !(tilesVersion >= dv); i++) {
    tilesVersion = await page.evaluate(async () => (await (await fetch('/tiles/grids.json')).json()).data_version);
    if (!(tilesVersion >= dv)) await page.waitForTimeout(200);
  }
  check('the wall map tiles are of the published data version', dv > 0 && tilesVersion >= dv, `${tilesVersion} ≥ ${dv}`);

  await page.click('#lang');
  check('the English switch relabels the page', (await page.textContent('h1 span')) === 'Boundary editor');

  // The wall map itself draws the new boundary: the grid's features in its
  // vector tiles (through MapLibre) have the moved vertex, and none the old
  // one. Tile coordinates are quantised (about 4 cm at zoom 17): 1 m slack.
  await page.goto(base + '/');
  await page.waitForFunction(() => window.gridmap?.map, null, { timeout: 30_000 });
  await page.evaluate(() => window.gridmap.ready);
  await page.evaluate((c) => window.gridmap.map.jumpTo({ center: c, zoom: 17 }), nv);
  await page.waitForFunction(() => { const m = window.gridmap.map; return m.loaded() && !m.isMoving() && m.areTilesLoaded(); }, null, { timeout: 30_000 });
  const drawnOnWall = await page.evaluate(({ a, v, nv, ca }) => {
    const m = window.gridmap.map;
    const fs = m.querySourceFeatures('grids', { sourceLayer: 'grids', filter: ['==', ['get', 'code'], a] });
    const metres = (p, q) => Math.hypot((p[0] - q[0]) * 111195 * Math.cos((q[1] * Math.PI) / 180), (p[1] - q[1]) * 111195);
    let toNew = Infinity;
    let toOld = Infinity;
    const walk = (c) => {
      if (typeof c[0] === 'number') {
        toNew = Math.min(toNew, metres(c, nv));
        toOld = Math.min(toOld, metres(c, v));
      } else c.forEach(walk);
    };
    for (const f of fs) walk(f.geometry.coordinates);
    const near = [nv[0] * 0.9 + ca[0] * 0.1, nv[1] * 0.9 + ca[1] * 0.1];
    const rendered = m.queryRenderedFeatures(m.project(near), { layers: ['grid-fill-micro'] }).map((f) => f.properties.code);
    return { features: fs.length, toNew, toOld, rendered };
  }, { a: pick.a, v: pick.v, nv, ca: pick.ca });
  check('the wall map draws the grid with the moved vertex', drawnOnWall.features > 0 && drawnOnWall.toNew < 1, JSON.stringify(drawnOnWall));
  check('and without the old vertex', drawnOnWall.toOld > 5, JSON.stringify(drawnOnWall));
  check('the wall map renders the grid next to the moved vertex', drawnOnWall.rendered.includes(pick.a), JSON.stringify(drawnOnWall));
});
