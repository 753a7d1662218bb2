// Browser test of the wall map, in Debian's headless Chromium driven by
// playwright-core: node test/wallmap.test.mjs BASE_URL [SCREENSHOT.png]
//
// Checks that the page loads with no console error or failed request, that
// the grids are drawn (rendered features through the map API, and a
// screenshot that is not blank), that the ticker shows the newest incidents
// on load, that the choropleth is coloured from the statistics and changes
// when a filter changes (overdue included), that a click on a grid shows its
// details, that the English switch relabels the page, the labels (names,
// not codes) and the details (level and roles), that the patrol coverage
// view colours the micro-grids by their last patrol, and that ?live=0 opens no
// event stream. Prints one line per check and "N passed, N failed"; exits 1
// on any failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';

// --degraded: the server has no incident endpoints (statistics, heat tiles,
// events): the map must still draw the grids and say what is missing.
// --no-webgl: Chromium without WebGL: the page must say so (Chinese, then
// English) instead of an empty map, and still follow the live feed.
const modes = ['--degraded', '--no-webgl'];
const args = process.argv.slice(2).filter((a) => !modes.includes(a));
const degraded = process.argv.includes('--degraded');
const noWebGL = process.argv.includes('--no-webgl');
const base = args[0];
const shotPath = args[1];
if (!base) {
  console.error('usage: node test/wallmap.test.mjs [--degraded|--no-webgl] BASE_URL [SCREENSHOT.png]');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

let passed = 0;
const eventStreams = []; // the main page's connections to /api/v1/events
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`);
}

// pngStats decodes an 8-bit RGB(A) PNG (what Chromium writes) and returns
// the number of distinct colours (quantised) and the share of pixels that
// differ from the most common colour.
function pngStats(buf) {
  let pos = 8;
  let width, height, channels;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      channels = { 2: 3, 6: 4 }[data[9]];
      if (data[8] !== 8 || !channels) throw new Error('unexpected PNG format');
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 255;
    }
  }
  const hist = new Map();
  for (let i = 0; i < out.length; i += channels) {
    const k = ((out[i] >> 3) << 10) | ((out[i + 1] >> 3) << 5) | (out[i + 2] >> 3);
    hist.set(k, (hist.get(k) ?? 0) + 1);
  }
  const top = Math.max(...hist.values());
  return { colours: hist.size, nonBackground: 1 - top / (width * height) };
}

async function degradedChecks(page, problems, shotPath) {
  await page.waitForFunction(() => window.gridmap.map.loaded() && !document.getElementById('notice').hidden, null, { timeout: 30_000 });
  const fs = await page.evaluate(() => new Set(window.gridmap.map.queryRenderedFeatures({ layers: ['grid-line-village'] }).map((f) => f.properties.code)).size);
  check('grids drawn without the incident endpoints', fs >= 31, `${fs} villages`);
  await page.waitForFunction(() => !document.querySelector('#strip .strip-error').hidden, null, { timeout: 15_000 }).catch(() => {});
  check('headline strip says the indicators are unavailable', await page.$eval('#strip .strip-error', (el) => !el.hidden && /指标/.test(el.textContent)));
  check('says the statistics are unavailable', /统计|statistics/.test(await page.$eval('#notice', (el) => el.textContent)));
  await page.waitForFunction(() => document.getElementById('live').dataset.state === 'offline', null, { timeout: 15_000 }).catch(() => {});
  check('live feed shown offline', (await page.$eval('#live', (el) => el.dataset.state)) === 'offline');
  const shot = await page.screenshot();
  check('screenshot not blank', pngStats(shot).nonBackground > 0.2);
  if (shotPath) writeFileSync(shotPath, shot);
  // No patrol statistics either: the coverage legend says why.
  await page.click('#view button[data-value="patrol"]');
  await page.waitForFunction(() => !document.getElementById('legend-note').hidden, null, { timeout: 15_000 }).catch(() => {});
  const why = await page.$eval('#legend-note', (el) => (el.hidden ? '' : el.textContent));
  check('coverage legend says there is no patrol data', /工作日志/.test(why), why);
  const unexpected = problems.filter((p) => !/status of 404|HTTP 404/.test(p));
  check('no errors but the missing endpoints', unexpected.length === 0, unexpected.slice(0, 3).join('; '));
}

async function noWebGLChecks(page, problems, shotPath) {
  await page.evaluate(() => window.gridmap.ready.catch(() => {}));
  const msg = () => page.evaluate(() => {
    const el = document.getElementById('map-error');
    return el && !el.hidden ? el.textContent.trim() : '';
  });
  const zh = await msg();
  check('says the map needs WebGL (Chinese)', /WebGL/.test(zh) && /浏览器/.test(zh), zh);
  try {
    await page.waitForFunction(() => document.getElementById('live').dataset.state === 'live', null, { timeout: 15_000 });
    check('live feed connected without the map', true);
  } catch {
    check('live feed connected without the map', false, await page.$eval('#live', (el) => el.dataset.state));
  }
  try {
    await page.waitForFunction(() => document.querySelectorAll('#ticker li').length > 0, null, { timeout: 15_000 });
    check('ticker filled without the map', true, await page.$eval('#ticker li', (li) => li.textContent));
  } catch {
    check('ticker filled without the map', false);
  }
  if (shotPath) writeFileSync(shotPath, await page.screenshot());
  await page.click('#lang');
  const en = await msg();
  check('says the map needs WebGL (English)', /WebGL/.test(en) && /browser/i.test(en) && !/浏览器/.test(en), en);
  if (shotPath) writeFileSync(shotPath.replace(/\.png$/, '-en.png'), await page.screenshot());
  await page.waitForTimeout(300);
  check('no console errors or failed requests', problems.length === 0, problems.slice(0, 5).join('; '));
}

async function fullChecks(page, problems, offsite, basemap) {
  await page.waitForFunction(() => window.gridmap.map.loaded() && window.gridmap.statsSeq > 0, null, { timeout: 30_000 });

  // The ticker starts with the newest incidents, before any live event.
  try {
    await page.waitForFunction(() => document.querySelectorAll('#ticker li').length > 0, null, { timeout: 15_000 });
    check('ticker filled on load', true, await page.$eval('#ticker li', (li) => li.textContent));
  } catch {
    check('ticker filled on load', false, 'no event in the ticker');
  }

  // The headline strip shows what the API says (the same queries, asked
  // again from the page: the figures cannot move between the two reads
  // unless a case arrives, and the test posts none).
  await page.waitForFunction(() => window.gridmap.strip?.seq > 0, null, { timeout: 30_000 });
  const strip = await page.evaluate(async () => {
    const f = window.gridmap.strip.figures;
    const get = async (u) => (await fetch(u)).json();
    const [today, last30, trend, closed, ranking] = await Promise.all(['today', 'last30', 'trend', 'trendClosed', 'ranking'].map((k) => get(f.queries[k])));
    const text = (id) => document.getElementById(id).textContent;
    return {
      shown: [text('strip-new'), text('strip-closed'), text('strip-overdue'), text('strip-satisfaction')],
      api: [String(today.total.received), String(today.total.closed), String(last30.total.open_overdue),
        last30.total.satisfaction_rate == null ? '–' : `${(last30.total.satisfaction_rate * 100).toFixed(1)}%`],
      trend: [JSON.stringify(f.trend), JSON.stringify(trend.series.map((b) => b.count))],
      closed: [JSON.stringify(f.trendClosed), JSON.stringify(closed.series.map((b) => b.count))],
      red: [[...document.querySelectorAll('#strip-red li')].map((li) => li.dataset.key ?? '').join(','), ranking.red.slice(0, 3).map((r) => r.key).join(',')],
      black: [[...document.querySelectorAll('#strip-black li')].map((li) => li.dataset.key ?? '').join(','), ranking.black.slice(0, 3).map((r) => r.key).join(',')],
      month: [text('strip-month'), ranking.month],
      points: trend.series.length,
      chart: !!document.querySelector('#strip-chart') && document.querySelector('#strip-chart').width > 0,
    };
  });
  check('strip figures equal the API\'s', strip.shown.join('|') === strip.api.join('|'), `shown ${strip.shown.join(' ')}, API ${strip.api.join(' ')}`);
  check('strip trend equals the daily series (30 days)', strip.points === 30 && strip.trend[0] === strip.trend[1] && strip.closed[0] === strip.closed[1] && JSON.parse(strip.trend[0]).some((n) => n > 0), strip.trend[0]);
  check('strip red/black lists equal the ranking', strip.red[0] === strip.red[1] && strip.black[0] === strip.black[1] && strip.month[0] === strip.month[1], `red ${strip.red[0] || '(none)'}, black ${strip.black[0] || '(none)'}, ${strip.month[0]}`);
  check('strip chart drawn', strip.chart);

  // Drawn grids, through the map API.
  const drawn = await page.evaluate(() => {
    const m = window.gridmap.map;
    const fs = m.queryRenderedFeatures({ layers: ['grid-fill-village', 'grid-fill-micro', 'grid-line-street', 'grid-line-village'] });
    const byLevel = {};
    for (const f of fs) byLevel[f.properties.level] = (byLevel[f.properties.level] ?? new Set()).add(f.properties.code);
    const labels = m.queryRenderedFeatures({ layers: ['label-village', 'label-micro', 'label-other'] }).length;
    return { levels: Object.fromEntries(Object.entries(byLevel).map(([k, v]) => [k, v.size])), labels, zoom: m.getZoom(), center: m.getCenter() };
  });
  check('grids drawn', (drawn.levels.street ?? 0) >= 1 && (drawn.levels.village ?? 0) >= 20, JSON.stringify(drawn));
  check('labels placed', drawn.labels > 0, `${drawn.labels} labels`);
  if (basemap) {
    const layers = await page.evaluate(() => window.gridmap.map.getStyle().layers.map((l) => l.id));
    const baseAt = layers.indexOf('base-river');
    check('base map drawn under the grids', baseAt >= 0 && baseAt < layers.indexOf('grid-fill-village'), layers.slice(0, 4).join(', '));
  }

  // The map fits the street: every village is in view.
  check('fits the street', (drawn.levels.village ?? 0) >= 31, `${drawn.levels.village} of 31 villages in view at zoom ${drawn.zoom.toFixed(2)}`);

  // Choropleth from the statistics, as feature-state.
  const states = () => page.evaluate(() => {
    const m = window.gridmap.map;
    const out = {};
    for (const f of m.queryRenderedFeatures({ layers: ['grid-fill-village'] })) {
      const s = m.getFeatureState({ source: 'grids', sourceLayer: 'grids', id: f.properties.code });
      out[f.properties.code] = [s.count, s.bin];
    }
    return out;
  });
  const before = await states();
  const coloured = Object.values(before).filter(([c, b]) => c !== undefined && b !== undefined);
  check('choropleth coloured', coloured.length >= 31 && coloured.some(([c]) => c > 0), `${coloured.length} villages with a count`);
  const legend = await page.$$eval('#legend-bins li', (lis) => lis.map((li) => li.textContent));
  check('legend with numbers', legend.length >= 2 && legend.every((t) => /\d/.test(t)), legend.join(' | '));

  const shot1 = await page.screenshot();
  const st = pngStats(shot1);
  check('screenshot not blank', st.colours > 50 && st.nonBackground > 0.2, `${st.colours} colours, ${(st.nonBackground * 100).toFixed(0)}% not background`);
  if (shotPath) writeFileSync(shotPath, shot1);

  // A filter changes the choropleth, without reloading the grid tiles.
  let gridTileRequests = 0;
  page.on('request', (r) => {
    if (r.url().includes('/tiles/grids/')) gridTileRequests++;
  });
  // A filter helper: click, wait for the statistics, return the states.
  const choose = async (selector) => {
    const seq = await page.evaluate(() => window.gridmap.statsSeq);
    await page.click(selector);
    await page.waitForFunction((s) => window.gridmap.statsSeq > s, seq);
    await page.waitForFunction(() => window.gridmap.map.loaded());
    return states();
  };
  const diff = (a, b) => Object.keys(a).filter((k) => b[k] && b[k][0] !== a[k][0]).length;

  const all = await choose('#status button[data-value="all"]');
  check('choropleth changes with the status filter', diff(before, all) > 0, `${diff(before, all)} of ${Object.keys(before).length} villages changed`);
  const shot2 = await page.screenshot();
  check('screen changes with the filter', !shot1.equals(shot2));

  // Overdue (已超期): open incidents past their deadline, filtered by the
  // server (overdue=true), so fewer than open in every village, some.
  const legendOf = () => page.evaluate(() => ({
    bins: [...document.querySelectorAll('#legend-bins li')].map((li) => li.textContent),
    total: Number(document.getElementById('total').textContent.replace(/\D/g, '')),
  }));
  const open = await choose('#status button[data-value="open"]');
  const openLegend = await legendOf();
  const statsURLs = [];
  const onStats = (r) => {
    if (r.url().includes('/api/v1/stats/grids')) statsURLs.push(r.url());
  };
  page.on('request', onStats);
  const overdue = await choose('#status button[data-value="overdue"]');
  page.off('request', onStats);
  const overdueLegend = await legendOf();
  check('overdue filter sent to the statistics', statsURLs.length > 0 && statsURLs.every((u) => new URL(u).searchParams.get('overdue') === 'true'), statsURLs[0] ?? 'no request');
  check('overdue choropleth changes', diff(open, overdue) > 0, `${diff(open, overdue)} of ${Object.keys(open).length} villages changed`);
  const notMore = Object.keys(overdue).filter((k) => open[k] && overdue[k][0] > open[k][0]);
  check('overdue no more than open in each village', notMore.length === 0, notMore.slice(0, 3).join(', '));
  check('overdue legend numbers change', overdueLegend.total > 0 && overdueLegend.total < openLegend.total && overdueLegend.bins.join() !== openLegend.bins.join(),
    `open ${openLegend.total} [${openLegend.bins.join(' | ')}], overdue ${overdueLegend.total} [${overdueLegend.bins.join(' | ')}]`);
  const noticeText = await page.$eval('#notice', (el) => (el.hidden ? '' : el.textContent));
  check('no notice for the overdue filter', noticeText === '', noticeText);
  check('URL keeps the overdue filter', new URL(page.url()).searchParams.get('status') === 'overdue', page.url());
  await choose('#status button[data-value="all"]');
  const today = await choose('#window button[data-value="today"]');
  check('choropleth changes with the time window', diff(all, today) > 0, `${diff(all, today)} villages changed`);
  check('URL keeps the filters', new URL(page.url()).searchParams.get('window') === 'today', page.url());
  const year = await choose('#window button[data-value="year"]');
  const noDispute = await choose('#categories button[data-value="dispute"]');
  check('choropleth changes with a category toggle', diff(year, noDispute) > 0, `${diff(year, noDispute)} villages changed`);
  check('no geometry reloaded to recolour', gridTileRequests === 0, `${gridTileRequests} grid tile requests`);

  // Click a grid: its name, code and counts show.
  const pt = await page.evaluate(() => {
    const m = window.gridmap.map;
    const f = m.queryRenderedFeatures({ layers: ['label-village'] })[0];
    const p = m.project(f.geometry.coordinates);
    return { x: p.x, y: p.y, code: f.properties.code, name: f.properties.name };
  });
  await page.mouse.click(pt.x, pt.y);
  await page.waitForFunction(() => !document.getElementById('grid-info').hidden && document.getElementById('grid-people').textContent !== '');
  const info = await page.evaluate(() => ({
    name: document.getElementById('grid-name').textContent,
    code: document.getElementById('grid-code').textContent,
    count: document.getElementById('grid-count').textContent,
    people: document.getElementById('grid-people').textContent,
  }));
  check('click shows the grid', info.code.length > 0 && info.name.length > 0 && /\d/.test(info.count), JSON.stringify(info));

  // English switch: the page, the labels (the grids' names, which are
  // their names in any language, not their codes) and the details (level
  // and roles) in English.
  await page.click('#lang');
  const en = await page.evaluate(() => ({ title: document.querySelector('[data-i18n=title]').textContent, lang: document.documentElement.lang }));
  check('English switch', en.lang === 'en' && /Command/.test(en.title), JSON.stringify(en));
  const fields = await page.evaluate(() => ['label-village', 'label-micro', 'label-other'].map((id) => JSON.stringify(window.gridmap.map.getLayoutProperty(id, 'text-field'))));
  check('English labels are names, not codes', fields.every((f) => f.includes('"name"') && !f.includes('code')), fields.join(' '));
  const CJK_ROLES = /网格长|网格员|法律顾问|警务助理/;
  try {
    await page.waitForFunction((re) => {
      const people = document.getElementById('grid-people');
      return document.getElementById('grid-level').textContent === 'Village' && people.children.length > 0 && !new RegExp(re).test(people.textContent);
    }, CJK_ROLES.source, { timeout: 10_000 });
    check('details in English', true, await page.$eval('#grid-info', (el) => el.textContent.replace(/\s+/g, ' ').slice(0, 120)));
  } catch {
    check('details in English', false, await page.$eval('#grid-info', (el) => el.textContent.replace(/\s+/g, ' ').slice(0, 120)));
  }
  const ticker = await page.$eval('#ticker', (el) => el.textContent);
  check('ticker in English', ticker.length > 0 && !/上报|受理|办理中|办结|答复|归档|新事件|矛盾纠纷|安全隐患|民情民意|帮办代办/.test(ticker), ticker.slice(0, 120));
  if (shotPath) writeFileSync(shotPath.replace(/\.png$/, '-en.png'), await page.screenshot());

  // Live updates: the event stream is connected, and an incident posted
  // now shows in the ticker and recolours the map without a reload.
  const live = await page.$eval('#live', (el) => el.dataset.state);
  check('live feed connected', live === 'live', live);
  const lngLat = await page.evaluate(({ x, y }) => window.gridmap.map.unproject([x, y]).toArray(), pt);
  const seq3 = await page.evaluate(() => window.gridmap.statsSeq);
  const strip0 = await page.evaluate(() => ({ seq: window.gridmap.strip.seq, n: Number(document.getElementById('strip-new').textContent) }));
  const posted = await fetch(base + '/api/v1/incidents', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      external_id: `BROWSER-${Date.now()}`, category: 'hazard', source: 'hotline',
      lon: lngLat[0], lat: lngLat[1], reported_at: new Date().toISOString(), description: 'browser test',
    }),
  });
  check('incident posted', posted.status === 201, `${posted.status}`);
  const postedID = (await posted.json()).id;
  try {
    await page.waitForFunction(([s, id]) => document.querySelector(`#ticker li[data-id="${id}"]`) && window.gridmap.statsSeq > s, [seq3, postedID], { timeout: 15_000 });
    check('live event shown and statistics refreshed', true, await page.$eval('#ticker li', (li) => li.textContent));
  } catch (err) {
    check('live event shown and statistics refreshed', false, err.message);
  }
  // The strip follows the same event stream: today's new count goes up by one.
  try {
    await page.waitForFunction((s) => window.gridmap.strip.seq > s.seq && Number(document.getElementById('strip-new').textContent) === s.n + 1, strip0, { timeout: 15_000 });
    check('strip refreshed by the live event', true, `new today ${strip0.n} → ${strip0.n + 1}`);
  } catch {
    check('strip refreshed by the live event', false, `new today ${strip0.n} → ${await page.$eval('#strip-new', (el) => el.textContent)}`);
  }
  check('one event stream for the map and the strip', eventStreams.length === 1, `${eventStreams.length} connections`);

  // Micro-grids on demand: the level switch asks the tiles for them.
  await page.click('#lang');
  await page.click('#status button[data-value="open"]');
  await page.click('#window button[data-value="30d"]');
  await page.click('#categories button[data-value="dispute"]');
  await page.click('#level button[data-value="micro"]');
  await page.waitForFunction(() => window.gridmap.map.getSource('grids').tiles[0].includes('levels='));
  await page.waitForTimeout(300);
  await page.waitForFunction(() => window.gridmap.map.loaded());
  const micro = await page.evaluate(() => new Set(window.gridmap.map.queryRenderedFeatures({ layers: ['grid-fill-micro'] }).map((f) => f.properties.code)).size);
  check('micro-grids drawn on demand', micro >= 200, `${micro} micro-grids`);
  if (shotPath) writeFileSync(shotPath.replace(/\.png$/, '-micro.png'), await page.screenshot());

  // Patrol coverage: the micro-grids take the class of their last patrol
  // (demo work logs of the last 30 days, some grids neglected) through
  // the same feature-state; the legend counts the classes.
  await page.click('#level button[data-value="auto"]');
  await page.click('#view button[data-value="patrol"]');
  await page.waitForFunction(() => window.gridmap.patrolSeq > 0 && document.querySelector('#legend-bins li[data-patrol]'), null, { timeout: 30_000 });
  await page.waitForTimeout(300);
  await page.waitForFunction(() => window.gridmap.map.loaded());
  const cover = await page.evaluate(() => {
    const m = window.gridmap.map;
    const classes = {};
    let drawn = 0;
    for (const f of m.queryRenderedFeatures({ layers: ['grid-fill-micro'] })) {
      drawn++;
      const c = m.getFeatureState({ source: 'grids', sourceLayer: 'grids', id: f.properties.code }).patrol;
      classes[c] = (classes[c] ?? 0) + 1;
    }
    return {
      drawn, classes, heat: m.getLayoutProperty('heat', 'visibility'), paint: JSON.stringify(m.getPaintProperty('grid-fill-micro', 'fill-color')),
      legend: [...document.querySelectorAll('#legend-bins li')].map((li) => li.textContent),
      note: document.getElementById('legend-note').hidden, url: location.search,
    };
  });
  const known = Object.keys(cover.classes).filter((c) => c !== 'undefined');
  check('coverage colours micro-grids in two classes or more', cover.drawn >= 200 && known.length >= 2 && !cover.classes.undefined && cover.paint.includes('patrol'), JSON.stringify(cover.classes));
  check('coverage legend: five classes with numbers, no error', cover.legend.length === 5 && cover.legend.every((t) => /\d/.test(t)) && cover.note, cover.legend.join(' | '));
  check('coverage hides the heat and is kept in the URL', cover.heat === 'none' && /view=patrol/.test(cover.url), `${cover.heat} ${cover.url}`);
  if (shotPath) writeFileSync(shotPath.replace(/\.png$/, '-patrol.png'), await page.screenshot());
  // Zoomed in: a micro-grid's details (last patrol, patrols, distance),
  // and the tracks.
  // (Around the middle of the area the panels and the strip leave free.)
  await page.evaluate(() => {
    const m = window.gridmap.map;
    const free = (document.getElementById('strip').getBoundingClientRect().top + document.querySelector('.bar').getBoundingClientRect().bottom) / 2;
    m.jumpTo({ zoom: 14.5, center: m.unproject([m.getCanvas().clientWidth / 2, free]) });
  });
  await page.waitForFunction(() => window.gridmap.map.loaded() && window.gridmap.map.queryRenderedFeatures({ layers: ['label-micro'] }).length > 0, null, { timeout: 30_000 });
  // One with patrols, clear of the side panels: polled, as labels are
  // placed over several frames after the map says it has loaded (a busy
  // machine found none at the first look).
  const mpt = await page.waitForFunction(() => {
    const m = window.gridmap.map;
    const w = m.getCanvas().clientWidth;
    const f = m.queryRenderedFeatures({ layers: ['label-micro'] }).find((f) => {
      const p = m.project(f.geometry.coordinates);
      return window.gridmap.patrol.codes.get(f.properties.code)?.visits > 0 && p.x > w * 0.3 && p.x < w * 0.65 && p.y > 150 && p.y < document.getElementById('strip').getBoundingClientRect().top - 20;
    });
    if (!f) return null;
    const p = m.project(f.geometry.coordinates);
    return { x: p.x, y: p.y, code: f.properties.code };
  }, null, { timeout: 30_000 }).then((h) => h.jsonValue());
  await page.mouse.click(mpt.x, mpt.y);
  await page.waitForFunction((code) => document.getElementById('grid-code').textContent === code, mpt.code);
  const pinfo = await page.evaluate(() => ['grid-patrol-last', 'grid-patrol-visits', 'grid-patrol-metres'].map((id) => {
    const el = document.getElementById(id);
    return el.offsetParent ? el.textContent : '(hidden)';
  }));
  check('micro-grid details show its patrol', /\d/.test(pinfo[0]) && /^[1-9]/.test(pinfo[1]) && /\d (m|km)$/.test(pinfo[2]), pinfo.join(' | '));
  await page.waitForFunction(() => window.gridmap.map.loaded() && window.gridmap.map.queryRenderedFeatures({ layers: ['patrol-tracks'] }).length > 0, null, { timeout: 30_000 })
    .then(() => check('patrol tracks drawn when zoomed in', true), (err) => check('patrol tracks drawn when zoomed in', false, err.message));
  if (shotPath) writeFileSync(shotPath.replace(/\.png$/, '-patrol-tracks.png'), await page.screenshot());
  await page.click('#view button[data-value="incidents"]');
  await page.waitForFunction(() => !JSON.stringify(window.gridmap.map.getPaintProperty('grid-fill-micro', 'fill-color')).includes('patrol'));
  check('back to incidents: the incident classes again', await page.evaluate(() => document.getElementById('legend-title').textContent === '事件数' && window.gridmap.map.getLayoutProperty('patrol-tracks', 'visibility') === 'none'));

  await page.waitForTimeout(500);
  check('no console errors or failed requests', problems.length === 0, problems.slice(0, 5).join('; '));
  check('nothing fetched from another host', offsite.length === 0, offsite.slice(0, 3).join(', '));

  // ?live=0 (screenshots, kiosk checks): no event stream, the ticker still
  // shows the newest incidents, the badge says the feed is off.
  const still = await page.context().newPage();
  const streams = [];
  still.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/events') streams.push(r.url());
  });
  await still.goto(base + '/?live=0', { waitUntil: 'load' });
  await still.evaluate(() => window.gridmap.ready);
  await still.waitForFunction(() => document.querySelectorAll('#ticker li').length > 0, null, { timeout: 15_000 }).catch(() => {});
  const off = await still.evaluate(() => ({ live: document.getElementById('live').dataset.state, ticker: document.querySelectorAll('#ticker li').length }));
  check('?live=0 opens no event stream', streams.length === 0 && off.live === 'off' && off.ticker > 0, `${streams.length} streams, ${JSON.stringify(off)}`);
  await still.close();
}

const profile = mkdtempSync(join(tmpdir(), 'gridmap-chromium-'));
// A fresh, empty profile (--user-data-dir) each run.
const browser = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1600, height: 900 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    '--disable-component-update', '--disable-sync', '--disable-quic',
    // WebGL without a GPU: SwiftShader through ANGLE (or none at all).
    ...(noWebGL ? ['--disable-webgl'] : ['--use-angle=swiftshader', '--enable-unsafe-swiftshader']),
  ],
});
let exitCode = 1;
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // An aborted tile request (the map moved on) is not a failure.
    if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  // Nothing from another host, but the base map the server names (the
  // test serves one from another port when BASEMAP_ORIGIN is set).
  const basemap = process.env.BASEMAP_ORIGIN;
  const offsite = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:') && !(basemap && u.startsWith(basemap))) offsite.push(u);
  });
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/events') eventStreams.push(r.url());
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });

  await page.goto(base + '/', { waitUntil: 'load' });
  if (!noWebGL) await page.evaluate(() => window.gridmap.ready);
  if (noWebGL) await noWebGLChecks(page, problems, shotPath);
  else if (degraded) await degradedChecks(page, problems, shotPath);
  else await fullChecks(page, problems, offsite, basemap);
} catch (err) {
  check('test ran', false, err.stack ?? String(err));
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed`);
  exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
process.exit(exitCode);
