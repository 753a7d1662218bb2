// The editor's side panel, drawn from the state: the grid selected, the
// pieces of a split, the grids picked for a merge, the steps of the draft,
// the problems and impact of the last validation, the search box, the
// level switch and the page's language.

import * as maplibregl from 'maplibre-gl';
import { bbox, polygons } from '../geometry.js';
import { strings } from '../i18n.js';
import { searchGrids } from '../search.js';
import { select } from './draw.js';
import { PIECE_COLOURS, refreshSources } from './layers.js';
import { mergeCandidates, pick } from './merge.js';
import { EDITABLE, editPiece, state } from './state.js';

export const $ = (id) => document.getElementById(id);

// t is the string key in the page's language.
export const t = (key) => strings[state.lang][key] ?? strings.zh[key] ?? key;

export function status(msg, kind = '') {
  $('status').textContent = msg;
  $('status').dataset.kind = kind;
}

export function problemText(p) {
  return t(p.key) + (p.codes?.length ? ': ' + p.codes.join('、') : '');
}

// showLevel puts the level in the URL, the switch and the hints.
export function showLevel() {
  const u = new URL(location.href);
  if (state.level === 'micro') u.searchParams.delete('level');
  else u.searchParams.set('level', state.level);
  window.history.replaceState(null, '', u);
  state.paintLevel();
  $('level-hint').hidden = state.level !== 'village';
  refreshSources();
}

export function renderAll() {
  renderGrid();
  renderSplit();
  renderMerge();
  renderReport();
  refreshSources();
}

export function renderGrid() {
  const g = state.selected && state.view.get(state.selected);
  $('grid-info').hidden = !g;
  $('grid-none').hidden = !!g;
  if (g) {
    $('grid-name').textContent = g.name;
    $('grid-code').textContent = g.code;
    $('grid-level').textContent = t(g.level);
    const parts = polygons(g.geometry).length;
    $('grid-parts').textContent = parts > 1 ? t('edParts').replace('{n}', parts) : '';
  }
  $('split').disabled = !g || state.mode === 'split';
  $('merge').disabled = !g || state.mode === 'split';
}

function renderSplit() {
  $('split-panel').hidden = state.mode !== 'split';
  const ol = $('pieces');
  ol.replaceChildren();
  state.pieces.forEach((p, i) => {
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
    code.oninput = () => editPiece(state, i, 'code', code.value);
    const name = document.createElement('input');
    name.className = 'piece-name';
    name.value = p.name;
    name.setAttribute('aria-label', t('edName'));
    name.oninput = () => editPiece(state, i, 'name', name.value);
    li.append(sw, area, code, name);
    ol.append(li);
  });
  $('split-apply').disabled = state.pieces.length < 2;
}

export function renderMerge() {
  const { picked, view } = state;
  $('merge-panel').hidden = !picked.length;
  if (!picked.length) return;
  // The picked grids and their neighbours, to tick.
  const codes = mergeCandidates(view, picked);
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

// gridName: the name of grid c, as drafted or else as served.
const gridName = (c) => state.view.get(c)?.name ?? state.grids.get(c)?.properties.name ?? '';

export function renderEdits() {
  const ul = $('edits');
  ul.replaceChildren();
  for (const s of state.steps) {
    const li = document.createElement('li');
    let goto = null;
    if (s.kind === 'replace') {
      li.textContent = `${gridName(s.code)} ${s.code} · ${t('edBoundary')}`;
      goto = s.code;
    } else if (s.kind === 'split') {
      li.textContent = `${t('edSplit')} ${s.code} → ${s.into.map((p) => p.code).join('、')}`;
      goto = s.into[0].code;
    } else if (s.kind === 'merge') {
      li.textContent = `${t('edMerge')} ${s.codes.join('+')} → ${s.grid.code}`;
      goto = s.grid.code;
    }
    li.dataset.kind = s.kind;
    li.onclick = () => state.view.has(goto) && select(goto);
    ul.append(li);
  }
  $('edit-count').textContent = state.steps.length;
  $('undo').disabled = !state.undoStack.length && state.mode !== 'split';
  $('publish').disabled = !state.steps.length;
  $('discard').disabled = !state.plan && !state.steps.length;
}

export function renderReport() {
  const { report, impact } = state;
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
      state.map.fitBounds(b, { padding: 120, maxZoom: 19 });
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
  $('plan-label').textContent = state.plan ? `${t('edPlan')} #${state.plan.id}` : '';
  renderEdits();
}

// renderReparented lists the child grids the plan moves to another parent
// (the merged grid, or the split piece holding them).
function renderReparented() {
  const MAX = 50;
  const ul = $('reparented');
  ul.replaceChildren();
  const moves = state.impact?.reparented ?? [];
  for (const m of moves.slice(0, MAX)) {
    const li = document.createElement('li');
    li.dataset.code = m.code;
    li.textContent = `${gridName(m.code)} ${m.code}: ${m.from} → ${m.to} ${gridName(m.to)}`;
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
export function renderSearch() {
  const ul = $('search-results');
  ul.replaceChildren();
  const q = $('search').value;
  const hits = searchGrids(state.view.values(), q, 6);
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
export function goTo(code) {
  const g = state.view.get(code);
  if (!g) return;
  const b = bbox(g.geometry);
  state.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: { top: 100, bottom: 60, left: 60, right: 440 }, maxZoom: 16, duration: 0 });
  if (EDITABLE.includes(g.level) && code !== state.selected) select(code);
  $('search').value = '';
  renderSearch();
}

// applyLang writes the page in state.lang.
export function applyLang() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('edTitle');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
    el.setAttribute('aria-label', el.placeholder);
  }
  $('lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
  renderAll();
  if (state.map) renderSearch();
}
