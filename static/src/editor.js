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
//
// This file wires the page; the code is under editor/, by concern:
// state.js (all the mutable state, and the functions that change it),
// api.js (HTTP), layers.js (the map's style and sources), draw.js
// (terra-draw, selection, vertex edits), split.js, merge.js, plan.js (the
// draft: steps, undo, validation, publish) and panel.js (the side panel).

import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './wallmap.css';
import './editor.css';
import { partAt, polygons } from './geometry.js';
import { searchGrids } from './search.js';
import { bindSegment } from './segment.js';
import { configureToken, transformRequest } from './token.js';
import { hasWebGL2 } from './webgl.js';
import { select, startDraw } from './editor/draw.js';
import { style } from './editor/layers.js';
import { applyMerge, cancelMerge, neighbours, pick, startMerge } from './editor/merge.js';
import { $, applyLang, goTo, renderAll, renderSearch, showLevel, status, t } from './editor/panel.js';
import { discard, loadGrids, publish, queue, setBoundary, syncAndValidate, undo } from './editor/plan.js';
import { applySplit, endSplit, startSplit } from './editor/split.js';
import { attachLevelSwitch, attachMap, clearPicked, featuresOf, state, switchLevel, toggleLang } from './editor/state.js';

const CJK_FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif';

// ---------- level ----------

// setLevel switches the level edited; the draft keeps its steps of either.
function setLevel(level) {
  if (switchLevel(state, level)) levelChanged();
}

// levelChanged follows a switch of state.level: nothing of the other
// level stays selected or picked.
function levelChanged() {
  clearPicked(state);
  if (state.mode === 'split') endSplit();
  if (state.selected && state.view.get(state.selected)?.level !== state.level) select(null);
  showLevel();
  renderAll();
}

// ---------- start ----------

async function main() {
  const worker = document.querySelector('meta[name="gridmap:worker"]')?.content;
  if (worker) maplibregl.setWorkerUrl(new URL(worker, location.href).href);
  configureToken({ t });
  $('lang').onclick = () => {
    toggleLang(state);
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
    $('merge-name').value = state.view.get($('merge-code').value)?.name ?? '';
    delete $('merge-name').dataset.edited;
  };
  $('merge-name').oninput = () => ($('merge-name').dataset.edited = '1');
  // The switch writes state.level itself (segment.js).
  attachLevelSwitch(state, bindSegment($('level'), state, 'level', levelChanged));
  $('level-hint').hidden = state.level !== 'village';
  $('search').oninput = () => renderSearch();
  $('search-form').onsubmit = (e) => {
    e.preventDefault();
    const first = searchGrids(state.view.values(), $('search').value, 1)[0];
    if (first) goTo(first.code);
  };
  applyLang();
  if (!hasWebGL2()) {
    $('map-error').hidden = false;
    return;
  }

  // boxZoom off: Shift-click picks grids for a merge.
  const map = new maplibregl.Map({
    container: 'map', style, center: [116.79, 35.55], zoom: 13, attributionControl: false, boxZoom: false,
    localIdeographFontFamily: CJK_FONTS, transformRequest,
  });
  attachMap(state, map);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-left');
  await new Promise((r) => map.on('load', r));
  startDraw();
  await loadGrids();
  const b = new maplibregl.LngLatBounds();
  const villages = featuresOf(state, 'village');
  for (const f of villages.length ? villages : state.grids.values()) {
    for (const poly of polygons(f.geometry)) for (const p of poly[0]) b.extend(p);
  }
  if (!b.isEmpty()) map.fitBounds(b, { padding: { top: 80, bottom: 30, left: 30, right: 420 }, duration: 0 });
  map.on('click', (e) => {
    if (state.mode === 'split') return; // clicks draw the cut line
    const at = [e.lngLat.lng, e.lngLat.lat];
    let code = map.queryRenderedFeatures(e.point, { layers: ['grid-fill'] })[0]?.properties.code;
    // The grid in terra-draw is not in grid-fill.
    if (!code && state.selected && partAt(state.view.get(state.selected)?.geometry, at) >= 0) code = state.selected;
    if (!code) return;
    if (e.originalEvent.shiftKey) pick(code);
    else if (code !== state.selected) select(code, at);
  });
  map.on('mouseenter', 'grid-fill', () => state.mode === 'edit' && (map.getCanvas().style.cursor = 'pointer'));
  map.on('mouseleave', 'grid-fill', () => (map.getCanvas().style.cursor = ''));

  // Hooks for the browser test and the console.
  window.__editor = {
    map,
    get draw() { return state.draw; },
    get selected() { return state.selected; },
    get mode() { return state.mode; },
    get level() { return state.level; },
    get plan() { return state.plan; },
    get report() { return state.report; },
    get impact() { return state.impact; },
    get seq() { return state.seq; },
    get published() { return state.published; },
    get steps() { return structuredClone(state.steps); },
    get edits() { return Object.fromEntries(state.steps.filter((s) => s.kind === 'replace').map((s) => [s.code, s.boundary])); },
    get pieces() { return state.pieces.map((p) => ({ code: p.code, name: p.name, boundary: p.boundary })); },
    get picked() { return [...state.picked]; },
    get drawIds() { return [...state.drawIds]; },
    grid: (code) => state.grids.get(code),
    planned: (code) => state.view.get(code),
    codes: () => featuresOf(state, state.level).map((f) => f.properties.code),
    villages: () => featuresOf(state, 'village'),
    neighbours: (code) => neighbours(state.view, code),
    select,
    goTo,
    setLevel,
    pick,
    setBoundary,
    undo,
    idle: () => state.busy,
    ready: true,
  };
}

main().catch((err) => {
  console.error(err);
  status(err.message, 'error');
});
