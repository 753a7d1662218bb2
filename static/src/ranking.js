// The red and black lists (红黑榜, served at /ranking): one month's ranking
// of grid workers, villages or departments by the scoring rules in force
// (GET /api/v1/ranking), the red list (top) and the black list (bottom)
// with the indicators that put each there, and the whole ranking below.
// Read only: the rules are edited through PUT /api/v1/ranking/rules.
// ?lang=en for English; ?month=YYYY-MM&of=worker|village|department.
import './ranking.css';
import { getJSON } from './desk/api.js';
import { configureToken } from './token.js';
import { saveFetched } from './download.js';
import { strings as common } from './i18n.js';

const params = new URLSearchParams(location.search);
const lastMonth = () => {
  // China Standard Time: the month before the current one there.
  const now = new Date(Date.now() + 8 * 3600e3);
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
};
const state = { lang: params.get('lang') === 'en' ? 'en' : 'zh', month: params.get('month') || lastMonth(), of: params.get('of') || 'worker', data: null, seq: 0 };
window.ranking = { state };

const strings = {
  zh: {
    title: '红黑榜', sub: '按月考核排名', pdf: '下载 PDF', desk: '案件工作台', wallmap: '指挥大屏', month: '月份',
    worker: '网格员', village: '村（社区）', department: '职能部门', red: '红榜', black: '黑榜', all: '全部排名',
    place: '名次', who: '对象', score: '得分', rulesVersion: '评分规则版本', defaultRules: '默认规则', none: '无', unranked: '案件不足未排名：',
    loadFailed: '加载失败：', worker_n: '网格员 #',
    received: '受理', registered: '立案', closed: '结案', closure_rate: '结案率', on_time_closure_rate: '按期结案率', reply_rate: '答复率',
    revisit_rate: '回访率', satisfaction_rate: '满意率', median_close_hours: '办结时长中位数（小时）', p90_close_hours: '办结时长 90% 分位（小时）',
    open_overdue: '超期未办结', supervised: '督办', duplicates: '重复件', reopened: '重办', logs_filed: '工作日志', patrol_days: '巡查天数',
    distance_km: '巡查里程（公里）', grids_covered: '覆盖网格', cases_raised: '上报案件', cases_verified: '核实案件',
  },
  en: {
    title: 'Red and black lists', sub: 'monthly assessment ranking', pdf: 'Download PDF', desk: 'Case desk', wallmap: 'Wall map', month: 'Month',
    worker: 'Grid workers', village: 'Villages', department: 'Departments', red: 'Red list', black: 'Black list', all: 'Whole ranking',
    place: 'Place', who: 'Who', score: 'Score', rulesVersion: 'scoring rules version', defaultRules: 'default rules', none: 'none', unranked: 'Too few cases to rank: ',
    loadFailed: 'Could not load: ', worker_n: 'Worker #',
    received: 'Received', registered: 'Registered', closed: 'Closed', closure_rate: 'Closure rate', on_time_closure_rate: 'On-time closure', reply_rate: 'Reply rate',
    revisit_rate: 'Revisit rate', satisfaction_rate: 'Satisfaction', median_close_hours: 'Median hours to close', p90_close_hours: '90th percentile hours to close',
    open_overdue: 'Open overdue', supervised: 'Supervised', duplicates: 'Duplicates', reopened: 'Reopened', logs_filed: 'Work logs', patrol_days: 'Patrol days',
    distance_km: 'Patrol km', grids_covered: 'Grids covered', cases_raised: 'Cases raised', cases_verified: 'Cases verified',
  },
};
const t = (key) => strings[state.lang][key] ?? common[state.lang]?.[key] ?? key;
configureToken({ t });

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const isRate = (k) => k.endsWith('_rate');
export function fmtValue(indicator, v) {
  if (v === null || v === undefined) return '—';
  if (isRate(indicator)) return (v * 100).toFixed(1) + '%';
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
const nameOf = (r) => r.name || (state.of === 'worker' ? t('worker_n') + r.key : r.key);
const why = (r) => (r.why ?? []).map((p) => `${t(p.indicator)} ${fmtValue(p.indicator, p.value)}`).join('，');

function render() {
  document.documentElement.lang = state.lang === 'en' ? 'en' : 'zh-CN';
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('lang').textContent = state.lang === 'en' ? '中文' : 'EN';
  $('month').value = state.month;
  for (const b of $('of').querySelectorAll('button')) b.setAttribute('aria-checked', String(b.dataset.of === state.of));
  for (const b of $('of').querySelectorAll('button')) b.setAttribute('role', 'radio');
  const d = state.data;
  if (!d) return;
  $('rules').textContent = `${t('rulesVersion')} ${d.rules_version}${d.rules_version === 0 ? '（' + t('defaultRules') + '）' : ''}`;
  const item = (r) => `<li data-key="${esc(r.key)}"><span class="score">${r.score.toFixed(1)}</span>${esc(nameOf(r))}<span class="why">${esc(why(r))}</span></li>`;
  $('red').innerHTML = d.red.length ? d.red.map(item).join('') : `<li class="muted">${t('none')}</li>`;
  $('black').innerHTML = d.black.length ? d.black.map(item).join('') : `<li class="muted">${t('none')}</li>`;
  // A worker's own work, or a village's or department's case figures.
  const cols = d.of === 'worker'
    ? ['logs_filed', 'patrol_days', 'distance_km', 'grids_covered', 'cases_raised', 'cases_verified']
    : ['received', 'closure_rate', 'on_time_closure_rate', 'satisfaction_rate', 'open_overdue'];
  $('head').innerHTML = ['place', 'who', 'score', ...cols].map((k) => `<th>${esc(t(k))}</th>`).join('');
  $('ranked').innerHTML = d.ranked.map((r) => {
    const i = { ...r.indicators, ...(r.indicators.work ?? {}) };
    return `<tr><td>${r.place}</td><td>${esc(nameOf(r))}</td><td>${r.score.toFixed(1)}</td>` +
      cols.map((k) => `<td>${fmtValue(k, i[k])}</td>`).join('') + '</tr>';
  }).join('');
  $('unranked').textContent = d.unranked?.length ? t('unranked') + d.unranked.length : '';
}

async function load() {
  const seq = ++state.seq;
  $('status').textContent = '';
  const q = new URLSearchParams({ month: state.month, of: state.of });
  history.replaceState(null, '', '?' + new URLSearchParams({ ...(state.lang === 'en' ? { lang: 'en' } : {}), month: state.month, of: state.of }));
  try {
    const d = await getJSON('/api/v1/ranking?' + q);
    if (seq !== state.seq) return;
    state.data = d;
  } catch (e) {
    if (seq !== state.seq) return;
    state.data = null;
    $('status').textContent = t('loadFailed') + e.message;
  }
  render();
  document.body.dataset.loaded = String(state.seq);
}

$('month').addEventListener('change', () => { if ($('month').value) { state.month = $('month').value; load(); } });
$('of').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-of]');
  if (b) { state.of = b.dataset.of; load(); }
});
$('lang').addEventListener('click', () => { state.lang = state.lang === 'en' ? 'zh' : 'en'; render(); });
$('pdf').addEventListener('click', async () => {
  const q = new URLSearchParams({ month: state.month, of: state.of, format: 'pdf' });
  try {
    await saveFetched('/api/v1/ranking?' + q, `ranking-${state.of}-${state.month}.pdf`);
  } catch (e) {
    $('status').textContent = t('loadFailed') + e.message;
  }
});
render();
load();
