// Browser test of the roster page (/roster):
//   ADMIN_TOKEN=… FROM_GRID=… TO_GRID=… node test/roster.test.mjs BASE_URL [SCREENSHOT.png]
//
// An admin opens the roster on FROM_GRID: the grid's people are listed.
// The add form refuses an empty name and a bad phone before sending, then
// adds a worker; the move form refuses an unknown grid code before
// sending, then moves the worker to TO_GRID (with If-Match). The worker
// leaves FROM_GRID's list, the history shows the join and the leave, the
// tree's TO_GRID lists them; in English too; the API agrees.
import { browserTest } from './browser.mjs';
import { writeFileSync } from 'node:fs';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} must be set`);
  return process.env[k];
};

browserTest('usage: ADMIN_TOKEN=… FROM_GRID=… TO_GRID=… node test/roster.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  const token = env('ADMIN_TOKEN');
  const from = env('FROM_GRID');
  const to = env('TO_GRID');
  const who = '测试员丙';
  const writes = [];
  page.on('request', (r) => r.method() !== 'GET' && writes.push(r.method() + ' ' + new URL(r.url()).pathname));
  await page.addInitScript((t) => sessionStorage.setItem('gridmap.token', t), token);
  const loaded = () => page.evaluate(() => window.roster.state.seq.loaded);
  const saved = () => page.evaluate(() => window.roster.state.seq.saved);
  const people = () => page.$$eval('#people td.who', (tds) => tds.map((td) => td.textContent));

  await page.goto(`${base}/roster?grid=${from}`);
  await page.waitForFunction(() => window.roster?.state.seq.loaded >= 1, null, { timeout: 60_000 });
  check('Chinese first', (await page.textContent('h1 span')) === '网格人员');
  const before = await people();
  check('the grid lists its people', before.length > 0, before.join(','));
  check('the tree lists the grids', (await page.$$('#grids button[data-code]')).length > 10);

  // Add: refused here first, then sent.
  await page.click('#add-form button[type=submit]');
  check('an empty name is refused before sending', (await page.textContent('#add-error')).includes('姓名') && writes.length === 0);
  await page.fill('#add-name', who);
  await page.fill('#add-contact', 'call me');
  await page.click('#add-form button[type=submit]');
  check('a bad phone is refused before sending', (await page.textContent('#add-error')).includes('电话') && writes.length === 0);
  await page.fill('#add-contact', '139 0000 3333');
  await page.fill('#add-reason', '新招聘');
  await page.selectOption('#add-role', 'worker');
  const s0 = await saved();
  await page.click('#add-form button[type=submit]');
  await page.waitForFunction((n) => window.roster.state.seq.saved > n && window.roster.state.seq.loaded >= 2, s0, { timeout: 30_000 });
  check('the added worker is listed', (await people()).includes(who), (await people()).join(','));
  check('one POST', writes.length === 1 && writes[0] === 'POST /api/v1/roster', writes.join(','));
  shot && writeFileSync(shot.replace(/\.png$/, '-added.png'), await page.screenshot());

  // Move: an unknown grid is refused here, then the move is sent.
  const id = await page.evaluate((who) => window.roster.state.members.find((m) => m.name === who)?.id, who);
  await page.click(`#people button[data-move="${id}"]`);
  await page.fill('#move-grid', 'NO-SUCH-GRID');
  await page.click('#move-form button[type=submit]');
  check('an unknown grid is refused before sending', (await page.textContent('#move-error')).length > 0 && writes.length === 1);
  await page.fill('#move-grid', to);
  await page.fill('#move-reason', '调整片区');
  const s1 = await saved();
  await page.click('#move-form button[type=submit]');
  await page.waitForFunction((n) => window.roster.state.seq.saved > n, s1, { timeout: 30_000 });
  await page.waitForFunction((who) => ![...document.querySelectorAll('#people td.who')].some((td) => td.textContent === who), who, { timeout: 30_000 });
  check('one PATCH', writes.length === 2 && writes[1] === `PATCH /api/v1/roster/${id}`, writes.join(','));
  const hist = await page.$$eval(`#history li[data-id="${id}"]`, (lis) => lis.map((li) => li.dataset.what));
  check('the history shows the join and the leave', hist.includes('joined') && hist.includes('left'), hist.join(','));

  await page.click(`#grids button[data-code="${to}"]`);
  await page.waitForFunction((who) => [...document.querySelectorAll('#people td.who')].some((td) => td.textContent === who), who, { timeout: 30_000 });
  check('the worker is listed in the new grid', true);
  await page.click('#lang');
  check('English', (await page.textContent('h1 span')) === 'Roster' && (await page.textContent('#add-form h3')) === 'Add a person');
  shot && writeFileSync(shot, await page.screenshot());

  const resp = await fetch(`${base}/api/v1/roster?history=true`, { headers: { Authorization: 'Bearer ' + token } });
  const rows = (await resp.json()).members.filter((m) => m.id === id);
  check('the API has the two versions', rows.length === 2 && rows.some((r) => r.grid === from && r.valid_to) && rows.some((r) => r.grid === to && !r.valid_to && r.contact === '139 0000 3333'),
    JSON.stringify(rows));
});
