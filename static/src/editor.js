// The boundary editor (served at /editor). A planner clicks a micro-grid and
// drags the vertices of its boundary with terra-draw (select mode through the
// MapLibre adapter; a dragged vertex snaps to the vertices of the
// neighbouring grids, so shared borders stay shared). The edits form a draft
// plan of "replace" changes (POST /api/v1/plans, …/changes), validated on
// every edit (GET …/validate: the problems are drawn on the map and listed)
// with their impact (GET …/impact); undo steps back one edit; publish makes
// them the current map. Everything comes from this server: it works offline.
//
// Writes send Authorization: Bearer <localStorage gridmap.token>, asking for
// a token on 401/403. ?lang=en switches to English.

import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { TerraDraw, TerraDrawSelectMode, TerraDrawPolygonMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import './wallmap.css';
import './editor.css';
import { strings } from './i18n.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { lang: params.get('lang') === 'en' ? 'en' : 'zh' };
const t = (key) => strings[state.lang][key] ?? strings.zh[key] ?? key;
const SNAP_PX = 12;

let map;
let draw;
const grids = new Map(); // code → current Feature (micro-grids)
let villages = []; // Features, drawn as context
let selected = null; // code being edited in terra-draw
let edits = new Map(); // code → Polygon/MultiPolygon geometry (the edited boundary)
const undoStack = []; // snapshots of edits before each step, for undo
let plan = null; // {id, etag}
let report = null; // last validation report
let impact = null;
let busy = Promise.resolve();
let seq = 0; // completed validations, for tests
let published = null; // the answer of the last publication

// ---------- HTTP ----------

async function api(method, url, body) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: 'application/json' };
    const token = localStorage.getItem('gridmap.token');
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const resp = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if ((resp.status === 401 || resp.status === 403) && attempt === 0) {
      const tok = prompt(t('edTokenPrompt'), token ?? '');
      if (tok) {
        localStorage.setItem('gridmap.token', tok.trim());
        continue;
      }
    }
    let data = null;
    try {
      data = await resp.json();
    } catch {}
    if (!resp.ok) {
      const err = new Error(data?.detail || data?.title || `${method} ${url}: ${resp.status}`);
      err.status = resp.status;
      err.data = data;
      throw err;
    }
    return data;
  }
}

// ---------- geometry ----------

const polygonOf = (geom) => (geom.type === 'Polygon' ? geom.coordinates : geom.coordinates[0]);
const round9 = (p) => [Math.round(p[0] * 1e9) / 1e9, Math.round(p[1] * 1e9) / 1e9];

// allVertices of the micro-grids other than code, as they are (with edits).
function vertices(except) {
  const out = [];
  for (const [code, f] of grids) {
    if (code === except) continue;
    const g = edits.get(code) ?? f.geometry;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    for (const poly of polys) for (const ring of poly) for (const p of ring) out.push(p);
  }
  return out;
}

// exact gives back, for a vertex terra-draw rounded, the original position
// (of this grid or a neighbour) it came from, so untouched shared borders
// stay exactly shared.
function exact(p, originals) {
  for (const q of originals) if (Math.abs(q[0] - p[0]) < 2e-9 && Math.abs(q[1] - p[1]) < 2e-9) return q;
  return p;
}

function sameGeometry(a, b) {
  return JSON.stringify(a.coordinates) === JSON.stringify(b.coordinates);
}

// ---------- map ----------

function fc(features) {
  return { type: 'FeatureCollection', features };
}

function gridFeatures() {
  return [...grids.values()].map((f) => ({
    type: 'Feature',
    id: f.properties.code,
    properties: { code: f.properties.code, edited: edits.has(f.properties.code), selected: f.properties.code === selected },
    geometry: edits.get(f.properties.code) ?? f.geometry,
  }));
}

function refreshSources() {
  if (!map) return;
  map.getSource('grids')?.setData(fc(gridFeatures()));
  map.getSource('problems')?.setData(fc(report?.features ?? []));
}

const style = {
  version: 8,
  name: 'gridmap editor',
  sources: {
    villages: { type: 'geojson', data: fc([]) },
    grids: { type: 'geojson', data: fc([]) },
    problems: { type: 'geojson', data: fc([]) },
  },
  layers: [
    { id: 'bg', type: 'background', paint: { 'background-color': '#0a1628' } },
    { id: 'grid-fill', type: 'fill', source: 'grids', filter: ['!', ['get', 'selected']],
      paint: { 'fill-color': ['case', ['get', 'edited'], '#0e7490', '#15325a'], 'fill-opacity': 0.55 } },
    { id: 'grid-line', type: 'line', source: 'grids', filter: ['!', ['get', 'selected']],
      paint: { 'line-color': ['case', ['get', 'edited'], '#22d3ee', '#5b84b1'], 'line-width': 1.2 } },
    { id: 'village-line', type: 'line', source: 'villages', paint: { 'line-color': '#facc15', 'line-width': 2.2, 'line-opacity': 0.8 } },
    { id: 'problem-fill', type: 'fill', source: 'problems', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': ['case', ['get', 'fatal'], '#ef4444', '#f97316'], 'fill-opacity': 0.6 } },
    { id: 'problem-line', type: 'line', source: 'problems', paint: { 'line-color': '#fecaca', 'line-width': 2 } },
    { id: 'problem-point', type: 'circle', source: 'problems', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': '#ef4444', 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
  ],
};

async function loadGrids() {
  const [micro, village] = await Promise.all([
    api('GET', '/api/v1/grids?level=micro'),
    api('GET', '/api/v1/grids?level=village'),
  ]);
  grids.clear();
  for (const f of micro.features) grids.set(f.properties.code, f);
  villages = village.features;
  map.getSource('villages')?.setData(fc(villages));
  refreshSources();
}

// ---------- terra-draw ----------

// snap: the nearest vertex of a neighbouring grid within SNAP_PX pixels.
function snap(event, ctx) {
  let best = null;
  let bestD = SNAP_PX * SNAP_PX;
  const here = ctx.project(event.lng, event.lat);
  for (const p of vertices(selected)) {
    const s = ctx.project(p[0], p[1]);
    const d = (s.x - here.x) ** 2 + (s.y - here.y) ** 2;
    if (d < bestD) {
      bestD = d;
      best = p;
    }
  }
  return best ? round9(best) : undefined;
}

function startDraw() {
  draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    idStrategy: { isValidId: (id) => typeof id === 'string' && id.length > 0, getId: (() => { let n = 0; return () => 'new-' + ++n; })() },
    modes: [
      new TerraDrawPolygonMode(),
      new TerraDrawSelectMode({
        allowManualDeselection: false,
        flags: {
          polygon: {
            feature: {
              draggable: false,
              coordinates: { draggable: true, midpoints: true, deletable: true, snappable: { toCustom: snap } },
            },
          },
        },
        styles: {
          selectedPolygonColor: '#22d3ee',
          selectedPolygonFillOpacity: 0.25,
          selectedPolygonOutlineColor: '#67e8f9',
          selectedPolygonOutlineWidth: 2.5,
          selectionPointColor: '#f8fafc',
          selectionPointWidth: 5,
          midPointColor: '#38bdf8',
        },
      }),
    ],
  });
  draw.start();
  draw.setMode('select');
  // Every finished step on the grid (a vertex dragged, a midpoint inserted,
  // a vertex deleted) is one edit.
  draw.on('finish', (id) => {
    if (id !== selected) return;
    const f = draw.getSnapshotFeature(id);
    if (f) commit(id, f.geometry);
  });
}

// select puts grid code into terra-draw for editing.
function select(code) {
  if (selected === code) return;
  if (selected && draw.getSnapshotFeature(selected)) draw.removeFeatures([selected]);
  selected = code;
  const f = code && grids.get(code);
  $('grid-info').hidden = !f;
  $('grid-none').hidden = !!f;
  if (f) {
    $('grid-name').textContent = f.properties.name;
    $('grid-code').textContent = code;
    const geom = edits.get(code) ?? f.geometry;
    const coords = polygonOf(geom).map((ring) => ring.map(round9));
    const res = draw.addFeatures([{ id: code, type: 'Feature', geometry: { type: 'Polygon', coordinates: coords }, properties: { mode: 'polygon' } }]);
    if (!res[0]?.valid) console.warn('terra-draw refused the boundary of', code, res[0]?.reason);
    else draw.selectFeature(code);
  }
  refreshSources();
}

// commit records the boundary terra-draw now has for code as an edit.
function commit(code, geometry) {
  const f = grids.get(code);
  const originals = [...polygonOf(f.geometry).flat(), ...vertices(code)];
  const coords = geometry.coordinates.map((ring) => ring.map((p) => exact(p, originals)));
  let geom = { type: 'Polygon', coordinates: coords };
  if (f.geometry.type === 'MultiPolygon' && f.geometry.coordinates.length > 1) {
    geom = { type: 'MultiPolygon', coordinates: [coords, ...f.geometry.coordinates.slice(1)] };
  }
  setBoundary(code, geom);
}

// setBoundary makes geom the edited boundary of code (one undo step).
function setBoundary(code, geom) {
  undoStack.push(new Map(edits));
  const f = grids.get(code);
  if (sameGeometry(geom, f.geometry) || (f.geometry.type === 'MultiPolygon' && geom.type === 'Polygon' && f.geometry.coordinates.length === 1 && JSON.stringify(f.geometry.coordinates[0]) === JSON.stringify(geom.coordinates))) edits.delete(code);
  else edits.set(code, geom);
  afterEdit();
}

function undo() {
  if (!undoStack.length) return;
  edits = undoStack.pop();
  afterEdit();
}

function afterEdit() {
  if (selected && draw.getSnapshotFeature(selected)) {
    const geom = edits.get(selected) ?? grids.get(selected).geometry;
    const coords = polygonOf(geom).map((ring) => ring.map(round9));
    const snap = draw.getSnapshotFeature(selected);
    if (JSON.stringify(snap.geometry.coordinates) !== JSON.stringify(coords)) {
      draw.removeFeatures([selected]);
      draw.addFeatures([{ id: selected, type: 'Feature', geometry: { type: 'Polygon', coordinates: coords }, properties: { mode: 'polygon' } }]);
      draw.selectFeature(selected);
    }
  }
  renderEdits();
  refreshSources();
  queue(() => syncAndValidate());
}

// ---------- plan ----------

function queue(fn) {
  busy = busy.then(fn).catch((err) => {
    console.warn(err.message);
    status(err.message, 'error');
  });
  return busy;
}

// syncAndValidate makes the draft plan hold exactly the edits (one replace
// change per edited grid), then validates it and asks for its impact.
async function syncAndValidate() {
  if (!edits.size && !plan) {
    report = null;
    impact = null;
    renderReport();
    seq++;
    return;
  }
  status(t('edSaving'));
  if (!plan) {
    const p = await api('POST', '/api/v1/plans', { title: `${t('edTitle')} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`, actor: '' });
    plan = { id: p.id };
  }
  const cur = await api('GET', `/api/v1/plans/${plan.id}`);
  for (let n = (cur.changes ?? []).length; n >= 1; n--) await api('DELETE', `/api/v1/plans/${plan.id}/changes/${n}`);
  const changes = [...edits].map(([code, boundary]) => ({
    kind: 'replace',
    code,
    boundary,
    base: { [code]: grids.get(code).properties.version },
  }));
  if (changes.length) await api('POST', `/api/v1/plans/${plan.id}/changes`, { changes });
  status(t('edValidating'));
  [report, impact] = await Promise.all([
    api('GET', `/api/v1/plans/${plan.id}/validate`),
    api('GET', `/api/v1/plans/${plan.id}/impact`),
  ]);
  status('');
  renderReport();
  seq++;
}

async function publish() {
  await syncAndValidate();
  if (!edits.size) return status(t('edNothing'));
  try {
    const res = await api('POST', `/api/v1/plans/${plan.id}/publish`, { actor: '' });
    published = res;
    plan = null;
    edits = new Map();
    undoStack.length = 0;
    report = null;
    impact = null;
    const code = selected;
    select(null);
    await loadGrids();
    if (code) select(code);
    renderEdits();
    renderReport();
    status(`${t('edPublished')} ${res.data_version}`, 'ok');
  } catch (err) {
    if (err.status === 409 && err.data?.extra?.features) {
      report = err.data.extra;
      renderReport();
    }
    throw err;
  }
}

async function discard() {
  if (plan) await api('POST', `/api/v1/plans/${plan.id}/discard`, { actor: '' });
  plan = null;
  edits = new Map();
  undoStack.length = 0;
  report = null;
  impact = null;
  const code = selected;
  select(null);
  if (code) select(code);
  renderEdits();
  renderReport();
  status(t('edDiscarded'), 'ok');
}

// ---------- panel ----------

function status(msg, kind = '') {
  $('status').textContent = msg;
  $('status').dataset.kind = kind;
}

function renderEdits() {
  const ul = $('edits');
  ul.replaceChildren();
  for (const code of edits.keys()) {
    const li = document.createElement('li');
    li.textContent = `${grids.get(code)?.properties.name ?? ''} ${code} · ${t('edBoundary')}`;
    li.onclick = () => select(code);
    ul.append(li);
  }
  $('edit-count').textContent = edits.size;
  $('undo').disabled = !undoStack.length;
  $('publish').disabled = !edits.size;
  $('discard').disabled = !plan && !edits.size;
}

function renderReport() {
  refreshSources();
  const ul = $('problems');
  ul.replaceChildren();
  const feats = report?.features ?? [];
  $('problem-count').textContent = report ? feats.length : '–';
  if (report && !feats.length) {
    const li = document.createElement('li');
    li.className = 'ok';
    li.textContent = t('edNoProblems');
    ul.append(li);
  }
  for (const f of feats) {
    const p = f.properties;
    const li = document.createElement('li');
    li.className = p.fatal ? 'fatal' : '';
    li.dataset.kind = p.kind;
    const area = p.area_m2 ? ` · ${p.area_m2.toFixed(1)} m²` : '';
    li.textContent = `${strings[state.lang].kinds[p.kind] ?? p.kind}: ${(p.codes ?? []).join(' / ')}${area}`;
    li.title = p.message ?? '';
    li.onclick = () => {
      const b = new maplibregl.LngLatBounds();
      const walk = (c) => (typeof c[0] === 'number' ? b.extend(c) : c.forEach(walk));
      walk(f.geometry.coordinates);
      map.fitBounds(b, { padding: 120, maxZoom: 19 });
    };
    ul.append(li);
  }
  const dl = $('impact');
  dl.replaceChildren();
  if (impact) {
    const rows = [
      [t('edChanged'), impact.changed?.length ?? 0],
      [t('edAdded'), impact.added?.length ?? 0],
      [t('edRetired'), impact.retired?.length ?? 0],
      [t('edMoved'), impact.moved ?? 0],
      [t('edMovedOpen'), impact.moved_open ?? 0],
    ];
    for (const [k, v] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dl.append(dt, dd);
    }
  }
  $('plan-label').textContent = plan ? `${t('edPlan')} #${plan.id}` : '';
  renderEdits();
}

function applyLang() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('edTitle');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
  renderReport();
}

// ---------- start ----------

async function main() {
  const worker = document.querySelector('meta[name="gridmap:worker"]')?.content;
  if (worker) maplibregl.setWorkerUrl(new URL(worker, location.href).href);
  applyLang();
  $('lang').onclick = () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    const u = new URL(location.href);
    if (state.lang === 'en') u.searchParams.set('lang', 'en');
    else u.searchParams.delete('lang');
    window.history.replaceState(null, '', u);
    applyLang();
  };
  $('validate').onclick = () => queue(() => syncAndValidate());
  $('undo').onclick = () => undo();
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === 'z' && !(e.target instanceof HTMLInputElement)) {
      e.preventDefault();
      undo();
    }
  });
  $('publish').onclick = () => queue(() => publish());
  $('discard').onclick = () => queue(() => discard());

  map = new maplibregl.Map({ container: 'map', style, center: [116.79, 35.55], zoom: 13, attributionControl: false });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-left');
  await new Promise((r) => map.on('load', r));
  startDraw();
  await loadGrids();
  const b = new maplibregl.LngLatBounds();
  for (const f of villages.length ? villages : grids.values()) {
    for (const poly of f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates) for (const p of poly[0]) b.extend(p);
  }
  if (!b.isEmpty()) map.fitBounds(b, { padding: { top: 80, bottom: 30, left: 30, right: 420 }, duration: 0 });
  map.on('click', 'grid-fill', (e) => {
    const code = e.features?.[0]?.properties.code;
    if (code) select(code);
  });
  map.on('mouseenter', 'grid-fill', () => (map.getCanvas().style.cursor = 'pointer'));
  map.on('mouseleave', 'grid-fill', () => (map.getCanvas().style.cursor = ''));

  // Hooks for the browser test and the console.
  window.__editor = {
    map,
    get draw() { return draw; },
    get selected() { return selected; },
    get plan() { return plan; },
    get report() { return report; },
    get impact() { return impact; },
    get seq() { return seq; },
    get published() { return published; },
    get edits() { return Object.fromEntries(edits); },
    grid: (code) => grids.get(code),
    codes: () => [...grids.keys()],
    villages: () => villages,
    select,
    setBoundary,
    undo,
    idle: () => busy,
    ready: true,
  };
}

main().catch((err) => {
  console.error(err);
  status(err.message, 'error');
});
