// Browser test of the reports page (/reports):
//   DATE=YYYY-MM-DD node test/reports.test.mjs BASE_URL [SCREENSHOT.png]
//
// The daily bulletin of DATE opens in Chinese with its figures equal to
// the API's JSON and the server's HTML in the frame; the PDF button saves a
// PDF; the Wednesday agenda lists one form per case, as many as the API's
// total; one decision typed and recorded is stored as the case's last step,
// a consult with that decision (read back over the API).
import { browserTest } from './browser.mjs';
import { readFileSync, writeFileSync } from 'node:fs';

browserTest('usage: DATE=YYYY-MM-DD node test/reports.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  const date = process.env.DATE;
  if (!date) throw new Error('DATE must be set');
  const api = async (path) => (await fetch(base + path)).json();
  const daily = await api(`/api/v1/reports/daily?date=${date}`);
  await page.goto(`${base}/reports?date=${date}&kind=daily`);
  await page.evaluate(() => window.reports.ready);
  const fig = (key) => page.$eval(`#figures [data-figure="${key}"]`, (el) => el.textContent);
  check('Chinese first', (await page.textContent('h1 span')) === '访情通报与周三说事');
  const shown = [await fig('new'), await fig('previous_day'), await fig('same_day_last_week'), await fig('resolved'), await fig('closed'), await fig('overdue')];
  const want = [daily.new.total, daily.previous_day.total, daily.same_day_last_week.total, daily.resolved, daily.closed, daily.overdue].map(String);
  check('bulletin figures equal the API\'s', shown.join() === want.join() && want.some((n) => n !== '0'), `shown ${shown.join()} API ${want.join()}`);
  const frame = await page.$eval('#doc', (d) => d.shadowRoot?.textContent ?? '');
  const svg = await page.$eval('#doc', (d) => d.shadowRoot?.querySelectorAll('svg').length ?? 0);
  check('the bulletin document shown, its map too', /访情通报/.test(frame) && frame.includes(String(daily.new.total)) && svg > 0, `${svg} svg; ${frame.slice(0, 60).replace(/\s+/g, ' ')}`);
  shot && writeFileSync(shot, await page.screenshot({ fullPage: false }));

  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#pdf')]);
  const pdf = readFileSync(await download.path());
  check('the PDF fetched and saved from a blob', pdf.subarray(0, 5).toString() === '%PDF-' && download.suggestedFilename() === `daily-${date}.pdf`, `${download.suggestedFilename()} ${pdf.length} bytes`);

  const agenda = await api(`/api/v1/reports/wednesday?date=${date}`);
  const n = await page.evaluate(() => window.reports.state.seq);
  await page.click('#kind button[data-kind="wednesday"]');
  await page.waitForFunction((n) => window.reports.state.seq > n, n, { timeout: 60_000 });
  check('agenda total equals the API\'s', (await fig('total')) === String(agenda.total) && agenda.total > 0, `${await fig('total')} / ${agenda.total}`);
  const forms = await page.$$eval('#decision-forms form.decision', (fs) => fs.map((f) => f.dataset.id));
  check('one decision form per case', forms.length === agenda.total, `${forms.length} forms`);
  const cases = [...agenda.villages.flatMap((v) => v.cases), ...(agenda.outside ?? [])];
  const c = cases.find((x) => x.status !== 'reported');
  const decision = `浏览器测试：司法所调解 ${Date.now()}`;
  await page.fill(`form.decision[data-id="${c.id}"] textarea`, decision);
  await page.click(`form.decision[data-id="${c.id}"] button[type=submit]`);
  await page.waitForFunction((id) => document.querySelector(`form.decision[data-id="${id}"]`)?.dataset.recorded === 'true' || /失败/.test(document.querySelector(`form.decision[data-id="${id}"] .msg`)?.textContent), c.id, { timeout: 30_000 });
  const msg = await page.textContent(`form.decision[data-id="${c.id}"] .msg`);
  const steps = await api(`/api/v1/incidents/${c.id}/steps`);
  const last = steps.steps.at(-1);
  check('the decision is stored as a consult step', last?.step === 'consult' && last.decision === decision, `${msg}; last step ${JSON.stringify(last)}`);
  shot && writeFileSync(shot.replace(/\.png$/, '-wednesday.png'), await page.screenshot({ fullPage: false }));

  await page.click('#lang');
  check('English on the button', (await page.textContent('h1 span')) === 'Daily bulletin and Wednesday agenda' && (await page.textContent('#decisions h2')) === 'Decisions');
});
