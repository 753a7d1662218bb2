// Browser test of the red and black lists (/ranking):
//   MONTH=YYYY-MM node test/ranking.test.mjs BASE_URL [SCREENSHOT.png]
//
// The page opens on the villages of MONTH in Chinese: the red and black
// lists are filled, each entry with the indicators that put it there, the
// whole ranking below in the API's order; departments and workers load
// too; English on the language button.
import { browserTest } from './browser.mjs';
import { readFileSync, writeFileSync } from 'node:fs';

browserTest('usage: MONTH=YYYY-MM node test/ranking.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  const month = process.env.MONTH;
  if (!month) throw new Error('MONTH must be set');
  const api = await (await fetch(`${base}/api/v1/ranking?of=village&month=${month}`)).json();
  await page.goto(`${base}/ranking?of=village&month=${month}`);
  await page.waitForFunction(() => Number(document.body.dataset.loaded) >= 1, null, { timeout: 60_000 });
  check('Chinese first', (await page.textContent('h1 span')) === '红黑榜' && (await page.textContent('#red-title')) === '红榜');
  const red = await page.$$eval('#red li[data-key]', (lis) => lis.map((li) => li.dataset.key));
  const black = await page.$$eval('#black li[data-key]', (lis) => lis.map((li) => li.dataset.key));
  check('the red list is the API\'s', red.join() === api.red.map((r) => r.key).join() && red.length > 0, red.join());
  check('the black list is the API\'s', black.join() === api.black.map((r) => r.key).join() && black.length > 0, black.join());
  const why = await page.textContent('#red li .why');
  check('each entry says why', why.length > 0 && /率|超期|时长/.test(why), why);
  const rows = await page.$$eval('#ranked tr', (trs) => trs.map((tr) => tr.children[1].textContent));
  check('the whole ranking, named, in order', rows.length === api.ranked.length && rows[0] === (api.ranked[0].name || api.ranked[0].key), rows.slice(0, 3).join());
  shot && writeFileSync(shot, await page.screenshot({ fullPage: true }));

  for (const of of ['department', 'worker']) {
    const n = Number(await page.evaluate(() => document.body.dataset.loaded));
    await page.click(`#of button[data-of="${of}"]`);
    await page.waitForFunction((n) => Number(document.body.dataset.loaded) > n, n, { timeout: 30_000 });
    const count = await page.$$eval('#ranked tr', (trs) => trs.length);
    check(`${of}: ranked`, count > 0 && (await page.textContent('#status')) === '', String(count));
  }
  shot && writeFileSync(shot.replace(/\.png$/, '-workers.png'), await page.screenshot({ fullPage: true }));

  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#pdf')]);
  const pdf = readFileSync(await download.path());
  check('the PDF button saves the month\'s PDF', pdf.subarray(0, 5).toString() === '%PDF-' && download.suggestedFilename() === `ranking-worker-${month}.pdf`, `${download.suggestedFilename()} ${pdf.length} bytes`);

  await page.click('#lang');
  check('English on the button', (await page.textContent('#red-title')) === 'Red list' && (await page.textContent('h1 span')) === 'Red and black lists');
});
