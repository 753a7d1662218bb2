// The field app (网格员, served at /field): a grid worker's phone page.
// Sign in with a token (typed, scanned from a QR code, or from the link
// /field#token=… that `gridmap token create --url … --qr` prints); then my
// grids on the map with my GPS position and a warning near a border naming
// the neighbour grid; report a case (queued in IndexedDB while offline,
// sent once when the signal returns: its external id is the phone's own
// id for it); my cases with their steps, and a step taken here; today's
// patrol (positions thinned here, uploaded in pieces through the work log
// API, queued offline). A service worker (field-sw.js) keeps the app, the
// map library and the worker's grids, so it starts offline.
import './field.css';
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { openDB } from 'idb';
import { Outbox, memoryStore, keepPosition, pieceBody, chinaDay, fitSize, nearBorder, PIECE_POINTS } from './field/logic.js';
import { defaultCategories } from './i18n.js';

const strings = {
  zh: {
    title: '网格员', signinTitle: '登录', signinHelp: '输入令牌，或扫描管理员给您的二维码。', signin: '登录', scan: '扫码登录',
    report: '上报', cases: '我的案件', patrol: '巡查', category: '类别', note: '情况说明', photo: '拍照', position: '位置',
    tapMap: '在地图上点选', tapNow: '请点地图选位置', send: '提交', stepNote: '处理情况', afterPhoto: '处理后照片',
    start: '开始巡查', stop: '结束巡查', notes: '今日工作记录', people: '走访对象（逗号分隔）', saveLog: '保存日志', signout: '退出',
    online: '在线', offline: '离线', queued: '待发送', refused: '被拒绝', none: '无', gps: 'GPS', tapped: '地图点选',
    noPos: '还没有位置：请打开定位，或在地图上点选。', needCategory: '请选择类别。', needNote: '请写一句情况说明。',
    queuedOk: '已保存，有信号时自动发送。', sentOk: '已上报，案件号 ', inGrid: '您在：', outside: '不在任何网格内',
    nearBorder: '靠近边界：相邻网格 ', metres: ' 米', badToken: '令牌无效或已吊销：', notWorker: '此令牌不是网格员令牌（需要 reporter 角色）。',
    needOnline: '首次登录需要网络。', patrolOn: '巡查中，已记录点数：', patrolOff: '未在巡查。', visited: '今日走过的网格：',
    logSaved: '日志已保存。', noCases: '暂无案件。', investigate: '核查', resolve: '办结', review: '核验', steps: '处理过程',
    photos: '张照片', scanFail: '无法打开相机：', chooseCategory: '请选择类别',
    signoutPending: '还有 {n} 项未发送：退出会删除它们。有信号时再退出，或一分钟内再按一次“退出”。',
  },
  en: {
    title: 'Grid worker', signinTitle: 'Sign in', signinHelp: 'Type your token, or scan the QR code you were given.', signin: 'Sign in', scan: 'Scan QR code',
    report: 'Report', cases: 'My cases', patrol: 'Patrol', category: 'Category', note: 'What is it', photo: 'Photo', position: 'Position',
    tapMap: 'Tap on the map', tapNow: 'Tap the map to place it', send: 'Send', stepNote: 'What was done', afterPhoto: 'After photo',
    start: 'Start patrol', stop: 'Stop patrol', notes: "Today's notes", people: 'People visited (comma-separated)', saveLog: 'Save log', signout: 'Sign out',
    online: 'online', offline: 'offline', queued: 'waiting to send', refused: 'refused', none: 'none', gps: 'GPS', tapped: 'tapped',
    noPos: 'No position yet: turn on location, or tap the map.', needCategory: 'Choose a category.', needNote: 'Write a line about it.',
    queuedOk: 'Saved; it is sent when there is a signal.', sentOk: 'Reported, case ', inGrid: 'You are in: ', outside: 'outside every grid',
    nearBorder: 'Near the border: next grid ', metres: ' m', badToken: 'Token unknown or revoked: ', notWorker: 'This is not a grid worker token (role reporter).',
    needOnline: 'The first sign-in needs a connection.', patrolOn: 'Patrolling, positions kept: ', patrolOff: 'Not patrolling.', visited: 'Grids walked today: ',
    logSaved: 'Log saved.', noCases: 'No cases.', investigate: 'Investigate', resolve: 'Resolve', review: 'Verify', steps: 'Steps',
    photos: ' photos', scanFail: 'Cannot open the camera: ', chooseCategory: 'Choose a category',
    signoutPending: '{n} items are not sent yet: signing out deletes them. Sign out when there is a signal, or press Sign out again within a minute.',
  },
};
const params = new URLSearchParams(location.search);
const state = {
  lang: params.get('lang') === 'en' ? 'en' : localStorage.getItem('gridmap.field.lang') ?? 'zh',
  me: null, grids: [], around: [], pos: null, tapped: null, tapping: false, photos: [],
  patrol: null, visited: [], seq: { sent: 0, queued: 0, pieces: 0 }, online: navigator.onLine, caseIds: [],
};
window.field = { state };
const t = (k) => strings[state.lang][k] ?? k;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

// ---------- token and API ----------

const TOKEN = 'gridmap.field.token';
const token = () => localStorage.getItem(TOKEN) ?? '';

class HttpError extends Error {
  constructor(status, detail) {
    super(detail || 'HTTP ' + status);
    this.status = status;
  }
}

// api calls this server with the token; a network failure throws a
// TypeError (no .status: the outbox keeps the item), a refusal HttpError.
async function api(method, url, body) {
  const headers = { Authorization: 'Bearer ' + token() };
  let data = body;
  if (body instanceof Blob) headers['Content-Type'] = body.type;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    data = JSON.stringify(body);
  }
  const resp = await fetch(url, { method, headers, body: data });
  if (!resp.ok) {
    let detail = '';
    try {
      detail = (await resp.json()).detail ?? '';
    } catch {}
    throw new HttpError(resp.status, detail);
  }
  return resp.status === 204 ? null : resp.json();
}

// ---------- storage: IndexedDB (outboxes, today's patrol) ----------

let db = null;
async function openStore() {
  try {
    db = await openDB('gridmap-field', 1, {
      upgrade(d) {
        d.createObjectStore('reports', { keyPath: 'id' });
        d.createObjectStore('pieces', { keyPath: 'id' });
        d.createObjectStore('kv');
      },
    });
  } catch {
    db = null; // private mode without IndexedDB: queues in memory
  }
}
const idbStore = (name) =>
  db
    ? { all: () => db.getAll(name), put: (x) => db.put(name, x), delete: (id) => db.delete(name, id) }
    : memoryStore();
const kvGet = async (k) => (db ? db.get('kv', k) : JSON.parse(localStorage.getItem('gridmap.field.' + k) ?? 'null'));
const kvSet = async (k, v) => (db ? db.put('kv', v, k) : localStorage.setItem('gridmap.field.' + k, JSON.stringify(v)));

// A report: photos first (content-addressed: a resend stores nothing
// new), then the case with the photos' ids; its external id is the
// phone's id, so a resend answers the case stored before.
async function sendReport(r) {
  const ids = [];
  for (const blob of r.photos) ids.push((await api('POST', '/api/v1/attachments', blob)).id);
  const body = { external_id: r.id, category: r.category, source: 'grid_worker', lon: r.lon, lat: r.lat, reported_at: r.reportedAt, description: r.note };
  if (ids.length) body.attachments = ids;
  return api('POST', '/api/v1/incidents', body);
}
// A piece of the patrol track, into the log of its day (created or merged;
// a piece id the log holds is not stored again).
const sendPiece = (p) => api('POST', '/api/v1/worklogs', { date: p.day, tracks: [p.body] });

let reports;
let pieces;

// ---------- sign-in ----------

async function signIn(tok) {
  $('signin-error').textContent = '';
  let me;
  try {
    const resp = await fetch('/api/v1/whoami', { headers: { Authorization: 'Bearer ' + tok } });
    if (resp.status === 401) throw new HttpError(401, (await resp.json()).detail);
    me = await resp.json();
  } catch (err) {
    $('signin-error').textContent = err.status ? t('badToken') + err.message : t('needOnline');
    return false;
  }
  if (!me.authenticated || (me.role !== 'reporter' && me.role !== 'admin')) {
    $('signin-error').textContent = me.authenticated ? t('notWorker') : t('badToken');
    return false;
  }
  localStorage.setItem(TOKEN, tok);
  localStorage.setItem('gridmap.field.me', JSON.stringify(me));
  state.me = me;
  return true;
}

// tokenFrom reads a token out of a scanned or typed text: the sign-in link
// or the token itself.
export function tokenFrom(text) {
  const s = String(text).trim();
  const m = /[#&?]token=([^&]+)/.exec(s);
  return m ? decodeURIComponent(m[1]) : s;
}

async function scan() {
  const video = $('scan-video');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch (err) {
    $('signin-error').textContent = t('scanFail') + err.message;
    return;
  }
  video.hidden = false;
  video.srcObject = stream;
  await video.play();
  const detector = new BarcodeDetector({ formats: ['qr_code'] });
  for (let i = 0; i < 600; i++) { // about a minute
    const codes = await detector.detect(video).catch(() => []);
    if (codes.length) {
      stream.getTracks().forEach((tr) => tr.stop());
      video.hidden = true;
      $('token').value = tokenFrom(codes[0].rawValue);
      $('signin').requestSubmit();
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  stream.getTracks().forEach((tr) => tr.stop());
  video.hidden = true;
}

// ---------- map ----------

let map = null;
const fc = (features) => ({ type: 'FeatureCollection', features });

function circle(lon, lat, r, n = 48) {
  const ring = [];
  const kx = 111320 * Math.cos((lat * Math.PI) / 180);
  for (let i = 0; i <= n; i++) {
    const a = (2 * Math.PI * i) / n;
    ring.push([lon + (r * Math.cos(a)) / kx, lat + (r * Math.sin(a)) / 110540]);
  }
  return { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } };
}

function initMap() {
  const worker = document.querySelector('meta[name="gridmap:worker"]')?.content;
  if (worker) maplibregl.setWorkerUrl(new URL(worker, location.href).href);
  try {
    map = new maplibregl.Map({
      container: 'map', attributionControl: false, center: [116.83, 35.55], zoom: 14,
      style: { version: 8, sources: {}, layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#f4f1e8' } }] },
    });
  } catch (err) {
    map = null; // no WebGL: the page works without the map
    state.mapError = String(err.message ?? err);
    return;
  }
  window.field.map = map;
  map.on('error', (e) => (state.mapError = String(e.error?.message ?? e)));
  map.on('load', () => {
    for (const id of ['around', 'mine', 'acc', 'me', 'track']) map.addSource(id, { type: 'geojson', data: fc([]) });
    map.addLayer({ id: 'around-line', type: 'line', source: 'around', paint: { 'line-color': '#555', 'line-width': 1.5, 'line-dasharray': [2, 2] } });
    map.addLayer({ id: 'mine-fill', type: 'fill', source: 'mine', paint: { 'fill-color': '#0b3d91', 'fill-opacity': 0.12 } });
    map.addLayer({ id: 'mine-line', type: 'line', source: 'mine', paint: { 'line-color': '#0b3d91', 'line-width': 4 } });
    map.addLayer({ id: 'track-line', type: 'line', source: 'track', paint: { 'line-color': '#d35400', 'line-width': 4 } });
    map.addLayer({ id: 'acc-fill', type: 'fill', source: 'acc', paint: { 'fill-color': '#1e88e5', 'fill-opacity': 0.2 } });
    map.addLayer({ id: 'me-dot', type: 'circle', source: 'me', paint: { 'circle-radius': 9, 'circle-color': '#1e88e5', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } });
    drawGrids();
    drawMe();
  });
  map.on('click', (e) => {
    if (!state.tapping) return;
    state.tapped = [e.lngLat.lng, e.lngLat.lat];
    state.tapping = false;
    $('r-tap').setAttribute('aria-pressed', 'false');
    showReportPos();
  });
}

function drawGrids() {
  if (!map?.getSource('mine')) return;
  const mine = new Set(state.grids.map((g) => g.properties.code));
  map.getSource('mine').setData(fc(state.grids));
  map.getSource('around').setData(fc(state.around.filter((g) => !mine.has(g.properties.code))));
  const b = new maplibregl.LngLatBounds();
  for (const g of state.grids) for (const ring of g.geometry.type === 'Polygon' ? g.geometry.coordinates : g.geometry.coordinates.flat()) for (const c of ring) b.extend(c);
  if (!b.isEmpty()) map.fitBounds(b, { padding: 24, animate: false });
}

function drawMe() {
  if (!map?.getSource('me') || !state.pos) return;
  const { lon, lat, acc } = state.pos;
  map.getSource('me').setData(fc([{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } }]));
  map.getSource('acc').setData(fc(Number.isFinite(acc) ? [circle(lon, lat, acc)] : []));
  if (state.patrol) map.getSource('track').setData(fc([{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: state.patrol.kept.map((p) => [p.lon, p.lat]) } }]));
}

// loadGrids: the token's grid, the micro-grids under it (or it alone), and
// the grids around (its siblings), cached by the service worker.
async function loadGrids() {
  const code = state.me.grid;
  if (!code) return;
  try {
    const self = await api('GET', '/api/v1/grids/' + encodeURIComponent(code));
    const kids = await api('GET', '/api/v1/grids?parent=' + encodeURIComponent(code));
    const grids = kids.features?.length ? kids.features : [self];
    const parent = self.properties.parent;
    const sib = parent ? await api('GET', '/api/v1/grids?parent=' + encodeURIComponent(parent)) : { features: [] };
    const mine = new Set(grids.map((g) => g.properties.code));
    const around = [...grids, ...(sib.features ?? []).filter((g) => !mine.has(g.properties.code))];
    await kvSet('grids-' + code, { grids, around });
  } catch (err) {
    if (err.status) throw err;
    // No signal: the copy kept from the last time (below).
  }
  const kept = await kvGet('grids-' + code);
  if (!kept) throw new Error('no grids kept for offline use yet');
  state.grids = kept.grids;
  state.around = kept.around;
  drawGrids();
  whereAmI();
}

function whereAmI() {
  if (!state.pos || !state.around.length) return;
  const r = nearBorder(state.around, [state.pos.lon, state.pos.lat]);
  state.here = r.here?.properties.code ?? '';
  $('where').textContent = t('inGrid') + (r.here ? `${r.here.properties.name} (${r.here.properties.code})` : t('outside'));
  const warn = $('border');
  warn.hidden = !r.neighbour;
  warn.dataset.code = r.neighbour?.properties.code ?? '';
  if (r.neighbour) warn.textContent = t('nearBorder') + `${r.neighbour.properties.name} (${r.neighbour.properties.code}) · ${Math.round(r.metres)}${t('metres')}`;
}

// ---------- position ----------

function onPosition(g) {
  const c = g.coords;
  state.pos = { lon: c.longitude, lat: c.latitude, acc: c.accuracy, t: Math.floor((g.timestamp || Date.now()) / 1000) };
  drawMe();
  whereAmI();
  showReportPos();
  if (state.patrol) patrolPoint(state.pos);
}

function watch() {
  if (!navigator.geolocation) return;
  navigator.geolocation.watchPosition(onPosition, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
}

// ---------- report ----------

function showReportPos() {
  const p = state.tapped ? { lon: state.tapped[0], lat: state.tapped[1], how: t('tapped') } : state.pos ? { ...state.pos, how: t('gps') } : null;
  $('r-pos').textContent = p ? `${p.lon.toFixed(5)}, ${p.lat.toFixed(5)} (${p.how}${p.acc ? ' ±' + Math.round(p.acc) + t('metres') : ''})` : t('noPos');
}

// compress: a photo as a JPEG whose long side is at most 1600 px.
async function compress(file) {
  const bmp = await createImageBitmap(file);
  const [w, h] = fitSize(bmp.width, bmp.height);
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').drawImage(bmp, 0, 0, w, h);
  bmp.close?.();
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
}

async function submitReport(e) {
  e.preventDefault();
  const err = $('r-error');
  err.textContent = '';
  $('r-status').textContent = '';
  const category = $('r-category').value;
  const note = $('r-note').value.trim();
  const at = state.tapped ?? (state.pos ? [state.pos.lon, state.pos.lat] : null);
  if (!category) return void (err.textContent = t('needCategory'));
  if (!note) return void (err.textContent = t('needNote'));
  if (!at) return void (err.textContent = t('noPos'));
  const item = { id: 'field-' + crypto.randomUUID(), category, note, lon: at[0], lat: at[1], reportedAt: new Date().toISOString(), photos: state.photos };
  state.photos = [];
  state.tapped = null;
  $('report').reset();
  $('r-photos').textContent = '';
  showReportPos();
  $('r-status').textContent = t('queuedOk');
  state.seq.queued++;
  await reports.add(item);
}

async function pickPhotos() {
  state.photos = [];
  for (const f of $('r-photo').files) state.photos.push(await compress(f));
  $('r-photos').textContent = state.photos.map((b) => Math.round(b.size / 1024) + ' KB').join(', ');
}

async function showQueue() {
  const n = (await reports.pending()).length + (await pieces.pending()).length;
  const bad = [...(await reports.refused()), ...(await pieces.refused())];
  $('queue').textContent = (n ? `${t('queued')}: ${n}` : '') + (bad.length ? ` · ${t('refused')}: ${bad.map((b) => b.refused).join('; ')}` : '');
  $('queue').dataset.pending = String(n);
}

// signOut leaves nothing of the worker on the phone: the token, the
// cached data (cases are personal data) and the stored queues. Unsent
// reports or track pieces would be lost with them, so the first press
// only says how many; a second press within the minute discards them.
let signOutArmed = 0;
async function signOut() {
  const n = (await reports.pending()).length + (await pieces.pending()).length;
  if (n && Date.now() - signOutArmed > 60_000) {
    signOutArmed = Date.now();
    $('queue').textContent = t('signoutPending').replace('{n}', String(n));
    return;
  }
  localStorage.removeItem(TOKEN);
  for (const k of Object.keys(localStorage)) if (k.startsWith('gridmap.field.') && k !== 'gridmap.field.lang') localStorage.removeItem(k);
  try {
    db?.close();
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase('gridmap-field');
      req.onsuccess = req.onerror = req.onblocked = resolve;
    });
  } catch {}
  try {
    if ('caches' in window) await caches.delete('gridmap-field-data');
  } catch {}
  location.reload();
}

// ---------- my cases ----------

async function loadCases() {
  const list = $('case-list');
  let data;
  try {
    data = await api('GET', '/api/v1/incidents?grid=' + encodeURIComponent(state.me.grid ?? '') + '&limit=50');
  } catch {
    return;
  }
  const items = data.incidents ?? data.features?.map((f) => f.properties) ?? [];
  list.innerHTML = items.length ? '' : `<li class="muted">${t('noCases')}</li>`;
  for (const c of items) {
    const li = document.createElement('li');
    li.innerHTML = `<button type="button" class="btn" data-case="${c.id}">#${c.id} · ${esc(c.category)} · ${esc(c.case_status ?? c.status)}</button>`;
    list.append(li);
  }
}

async function openCase(id) {
  state.caseOpen = id;
  const flow = await api('GET', `/api/v1/incidents/${id}/steps`);
  $('case').hidden = false;
  $('case-title').textContent = `#${id} · ${flow.case_status}`;
  $('case-steps').innerHTML = flow.steps.map((s) => `<li>${esc(new Date(s.at).toLocaleString())} · ${esc(s.step)} · ${esc(s.actor?.person)}${s.note ? ' · ' + esc(s.note) : ''}</li>`).join('');
  $('step-buttons').innerHTML = flow.next.filter((k) => ['investigate', 'resolve', 'review'].includes(k))
    .map((k) => `<button type="button" class="btn primary" data-step="${k}">${t(k)}</button>`).join('');
}

async function takeStep(kind) {
  $('s-error').textContent = '';
  try {
    const ids = [];
    for (const f of $('s-photo').files) ids.push((await api('POST', '/api/v1/attachments', await compress(f))).id);
    const body = { step: kind, note: $('s-note').value.trim() };
    if (ids.length) body.attachments = ids;
    await api('POST', `/api/v1/incidents/${state.caseOpen}/steps`, body);
    $('step-form').reset();
    $('s-photos').textContent = '';
    await openCase(state.caseOpen);
  } catch (err) {
    $('s-error').textContent = err.message;
  }
}

// ---------- patrol ----------

function patrolPoint(p) {
  const pt = state.patrol;
  if (!keepPosition(pt.kept.at(-1) ?? null, p)) return;
  pt.kept.push(p);
  pt.open.push(p);
  $('p-status').textContent = t('patrolOn') + pt.kept.length;
  if (pt.open.length >= PIECE_POINTS) cutPiece();
  kvSet('patrol', pt);
}

function cutPiece() {
  const pt = state.patrol;
  if (pt.open.length < 2) return;
  const body = pieceBody(pt.id, pt.n++, pt.open);
  const last = pt.open.at(-1);
  pt.open = [last]; // the next piece starts where this one ended
  state.seq.pieces++;
  pieces.add({ id: body.id, day: chinaDay(body.points[0][2]), body });
}

async function togglePatrol() {
  if (state.patrol) {
    cutPiece();
    state.patrol = null;
    await kvSet('patrol', null);
    $('p-toggle').textContent = t('start');
    $('p-status').textContent = t('patrolOff');
    await pieces.flush();
    return;
  }
  state.patrol = { id: 'patrol-' + crypto.randomUUID(), n: 0, kept: [], open: [] };
  $('p-toggle').textContent = t('stop');
  $('p-status').textContent = t('patrolOn') + 0;
  if (state.pos) patrolPoint({ ...state.pos, t: Math.floor(Date.now() / 1000) });
}

async function saveLog(e) {
  e.preventDefault();
  const people = $('l-people').value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
  try {
    const log = await api('POST', '/api/v1/worklogs', { notes: $('l-notes').value.trim(), visited_people: people, case_ids: state.caseIds });
    $('l-status').textContent = t('logSaved');
    showVisited(log);
  } catch (err) {
    $('l-status').textContent = err.message;
  }
}

function showVisited(log) {
  state.visited = log.grids ?? [];
  $('p-grids').textContent = t('visited') + (state.visited.join(', ') || t('none'));
}

// ---------- page ----------

function translate() {
  document.documentElement.lang = state.lang === 'en' ? 'en' : 'zh-CN';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('lang').textContent = state.lang === 'en' ? '中文' : 'EN';
  $('p-toggle').textContent = t(state.patrol ? 'stop' : 'start');
  $('net').textContent = t(state.online ? 'online' : 'offline');
  $('net').dataset.state = state.online ? 'online' : 'offline';
}

function showTab(name) {
  for (const el of document.querySelectorAll('.tab')) el.hidden = el.id !== name;
  for (const b of document.querySelectorAll('[data-tab]')) b.setAttribute('aria-pressed', String(b.dataset.tab === name));
  if (name === 'cases') loadCases();
}

async function categories() {
  let cats = defaultCategories;
  try {
    cats = (await api('GET', '/api/v1/categories')).categories;
  } catch {}
  $('r-category').innerHTML = `<option value="">${esc(t('chooseCategory'))}</option>` + cats.map((c) => `<option value="${esc(c.name)}">${esc(state.lang === 'en' ? c.label_en ?? c.name : c.label_zh ?? c.label ?? c.name)}</option>`).join('');
}

async function startApp() {
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').textContent = `${state.me.name} · ${state.me.grid ?? ''}`;
  translate();
  initMap();
  watch();
  showTab('report');
  showReportPos();
  categories();
  loadGrids().catch((err) => {
    state.error = String(err.message ?? err); // offline with nothing kept: the map stays empty
  });
  const saved = await kvGet('patrol');
  if (saved) {
    state.patrol = saved;
    translate();
  }
  reports.flush();
  pieces.flush();
  state.ready = true;
}

async function main() {
  await openStore();
  const changed = () => showQueue();
  reports = new Outbox(idbStore('reports'), sendReport, {
    onChange: changed,
    onSent: (item, inc) => {
      state.seq.sent++;
      state.caseIds.push(inc.id);
      kvSet('cases-' + chinaDay(Date.now() / 1000), state.caseIds);
      $('r-status').textContent = t('sentOk') + inc.id;
    },
  });
  pieces = new Outbox(idbStore('pieces'), sendPiece, { onChange: changed, onSent: (_, log) => showVisited(log) });
  state.caseIds = (await kvGet('cases-' + chinaDay(Date.now() / 1000))) ?? [];
  const flushAll = () => {
    state.online = navigator.onLine;
    translate();
    reports.flush();
    pieces.flush();
  };
  addEventListener('online', flushAll);
  addEventListener('offline', () => {
    state.online = false;
    translate();
  });
  setInterval(() => navigator.onLine && (reports.flush(), pieces.flush()), 30_000);

  $('lang').onclick = () => {
    state.lang = state.lang === 'en' ? 'zh' : 'en';
    localStorage.setItem('gridmap.field.lang', state.lang);
    translate();
    categories();
  };
  $('signin').onsubmit = async (e) => {
    e.preventDefault();
    if (await signIn(tokenFrom($('token').value))) startApp();
  };
  if ('BarcodeDetector' in window && navigator.mediaDevices) {
    $('scan').hidden = false;
    $('scan').onclick = scan;
  }
  $('signout').onclick = signOut;
  for (const b of document.querySelectorAll('[data-tab]')) b.onclick = () => showTab(b.dataset.tab);
  $('report').onsubmit = submitReport;
  $('r-photo').onchange = pickPhotos;
  $('s-photo').onchange = () => {
    const n = $('s-photo').files.length;
    $('s-photos').textContent = n ? n + t('photos') : '';
  };
  $('r-tap').onclick = () => {
    state.tapping = true;
    $('r-tap').setAttribute('aria-pressed', 'true');
    $('r-pos').textContent = t('tapNow');
  };
  $('case-list').onclick = (e) => e.target.dataset.case && openCase(e.target.dataset.case);
  $('step-buttons').onclick = (e) => e.target.dataset.step && takeStep(e.target.dataset.step);
  $('p-toggle').onclick = togglePatrol;
  $('log-form').onsubmit = saveLog;
  translate();

  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/field-sw.js', { scope: '/field' }).catch(() => {});

  // #token=… (the QR code's link) signs in; the fragment is dropped at once.
  const fromLink = /[#&]token=/.test(location.hash) ? tokenFrom(location.hash) : '';
  if (fromLink) history.replaceState(null, '', location.pathname + location.search);
  if (fromLink && (await signIn(fromLink))) return startApp();
  const me = localStorage.getItem('gridmap.field.me');
  if (token() && me) {
    state.me = JSON.parse(me);
    return startApp(); // offline start: the token checked at sign-in
  }
  $('signin').hidden = false;
}

main();
