// The command-centre wall map (served at /). It draws the grid tiles
// (/tiles/grids.json) with the style /styles/wallmap.json, colours grids by
// their incident counts through feature-state (from /api/v1/stats/grids:
// recolouring never reloads geometry), overlays the heat tiles
// (/tiles/heat/…), lists the newest incidents (/api/v1/events/recent) and
// follows the live feed (/api/v1/events). Without WebGL 2 it says so and
// keeps the ticker. Where the server wants a token, it asks for one in the
// page (token.js).
//
// Settings can be given in the URL, so each wall screen can keep its own:
// ?lang=en&window=today|7d|30d|year&status=all|open|overdue
// &level=auto|village|micro&categories=dispute,hazard&heat=0&view=patrol
// (patrol coverage: micro-grids coloured by the days since their last
// patrol in the window, /api/v1/stats/patrol, through the same
// feature-state; tracks from /tiles/patrol/… when zoomed in); live=0 opens
// no event stream (screenshots and kiosk checks: a page with a request
// always open never finishes loading).

import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './wallmap.css';
import { strings, defaultCategories } from './i18n.js';
import { breaks, bin, ranges } from './bins.js';
import { bindSegment } from './segment.js';
import { authFetch, configureToken, transformRequest } from './token.js';
import { openEvents } from './events.js';
import { hasWebGL2 } from './webgl.js';
import { PATROL_CLASSES, patrolClass, patrolPaint } from './patrol.js';
import { createStrip } from './strip.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const oneOf = (v, allowed, def) => (allowed.includes(v) ? v : def);

const state = {
  lang: params.get('lang') === 'en' ? 'en' : 'zh',
  window: oneOf(params.get('window'), ['today', '7d', '30d', 'year'], '30d'),
  status: oneOf(params.get('status'), ['all', 'open', 'overdue'], 'open'),
  level: oneOf(params.get('level'), ['auto', 'village', 'micro'], 'auto'),
  categories: new Set((params.get('categories') ?? 'dispute,hazard').split(',').filter(Boolean)),
  heat: params.get('heat') !== '0',
  live: params.get('live') !== '0',
  view: oneOf(params.get('view'), ['incidents', 'patrol'], 'incidents'),
};

const CJK_FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif';
const FILL_LAYERS = ['grid-fill-micro', 'grid-fill-village', 'grid-fill-street'];
const LEVEL_RANK = { micro: 0, village: 1, street: 2 };

let map;
let tileJSON; // of the grid tiles in use
let categories = defaultCategories;
let palette = []; // class → colour, read from the style
const counts = {}; // level → {codes: Map(code → count), breaks, total, unassigned}
let selected = null; // code
let selectedAt = null; // {props, lngLat} of the click that selected it
let statsSeq = 0; // completed stats refreshes, for tests
let heatRev = 0;
let notices = new Map();
let incidentPaint = null; // the style's micro fill colour, for the way back from patrol
// Patrol coverage of the micro-grids: code → {cls, visits, metres, last},
// or error: the i18n key of why there is none.
const patrol = { codes: new Map(), from: '', error: null };
let patrolSeq = 0; // completed patrol refreshes, for tests
const NO_STATE = '#12243f'; // a grid with no class (yet): the style's fallback

const t = (key) => strings[state.lang][key] ?? key;
let strip; // the headline strip (strip.js)

// ---------- data ----------

async function fetchJSON(url, opts) {
  const resp = await authFetch(url, opts);
  if (!resp.ok) {
    let detail = '';
    try {
      detail = (await resp.json()).detail ?? '';
    } catch {}
    const err = new Error(`${url}: ${resp.status} ${detail}`);
    err.status = resp.status;
    throw err;
  }
  return resp.json();
}

// cstDate returns the date d days before today in China Standard Time,
// YYYY-MM-DD, which the API reads as that day's midnight (+08:00).
function cstDate(daysAgo) {
  const d = new Date(Date.now() + 8 * 3600e3 - daysAgo * 86400e3);
  return d.toISOString().slice(0, 10);
}

function windowStart(w) {
  return cstDate({ today: 0, '7d': 6, '30d': 29, year: 364 }[w]);
}

// memoryFrom is where the server's memory window starts (YYYY-MM-DD, ''
// for every month held; GRIDMAP_CASE_MONTHS): case counts and heat before
// it are not held, so the page's case ranges start there at the earliest.
let memoryFrom = '';

function caseWindowStart(w) {
  const d = windowStart(w);
  return memoryFrom > d ? memoryFrom : d;
}

// filterQuery is the incident filter shared by statistics and heat tiles.
// Overdue is open past the deadline, judged by the server at request time.
function filterQuery() {
  const q = new URLSearchParams();
  q.set('category', [...state.categories].join(','));
  if (state.status !== 'all') q.set('status', 'open');
  if (state.status === 'overdue') q.set('overdue', 'true');
  q.set('from', caseWindowStart(state.window));
  return q;
}

function levelMode() {
  // The tiles draw villages from zoom 11 and micro-grids from 13; the
  // explicit modes ask the tiles for their level at every zoom. Patrol is
  // kept per micro-grid, so coverage shows them at every zoom.
  return {
    auto: { levels: '', village: [0, 13], micro: [13, 24] },
    village: { levels: 'street,village', village: [0, 24], micro: null },
    micro: { levels: 'street,village,micro', village: null, micro: [0, 24] },
  }[state.view === 'patrol' ? 'micro' : state.level];
}

// shownLevel is the level coloured at the current zoom.
function shownLevel() {
  const m = levelMode();
  const z = map.getZoom();
  if (m.micro && z >= m.micro[0]) return 'micro';
  return 'village';
}

async function loadTileJSON() {
  const { levels } = levelMode();
  return fetchJSON('/tiles/grids.json' + (levels ? '?levels=' + levels : ''));
}

// ---------- statistics → feature-state ----------

let statsTimer = null;
function scheduleStats(delay = 0) {
  clearTimeout(statsTimer);
  statsTimer = setTimeout(refreshStats, delay);
}

async function refreshStats() {
  clearTimeout(statsTimer);
  if (state.view === 'patrol') await refreshPatrol();
  const levels = ['village', 'micro'];
  try {
    if (state.categories.size === 0) {
      for (const l of levels) applyCounts(l, [...(counts[l]?.codes.keys() ?? [])].map((code) => ({ code, count: 0 })), 0, 0);
    } else {
      const q = filterQuery();
      const answers = await Promise.all(levels.map((l) => fetchJSON(`/api/v1/stats/grids?level=${l}&${q}`)));
      answers.forEach((a, i) => applyCounts(levels[i], a.counts ?? [], a.total ?? 0, a.unassigned ?? 0));
      const v = answers[0]?.data_version;
      if (v && tileJSON && tileJSON.data_version && v !== tileJSON.data_version) reloadGridTiles();
    }
    notice('stats', null);
    statsSeq++;
    renderLegend();
    if (selected) showGrid(selected);
    scheduleStats(60_000); // the window moves with the clock, and deadlines pass
  } catch (err) {
    console.warn('statistics:', err.message);
    notice('stats', t('statsUnavailable'));
    scheduleStats(15_000);
  }
}

function applyCounts(level, list, total, unassigned) {
  const codes = new Map(list.map((c) => [c.code, c.count]));
  const bs = breaks([...codes.values()]);
  counts[level] = { codes, breaks: bs, total, unassigned };
  for (const [code, count] of codes) {
    map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: code }, { count, bin: bin(count, bs) });
  }
}

// ---------- patrol coverage → the same feature-state ----------

// refreshPatrol colours the micro-grids by the days since their last
// patrol in the window; it never throws: what went wrong shows in the
// legend (a token that may not read it, a server without work logs).
async function refreshPatrol() {
  const from = windowStart(state.window);
  try {
    const a = await fetchJSON(`/api/v1/stats/patrol?level=micro&from=${from}`);
    const now = Date.now();
    patrol.codes.clear();
    for (const g of a.grids ?? []) {
      const cls = patrolClass(g.last_visited, now);
      patrol.codes.set(g.grid, { cls, visits: g.visits, metres: g.metres, last: g.last_visited });
      map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: g.grid }, { patrol: cls });
    }
    patrol.from = from;
    patrol.error = null;
  } catch (err) {
    console.warn('patrol statistics:', err.message);
    patrol.error = err.status === 401 || err.status === 403 ? 'patrolNeedsToken' : err.status === 404 ? 'patrolNone' : 'patrolUnavailable';
  }
  patrolSeq++;
  if (state.view === 'patrol') renderLegend();
}

function patrolTilesURL() {
  return `${location.origin}/tiles/patrol/{z}/{x}/{y}.mvt?from=${windowStart(state.window)}`;
}

// addPatrolTracks adds the patrol tracks (hidden until the coverage view),
// drawn from zoom 14 where single streets can be told apart.
function addPatrolTracks() {
  map.addSource('patrol', { type: 'vector', tiles: [patrolTilesURL()], minzoom: 12, maxzoom: 16 });
  map.addLayer({
    id: 'patrol-tracks', type: 'line', source: 'patrol', 'source-layer': 'patrol', minzoom: 14,
    layout: { visibility: 'none', 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': '#e0f2fe', 'line-width': ['interpolate', ['linear'], ['zoom'], 14, 1, 18, 2.5], 'line-opacity': 0.45 },
  }, 'grid-flash');
}

// applyView switches the micro fill between incident classes and patrol
// classes (both feature-state on the grid tiles), and the heat and tracks.
async function applyView() {
  document.body.dataset.view = state.view;
  if (!map) return;
  const coverage = state.view === 'patrol';
  map.setPaintProperty('grid-fill-micro', 'fill-color', coverage ? patrolPaint(NO_STATE) : incidentPaint);
  map.setLayoutProperty('heat', 'visibility', !coverage && state.heat && state.categories.size ? 'visible' : 'none');
  map.setLayoutProperty('patrol-tracks', 'visibility', coverage ? 'visible' : 'none');
  applyLevelMode();
  await reloadGridTiles();
  if (coverage) await refreshPatrol();
  renderLegend();
  if (selected) showGrid(selected);
}

// ---------- heat ----------

function heatURL() {
  const q = filterQuery();
  q.set('r', String(heatRev));
  return `${location.origin}/tiles/heat/{z}/{x}/{y}.mvt?${q}`;
}

// refreshHeat reloads the heat tiles: at once for a filter change, within
// throttle ms for live events (many events, one reload).
let heatTimer = null;
function refreshHeat(throttle = 0) {
  if (throttle === 0) clearTimeout(heatTimer);
  else if (heatTimer) return;
  heatTimer = setTimeout(() => {
    heatTimer = null;
    const src = map.getSource('heat');
    if (!src) return;
    if (state.categories.size === 0) {
      map.setLayoutProperty('heat', 'visibility', 'none');
      return;
    }
    map.setLayoutProperty('heat', 'visibility', state.heat && state.view !== 'patrol' ? 'visible' : 'none');
    heatRev++;
    src.setTiles([heatURL()]);
  }, throttle);
}

// ---------- grid tiles and levels ----------

async function reloadGridTiles() {
  try {
    tileJSON = await loadTileJSON();
    map.getSource('grids').setTiles(tileJSON.tiles);
  } catch (err) {
    console.warn('grid tiles:', err.message);
  }
}

function applyLevelMode() {
  const m = levelMode();
  const set = (id, range) => {
    if (!map.getLayer(id)) return;
    map.setLayoutProperty(id, 'visibility', range ? 'visible' : 'none');
    if (range) map.setLayerZoomRange(id, range[0], range[1]);
  };
  set('grid-fill-village', m.village);
  set('grid-fill-micro', m.micro);
  set('grid-line-micro', m.micro ? [0, 24] : null);
  set('label-micro', m.micro ? [Math.max(m.micro[0], 13), 24] : null);
}

// ---------- legend, details, ticker ----------

function renderLegend() {
  if (state.view === 'patrol') return renderPatrolLegend();
  $('legend-title').textContent = t('legend');
  // Say so when the chosen range was cut to the server's memory window.
  const from = caseWindowStart(state.window);
  $('legend-note').hidden = from === windowStart(state.window);
  $('legend-note').textContent = `${t('memoryFrom')} ${from}`;
  $('totals').hidden = false;
  const level = shownLevel();
  $('legend-level').textContent = t(level);
  const c = counts[level];
  const ol = $('legend-bins');
  ol.replaceChildren();
  const bs = c?.breaks ?? [];
  const perBin = new Array(bs.length + 1).fill(0);
  for (const n of c?.codes.values() ?? []) perBin[bin(n, bs)]++;
  const rows = [[0, '0'], ...ranges(bs).map(([lo, hi], i) => [i + 1, lo === hi ? `${lo}` : `${lo}–${hi}`])];
  for (const [k, label] of rows) {
    const li = document.createElement('li');
    li.dataset.bin = k;
    const sw = document.createElement('i');
    sw.style.background = palette[k] ?? '#333';
    const span = document.createElement('span');
    span.textContent = label;
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = `${perBin[k]} ${state.lang === 'zh' ? '个' : ''}`.trim();
    li.append(sw, span, n);
    ol.append(li);
  }
  $('total').textContent = c ? c.total.toLocaleString() : '–';
  $('unassigned').textContent = c ? c.unassigned.toLocaleString() : '–';
}

function renderPatrolLegend() {
  $('legend-title').textContent = t('patrolLegend');
  $('legend-level').textContent = `${t('patrolWindowFrom')} ${windowStart(state.window)}`;
  $('totals').hidden = true;
  const perClass = PATROL_CLASSES.map(() => 0);
  for (const p of patrol.codes.values()) perClass[p.cls]++;
  const ol = $('legend-bins');
  ol.replaceChildren();
  PATROL_CLASSES.forEach((c, k) => {
    const li = document.createElement('li');
    li.dataset.patrol = k;
    const sw = document.createElement('i');
    sw.style.background = c.colour;
    const span = document.createElement('span');
    span.textContent = t(c.key);
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = patrol.error ? '–' : `${perClass[k]} ${state.lang === 'zh' ? '个' : ''}`.trim();
    li.append(sw, span, n);
    ol.append(li);
  });
  const note = $('legend-note');
  note.textContent = patrol.error ? t(patrol.error) : '';
  note.hidden = !patrol.error;
}

// readPalette reads class colours from the style's match expression.
function readPalette() {
  const expr = map.getPaintProperty('grid-fill-micro', 'fill-color');
  const out = [];
  if (Array.isArray(expr) && expr[0] === 'match') {
    for (let i = 2; i + 1 < expr.length; i += 2) out[expr[i]] = expr[i + 1];
  }
  return out;
}

function setSelected(code) {
  if (selected) map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: selected }, { selected: false });
  selected = code;
  if (code) map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: code }, { selected: true });
}

let detailSeq = 0;
async function showGrid(code, lngLat, props) {
  const seq = ++detailSeq;
  const info = $('grid-info');
  info.hidden = false;
  $('grid-hint').hidden = true;
  const level = props?.level ?? info.dataset.level;
  info.dataset.level = level;
  if (props) {
    $('grid-name').textContent = props.name;
    $('grid-code').textContent = code;
    $('grid-level').textContent = t(level);
    if (lngLat) info.dataset.lnglat = `${lngLat.lng},${lngLat.lat}`;
  }
  const n = counts[level]?.codes.get(code);
  $('grid-count').textContent = n === undefined ? '–' : n.toLocaleString();
  // Patrol of the grid (counts only: no worker is named on the wall).
  const p = patrol.codes.get(code);
  $('grid-patrol-last').textContent = p?.last
    ? new Date(p.last).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    : p ? t('patrolNever') : '–';
  $('grid-patrol-visits').textContent = p ? p.visits.toLocaleString() : '–';
  $('grid-patrol-metres').textContent = p ? (p.metres >= 1000 ? `${(p.metres / 1000).toFixed(1)} km` : `${Math.round(p.metres)} m`) : '–';

  // Responsible people: the lookup at the clicked point names the grid
  // and its ancestors with their members (no contact details).
  const people = $('grid-people');
  const [lng, lat] = (info.dataset.lnglat ?? '').split(',');
  if (props && lng) {
    people.replaceChildren();
    try {
      const a = await fetchJSON(`/api/v1/lookup?lon=${lng}&lat=${lat}`);
      if (seq !== detailSeq) return;
      const roles = strings[state.lang].roles;
      const mine = (a.members ?? []).filter((m) => m.grid === code);
      for (const m of mine) {
        const li = document.createElement('li');
        li.innerHTML = '<span></span><span></span>';
        li.children[0].textContent = roles[m.role] ?? m.role;
        li.children[1].textContent = m.name;
        people.append(li);
      }
      if (mine.length === 0) people.textContent = t('none');
    } catch (err) {
      people.textContent = t('none');
    }
  }

  // Counts by category in the window and status filter.
  const cats = $('grid-cats');
  if (state.categories.size === 0 || !['village', 'micro'].includes(level)) {
    cats.replaceChildren();
    return;
  }
  try {
    const q = filterQuery();
    const list = categories.filter((c) => state.categories.has(c.name));
    const answers = await Promise.all(list.map((c) => {
      q.set('category', c.name);
      return fetchJSON(`/api/v1/stats/grids?level=${level}&grid=${encodeURIComponent(code)}&${q}`);
    }));
    if (seq !== detailSeq) return;
    cats.replaceChildren();
    answers.forEach((a, i) => {
      const n = (a.counts ?? []).find((c) => c.code === code)?.count ?? 0;
      const li = document.createElement('li');
      li.innerHTML = '<span></span><b></b>';
      li.children[0].textContent = state.lang === 'zh' ? list[i].label_zh : list[i].label_en;
      li.children[1].textContent = n.toLocaleString();
      cats.append(li);
    });
  } catch (err) {
    cats.replaceChildren();
  }
}

function categoryLabel(name) {
  const c = categories.find((c) => c.name === name);
  return c ? (state.lang === 'zh' ? c.label_zh : c.label_en) : name;
}

const ticks = []; // [{ev, kind}], newest first, as shown
const TICKS = 12;

// tick puts an event at the top of the ticker: kind 'incident' (new),
// 'status' (a change) or 'recent' (an incident listed on load, with its
// status now). Times are China Standard Time; not today's show the date.
function tick(ev, kind) {
  ticks.unshift({ ev, kind });
  ticks.length = Math.min(ticks.length, TICKS);
  $('ticker').prepend(tickItem(ev, kind));
  while ($('ticker').children.length > TICKS) $('ticker').lastChild.remove();
}

// renderTicker draws the ticker again (in another language).
function renderTicker() {
  $('ticker').replaceChildren(...ticks.map(({ ev, kind }) => tickItem(ev, kind)));
}

function tickItem(ev, kind) {
  const li = document.createElement('li');
  li.dataset.id = ev.id;
  li.dataset.kind = kind;
  const time = document.createElement('time');
  const at = new Date(ev.at ?? ev.reported_at ?? Date.now());
  const locale = state.lang === 'zh' ? 'zh-CN' : 'en-GB';
  const day = (d) => d.toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });
  time.textContent = day(at) === day(new Date())
    ? at.toLocaleTimeString(locale, { timeZone: 'Asia/Shanghai', hour12: false })
    : at.toLocaleString(locale, { timeZone: 'Asia/Shanghai', hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  time.dateTime = at.toISOString();
  const status = strings[state.lang].statuses[ev.status] ?? ev.status;
  const what = { incident: t('newIncident'), status: `${t('statusChange')} → ${status}`, recent: status }[kind];
  li.append(time, `${categoryLabel(ev.category)} · ${ev.grid?.name ?? ev.grid?.code ?? t('unassigned')} · ${what}`);
  return li;
}

// loadRecent fills the ticker with the newest incidents, so it is not
// empty until the first live event.
async function loadRecent() {
  try {
    const a = await fetchJSON(`/api/v1/events/recent?limit=${TICKS}`);
    for (const ev of [...(a.events ?? [])].reverse()) tick(ev, 'recent');
  } catch (err) {
    console.warn('recent events:', err.message); // a server without them
  }
}

function flash(code) {
  if (!code || !map) return;
  const codes = [code];
  const f = map.querySourceFeatures('grids', { sourceLayer: 'grids', filter: ['==', ['get', 'code'], code] })[0];
  if (f?.properties.parent) codes.push(f.properties.parent);
  for (const c of codes) map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: c }, { flash: true });
  setTimeout(() => {
    for (const c of codes) map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: c }, { flash: false });
  }, 4000);
}

// ---------- live feed ----------

function connectEvents() {
  if (!state.live) return setLive('off');
  const on = (ev, kind) => {
    tick(ev, kind);
    strip?.schedule();
    if (kind === 'incident') flash(ev.grid?.code);
    if (map && state.categories.has(ev.category)) {
      scheduleStats(1500);
      refreshHeat(10_000);
    }
  };
  // When refused, the statistics still refresh every minute.
  openEvents({ handlers: { incident: on, status: on, resync: () => { strip?.schedule(0); if (map) scheduleStats(0); } }, onState: setLive });
}

function setLive(s) {
  const el = $('live');
  el.dataset.state = s;
  el.textContent = t({ live: 'live', connecting: 'connecting', offline: 'offline', off: 'liveOff' }[s]);
}

function notice(key, text) {
  if (text) notices.set(key, text);
  else notices.delete(key);
  const el = $('notice');
  el.textContent = [...notices.values()].join(' ');
  el.hidden = notices.size === 0;
}

// ---------- controls ----------

function renderChips() {
  const box = $('categories');
  box.replaceChildren();
  for (const c of categories) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.value = c.name;
    b.textContent = state.lang === 'zh' ? c.label_zh : c.label_en;
    b.setAttribute('aria-pressed', String(state.categories.has(c.name)));
    b.onclick = () => {
      if (state.categories.has(c.name)) state.categories.delete(c.name);
      else state.categories.add(c.name);
      b.setAttribute('aria-pressed', String(state.categories.has(c.name)));
      filtersChanged();
    };
    box.append(b);
  }
}

function filtersChanged() {
  saveURL();
  if (!map) return;
  refreshStats();
  refreshHeat(0);
  map.getSource('patrol')?.setTiles([patrolTilesURL()]);
}

function saveURL() {
  const q = new URLSearchParams();
  if (state.lang !== 'zh') q.set('lang', state.lang);
  if (state.window !== '30d') q.set('window', state.window);
  if (state.status !== 'open') q.set('status', state.status);
  if (state.level !== 'auto') q.set('level', state.level);
  const cats = [...state.categories].join(',');
  if (cats !== 'dispute,hazard') q.set('categories', cats);
  if (!state.heat) q.set('heat', '0');
  if (!state.live) q.set('live', '0');
  if (state.view !== 'incidents') q.set('view', state.view);
  const s = q.toString();
  history.replaceState(null, '', s ? '?' + s : location.pathname);
}

function applyLang() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.title = `${t('title')} · ${t('subtitle')}`;
  $('lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
  renderChips();
  renderTicker();
  strip?.render();
  setLive($('live').dataset.state);
  if (map?.isStyleLoaded()) renderLegend();
  notice('stats', notices.has('stats') ? t('statsUnavailable') : null);
  notice('heat', notices.has('heat') ? t('heatUnavailable') : null);
}

function bindControls() {
  bindSegment($('view'), state, 'view', () => {
    saveURL();
    applyView();
  });
  bindSegment($('window'), state, 'window', filtersChanged);
  bindSegment($('status'), state, 'status', filtersChanged);
  bindSegment($('level'), state, 'level', async () => {
    saveURL();
    if (!map) return;
    applyLevelMode();
    await reloadGridTiles();
    renderLegend();
  });
  const heat = $('heat');
  heat.checked = state.heat;
  heat.onchange = () => {
    state.heat = heat.checked;
    saveURL();
    if (map?.getLayer('heat')) map.setLayoutProperty('heat', 'visibility', state.heat && state.categories.size && state.view !== 'patrol' ? 'visible' : 'none');
  };
  $('lang').onclick = () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    saveURL();
    applyLang();
    // The details again, in the new language (level, roles, categories).
    if (selected) showGrid(selected, selectedAt?.lngLat, selectedAt?.props);
  };
  const full = () => (document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen()).catch(() => {});
  $('fullscreen').onclick = full;
  document.addEventListener('keydown', (e) => {
    if (e.key === 'f' && !e.ctrlKey && !e.metaKey && !e.altKey) full();
  });
  const clock = () => {
    $('clock').textContent = new Date().toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', {
      timeZone: 'Asia/Shanghai', hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
  };
  clock();
  setInterval(clock, 1000);
}

// ---------- base map ----------

// withBaseMap draws a site's own base-map style (configured on the server)
// under the wall map's layers: its sources and layers are prefixed so they
// cannot clash, and its glyphs and sprite are used.
function withBaseMap(base, ours) {
  const out = { ...ours, sources: { ...ours.sources }, layers: [] };
  const rename = (s) => `base-${s}`;
  for (const [name, src] of Object.entries(base.sources ?? {})) out.sources[rename(name)] = src;
  for (const l of base.layers ?? []) {
    const copy = { ...l, id: rename(l.id) };
    if (l.source) copy.source = rename(l.source);
    out.layers.push(copy);
  }
  for (const l of ours.layers) {
    if (l.type === 'background') continue;
    const copy = { ...l };
    if (l.id === 'grid-fill-street') copy.paint = { ...l.paint, 'fill-opacity': 0.15 };
    out.layers.push(copy);
  }
  if (base.glyphs) out.glyphs = base.glyphs;
  if (base.sprite) out.sprite = base.sprite;
  return out;
}

// ---------- start ----------

// loadCategories reads the category labels (built-in ones when the server
// has none).
async function loadCategories() {
  try {
    categories = await fetchJSON('/api/v1/categories').then((a) => (Array.isArray(a) ? a : a.categories) ?? defaultCategories);
  } catch {
    categories = defaultCategories;
  }
  renderChips();
}

// withoutMap runs the page with no map (no WebGL 2): it says why, and the
// ticker still lists the newest incidents and follows the live feed.
async function withoutMap(err) {
  if (err) console.warn('map not started:', err.message ?? err);
  map = null;
  $('map-error').hidden = false;
  await loadCategories();
  await Promise.all([loadRecent(), strip.refresh()]);
  connectEvents();
}

async function start() {
  const worker = document.querySelector('meta[name="gridmap:worker"]')?.content;
  if (worker) maplibregl.setWorkerUrl(new URL(worker, location.href).href);
  configureToken({ t });
  strip = createStrip({ fetchJSON, t });
  bindControls();
  applyLang();
  document.body.dataset.view = state.view;
  if (!hasWebGL2()) return withoutMap();

  let style, win;
  [style, tileJSON, win] = await Promise.all([fetchJSON('/styles/wallmap.json'), loadTileJSON(),
    fetchJSON('/api/v1/stats/window').catch(() => null)]);
  memoryFrom = win?.memory_from_date ?? '';
  // Inline the tile URL (it carries the data version), so a change of the
  // grids swaps the URL without refetching the style.
  style.sources.grids = {
    type: 'vector', tiles: tileJSON.tiles, minzoom: tileJSON.minzoom, maxzoom: tileJSON.maxzoom,
    bounds: tileJSON.bounds, promoteId: style.sources.grids.promoteId,
  };
  style.sources.heat.tiles = [heatURL()];
  const basemap = style.metadata?.['gridmap:basemap'];
  if (basemap) {
    try {
      style = withBaseMap(await fetchJSON(basemap), style);
    } catch (err) {
      console.warn('base map not loaded:', err.message);
    }
  }
  await loadCategories();

  const [w, s, e, n] = tileJSON.bounds;
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const padding = {
    top: 4.5 * rem, bottom: 12.5 * rem, // above the headline strip
    left: Math.min(19 * rem, innerWidth * 0.3), right: Math.min(23 * rem, innerWidth * 0.3),
  };
  try {
    map = new maplibregl.Map({
      container: 'map',
      style,
      bounds: [[w, s], [e, n]],
      fitBoundsOptions: { padding },
      localIdeographFontFamily: CJK_FONTS,
      attributionControl: { compact: true },
      dragRotate: false,
      pitchWithRotate: false,
      maxPitch: 0,
      transformRequest,
    });
  } catch (err) {
    return withoutMap(err); // WebGL 2 there but refused (no GPU process, context lost)
  }
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.addControl(new maplibregl.FullscreenControl(), 'bottom-right');
  map.on('error', (e) => {
    // A heat tile that fails is not worth an alarm on the wall: the
    // choropleth still shows. Anything else is.
    if (e.sourceId === 'heat') {
      console.warn('heat tiles:', e.error?.message);
      notice('heat', t('heatUnavailable'));
    } else if (e.sourceId === 'patrol') {
      console.warn('patrol tiles:', e.error?.message); // the coverage legend says why
    } else {
      console.error(e.error ?? e);
    }
  });

  await new Promise((resolve) => map.once('load', resolve));
  palette = readPalette();
  incidentPaint = map.getPaintProperty('grid-fill-micro', 'fill-color');
  addPatrolTracks();
  applyLevelMode();
  map.setLayoutProperty('heat', 'visibility', state.heat && state.categories.size ? 'visible' : 'none');
  if (state.view === 'patrol') await applyView();
  renderLegend();
  map.on('zoomend', renderLegend);
  map.on('click', (e) => {
    const fs = map.queryRenderedFeatures(e.point, { layers: FILL_LAYERS.filter((id) => map.getLayoutProperty(id, 'visibility') !== 'none') });
    fs.sort((a, b) => (LEVEL_RANK[a.properties.level] ?? 3) - (LEVEL_RANK[b.properties.level] ?? 3));
    const f = fs[0];
    if (!f) return;
    setSelected(f.properties.code);
    selectedAt = { props: f.properties, lngLat: e.lngLat };
    showGrid(f.properties.code, e.lngLat, f.properties);
  });
  for (const id of FILL_LAYERS) {
    map.on('mouseenter', id, () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', id, () => (map.getCanvas().style.cursor = ''));
  }
  await refreshStats();
  await Promise.all([loadRecent(), strip.refresh()]);
  connectEvents();
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('idle', resolve)));
}

// Hooks for the browser test and for people at a console.
window.gridmap = {
  get map() { return map; },
  state,
  get statsSeq() { return statsSeq; },
  get patrolSeq() { return patrolSeq; },
  counts,
  patrol,
  refreshStats,
  get strip() { return strip; },
  ready: start().catch((err) => {
    console.error('wall map failed to start:', err);
    throw err;
  }),
};
