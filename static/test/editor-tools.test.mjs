// Browser test of the editor's labels, search and buttons:
// node test/editor-tools.test.mjs BASE_URL [SCREENSHOT.png]
//
// Disabled buttons (Publish with no edit) look disabled: not the primary
// colour, a not-allowed cursor, dimmed; enabled after an edit. The grids of
// the level edited are labelled with their names at readable zooms
// (micro-grids once zoomed in, not at the overview). The search box finds a grid by name or code, lists it and
// zooms to it, selecting it (a village switches the level); in English the
// search box and its results are in English.
import { browserTest } from './browser.mjs';
import { openEditor } from './editor-util.mjs';
import { writeFileSync } from 'node:fs';

const PRIMARY = 'rgb(14, 116, 144)'; // .btn.primary's background

await browserTest('usage: node test/editor-tools.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  await openEditor(page, base, check);
  const look = (sel) => page.$eval(sel, (b) => {
    const s = getComputedStyle(b);
    return { disabled: b.disabled, bg: s.backgroundColor, cursor: s.cursor, opacity: Number(s.opacity), color: s.color };
  });

  // Disabled buttons look disabled.
  const pub = await look('#publish');
  const validate = await look('#validate');
  check('disabled Publish does not look enabled', pub.disabled && pub.bg !== PRIMARY && pub.cursor === 'not-allowed' && pub.opacity < 0.7 && pub.color !== validate.color,
    JSON.stringify({ pub, validate }));

  // Labels: none of the 242 micro-grids at the overview, names once zoomed in.
  const labels = (layer) => page.evaluate((layer) => {
    const m = window.__editor.map;
    if (!m.getLayer(layer)) return null;
    return [...new Set(m.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.name))];
  }, layer);
  const overview = await labels('grid-label-micro');
  check('no micro-grid labels at the overview', Array.isArray(overview) && overview.length === 0, JSON.stringify(overview?.slice(0, 3)));

  // Search by name: listed, and Enter zooms to it and selects it.
  const target = await page.evaluate(() => {
    const ed = window.__editor;
    const f = ed.grid(ed.codes()[5]);
    return { code: f.properties.code, name: f.properties.name };
  });
  await page.fill('#search', target.name);
  const listed = await page.$$eval('#search-results li', (lis) => lis.map((li) => li.dataset.code));
  check('search by name lists the grid first', listed[0] === target.code, `${target.name}: ${listed.join(', ')}`);
  await page.press('#search', 'Enter');
  const at = await page.evaluate((code) => {
    const m = window.__editor.map;
    const c = m.getCenter();
    return { zoom: m.getZoom(), selected: window.__editor.selected, inView: m.getBounds().contains(c), code };
  }, target.code);
  check('search zooms to the grid and selects it', at.selected === target.code && at.zoom > 14, JSON.stringify(at));
  // Labels are placed once the map has drawn the new view.
  const placed = (layer, name) => page.waitForFunction(([layer, name]) => {
    const fs = window.__editor.map.queryRenderedFeatures({ layers: [layer] });
    return fs.length > 0 && (!name || fs.some((f) => f.properties.name === name));
  }, [layer, name], { timeout: 30_000 }).then(() => true, () => false);
  await placed('grid-label-micro', target.name);
  const near = await labels('grid-label-micro');
  check('micro-grids labelled with their names when zoomed in', near.includes(target.name) && near.every((n) => typeof n === 'string' && n.length > 0), near.slice(0, 5).join(', '));
  if (shot) writeFileSync(shot, await page.screenshot());

  // Search by code: a village, which switches the level.
  const village = await page.evaluate(() => window.__editor.villages()[3].properties);
  await page.fill('#search', village.code);
  await page.click(`#search-results li[data-code="${village.code}"]`);
  const v = await page.evaluate(() => ({ level: window.__editor.level, selected: window.__editor.selected }));
  check('search by code finds a village and switches the level', v.level === 'village' && v.selected === village.code, JSON.stringify(v));
  await placed('grid-label-village', village.name);
  const vl = await labels('grid-label-village');
  check('villages labelled with their names', vl.includes(village.name), vl.slice(0, 5).join(', '));

  // An edit enables Publish, in the primary colour.
  await page.evaluate((code) => {
    const ed = window.__editor;
    const g = structuredClone(ed.planned(code).geometry);
    const ring = (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0];
    const p = [ring[0][0] + 1e-5, ring[0][1] + 1e-5];
    ring[0] = p;
    ring[ring.length - 1] = p;
    ed.setBoundary(code, g);
  }, village.code);
  await page.evaluate(() => window.__editor.idle());
  const pub2 = await look('#publish');
  check('enabled Publish in the primary colour', !pub2.disabled && pub2.bg === PRIMARY && pub2.cursor === 'pointer', JSON.stringify(pub2));

  // English: the search box and its answers.
  await page.click('#lang');
  await page.fill('#search', 'no such grid');
  const en = await page.evaluate(() => ({ placeholder: document.getElementById('search').placeholder, none: document.getElementById('search-results').textContent }));
  check('search in English', /Find a grid/.test(en.placeholder) && /No grid/.test(en.none), JSON.stringify(en));
  await page.fill('#search', village.name);
  const enList = await page.$eval('#search-results li', (li) => li.textContent);
  check('search results in English', /Village/.test(enList) && !/村\/社区/.test(enList), enList);
  if (shot) writeFileSync(shot.replace(/\.png$/, '-en.png'), await page.screenshot());
  await page.fill('#search', '');
});
