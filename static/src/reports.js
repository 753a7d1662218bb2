// The reports page (/reports): the daily bulletin (访情通报) or the
// Wednesday agenda (周三说事) of a day, as the server draws it
// (GET /api/v1/reports/daily|wednesday?format=html, shown in a shadow
// root), its headline figures from the JSON, the PDF downloaded with the
// token (a plain link cannot send the Authorization header), and, on the
// agenda, one form per case recording the meeting's decision as a consult
// step (POST /api/v1/incidents/{id}/steps) for the roles that may.
// ?lang=en; ?date=YYYY-MM-DD&kind=daily|wednesday.
import './ranking.css';
import './reports.css';
import { ApiError, getJSON, send } from './desk/api.js';
import { authFetch, configureToken } from './token.js';
import { saveFetched } from './download.js';
import { strings as common, defaultCategories } from './i18n.js';

const params = new URLSearchParams(location.search);
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // China Standard Time
const state = {
  lang: params.get('lang') === 'en' ? 'en' : 'zh',
  date: /^\d{4}-\d{2}-\d{2}$/.test(params.get('date') ?? '') ? params.get('date') : today(),
  kind: params.get('kind') === 'wednesday' ? 'wednesday' : 'daily',
  data: null, role: null, seq: 0, recorded: 0,
};

const strings = {
  zh: {
    title: '访情通报与周三说事', ranking: '红黑榜', desk: '案件工作台', wallmap: '指挥大屏', date: '日期',
    daily: '访情通报', wednesday: '周三说事议程', pdf: '下载 PDF', decisions: '会商决定',
    decisionsNote: '每件案件的会商决定记为一条“会商”办理步骤。', decisionsReadOnly: '当前令牌无权记录会商决定（需管理员、调度员或承办部门）。',
    newCases: '新增案件', prevDay: '前一日', lastWeek: '上周同日', resolved: '办结', closed: '归档', overdueKey: '超期', disputes: '矛盾纠纷',
    agendaTotal: '待会商案件', villages: '涉及村（社区）', outside: '网格外',
    decision: '会商决定', record: '记录', recorded: '已记录', loadFailed: '加载失败：', saveFailed: '记录失败：', loading: '加载中…',
    caseN: '案件 #', noCases: '本日无待会商案件。',
    reasons: { dispute: '矛盾纠纷', consult: '已提交会商', old_petition: '信访满30天', supervised: '督办', overdue: '超期' },
  },
  en: {
    title: 'Daily bulletin and Wednesday agenda', ranking: 'Red/black lists', desk: 'Case desk', wallmap: 'Wall map', date: 'Date',
    daily: 'Daily bulletin', wednesday: 'Wednesday agenda', pdf: 'Download PDF', decisions: 'Decisions',
    decisionsNote: 'Each decision is recorded as a consult step of its case.', decisionsReadOnly: 'This token may not record decisions (admin, dispatcher or the case\'s department).',
    newCases: 'New cases', prevDay: 'Day before', lastWeek: 'Same day last week', resolved: 'Resolved', closed: 'Closed', overdueKey: 'Overdue', disputes: 'Disputes',
    agendaTotal: 'Cases for review', villages: 'Villages', outside: 'Outside the grids',
    decision: 'Decision', record: 'Record', recorded: 'Recorded', loadFailed: 'Could not load: ', saveFailed: 'Not recorded: ', loading: 'Loading…',
    caseN: 'Case #', noCases: 'No case for review on this day.',
    reasons: { dispute: 'dispute', consult: 'sent to consultation', old_petition: 'petition open 30 days', supervised: 'supervised', overdue: 'overdue' },
  },
};
const t = (key) => strings[state.lang][key] ?? common[state.lang]?.[key] ?? key;
configureToken({ t });

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else e[k] = v;
  }
  e.append(...kids);
  return e;
};
const url = (format) => `/api/v1/reports/${state.kind}?date=${state.date}${format ? '&format=' + format : ''}`;
const CAN_CONSULT = ['admin', 'dispatcher', 'department'];

function saveURL() {
  const q = new URLSearchParams();
  if (state.lang !== 'zh') q.set('lang', state.lang);
  q.set('date', state.date);
  q.set('kind', state.kind);
  history.replaceState(null, '', '?' + q);
}

function figure(key, value, label) {
  return el('div', { className: 'fig' }, el('span', {}, label), el('b', { dataset: { figure: key } }, String(value)));
}

function renderFigures() {
  const d = state.data;
  const box = $('figures');
  if (!d) return box.replaceChildren();
  if (state.kind === 'daily') {
    box.replaceChildren(
      figure('new', d.new.total, t('newCases')), figure('previous_day', d.previous_day.total, t('prevDay')),
      figure('same_day_last_week', d.same_day_last_week.total, t('lastWeek')), figure('resolved', d.resolved, t('resolved')),
      figure('closed', d.closed, t('closed')), figure('disputes', d.disputes, t('disputes')), figure('overdue', d.overdue, t('overdueKey')));
  } else {
    box.replaceChildren(figure('total', d.total, t('agendaTotal')), figure('villages', d.villages.length, t('villages')),
      figure('outside', (d.outside ?? []).length, t('outside')));
  }
}

let categories = defaultCategories; // /api/v1/categories when it answers
const categoryLabel = (name) => {
  const c = categories.find((x) => x.name === name);
  return c ? (state.lang === 'zh' ? c.label_zh : c.label_en) : name;
};

function renderDecisions() {
  const box = $('decision-forms');
  const section = $('decisions');
  section.hidden = state.kind !== 'wednesday' || !state.data;
  if (section.hidden) return box.replaceChildren();
  const may = CAN_CONSULT.includes(state.role);
  const groups = [...state.data.villages.map((v) => [v.name, v.cases]), [t('outside'), state.data.outside ?? []]].filter(([, cs]) => cs.length);
  const out = [];
  if (!may) out.push(el('p', { className: 'muted' }, t('decisionsReadOnly')));
  if (!groups.length) out.push(el('p', { className: 'muted' }, t('noCases')));
  for (const [name, cases] of groups) {
    out.push(el('h3', {}, name));
    for (const c of cases) {
      const text = el('textarea', { name: 'decision', rows: 2, maxLength: 2000, required: true, disabled: !may });
      const msg = el('span', { className: 'msg' });
      const btn = el('button', { type: 'submit', className: 'btn', disabled: !may }, t('record'));
      const form = el('form', { className: 'decision', dataset: { id: c.id } },
        el('div', { className: 'what' }, el('b', {}, t('caseN') + c.id), ` ${categoryLabel(c.category)} · ${c.grid_name || c.grid || ''} · ${(c.reasons ?? []).map((r) => t('reasons')[r] ?? r).join('、')}`),
        el('label', {}, el('span', {}, t('decision')), text), el('div', { className: 'row' }, btn, msg));
      form.onsubmit = async (e) => {
        e.preventDefault();
        const decision = text.value.trim();
        if (!decision) return;
        btn.disabled = true;
        msg.className = 'msg';
        msg.textContent = '';
        try {
          await send('POST', `/api/v1/incidents/${c.id}/steps`, { step: 'consult', decision });
          msg.textContent = t('recorded');
          msg.classList.add('ok');
          form.dataset.recorded = 'true';
          text.disabled = true;
          state.recorded++; // the button stays off: recorded once
        } catch (err) {
          // The typed decision stays in the field to send again.
          msg.textContent = t('saveFailed') + (err instanceof ApiError ? err.message : String(err));
          msg.classList.add('err');
          btn.disabled = false;
        }
      };
      out.push(form);
    }
  }
  box.replaceChildren(...out);
}

// showDocument puts the server's self-contained HTML in a shadow root.
// The page's CSP (style-src 'self') refuses the document's <style> and
// style attributes as markup, so they are applied through the CSSOM (a
// constructed sheet, element.style), which the policy does not govern;
// the document has no script, and DOMParser's scripts never run.
function showDocument(html) {
  const host = $('doc');
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  if (!html) return root.replaceChildren();
  // Out of the markup before parsing: a parsed document keeps the page's
  // CSP, which would report each one.
  const css = [];
  html = html.replace(/<style>([\s\S]*?)<\/style>/g, (_, text) => (css.push(text), ''))
    .replace(/(<[a-zA-Z][^>]*\s)style="/g, '$1data-style="');
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const sc of doc.querySelectorAll('script')) sc.remove();
  const body = el('div', { className: 'doc' });
  body.append(...[...doc.body.childNodes].map((n) => document.adoptNode(n)));
  for (const e of body.querySelectorAll('[data-style]')) {
    e.style.cssText = e.dataset.style;
    delete e.dataset.style;
  }
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css.join('\n').replace(/(^|})\s*body\s*{/g, '$1.doc{'));
  root.adoptedStyleSheets = [sheet];
  root.replaceChildren(body);
}

function render() {
  document.documentElement.lang = state.lang === 'en' ? 'en' : 'zh-CN';
  document.title = t('title');
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  $('lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
  for (const b of document.querySelectorAll('#kind button')) b.setAttribute('aria-checked', String(b.dataset.kind === state.kind));
  $('date').value = state.date;
  renderFigures();
  renderDecisions();
}

async function load() {
  saveURL();
  state.data = null;
  $('status').textContent = t('loading');
  render();
  try {
    const [data, html] = await Promise.all([
      getJSON(url()),
      authFetch(url('html')).then(async (r) => {
        if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => ({})));
        return r.text();
      }),
    ]);
    state.data = data;
    showDocument(html);
    $('status').textContent = '';
  } catch (err) {
    $('status').textContent = t('loadFailed') + err.message;
    showDocument('');
  }
  render();
  state.seq++;
}

// downloadPDF fetches the PDF with the token and saves it from a blob.
async function downloadPDF() {
  try {
    await saveFetched(url('pdf'), `${state.kind}-${state.date}.pdf`);
  } catch (err) {
    $('status').textContent = t('loadFailed') + err.message;
  }
}

$('date').onchange = () => {
  if (!$('date').value) return;
  state.date = $('date').value;
  load();
};
for (const b of document.querySelectorAll('#kind button')) b.onclick = () => { state.kind = b.dataset.kind; load(); };
$('pdf').onclick = downloadPDF;
$('pick').onsubmit = (e) => e.preventDefault();
$('lang').onclick = () => { state.lang = state.lang === 'zh' ? 'en' : 'zh'; saveURL(); render(); };

window.reports = { state, ready: (async () => {
  try {
    state.role = (await getJSON('/api/v1/whoami')).role;
    const a = await getJSON('/api/v1/categories');
    categories = (Array.isArray(a) ? a : a.categories) ?? defaultCategories;
  } catch {}
  await load();
})() };
