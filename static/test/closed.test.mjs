// Browser test of the pages on a server whose reads are closed
// (GRIDMAP_OPEN=none): node test/closed.test.mjs BASE_URL [SCREENSHOT.png]
// with VIEWER_TOKEN and PLANNER_TOKEN in the environment.
//
// The wall map shows its token entry (a field in the page, no prompt), says
// so when a wrong token is typed, and loads with a viewer's token: tiles,
// statistics and the newest events with Authorization, the event stream with
// ?access_token=. The token is kept for the browser session: a reload asks
// for nothing. In English the entry is in English. The editor, in the same
// session, reads with that token; its first save needs a planner: the same
// entry says so, and the plan is saved with the planner's token.
import { browserTest } from './browser.mjs';
import { writeFileSync } from 'node:fs';

const viewer = process.env.VIEWER_TOKEN;
const planner = process.env.PLANNER_TOKEN;
const shown = (page) => page.evaluate(() => {
  const f = document.getElementById('token-form');
  return f && !f.hidden ? { reason: f.dataset.reason, text: f.textContent.replace(/\s+/g, ' ').trim() } : null;
});
const waitShown = (page, reason) => page.waitForFunction((reason) => {
  const f = document.getElementById('token-form');
  return f && !f.hidden && (!reason || f.dataset.reason === reason);
}, reason, { timeout: 30_000 });
async function enter(page, token) {
  await page.fill('#token-input', token);
  await page.click('#token-form button[type=submit]');
}
const saveShot = async (page, shot, suffix) => shot && writeFileSync(shot.replace(/\.png$/, suffix + '.png'), await page.screenshot());

browserTest('usage: VIEWER_TOKEN=… PLANNER_TOKEN=… node test/closed.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  if (!viewer || !planner) throw new Error('VIEWER_TOKEN and PLANNER_TOKEN must be set');
  const withHeader = new Set();
  const without = new Set();
  const streams = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base)) return;
    const u = new URL(r.url());
    if (u.pathname === '/api/v1/events') streams.push(u.search);
    else if (/^\/(tiles|api)\//.test(u.pathname)) {
      const kind = u.pathname.replace(/\/\d+\/\d+\/\d+\.mvt$/, '/z/x/y.mvt');
      (r.headers().authorization === 'Bearer ' + viewer ? withHeader : without).add(kind);
    }
  });

  // The wall map asks for a token in the page.
  await page.goto(base + '/');
  await waitShown(page);
  const ask = await shown(page);
  check('wall map shows the token entry', /令牌/.test(ask.text) && ask.reason === 'tokenNeeded', JSON.stringify(ask));
  await saveShot(page, shot, '-token');

  // A wrong token is refused, in the page.
  await enter(page, 'gm_notatoken_0000');
  await waitShown(page, 'tokenRejected');
  check('a wrong token is refused in the page', true, (await shown(page)).text);

  // A viewer's token: the map loads, every request carries it.
  await enter(page, viewer);
  await page.evaluate(() => window.gridmap.ready);
  await page.waitForFunction(() => window.gridmap.map.loaded() && window.gridmap.statsSeq > 0, null, { timeout: 30_000 });
  const villages = await page.evaluate(() => new Set(window.gridmap.map.queryRenderedFeatures({ layers: ['grid-fill-village'] }).map((f) => f.properties.code)).size);
  check('a token typed makes the map load', villages >= 31 && !(await shown(page)), `${villages} villages drawn`);
  await page.waitForFunction(() => document.querySelectorAll('#ticker li').length > 0, null, { timeout: 15_000 });
  try {
    await page.waitForFunction(() => document.getElementById('live').dataset.state === 'live', null, { timeout: 15_000 });
    check('event stream connected with ?access_token=', streams.some((q) => new URLSearchParams(q).get('access_token') === viewer), streams.join(' '));
  } catch {
    check('event stream connected with ?access_token=', false, streams.join(' '));
  }
  const need = ['/tiles/grids.json', '/tiles/grids/z/x/y.mvt', '/tiles/heat/z/x/y.mvt', '/api/v1/stats/grids', '/api/v1/events/recent'];
  check('tiles, statistics and events sent with the token', need.every((k) => withHeader.has(k)), `with: ${[...withHeader].join(', ')}; without: ${[...without].join(', ')}`);
  check('token kept for the session', (await page.evaluate(() => sessionStorage.getItem('gridmap.token'))) === viewer);
  if (shot) writeFileSync(shot, await page.screenshot());

  // A reload asks for nothing.
  await page.reload();
  await page.evaluate(() => window.gridmap.ready);
  check('a reload does not ask again', !(await shown(page)));

  // In English, the entry is in English.
  await page.evaluate(() => sessionStorage.removeItem('gridmap.token'));
  await page.goto(base + '/?lang=en');
  await waitShown(page);
  const en = await shown(page);
  check('token entry in English', /token/i.test(en.text) && !/令牌/.test(en.text), en.text);
  await saveShot(page, shot, '-token-en');
  await enter(page, viewer);
  await page.evaluate(() => window.gridmap.ready);

  // The editor, same session: reads with the viewer's token, asks for a
  // planner's to save, in the page.
  await page.goto(base + '/editor');
  await page.waitForFunction(() => window.__editor?.ready && window.__editor.codes().length > 0, null, { timeout: 60_000 });
  check('editor reads with the session token', !(await shown(page)));
  const before = await page.evaluate(() => window.__editor.seq);
  await page.evaluate(() => {
    const ed = window.__editor;
    const code = ed.codes()[0];
    const g = structuredClone(ed.grid(code).geometry);
    const ring = (g.type === 'Polygon' ? g.coordinates : g.coordinates[0])[0];
    const p = [ring[0][0] + 2e-5, ring[0][1] + 2e-5];
    ring[0] = p;
    ring[ring.length - 1] = p;
    ed.select(code);
    ed.setBoundary(code, g);
  });
  await waitShown(page, 'tokenForbidden');
  const forbidden = await shown(page);
  check('a save with a viewer token asks for a planner token in the page', /规划员/.test(forbidden.text), forbidden.text);
  await saveShot(page, shot, '-editor');
  await enter(page, planner);
  await page.waitForFunction((s) => window.__editor.seq > s && window.__editor.plan, before, { timeout: 30_000 });
  check('the plan is saved with the planner token', !(await shown(page)) && (await page.evaluate(() => sessionStorage.getItem('gridmap.token'))) === planner);
}, { expected: /status of 40[13]/ });
