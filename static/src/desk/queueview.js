// The queue column: the filters, the counts and the list of cases.
import { state } from './state.js';
import { label, PUBLIC_STATUSES } from './labels.js';
import { dueOf, isOverdue, queueCounts } from './queue.js';
import { format, strings } from './strings.js';

const $ = (id) => document.getElementById(id);
const t = (key) => strings[state.lang][key] ?? key;

export function categoryLabel(name) {
  const c = state.categories.find((c) => c.name === name);
  return c ? (state.lang === 'zh' ? c.label_zh : c.label_en) : name;
}

export function departmentLabel(code) {
  if (!code) return '';
  const d = state.departments.find((d) => d.code === code || d.name_zh === code);
  return d ? (state.lang === 'zh' ? d.name_zh : d.name_en) : code;
}

// caseStatus is a listed or open case's status in the loop: the finer
// case status when the API gives it, else the public one.
export function caseStatus(c) {
  return c.case_status ?? c.status;
}

export function statusLabel(c) {
  const s = caseStatus(c);
  return s === c.status ? label('public', s, state.lang) : label('status', s, state.lang);
}

// dueText says when a case is due, relative to now: "剩 2 天", "超期 3 小时".
export function dueText(ms, now = Date.now()) {
  if (!Number.isFinite(ms)) return '';
  const d = ms - now;
  const abs = Math.abs(d);
  const zh = state.lang === 'zh';
  const n = abs >= 86400e3 ? Math.floor(abs / 86400e3) : Math.max(1, Math.floor(abs / 3600e3));
  const unit = abs >= 86400e3 ? (zh ? '天' : 'd') : zh ? '小时' : 'h';
  if (d < 0) return zh ? `超期 ${n} ${unit}` : `${n}${unit} overdue`;
  return zh ? `剩 ${n} ${unit}` : `${n}${unit} left`;
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

// renderFilters fills the filter controls from the state (and the lists
// the server gave: departments, villages, categories).
export function renderFilters() {
  const f = state.filters;
  const fill = (id, opts, value) => {
    const sel = $(id);
    sel.replaceChildren(...opts.map(([v, text]) => option(v, text)));
    if (value && !opts.some(([v]) => v === value)) sel.append(option(value, value));
    sel.value = value;
  };
  fill('f-status', [['open', t('fOpen')], ['all', t('fAll')], ...PUBLIC_STATUSES.map((s) => [s.name, state.lang === 'zh' ? s.zh : s.en])], f.status);
  fill('f-department', [['', t('fAny')], ...state.departments.map((d) => [d.code, state.lang === 'zh' ? d.name_zh : d.name_en])], f.department);
  fill('f-village', [['', t('fAny')], ...state.villages.map((v) => [v.code, v.name])], f.village);
  fill('f-category', [['', t('fAny')], ...state.categories.map((c) => [c.name, state.lang === 'zh' ? c.label_zh : c.label_en])], f.category);
  fill('f-source', [['', t('fAny')], ...Object.entries(t('sources'))], f.source);
  fill('f-sort', [['due', t('sortDue')], ['reported', t('sortReported')]], f.sort);
  $('f-overdue').checked = f.overdue;
  $('f-supervised').checked = f.supervised;
}

// renderQueue draws the list and the counts; the selected case stays
// selected and in view.
export function renderQueue() {
  const ol = $('queue');
  const now = Date.now();
  if (state.queueError) {
    $('counts').textContent = t('loadFailed') + state.queueError;
  } else {
    const c = queueCounts(state.items);
    $('counts').textContent = format(t('counts'), c) + (state.more ? format(t('countsMore'), { n: state.items.length }) : '');
  }
  const rows = state.items.map((c) => {
    const li = document.createElement('li');
    li.id = 'q-' + c.id;
    li.dataset.id = c.id;
    li.setAttribute('role', 'option');
    li.setAttribute('aria-selected', String(c.id === state.selectedId));
    // The tags stay in view however long the grid's name is.
    const l1 = document.createElement('span');
    l1.className = 'l1';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = `#${c.id} ${categoryLabel(c.category)} · ${c.grid?.name ?? t('unassigned')}`;
    l1.append(name);
    const chip = document.createElement('span');
    chip.className = 'chip';
    chip.dataset.status = caseStatus(c);
    chip.textContent = statusLabel(c);
    const l2 = document.createElement('span');
    l2.className = 'l2';
    const when = new Date(c.reported_at).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    l2.textContent = [when, t('sources')[c.source] ?? c.source, departmentLabel(c.department), c.person].filter(Boolean).join(' · ');
    const due = document.createElement('span');
    const ms = dueOf(c);
    due.className = 'due' + (isOverdue(c) ? ' late' : '');
    due.textContent = dueText(ms, now);
    for (const [on, cls, key] of [[isOverdue(c), 'late', 'overdueTag'], [c.supervised > 0, 'sup', 'supervisedTag']]) {
      if (!on) continue;
      const tag = document.createElement('span');
      tag.className = 'tag ' + cls;
      tag.textContent = t(key);
      l1.append(tag);
    }
    li.append(l1, chip, l2, due);
    return li;
  });
  if (rows.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = state.queueError ? '' : t('empty');
    rows.push(li);
  }
  ol.replaceChildren(...rows);
  if (state.selectedId) {
    ol.setAttribute('aria-activedescendant', 'q-' + state.selectedId);
    document.getElementById('q-' + state.selectedId)?.scrollIntoView({ block: 'nearest' });
  } else {
    ol.removeAttribute('aria-activedescendant');
  }
}

// select marks case id selected in the list (without reloading it).
export function select(id) {
  state.selectedId = id;
  for (const li of $('queue').children) li.setAttribute('aria-selected', String(Number(li.dataset.id) === id));
  if (id) {
    $('queue').setAttribute('aria-activedescendant', 'q-' + id);
    document.getElementById('q-' + id)?.scrollIntoView({ block: 'nearest' });
  }
}
