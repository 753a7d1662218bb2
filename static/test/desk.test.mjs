// Browser test of the case desk (/desk):
//   DISPATCHER_TOKEN=… DEPARTMENT_TOKEN=… REPORTER_TOKEN=… CASE_ID=… DEPARTMENT=police \
//   node test/desk.test.mjs BASE_URL [SCREENSHOT.png]
//
// A dispatcher opens the desk on the reported cases, finds case CASE_ID
// with the keyboard, registers it, dispatches it (the form refuses a
// missing department and person and a past deadline before sending, and
// shows the server's problem detail when the same dispatch is sent
// twice), supervises it with a new deadline; a case reported meanwhile
// 28 m away arrives in the queue by the event stream and, offered as a
// possible duplicate, is linked to the case. Then the department's token
// opens its queue, resolves the case with a photo uploaded through the
// attachments route (refused without one; its thumbnail shown before
// submitting, then in the timeline, opening full size), and the case is
// resolved on the desk; a review the dispatcher takes elsewhere shows on
// the open case by the event stream; in English too; resolved through
// the API and on the wall map's ticker. Screenshots at 1920×1080 and 1366×768.
import { browserTest } from './browser.mjs';
import { writeFileSync } from 'node:fs';
import { deflateSync, crc32 } from 'node:zlib';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} must be set`);
  return process.env[k];
};

// png is a small RGB picture (a gradient) as PNG bytes.
function png(w, h) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / w;
      raw[o + 1] = (y * 255) / h;
      raw[o + 2] = 160;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

browserTest('usage: DISPATCHER_TOKEN=… DEPARTMENT_TOKEN=… REPORTER_TOKEN=… CASE_ID=… DEPARTMENT=… node test/desk.test.mjs BASE_URL [SCREENSHOT.png]', async ({ base, shot, page, check }) => {
  const dispatcher = env('DISPATCHER_TOKEN');
  const department = env('DEPARTMENT_TOKEN');
  const reporter = env('REPORTER_TOKEN');
  const dept = env('DEPARTMENT');
  const id = Number(env('CASE_ID'));
  const saveShot = async (suffix) => shot && writeFileSync(shot.replace(/\.png$/, suffix + '.png'), await page.screenshot());
  const posts = [];
  page.on('request', (r) => r.method() === 'POST' && posts.push(new URL(r.url()).pathname));
  page.on('response', (r) => r.status() >= 400 && console.log(`(answer ${r.status()} to ${r.request().method()} ${new URL(r.url()).pathname})`));
  const api = async (token, method, path, body) => {
    const resp = await fetch(base + path, { method, headers: { Authorization: 'Bearer ' + token }, body: body && JSON.stringify(body) });
    return { status: resp.status, body: await resp.json().catch(() => null) };
  };
  const detail = () => page.evaluate(() => ({
    status: document.getElementById('c-status').dataset.status,
    statusText: document.getElementById('c-status').textContent,
    actions: [...document.querySelectorAll('#actions button')].map((b) => b.dataset.step),
    steps: [...document.querySelectorAll('#timeline li[data-step]')].map((li) => li.dataset.step),
    tags: document.getElementById('c-tags').textContent,
  }));
  const stepsDone = () => page.evaluate(() => window.desk.state.seq.steps);
  const waitSteps = (n) => page.waitForFunction((n) => window.desk.state.seq.steps > n, n, { timeout: 30_000 });
  const openAction = async (step) => {
    const i = (await detail()).actions.indexOf(step);
    if (i < 0) throw new Error(`no action ${step} in ${(await detail()).actions}`);
    await page.keyboard.press(String(i + 1));
    await page.waitForSelector(`#step-form[data-step="${step}"]:not([hidden])`);
  };
  const fieldError = (name) => page.textContent(`#sf-${name}-err`);
  const submit = async () => {
    const n = await stepsDone();
    await page.click('#step-form button[type=submit]');
    return n;
  };

  // ---- the dispatcher ----
  await page.setViewportSize({ width: 1920, height: 1080 });
  // The token as the page keeps it for the session (the entry itself is
  // TestBrowserClosed's); a later script wins on the next load.
  const useToken = (t) => page.addInitScript((t) => sessionStorage.setItem('gridmap.token', t), t);
  await useToken(dispatcher);
  await page.goto(base + '/desk?status=reported&sort=reported');
  await page.evaluate(() => window.desk.ready);
  const ids = await page.evaluate(() => window.desk.state.items.map((c) => c.id));
  check('the queue lists the reported case', ids.includes(id), `${ids.length} cases`);
  check('who is at the desk', /指挥中心/.test(await page.textContent('#who')), await page.textContent('#who'));

  // j/k move, Enter opens.
  for (let i = 0; i < ids.length && (await page.evaluate(() => window.desk.state.selectedId)) !== id; i++) await page.keyboard.press('j');
  // Away and back: down then up, or up then down for the last case (the
  // queue holds its ends).
  const selected = () => page.evaluate(() => window.desk.state.selectedId);
  const at = ids.indexOf(id);
  const [away, back] = at < ids.length - 1 ? ['j', 'k'] : ['k', 'j'];
  await page.keyboard.press(away);
  const moved = await selected();
  await page.keyboard.press(back);
  check('j/k move through the queue', ids.length < 2 || moved === ids[at + (away === 'j' ? 1 : -1)], JSON.stringify({ id, moved, ids }));
  const picked = await page.evaluate(() => ({ selected: window.desk.state.selectedId, queue: window.desk.state.items.map((c) => [c.id, c.reported_at]) }));
  check('j/k select the case', picked.selected === id, JSON.stringify({ id, ...picked }));
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => window.desk.state.detail?.incident.id === id && window.desk.state.detail.flow, id, { timeout: 30_000 });
  let d = await detail();
  check('a reported case offers register and reject', d.status === 'reported' && d.actions.join() === 'register,reject', JSON.stringify(d));
  let map = null;
  try {
    map = await page.waitForFunction((id) => {
      const m = window.desk.mapState();
      return m?.caseId === id && m.zoom >= 15 && m;
    }, id, { timeout: 30_000 }).then((h) => h.jsonValue());
  } catch {}
  const grid = await page.evaluate((id) => window.desk.state.detail.incident.grid?.code, id);
  check('the map shows the case and outlines its grid', map && map.selectedGrid === grid, JSON.stringify(map ?? (await page.evaluate(() => window.desk.mapState()))));

  // Esc closes a form; register.
  await openAction('reject');
  await page.keyboard.press('Escape');
  check('Esc closes the form', await page.isHidden('#step-form'));
  await openAction('register');
  await page.fill('#sf-note', '属实，予以立案');
  await waitSteps(await submit());
  d = await detail();
  check('registered', d.status === 'registered' && d.steps.includes('register') && d.actions.includes('dispatch'), JSON.stringify(d));

  // Dispatch: checked in the page first.
  await openAction('dispatch');
  const sent = posts.length;
  await page.fill('#sf-deadline', '');
  await page.click('#step-form button[type=submit]');
  check('dispatch without department, person, deadline is refused in the page',
    (await fieldError('department')) === '请选择' && (await fieldError('person')) === '必填' && (await fieldError('deadline')) === '必填' && posts.length === sent,
    `${await fieldError('department')} / ${await fieldError('person')} / ${await fieldError('deadline')}`);
  await page.selectOption('#sf-department', dept);
  // The department's people (the demo's head and two staff) are offered;
  // a name not among them is still taken.
  await page.waitForFunction(() => document.querySelectorAll('#sf-people option').length > 0, null, { timeout: 30_000 });
  const offered = await page.$$eval('#sf-people option', (os) => os.map((o) => `${o.value} ${o.textContent}`));
  check("the dispatch form offers the department's people, the head first",
    offered.length === 3 && offered.every((o) => o.includes('演示')) && offered[0].includes('负责人'), JSON.stringify(offered));
  await page.fill('#sf-person', '张警官');
  await page.fill('#sf-deadline', '2020-01-01T09:00');
  await page.click('#step-form button[type=submit]');
  check('a past deadline is refused in the page', (await fieldError('deadline')) === '期限须晚于现在' && posts.length === sent, await fieldError('deadline'));
  await saveShot('-form');
  const deadline = await page.evaluate(() => new Date(Date.now() + 8 * 3600e3 + 3 * 86400e3).toISOString().slice(0, 10) + 'T17:30');
  await page.fill('#sf-deadline', deadline);
  await waitSteps(await submit());
  d = await detail();
  check('dispatched', d.status === 'dispatched' && d.actions.includes('supervise'), JSON.stringify(d));
  const deptName = await page.evaluate((c) => window.desk.state.departments.find((d) => d.code === c)?.name_zh, dept);
  check('the timeline names department and person', (await page.textContent('#timeline li[data-step="dispatch"]')).includes('张警官') && (await page.textContent('#timeline li[data-step="dispatch"]')).includes(deptName), deptName);

  // The same dispatch again: the server's problem shown beside the form.
  await openAction('dispatch');
  await page.selectOption('#sf-department', dept);
  await page.fill('#sf-person', '张警官');
  await page.fill('#sf-deadline', deadline);
  await page.click('#step-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#step-form .problem')?.textContent, null, { timeout: 15_000 });
  check('the server\'s refusal is shown next to the form', /already/.test(await page.textContent('#step-form .problem')), await page.textContent('#step-form .problem'));
  await page.keyboard.press('Escape');

  // Supervise with a new deadline.
  await openAction('supervise');
  const later = await page.evaluate(() => new Date(Date.now() + 8 * 3600e3 + 86400e3).toISOString().slice(0, 10) + 'T12:00');
  await page.fill('#sf-deadline', later);
  await page.fill('#sf-note', '请加快办理');
  await waitSteps(await submit());
  d = await detail();
  check('supervised', d.steps.join() === 'register,dispatch,supervise' && /督办/.test(d.tags), JSON.stringify(d));

  // A case reported now arrives in the queue through the event stream.
  const before = await page.evaluate(() => window.desk.state.seq.queue);
  const posted = await api(reporter, 'POST', '/api/v1/incidents', {
    external_id: 'DESK-LIVE-' + Date.now(), category: 'hazard', source: 'hotline', lon: 116.8302, lat: 35.5502, reported_at: new Date().toISOString(), description: '（测试）实时到达',
  });
  try {
    await page.waitForFunction(({ before, nid }) => window.desk.state.seq.queue > before && window.desk.state.items.some((c) => c.id === nid), { before, nid: posted.body?.id }, { timeout: 30_000 });
    check('a new case arrives in the queue by the event stream', true);
  } catch {
    check('a new case arrives in the queue by the event stream', false, JSON.stringify(posted));
  }
  // It is a possible duplicate (same category, 28 m, the same day): the
  // dispatcher links it to this case.
  await page.evaluate((id) => window.desk.openCase(id), id);
  const dupRow = `#dups li[data-id="${posted.body?.id}"]`;
  await page.waitForSelector(dupRow + ' button', { timeout: 15_000 });
  await page.click(dupRow + ' button');
  await page.waitForSelector(dupRow + '[data-link="duplicate"]', { timeout: 15_000 });
  const main = await api(dispatcher, 'GET', `/api/v1/incidents/${posted.body?.id}/duplicates`);
  check('the later report is linked as a duplicate of the case', main.body?.duplicates?.some((c) => c.id === id && c.link === 'main'), JSON.stringify(main.body));
  await saveShot('-dispatcher');

  // ---- the department ----
  await useToken(department);
  await page.goto(base + `/desk?department=${dept}&case=${id}`);
  await page.evaluate(() => window.desk.ready);
  check('the department\'s queue holds the case', await page.evaluate((id) => window.desk.state.items.some((c) => c.id === id), id));
  await page.click(`#q-${id}`);
  await page.waitForFunction((id) => window.desk.state.detail?.incident.id === id && window.desk.state.detail.flow, id, { timeout: 30_000 });
  d = await detail();
  check('the department may resolve, not dispatch', d.actions.includes('resolve') && !d.actions.includes('dispatch'), JSON.stringify(d));
  await openAction('resolve');
  const sent2 = posts.length;
  await page.fill('#sf-note', '已清理完毕');
  await page.click('#step-form button[type=submit]');
  check('resolve without a photo is refused in the page', (await fieldError('attachments')) === '请先上传处置后的照片' && posts.length === sent2);
  await page.setInputFiles('#sf-attachments', { name: 'after.png', mimeType: 'image/png', buffer: png(96, 64) });
  await page.waitForSelector('#sf-photos img[data-id]', { timeout: 30_000 });
  // The thumbnail loads after the upload answers: wait for it (a busy
  // machine takes its time), then check it shows.
  const shown = await page.waitForFunction(() => {
    const img = document.querySelector('#sf-photos img[data-id]');
    return img?.complete && img.naturalWidth > 0;
  }, null, { timeout: 30_000 }).then(() => true, () => false);
  check('the photo is uploaded and shown before submitting', posts.includes('/api/v1/attachments') && shown);
  await waitSteps(await submit());
  d = await detail();
  check('resolved on the desk', d.status === 'resolved' && d.statusText === '已处置' && d.steps.at(-1) === 'resolve', JSON.stringify(d));
  await page.waitForFunction(() => document.querySelector('#timeline li[data-step="resolve"] img')?.naturalWidth > 0, null, { timeout: 30_000 });
  check('the timeline shows the photo\'s thumbnail', true);
  await page.click('#timeline li[data-step="resolve"] .thumbs button');
  await page.waitForFunction(() => !document.getElementById('lightbox').hidden && document.querySelector('#lightbox img').naturalWidth === 96, null, { timeout: 30_000 });
  check('a click opens the photo full size', true);
  await saveShot('-photo');
  await page.keyboard.press('Escape');
  check('Esc closes the photo', await page.isHidden('#lightbox'));

  // The dispatcher's review, taken elsewhere, shows on this desk by the
  // event stream.
  const reviewed = await api(dispatcher, 'POST', `/api/v1/incidents/${id}/steps`, { step: 'review', outcome: 'accept', note: '现场核查属实' });
  try {
    await page.waitForFunction(() => document.getElementById('c-status').dataset.status === 'reviewed', null, { timeout: 30_000 });
    check('a step taken elsewhere shows on the open case by the event stream', (await detail()).steps.at(-1) === 'review');
  } catch {
    check('a step taken elsewhere shows on the open case by the event stream', false, JSON.stringify(reviewed));
  }
  if (shot) writeFileSync(shot, await page.screenshot());

  // At 1366×768 everything is reachable.
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.waitForTimeout(500);
  const fits = await page.evaluate(() => ['queue', 'case', 'map'].map((id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return r.width > 200 && r.right <= innerWidth + 1 && r.top < innerHeight;
  }));
  check('queue, case and map side by side at 1366×768', fits.every(Boolean), JSON.stringify(fits));
  await saveShot('-1366');

  // English.
  await page.click('#lang');
  d = await detail();
  check('English labels', d.statusText === 'Reviewed' && (await page.textContent('#timeline')).includes('Supervise'), d.statusText);
  await page.click('#lang');

  // The API and the wall map agree.
  const steps = await api(department, 'GET', `/api/v1/incidents/${id}/steps`);
  check('the API says resolved (reviewed)', steps.status === 200 && steps.body.status === 'resolved' && steps.body.case_status === 'reviewed', JSON.stringify(steps.body?.status));
  await page.goto(base + '/?live=0');
  await page.evaluate(() => window.gridmap.ready);
  await page.waitForFunction((id) => document.querySelector(`#ticker li[data-id="${id}"]`), id, { timeout: 30_000 });
  const tick = await page.textContent(`#ticker li[data-id="${id}"]`);
  check('the wall map shows the case resolved', /办结/.test(tick), tick);
}, { expected: /status of 409/ }); // the dispatch sent twice on purpose
