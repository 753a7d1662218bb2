// The roster (网格人员, served at /roster): who serves which grid. Left the
// grids as a tree (street, villages, micro-grids) with how many people
// serve each; right the chosen grid's people with a move (调动: another
// grid, role or phone) and a retire (离岗) for each, a form to add one,
// and the grid's history of changes. Every form is checked here before it
// is sent; the server's problem detail is shown beside it when refused.
// Writes need an admin or dispatcher token (asked for in the page, as the
// other pages do). ?lang=en for English; ?grid=CODE opens a grid.
import './roster.css';
import { getJSON, send } from './desk/api.js';
import { configureToken } from './token.js';
import { strings as common } from './i18n.js'; // the token entry's strings

const params = new URLSearchParams(location.search);
const state = { lang: params.get('lang') === 'en' ? 'en' : 'zh', grids: [], byCode: new Map(), members: [], selected: params.get('grid') ?? '', moving: null, seq: { loaded: 0, saved: 0 } };
window.roster = { state };

const strings = {
  zh: {
    title: '网格人员', sub: '谁负责哪个网格', desk: '案件工作台', wallmap: '指挥大屏', grids: '网格', filter: '按名称、编码或人员筛选',
    pick: '在左侧选择一个网格。', role: '角色', name: '姓名', contact: '电话', since: '起始', nobody: '此网格暂无人员。',
    moveTitle: '调动', toGrid: '调往网格（编码）', roleNew: '角色', reason: '原因', save: '保存', cancel: '取消',
    addTitle: '新增人员', add: '新增', history: '人员变动记录', move: '调动', retire: '离岗', confirmRetire: '确认离岗？',
    leader: '网格长', worker: '网格员', legal_adviser: '法律顾问', police_assistant: '警务助理',
    needName: '请填写姓名（不超过 64 个字，须含文字）。', badPhone: '电话只能含数字、空格、+、- 和括号，5 到 20 位数字。',
    unknownGrid: '没有这个网格编码，请从列表中选择。', sameGrid: '调往的网格与现在相同，且角色和电话都未改变。',
    added: '已新增：', moved: '已调动：', retired: '已离岗：', joined: '加入', left: '离开', changed: '变更',
    by: '操作人', loadFailed: '加载失败：',
    tokenForbidden: '当前令牌的角色无权修改人员名单（需要管理员或调度员令牌），请输入有相应权限的令牌。',
  },
  en: {
    title: 'Roster', sub: 'who serves which grid', desk: 'Case desk', wallmap: 'Wall map', grids: 'Grids', filter: 'Filter by name, code or person',
    pick: 'Choose a grid on the left.', role: 'Role', name: 'Name', contact: 'Phone', since: 'Since', nobody: 'Nobody serves this grid.',
    moveTitle: 'Move', toGrid: 'To grid (code)', roleNew: 'Role', reason: 'Reason', save: 'Save', cancel: 'Cancel',
    addTitle: 'Add a person', add: 'Add', history: 'History of changes', move: 'Move', retire: 'Retire', confirmRetire: 'Confirm retire?',
    leader: 'Grid leader', worker: 'Grid worker', legal_adviser: 'Legal adviser', police_assistant: 'Police assistant',
    needName: 'Enter a name (at most 64 characters, with letters).', badPhone: "A phone has digits, spaces, '+', '-' and parentheses: 5 to 20 digits.",
    unknownGrid: 'No grid has this code: choose one from the list.', sameGrid: 'The grid is the same, and neither role nor phone changed.',
    added: 'Added: ', moved: 'Moved: ', retired: 'Retired: ', joined: 'joined', left: 'left', changed: 'changed',
    by: 'by', loadFailed: 'Could not load: ',
    tokenForbidden: "This token's role may not change the roster (an admin's or a dispatcher's may): enter one that can.",
  },
};
const t = (key) => strings[state.lang][key] ?? common[state.lang]?.[key] ?? key;
configureToken({ t });

const $ = (id) => document.getElementById(id);
const ROLES = ['worker', 'leader', 'police_assistant', 'legal_adviser'];
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const fmtTime = (s) => (s ? new Date(s).toLocaleString(state.lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }) : '');

// ---------- checks (before sending) ----------

export function nameProblem(name) {
  const n = name.trim();
  return !n || [...n].length > 64 || !/\p{L}/u.test(n) ? 'needName' : '';
}
export function phoneProblem(phone) {
  const p = phone.trim();
  if (!p) return '';
  if (!/^[0-9 +\-()]+$/.test(p)) return 'badPhone';
  const digits = p.replace(/\D/g, '').length;
  return digits < 5 || digits > 20 ? 'badPhone' : '';
}

// ---------- loading ----------

async function loadGrids() {
  const fc = await getJSON('/api/v1/grids');
  state.grids = fc.features.map((f) => ({ code: f.properties.code, name: f.properties.name, level: f.properties.level, parent: f.properties.parent ?? '' }));
  state.byCode = new Map(state.grids.map((g) => [g.code, g]));
  $('grid-codes').innerHTML = state.grids.map((g) => `<option value="${esc(g.code)}">${esc(g.name)}</option>`).join('');
}

async function loadMembers() {
  state.members = (await getJSON('/api/v1/roster')).members;
}

async function reload() {
  await loadMembers();
  renderTree();
  await renderGrid();
  state.seq.loaded++;
}

// ---------- the tree ----------

function renderTree() {
  const count = new Map();
  for (const m of state.members) count.set(m.grid, (count.get(m.grid) ?? 0) + 1);
  const f = $('filter').value.trim().toLowerCase();
  const people = new Map();
  for (const m of state.members) people.set(m.grid, (people.get(m.grid) ?? '') + ' ' + m.name.toLowerCase());
  const hit = (g) => !f || g.code.toLowerCase().includes(f) || g.name.toLowerCase().includes(f) || (people.get(g.code) ?? '').includes(f);
  const children = new Map();
  for (const g of state.grids) children.set(g.parent, [...(children.get(g.parent) ?? []), g]);
  const out = [];
  const walk = (g) => {
    const kids = (children.get(g.code) ?? []).sort((a, b) => a.code.localeCompare(b.code));
    const sub = [];
    const keep = hit(g);
    for (const k of kids) sub.push(...walk(k));
    if (!keep && sub.length === 0) return [];
    return [`<li class="${esc(g.level)}"><button type="button" data-code="${esc(g.code)}" aria-current="${g.code === state.selected}"><span>${esc(g.name)}</span><span class="n">${count.get(g.code) ?? 0}</span></button></li>`, ...sub];
  };
  const roots = state.grids.filter((g) => !state.byCode.has(g.parent)).sort((a, b) => a.code.localeCompare(b.code));
  for (const r of roots) out.push(...walk(r));
  $('grids').innerHTML = out.join('');
}

// ---------- one grid ----------

async function renderGrid() {
  const g = state.byCode.get(state.selected);
  $('pick').hidden = !!g;
  $('grid').hidden = !g;
  if (!g) return;
  $('g-name').textContent = g.name;
  $('g-code').textContent = g.code;
  const ms = state.members.filter((m) => m.grid === g.code);
  $('nobody').hidden = ms.length > 0;
  $('people').innerHTML = ms.map((m) => `<tr data-id="${m.id}"><td>${esc(t(m.role))}</td><td class="who">${esc(m.name)}</td><td>${esc(m.contact ?? '')}</td><td>${esc(fmtTime(m.valid_from))}</td>
    <td><button type="button" class="btn small" data-move="${m.id}">${esc(t('move'))}</button> <button type="button" class="btn small" data-retire="${m.id}">${esc(t('retire'))}</button></td></tr>`).join('');
  let hist = [];
  try {
    hist = (await getJSON('/api/v1/roster?history=true&grid=' + encodeURIComponent(g.code))).members;
  } catch (err) {
    $('history').innerHTML = `<li class="error">${esc(t('loadFailed') + err.message)}</li>`;
    return;
  }
  // Events of the grid: each row's start and end, newest first.
  const ev = [];
  for (const h of hist) {
    ev.push({ at: h.valid_from, what: 'joined', h, by: h.changed_by, why: h.reason });
    if (h.valid_to) ev.push({ at: h.valid_to, what: 'left', h, by: h.closed_by, why: h.close_reason });
  }
  ev.sort((a, b) => b.at.localeCompare(a.at));
  $('history').innerHTML = ev.map((e) => `<li data-what="${e.what}" data-id="${e.h.id}">${esc(fmtTime(e.at))} · ${esc(e.h.name)}（${esc(t(e.h.role))}）${esc(t(e.what))}${e.why ? ' · ' + esc(e.why) : ''}${e.by ? ` · ${esc(t('by'))} ${esc(e.by)}` : ''}</li>`).join('');
}

function select(code) {
  state.selected = code;
  state.moving = null;
  $('move-form').hidden = true;
  const q = new URLSearchParams(location.search);
  q.set('grid', code);
  history.replaceState(null, '', '?' + q);
  renderTree();
  renderGrid();
}

// ---------- forms ----------

function showError(id, key, detail = '') {
  $(id).textContent = key ? t(key) + (detail ? ' ' + detail : '') : detail;
}

async function addPerson(e) {
  e.preventDefault();
  const name = $('add-name').value, contact = $('add-contact').value;
  const bad = nameProblem(name) || phoneProblem(contact);
  $('add-name').setAttribute('aria-invalid', String(!!nameProblem(name)));
  $('add-contact').setAttribute('aria-invalid', String(!!phoneProblem(contact)));
  if (bad) return showError('add-error', bad);
  showError('add-error', '');
  try {
    const out = await send('POST', '/api/v1/roster', { grid: state.selected, role: $('add-role').value, name: name.trim(), contact: contact.trim(), reason: $('add-reason').value.trim() });
    $('add-form').reset();
    $('status').textContent = t('added') + out.member.name;
    await reload();
    state.seq.saved++; // after the reload: tests wait on it
  } catch (err) {
    showError('add-error', '', err.message);
  }
}

function openMove(id) {
  const m = state.members.find((x) => x.id === id);
  if (!m) return;
  state.moving = m;
  $('move-who').textContent = m.name;
  $('move-grid').value = '';
  $('move-role').value = m.role;
  $('move-contact').value = m.contact ?? '';
  $('move-reason').value = '';
  showError('move-error', '');
  $('move-form').hidden = false;
  $('move-grid').focus();
}

async function movePerson(e) {
  e.preventDefault();
  const m = state.moving;
  if (!m) return;
  const grid = $('move-grid').value.trim() || m.grid;
  const role = $('move-role').value, contact = $('move-contact').value.trim();
  const body = { reason: $('move-reason').value.trim() };
  if (grid !== m.grid) body.grid = grid;
  if (role !== m.role) body.role = role;
  // A masked phone (a token without personal data) is never sent back.
  if (contact !== (m.contact ?? '') && !contact.includes('*')) body.contact = contact;
  let bad = '';
  if (!state.byCode.has(grid)) bad = 'unknownGrid';
  else if (!body.grid && !body.role && !body.contact) bad = 'sameGrid';
  else if (body.contact) bad = phoneProblem(contact);
  $('move-grid').setAttribute('aria-invalid', String(bad === 'unknownGrid' || bad === 'sameGrid'));
  if (bad) return showError('move-error', bad);
  try {
    const out = await send('PATCH', '/api/v1/roster/' + m.id, body, { 'If-Match': `"m${m.id}.${m.version}"` });
    $('move-form').hidden = true;
    state.moving = null;
    $('status').textContent = t('moved') + out.member.name + ' → ' + (state.byCode.get(out.member.grid)?.name ?? out.member.grid);
    await reload();
    state.seq.saved++; // after the reload: tests wait on it
  } catch (err) {
    showError('move-error', '', err.message);
  }
}

async function retire(btn, id) {
  // Two clicks: the first asks (no dialog box), the second retires.
  if (btn.dataset.armed !== '1') {
    btn.dataset.armed = '1';
    btn.textContent = t('confirmRetire');
    return;
  }
  const m = state.members.find((x) => x.id === id);
  try {
    const out = await send('POST', `/api/v1/roster/${id}/retire`, { reason: $('add-reason').value.trim() }, { 'If-Match': `"m${m.id}.${m.version}"` });
    $('status').textContent = t('retired') + out.member.name;
    await reload();
    state.seq.saved++; // after the reload: tests wait on it
  } catch (err) {
    $('status').textContent = err.message;
  }
}

// ---------- language ----------

function applyLang() {
  document.documentElement.lang = state.lang === 'en' ? 'en' : 'zh-CN';
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  $('lang').textContent = state.lang === 'en' ? '中文' : 'EN';
  const opts = ROLES.map((r) => `<option value="${r}">${esc(t(r))}</option>`).join('');
  for (const id of ['add-role', 'move-role']) {
    const v = $(id).value;
    $(id).innerHTML = opts;
    if (v) $(id).value = v;
  }
}

// ---------- start ----------

$('grids').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-code]');
  if (b) select(b.dataset.code);
});
$('people').addEventListener('click', (e) => {
  const mv = e.target.closest('button[data-move]');
  if (mv) openMove(Number(mv.dataset.move));
  const rt = e.target.closest('button[data-retire]');
  if (rt) retire(rt, Number(rt.dataset.retire));
});
$('filter').addEventListener('input', renderTree);
$('add-form').addEventListener('submit', addPerson);
$('move-form').addEventListener('submit', movePerson);
$('move-cancel').addEventListener('click', () => {
  $('move-form').hidden = true;
  state.moving = null;
});
$('lang').addEventListener('click', () => {
  state.lang = state.lang === 'en' ? 'zh' : 'en';
  const q = new URLSearchParams(location.search);
  if (state.lang === 'en') q.set('lang', 'en');
  else q.delete('lang');
  history.replaceState(null, '', '?' + q);
  $('status').textContent = ''; // said in the other language
  applyLang();
  renderGrid();
});

applyLang();
try {
  await loadGrids();
  await reload();
} catch (err) {
  $('status').textContent = t('loadFailed') + err.message;
}
