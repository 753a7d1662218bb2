// The boundary editor (served at /editor). A planner chooses the level
// (村/社区 or 微网格; the other levels are drawn for context and cannot be
// picked), clicks a grid and drags the vertices of its boundary with
// terra-draw (select mode through the MapLibre adapter; every part of a
// MultiPolygon is editable; a dragged vertex snaps to the vertices of the
// neighbouring grids, so shared borders stay shared), splits a grid by
// drawing a line across it (linestring mode; the pieces are cut in the
// browser, src/geometry.js; the line's points snap to vertices too, so a
// village can be cut along its micro-grids' borders) or merges neighbouring
// grids picked with Shift-click. The steps form a draft plan (POST
// /api/v1/plans, …/changes: replace, split, merge), validated on every step
// (GET …/validate: the problems are drawn on the map and listed) with their
// impact (GET …/impact); undo steps back; publish makes them the current
// map. Grids are labelled with their names at readable zooms; the search
// box finds a grid by code or name and zooms to it. Everything comes from
// this server: it works offline.
//
// Requests send the session's token (token.js); a 401 or 403 asks for one
// in the page. ?lang=en switches to English, ?level=village opens on the
// villages.

import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { TerraDraw, TerraDrawSelectMode, TerraDrawPolygonMode, TerraDrawLineStringMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import './wallmap.css';
import './editor.css';
import { strings } from './i18n.js';
import { bindSegment } from './segment.js';
import { areaM2, bbox, interiorPoint, MIN_SHARED_M, partAt, polygons, replacePart, sameBoundary, sharedBorderM, splitByLine } from './geometry.js';
import { applySteps, mergeProblem, proposePieces, splitProblem, toChanges, touched } from './plansteps.js';
import { searchGrids } from './search.js';
import { authFetch, configureToken, transformRequest } from './token.js';
import { hasWebGL2 } from './webgl.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// LEVELS top down; EDITABLE the levels the editor edits (the street is
// drawn as context only).
const LEVELS = ['street', 'village', 'micro'];
const EDITABLE = ['village', 'micro'];
const state = { lang: params.get('lang') === 'en' ? 'en' : 'zh', level: EDITABLE.includes(params.get('level')) ? params.get('level') : 'micro' };
const t = (key) => strings[state.lang][key] ?? strings.zh[key] ?? key;
const SNAP_PX = 12;
const CJK_FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif';
const PIECE_COLOURS = ['#f472b6', '#a3e635', '#fb923c', '#c084fc', '#facc15', '#2dd4bf'];

let map;
let draw;
const grids = new Map(); // code → current Feature (every level, as served)
let steps = []; // the draft: replace, split and merge steps (plansteps.js), of any level
const undoStack = []; // steps before each step, for undo
let view = new Map(); // the grids as the steps leave them
let selected = null; // code being edited in terra-draw (or split), of state.level
let selectedPart = 0; // the part of its MultiPolygon selected in terra-draw
let drawIds = []; // terra-draw features of the selected grid, one per part
let mode = 'edit'; // 'edit' (vertices) or 'split' (drawing the cut line)
let cutLine = null; // the line drawn to split (coordinates)
let pieces = []; // the split proposed: [{code, name, boundary, area}]
const picked = []; // codes picked for a merge, in order
let plan = null; // {id}
let report = null; // last validation report
let impact = null;
let busy = Promise.resolve();
let seq = 0; // completed validations, for tests
let published = null; // the answer of the last publication

// ---------- HTTP ----------

// api sends a request with the session's token (asking for one in the
// page on 401/403) and returns the JSON answer; an error answer throws its
// detail.
async function api(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await authFetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
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

// ---------- geometry ----------

const round9 = (p) => [Math.round(p[0] * 1e9) / 1e9, Math.round(p[1] * 1e9) / 1e9];

// vertices of the grids other than except (of every level: a village's
// border runs along its micro-grids'), as the steps leave them.
function vertices(except) {
  const out = [];
  for (const [code, g] of view) {
    if (code === except) continue;
    for (const poly of polygons(g.geometry)) for (const ring of poly) for (const p of ring) out.push(p);
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

// neighbours of code in view: grids of its level and parent sharing a
// border with it.
function neighbours(code) {
  const g = view.get(code);
  if (!g) return [];
  const b = bbox(g.geometry);
  const out = [];
  for (const [c, o] of view) {
    if (c === code || o.level !== g.level || (o.parent ?? '') !== (g.parent ?? '') || o.pending) continue;
    const ob = bbox(o.geometry);
    if (ob[0] > b[2] + 1e-6 || b[0] > ob[2] + 1e-6 || ob[1] > b[3] + 1e-6 || b[1] > ob[3] + 1e-6) continue;
    if (sharedBorderM(g.geometry, o.geometry) >= MIN_SHARED_M) out.push(c);
  }
  return out.sort();
}

// ---------- map ----------

function fc(features) {
  return { type: 'FeatureCollection', features };
}

// gridFeatures draws the grids of the level edited (active) and the others
// as context: the levels above as parent lines, those below faintly.
function gridFeatures() {
  const depth = LEVELS.indexOf(state.level);
  return [...view.values()].map((g) => ({
    type: 'Feature',
    id: g.code,
    properties: {
      code: g.code,
      level: g.level,
      active: g.level === state.level,
      ctx: g.level === state.level ? '' : LEVELS.indexOf(g.level) < depth ? 'parent' : 'child',
      edited: g.status !== 'current',
      selected: g.code === selected && drawIds.length > 0,
      target: g.code === selected,
      picked: picked.includes(g.code),
    },
    geometry: g.geometry,
  }));
}

// labelPoint is where a grid's name goes: one point inside it (a polygon
// labelled as such gets a label per tile it crosses), kept per boundary.
const labelPoints = new WeakMap();
function labelPoint(geom) {
  if (!labelPoints.has(geom)) labelPoints.set(geom, interiorPoint(geom));
  return labelPoints.get(geom);
}

// labelFeatures: the names of the grids of the level edited.
function labelFeatures() {
  const out = [];
  for (const g of view.values()) {
    if (g.level !== state.level || !g.geometry) continue;
    const p = labelPoint(g.geometry);
    if (p) out.push({ type: 'Feature', properties: { code: g.code, name: g.name, level: g.level }, geometry: { type: 'Point', coordinates: p } });
  }
  return out;
}

function refreshSources() {
  if (!map) return;
  map.getSource('grids')?.setData(fc(gridFeatures()));
  map.getSource('labels')?.setData(fc(labelFeatures()));
  map.getSource('problems')?.setData(fc(report?.features ?? []));
  map.getSource('pieces')?.setData(fc(pieces.map((p, i) => ({ type: 'Feature', properties: { n: i + 1, colour: PIECE_COLOURS[i % PIECE_COLOURS.length] }, geometry: p.boundary }))));
  map.getSource('cut')?.setData(fc(cutLine ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: cutLine } }] : []));
}

const style = {
  version: 8,
  name: 'gridmap editor',
  sources: {
    grids: { type: 'geojson', data: fc([]) },
    labels: { type: 'geojson', data: fc([]) },
    problems: { type: 'geojson', data: fc([]) },
    pieces: { type: 'geojson', data: fc([]) },
    cut: { type: 'geojson', data: fc([]) },
  },
  layers: [
    { id: 'bg', type: 'background', paint: { 'background-color': '#0a1628' } },
    // Only grid-fill is clickable: the grids of the level edited.
    { id: 'grid-fill', type: 'fill', source: 'grids', filter: ['all', ['get', 'active'], ['!', ['get', 'selected']]],
      paint: { 'fill-color': ['case', ['get', 'picked'], '#9d174d', ['get', 'edited'], '#0e7490', '#15325a'], 'fill-opacity': 0.55 } },
    { id: 'child-line', type: 'line', source: 'grids', filter: ['==', ['get', 'ctx'], 'child'],
      paint: { 'line-color': '#7fa3cc', 'line-width': 0.8, 'line-opacity': 0.4, 'line-dasharray': [3, 2] } },
    { id: 'grid-line', type: 'line', source: 'grids', filter: ['all', ['get', 'active'], ['!', ['get', 'selected']]],
      paint: { 'line-color': ['case', ['get', 'edited'], '#22d3ee', '#5b84b1'], 'line-width': 1.2 } },
    { id: 'parent-line', type: 'line', source: 'grids', filter: ['==', ['get', 'ctx'], 'parent'], paint: { 'line-color': '#facc15', 'line-width': 2.2, 'line-opacity': 0.8 } },
    { id: 'picked-line', type: 'line', source: 'grids', filter: ['get', 'picked'], paint: { 'line-color': '#f472b6', 'line-width': 3 } },
    { id: 'target-line', type: 'line', source: 'grids', filter: ['all', ['get', 'target'], ['!', ['get', 'selected']]],
      paint: { 'line-color': '#67e8f9', 'line-width': 3 } },
    { id: 'piece-fill', type: 'fill', source: 'pieces', paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.45 } },
    { id: 'piece-line', type: 'line', source: 'pieces', paint: { 'line-color': ['get', 'colour'], 'line-width': 2 } },
    { id: 'cut-line', type: 'line', source: 'cut', paint: { 'line-color': '#f8fafc', 'line-width': 2, 'line-dasharray': [2, 2] } },
    // Names of the grids of the level edited, from zooms where they fit.
    ...[['village', 11], ['micro', 13.5]].map(([level, minzoom]) => ({
      id: `grid-label-${level}`, type: 'symbol', source: 'labels', minzoom,
      filter: ['==', ['get', 'level'], level],
      layout: { 'text-field': ['get', 'name'], 'text-size': level === 'village' ? 15 : 12, 'text-max-width': 7, 'text-padding': 3 },
      paint: { 'text-color': '#e5eefb', 'text-halo-color': '#07101f', 'text-halo-width': 1.6 },
    })),
    { id: 'problem-fill', type: 'fill', source: 'problems', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': ['case', ['get', 'fatal'], '#ef4444', '#f97316'], 'fill-opacity': 0.6 } },
    { id: 'problem-line', type: 'line', source: 'problems', paint: { 'line-color': '#fecaca', 'line-width': 2 } },
    { id: 'problem-point', type: 'circle', source: 'problems', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': '#ef4444', 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
  ],
};

async function loadGrids() {
  const levels = await Promise.all(LEVELS.map((l) => api('GET', `/api/v1/grids?level=${l}`)));
  grids.clear();
  for (const res of levels) for (const f of res.features) grids.set(f.properties.code, f);
  view = applySteps(grids, steps);
  refreshSources();
}

// featuresOf lists the current grids (as served) of a level.
const featuresOf = (level) => [...grids.values()].filter((f) => f.properties.level === level);

// ---------- terra-draw ----------

// snap: the nearest vertex of a neighbouring grid within SNAP_PX pixels.
function snap(event, ctx) {
  let best = null;
  let bestD = SNAP_PX * SNAP_PX;
  const here = ctx.project(event.lng, event.lat);
  // A cut line may snap to the split grid's own vertices too.
  for (const p of vertices(mode === 'split' ? null : selected)) {
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
      new TerraDrawLineStringMode({
        snapping: { toCustom: snap },
        // A click this near the last point finishes the line: small, so a
        // cut can follow the close vertices of a border.
        pointerDistance: SNAP_PX,
        styles: { lineStringColor: '#f8fafc', lineStringWidth: 2, closingPointColor: '#f472b6', closingPointWidth: 6, snappingPointColor: '#facc15' },
      }),
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
  // a vertex deleted) is one edit; a finished line is a cut.
  draw.on('finish', (id, ctx) => {
    if (ctx?.mode === 'linestring' || (mode === 'split' && draw.getSnapshotFeature(id)?.geometry.type === 'LineString')) {
      cut(id);
      return;
    }
    if (!drawIds.includes(id)) return;
    const f = draw.getSnapshotFeature(id);
    if (f) commitPart(partOf(id), f.geometry);
  });
  draw.on('select', (id) => {
    if (drawIds.includes(id)) selectedPart = partOf(id);
  });
}

// partOf is the part index in a terra-draw id, CODE#PART.
const partOf = (id) => Number(String(id).slice(String(id).lastIndexOf('#') + 1));

// drawSelected puts every part of the selected grid into terra-draw, the
// part selectedPart selected (the others are selected with a click).
function drawSelected() {
  if (drawIds.length) draw.removeFeatures(drawIds.filter((id) => draw.getSnapshotFeature(id)));
  drawIds = [];
  const g = selected && mode === 'edit' ? view.get(selected) : null;
  if (!g || g.pending) return;
  const parts = polygons(g.geometry);
  const feats = parts.map((poly, k) => ({
    id: `${selected}#${k}`,
    type: 'Feature',
    geometry: { type: 'Polygon', coordinates: poly.map((ring) => ring.map(round9)) },
    properties: { mode: 'polygon' },
  }));
  const res = draw.addFeatures(feats);
  res.forEach((r, k) => {
    if (r.valid) drawIds.push(feats[k].id);
    else console.warn('terra-draw refused part', k, 'of', selected, r.reason);
  });
  const want = `${selected}#${Math.min(selectedPart, parts.length - 1)}`;
  if (drawIds.includes(want)) draw.selectFeature(want);
  else if (drawIds.length) draw.selectFeature(drawIds[0]);
}

// select puts grid code into terra-draw for editing; at ([lon, lat]) picks
// the part of a MultiPolygon clicked. A grid of the other level switches
// the level (an edit listed in the side panel may be of either).
function select(code, at) {
  if (mode === 'split') endSplit();
  const g = code && view.get(code);
  selected = g && EDITABLE.includes(g.level) ? code : null;
  if (selected && g.level !== state.level) {
    state.level = g.level;
    picked.length = 0;
    showLevel();
    renderMerge();
  }
  selectedPart = 0;
  if (selected && at) selectedPart = Math.max(0, partAt(view.get(selected).geometry, at));
  drawSelected();
  renderGrid();
  refreshSources();
}

// commitPart records the boundary terra-draw now has for part k of the
// selected grid as an edit; the other parts stay exactly as they are.
function commitPart(k, geometry) {
  const cur = view.get(selected)?.geometry;
  if (!cur) return;
  const originals = [...polygons(cur).flat(2), ...vertices(selected)];
  const poly = geometry.coordinates.map((ring) => ring.map((p) => exact(p, originals)));
  setBoundary(selected, replacePart(cur, k, poly));
}

// lastStep is the index of the last step touching code, or -1.
function lastStep(code) {
  for (let i = steps.length - 1; i >= 0; i--) if (touched(steps[i]).includes(code)) return i;
  return -1;
}

// push makes next the draft, one undo step.
function push(next) {
  undoStack.push(steps);
  steps = next;
  afterEdit();
}

// setBoundary makes geom the edited boundary of code (one undo step): one
// replace step per grid, dropped when the boundary is back as it was.
function setBoundary(code, geom) {
  const g = view.get(code);
  if (!g) throw new Error(`${code} is not a grid of the draft`);
  const next = steps.slice();
  const i = lastStep(code);
  if (i >= 0 && next[i].kind === 'replace') {
    const before = applySteps(grids, next.slice(0, i)).get(code);
    if (before && sameBoundary(before.geometry, geom)) next.splice(i, 1);
    else next[i] = { ...next[i], boundary: geom };
  } else if (!sameBoundary(g.geometry, geom)) {
    next.push({ kind: 'replace', code, boundary: geom });
  } else {
    afterEdit(); // nothing changed: put terra-draw back as it was
    return;
  }
  push(next);
}

function undo() {
  if (mode === 'split') return endSplit(true);
  if (!undoStack.length) return;
  steps = undoStack.pop();
  afterEdit();
}

// syncDraw puts the selected grid back into terra-draw where the draft
// differs from what it holds (terra-draw keeps what was dragged; a merge
// is drawn once the server has joined it).
function syncDraw() {
  if (selected && mode === 'edit') {
    const parts = polygons(view.get(selected).geometry).map((poly) => poly.map((ring) => ring.map(round9)));
    const drawn = drawIds.map((id) => draw.getSnapshotFeature(id)?.geometry.coordinates);
    if (JSON.stringify(parts) !== JSON.stringify(drawn)) drawSelected();
  } else if (!selected) {
    drawSelected();
  }
}

function afterEdit() {
  view = applySteps(grids, steps);
  for (let i = picked.length - 1; i >= 0; i--) if (!view.has(picked[i])) picked.splice(i, 1);
  if (selected && !view.has(selected)) selected = null;
  syncDraw();
  renderGrid();
  renderEdits();
  renderMerge();
  refreshSources();
  queue(() => syncAndValidate());
}

// ---------- split ----------

function startSplit() {
  if (!selected) return status(t('edPickFirst'), 'error');
  if (view.get(selected)?.pending) return status(t('edMergePending'), 'error');
  picked.length = 0;
  mode = 'split';
  drawSelected(); // removes the grid from terra-draw: the line is drawn over it
  draw.setMode('linestring');
  cutLine = null;
  pieces = [];
  status('');
  renderAll();
}

// endSplit leaves split mode (the grid selected again for editing).
function endSplit() {
  if (mode !== 'split') return;
  mode = 'edit';
  cutLine = null;
  pieces = [];
  for (const f of draw.getSnapshot()) if (f.geometry.type === 'LineString') draw.removeFeatures([f.id]);
  draw.setMode('select');
  drawSelected();
  renderAll();
}

// cut takes the line terra-draw finished and cuts the grid with it.
function cut(id) {
  const f = draw.getSnapshotFeature(id);
  setTimeout(() => draw.getSnapshotFeature(id) && draw.removeFeatures([id]), 0);
  if (!f || mode !== 'split') return;
  const src = view.get(selected);
  // Snapped points back to the exact vertices, so a cut along borders
  // shares them exactly.
  const originals = vertices(null);
  cutLine = f.geometry.coordinates.map((p) => exact(p, originals));
  const geoms = splitByLine(src.geometry, cutLine);
  if (geoms.length < 2) {
    pieces = [];
    status(t('edSplitNoCut'), 'error');
    renderAll();
    return;
  }
  const taken = new Set([...grids.keys(), ...view.keys(), ...steps.flatMap(touched)]);
  const names = new Set([...view.values()].filter((g) => g.level === src.level).map((g) => g.name));
  const proposed = proposePieces(src, view.get(src.parent)?.name, taken, names, geoms.length);
  pieces = geoms.map((g, i) => ({ ...proposed[i], boundary: g, area: areaM2(g) }));
  status(t('edSplitPieces').replace('{n}', pieces.length), 'ok');
  renderAll();
}

function applySplit() {
  if (mode !== 'split' || pieces.length < 2) return;
  const into = pieces.map((p) => ({ code: p.code.trim(), name: p.name.trim(), boundary: p.boundary }));
  const problem = splitProblem(view, selected, into);
  if (problem) return status(problemText(problem), 'error');
  const code = selected;
  endSplit();
  selected = null;
  drawSelected();
  status('');
  push([...steps, { kind: 'split', code, into }]);
}

// ---------- merge ----------

// pick adds code to the grids picked for a merge, or takes it out.
function pick(code) {
  if (mode === 'split' || view.get(code)?.level !== state.level) return;
  if (!picked.length && selected && selected !== code) picked.push(selected);
  const i = picked.indexOf(code);
  if (i >= 0) picked.splice(i, 1);
  else picked.push(code);
  status('');
  renderMerge();
  refreshSources();
}

function startMerge() {
  if (!selected) return status(t('edPickFirst'), 'error');
  if (!picked.includes(selected)) picked.unshift(selected);
  renderMerge();
  refreshSources();
}

function cancelMerge() {
  picked.length = 0;
  renderMerge();
  refreshSources();
}

function applyMerge() {
  const problem = mergeProblem(view, picked);
  if (problem) return status(problemText(problem), 'error');
  const keep = $('merge-code').value || picked[0];
  const name = $('merge-name').value.trim() || view.get(keep).name;
  // The kept grid first: the merged grid takes its level, parent and attributes.
  const codes = [keep, ...picked.filter((c) => c !== keep)];
  picked.length = 0;
  status('');
  push([...steps, { kind: 'merge', codes, grid: { code: keep, name } }]);
}

// ---------- plan ----------

function queue(fn) {
  busy = busy.then(fn).catch((err) => {
    console.warn(err.message);
    status(err.message, 'error');
  });
  return busy;
}

// syncAndValidate makes the draft plan hold exactly the steps, then
// validates it and asks for its impact.
async function syncAndValidate() {
  if (!steps.length && !plan) {
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
  const sent = steps;
  const cur = await api('GET', `/api/v1/plans/${plan.id}`);
  for (let n = (cur.changes ?? []).length; n >= 1; n--) await api('DELETE', `/api/v1/plans/${plan.id}/changes/${n}`);
  if (sent.length) {
    const p = await api('POST', `/api/v1/plans/${plan.id}/changes`, { changes: toChanges(grids, sent) });
    // The server joined the merged boundaries: draw (and edit) those.
    sent.forEach((s, i) => {
      const union = p.changes?.[i]?.grid?.boundary;
      if (s.kind === 'merge' && union) s.union = union;
    });
    if (sent === steps) {
      view = applySteps(grids, steps);
      syncDraw();
      renderGrid();
      refreshSources();
    }
  }
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
  if (!steps.length) return status(t('edNothing'));
  try {
    const res = await api('POST', `/api/v1/plans/${plan.id}/publish`, { actor: '' });
    published = res;
    await reset();
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
  await reset();
  status(t('edDiscarded'), 'ok');
}

// reset empties the draft and reloads the grids (the map as published).
async function reset() {
  plan = null;
  steps = [];
  undoStack.length = 0;
  picked.length = 0;
  report = null;
  impact = null;
  const code = selected;
  if (mode === 'split') endSplit();
  select(null);
  await loadGrids();
  if (code && view.has(code)) select(code);
  renderAll();
}

// ---------- level ----------

let paintLevel = () => {};

// setLevel switches the level edited; the draft keeps its steps of either.
function setLevel(level) {
  if (!EDITABLE.includes(level) || level === state.level) return;
  state.level = level;
  levelChanged();
}

// levelChanged follows a switch of state.level: nothing of the other
// level stays selected or picked.
function levelChanged() {
  picked.length = 0;
  if (mode === 'split') endSplit();
  if (selected && view.get(selected)?.level !== state.level) select(null);
  showLevel();
  renderAll();
}

// showLevel puts the level in the URL, the switch and the hints.
function showLevel() {
  const u = new URL(location.href);
  if (state.level === 'micro') u.searchParams.delete('level');
  else u.searchParams.set('level', state.level);
  window.history.replaceState(null, '', u);
  paintLevel();
  $('level-hint').hidden = state.level !== 'village';
  refreshSources();
}

// ---------- panel ----------

function status(msg, kind = '') {
  $('status').textContent = msg;
  $('status').dataset.kind = kind;
}

function problemText(p) {
  return t(p.key) + (p.codes?.length ? ': ' + p.codes.join('、') : '');
}

function renderAll() {
  renderGrid();
  renderSplit();
  renderMerge();
  renderReport();
  refreshSources();
}

function renderGrid() {
  const g = selected && view.get(selected);
  $('grid-info').hidden = !g;
  $('grid-none').hidden = !!g;
  if (g) {
    $('grid-name').textContent = g.name;
    $('grid-code').textContent = g.code;
    $('grid-level').textContent = t(g.level);
    const parts = polygons(g.geometry).length;
    $('grid-parts').textContent = parts > 1 ? t('edParts').replace('{n}', parts) : '';
  }
  $('split').disabled = !g || mode === 'split';
  $('merge').disabled = !g || mode === 'split';
}

function renderSplit() {
  $('split-panel').hidden = mode !== 'split';
  const ol = $('pieces');
  ol.replaceChildren();
  pieces.forEach((p, i) => {
    const li = document.createElement('li');
    li.className = 'piece';
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = PIECE_COLOURS[i % PIECE_COLOURS.length];
    const area = document.createElement('span');
    area.className = 'muted';
    area.textContent = `${(p.area / 10000).toFixed(2)} ${t('edHectares')}`;
    const code = document.createElement('input');
    code.className = 'piece-code';
    code.value = p.code;
    code.setAttribute('aria-label', t('edCode'));
    code.oninput = () => (p.code = code.value);
    const name = document.createElement('input');
    name.className = 'piece-name';
    name.value = p.name;
    name.setAttribute('aria-label', t('edName'));
    name.oninput = () => (p.name = name.value);
    li.append(sw, area, code, name);
    ol.append(li);
  });
  $('split-apply').disabled = pieces.length < 2;
}

function renderMerge() {
  $('merge-panel').hidden = !picked.length;
  if (!picked.length) return;
  // The picked grids and their neighbours, to tick.
  const codes = [...picked];
  for (const c of picked) for (const n of neighbours(c)) if (!codes.includes(n)) codes.push(n);
  const ul = $('merge-list');
  const boxes = [...ul.querySelectorAll('input')];
  if (boxes.map((b) => b.value).join() === codes.join()) {
    for (const b of boxes) b.checked = picked.includes(b.value);
  } else ul.replaceChildren();
  for (const c of ul.children.length ? [] : codes) {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = c;
    box.checked = picked.includes(c);
    box.onchange = () => pick(c);
    label.append(box, ` ${view.get(c)?.name ?? ''} ${c}`);
    li.append(label);
    ul.append(li);
  }
  const sel = $('merge-code');
  const was = sel.value;
  sel.replaceChildren(...picked.map((c) => new Option(`${c} ${view.get(c)?.name ?? ''}`, c)));
  sel.value = picked.includes(was) ? was : picked[0];
  if (!$('merge-name').dataset.edited || !picked.includes(was)) {
    $('merge-name').value = view.get(sel.value)?.name ?? '';
    delete $('merge-name').dataset.edited;
  }
  $('merge-apply').disabled = picked.length < 2;
}

function renderEdits() {
  const ul = $('edits');
  ul.replaceChildren();
  for (const s of steps) {
    const li = document.createElement('li');
    const name = (c) => `${view.get(c)?.name ?? grids.get(c)?.properties.name ?? ''} ${c}`;
    let goto = null;
    if (s.kind === 'replace') {
      li.textContent = `${name(s.code)} · ${t('edBoundary')}`;
      goto = s.code;
    } else if (s.kind === 'split') {
      li.textContent = `${t('edSplit')} ${s.code} → ${s.into.map((p) => p.code).join('、')}`;
      goto = s.into[0].code;
    } else if (s.kind === 'merge') {
      li.textContent = `${t('edMerge')} ${s.codes.join('+')} → ${s.grid.code}`;
      goto = s.grid.code;
    }
    li.dataset.kind = s.kind;
    li.onclick = () => view.has(goto) && select(goto);
    ul.append(li);
  }
  $('edit-count').textContent = steps.length;
  $('undo').disabled = !undoStack.length && mode !== 'split';
  $('publish').disabled = !steps.length;
  $('discard').disabled = !plan && !steps.length;
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
      if (!f.geometry) return;
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
    if (impact.members) rows.push([t('edMembers'), impact.members.length]);
    // (A server without children following sends no reparented.)
    if (impact.reparented) rows.push([t('edReparented'), impact.reparented.length, 'reparented']);
    // A retired grid's code given to a new grid continues its history:
    // right when undoing a merge, worth a second look otherwise.
    if (impact.reused?.length) rows.push([t('edReused'), impact.reused.map((u) => `${u.code} ${u.name}`).join('、'), 'reused']);
    for (const [k, v, id] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      if (id) dd.dataset.row = id;
      dl.append(dt, dd);
    }
  }
  renderReparented();
  $('plan-label').textContent = plan ? `${t('edPlan')} #${plan.id}` : '';
  renderEdits();
}

// renderReparented lists the child grids the plan moves to another parent
// (the merged grid, or the split piece holding them).
function renderReparented() {
  const MAX = 50;
  const ul = $('reparented');
  ul.replaceChildren();
  const moves = impact?.reparented ?? [];
  const name = (c) => view.get(c)?.name ?? grids.get(c)?.properties.name ?? '';
  for (const m of moves.slice(0, MAX)) {
    const li = document.createElement('li');
    li.dataset.code = m.code;
    li.textContent = `${name(m.code)} ${m.code}: ${m.from} → ${m.to} ${name(m.to)}`;
    ul.append(li);
  }
  if (moves.length > MAX) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = t('edMore').replace('{n}', moves.length - MAX);
    ul.append(li);
  }
  ul.hidden = !moves.length;
}

// ---------- search ----------

// renderSearch lists the grids matching the search box (of every level).
function renderSearch() {
  const ul = $('search-results');
  ul.replaceChildren();
  const q = $('search').value;
  const hits = searchGrids(view.values(), q, 6);
  for (const g of hits) {
    const li = document.createElement('li');
    li.dataset.code = g.code;
    li.tabIndex = 0;
    li.textContent = `${g.name} ${g.code} · ${t(g.level)}`;
    li.onclick = () => goTo(g.code);
    li.onkeydown = (e) => e.key === 'Enter' && goTo(g.code);
    ul.append(li);
  }
  if (q.trim() && !hits.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = t('edSearchNone');
    ul.append(li);
  }
  ul.hidden = !q.trim();
}

// goTo zooms to grid code and selects it (a village or micro-grid: the
// level switches to it).
function goTo(code) {
  const g = view.get(code);
  if (!g) return;
  const b = bbox(g.geometry);
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: { top: 100, bottom: 60, left: 60, right: 440 }, maxZoom: 16, duration: 0 });
  if (EDITABLE.includes(g.level) && code !== selected) select(code);
  $('search').value = '';
  renderSearch();
}

function applyLang() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('edTitle');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
    el.setAttribute('aria-label', el.placeholder);
  }
  $('lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
  renderAll();
  if (map) renderSearch();
}

// ---------- start ----------

async function main() {
  const worker = document.querySelector('meta[name="gridmap:worker"]')?.content;
  if (worker) maplibregl.setWorkerUrl(new URL(worker, location.href).href);
  configureToken({ t });
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
  $('split').onclick = () => startSplit();
  $('split-apply').onclick = () => applySplit();
  $('split-cancel').onclick = () => endSplit();
  $('merge').onclick = () => startMerge();
  $('merge-apply').onclick = () => applyMerge();
  $('merge-cancel').onclick = () => cancelMerge();
  $('merge-code').onchange = () => {
    $('merge-name').value = view.get($('merge-code').value)?.name ?? '';
    delete $('merge-name').dataset.edited;
  };
  $('merge-name').oninput = () => ($('merge-name').dataset.edited = '1');
  paintLevel = bindSegment($('level'), state, 'level', levelChanged);
  $('level-hint').hidden = state.level !== 'village';
  $('search').oninput = () => renderSearch();
  $('search-form').onsubmit = (e) => {
    e.preventDefault();
    const first = searchGrids(view.values(), $('search').value, 1)[0];
    if (first) goTo(first.code);
  };
  applyLang();
  if (!hasWebGL2()) {
    $('map-error').hidden = false;
    return;
  }

  // boxZoom off: Shift-click picks grids for a merge.
  map = new maplibregl.Map({
    container: 'map', style, center: [116.79, 35.55], zoom: 13, attributionControl: false, boxZoom: false,
    localIdeographFontFamily: CJK_FONTS, transformRequest,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-left');
  await new Promise((r) => map.on('load', r));
  startDraw();
  await loadGrids();
  const b = new maplibregl.LngLatBounds();
  const villages = featuresOf('village');
  for (const f of villages.length ? villages : grids.values()) {
    for (const poly of polygons(f.geometry)) for (const p of poly[0]) b.extend(p);
  }
  if (!b.isEmpty()) map.fitBounds(b, { padding: { top: 80, bottom: 30, left: 30, right: 420 }, duration: 0 });
  map.on('click', (e) => {
    if (mode === 'split') return; // clicks draw the cut line
    const at = [e.lngLat.lng, e.lngLat.lat];
    let code = map.queryRenderedFeatures(e.point, { layers: ['grid-fill'] })[0]?.properties.code;
    // The grid in terra-draw is not in grid-fill.
    if (!code && selected && partAt(view.get(selected)?.geometry, at) >= 0) code = selected;
    if (!code) return;
    if (e.originalEvent.shiftKey) pick(code);
    else if (code !== selected) select(code, at);
  });
  map.on('mouseenter', 'grid-fill', () => mode === 'edit' && (map.getCanvas().style.cursor = 'pointer'));
  map.on('mouseleave', 'grid-fill', () => (map.getCanvas().style.cursor = ''));

  // Hooks for the browser test and the console.
  window.__editor = {
    map,
    get draw() { return draw; },
    get selected() { return selected; },
    get mode() { return mode; },
    get level() { return state.level; },
    get plan() { return plan; },
    get report() { return report; },
    get impact() { return impact; },
    get seq() { return seq; },
    get published() { return published; },
    get steps() { return structuredClone(steps); },
    get edits() { return Object.fromEntries(steps.filter((s) => s.kind === 'replace').map((s) => [s.code, s.boundary])); },
    get pieces() { return pieces.map((p) => ({ code: p.code, name: p.name, boundary: p.boundary })); },
    get picked() { return [...picked]; },
    get drawIds() { return [...drawIds]; },
    grid: (code) => grids.get(code),
    planned: (code) => view.get(code),
    codes: () => featuresOf(state.level).map((f) => f.properties.code),
    villages: () => featuresOf('village'),
    neighbours,
    select,
    goTo,
    setLevel,
    pick,
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
