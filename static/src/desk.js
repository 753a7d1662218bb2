// The case desk (案件工作台, served at /desk): the command centre's and the
// departments' screen for carrying cases through their loop. Left the
// queue (/api/v1/incidents with the desk's filters), in the middle the
// open case (its steps from /api/v1/incidents/{id}/steps, the actions the
// token's role may take now, each a form checked before it is sent, its
// photos and possible duplicates), right the map of the case, its grid and
// the open cases around it. The event stream refreshes the queue and the
// open case. Keyboard: see desk/keys.js. ?lang=en for English; the
// filters are kept in the URL; live=0 opens no event stream.
import './desk.css';
import { state, saveURL } from './desk/state.js';
import { getJSON, ApiError } from './desk/api.js';
import { queueQuery, sortQueue, moveIn, QUEUE_LIMIT } from './desk/queue.js';
import { keyAction } from './desk/keys.js';
import { label } from './desk/labels.js';
import { strings } from './desk/strings.js';
import { renderFilters, renderQueue, select } from './desk/queueview.js';
import { renderDetail, configureDetail, openForm, closeForm, closePhoto, nextSteps } from './desk/detailview.js';
import { startMap, showCase, mapState } from './desk/mapview.js';
import { configureToken } from './token.js';
import { openEvents } from './events.js';

const $ = (id) => document.getElementById(id);
const t = (key) => strings[state.lang][key] ?? key;

// ---------- loading ----------

let queueSeq = 0;
async function loadQueue() {
  const seq = ++queueSeq;
  try {
    const a = await getJSON('/api/v1/incidents?' + queueQuery(state.filters));
    if (seq !== queueSeq) return;
    state.items = sortQueue(a.incidents ?? [], state.filters.sort);
    state.more = !!a.next_cursor && state.items.length >= QUEUE_LIMIT;
    state.queueError = '';
  } catch (err) {
    if (seq !== queueSeq) return;
    state.items = [];
    state.queueError = err.message;
  }
  renderQueue();
  state.seq.queue++;
}

// openCase shows case id; loading is the newest load, which may replace
// one in flight (a live event arriving while a step is being shown).
let detailSeq = 0;
let loading = Promise.resolve();
function openCase(id) {
  const p = loadCase(id);
  loading = p;
  return p;
}

// settled waits until no load of the case is in flight.
async function settled() {
  for (let p = null; p !== loading; ) {
    p = loading;
    await p;
  }
}

async function loadCase(id) {
  const seq = ++detailSeq;
  if (state.openId !== id) {
    closeForm();
    $('step-done').textContent = '';
  }
  if (state.openId !== id) {
    state.openId = id;
    saveURL();
  }
  if (state.selectedId !== id) select(id);
  const optional = (p) => p.catch((err) => {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
    throw err;
  });
  let incident;
  let flow;
  let duplicates;
  try {
    [incident, flow, duplicates] = await Promise.all([
      getJSON(`/api/v1/incidents/${id}`),
      optional(getJSON(`/api/v1/incidents/${id}/steps`)),
      optional(getJSON(`/api/v1/incidents/${id}/duplicates`)),
    ]);
  } catch (err) {
    console.warn('case', id, err.message);
    return;
  }
  if (seq !== detailSeq) return;
  const keepForm = state.form;
  state.detail = { incident, flow, duplicates, lookup: state.detail?.incident?.id === id ? state.detail.lookup : null };
  renderDetail();
  if (keepForm && nextSteps().includes(keepForm) && $('step-form').hidden) openForm(keepForm);
  state.seq.detail++;
  // Where it is: the grid chain (its village) and the open cases there.
  let lookup = state.detail.lookup;
  if (!lookup && incident.grid) {
    lookup = await getJSON(`/api/v1/lookup?lon=${incident.lon}&lat=${incident.lat}`).catch(() => null);
    if (seq !== detailSeq) return;
    state.detail.lookup = lookup;
    renderDetail();
  }
  const village = lookup?.chain?.find((g) => g.level === 'village')?.code ?? incident.grid?.code;
  let nearby = null;
  if (village) {
    nearby = await getJSON(`/api/v1/incidents?format=geojson&status=open&limit=500&grid=${encodeURIComponent(village)}`).catch(() => null);
    if (seq !== detailSeq) return;
  }
  await showCase(incident, nearby);
}

async function refreshOpen() {
  if (state.openId) await openCase(state.openId);
}

// ---------- live ----------

let liveTimer = null;
function connectEvents() {
  if (!state.live) return setLive('offline');
  const on = (ev) => {
    // Many events, one reload of the queue.
    clearTimeout(liveTimer);
    liveTimer = setTimeout(loadQueue, 800);
    if (ev.id && ev.id === state.openId && !state.form) refreshOpen();
  };
  openEvents({ handlers: { incident: on, status: on, step: on, resync: on }, onState: setLive });
}

function setLive(s) {
  const el = $('live');
  el.dataset.state = s;
  el.textContent = t({ live: 'live', connecting: 'connecting', offline: state.live ? 'offline' : 'liveOff' }[s]);
}

// ---------- controls ----------

function bindFilters() {
  const form = $('filters');
  form.onsubmit = (e) => e.preventDefault();
  form.onchange = () => {
    const f = state.filters;
    for (const k of ['status', 'department', 'village', 'category', 'source', 'sort']) f[k] = form.elements[k].value;
    f.overdue = form.elements.overdue.checked;
    f.supervised = form.elements.supervised.checked;
    saveURL();
    loadQueue();
  };
}

function bindQueue() {
  const ol = $('queue');
  ol.onclick = (e) => {
    const li = e.target.closest('li[data-id]');
    if (!li) return;
    ol.focus();
    openCase(Number(li.dataset.id));
  };
}

function bindKeys() {
  document.addEventListener('keydown', (e) => {
    const tag = e.target.tagName;
    // The map pans with the arrows when it has the focus.
    if (e.key.startsWith('Arrow') && e.target.closest?.('#map')) return;
    const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(tag) || e.target.isContentEditable;
    const action = keyAction(e, {
      typing, form: !!state.form, photo: !$('lightbox').hidden, actions: nextSteps().length,
      onButton: tag === 'BUTTON' || tag === 'A' || (tag === 'LABEL' && e.target.classList.contains('btn')),
    });
    if (!action) return;
    if (action.type === 'close') {
      if (closePhoto()) return e.preventDefault();
      if (state.form) {
        e.preventDefault();
        closeForm();
        $('queue').focus();
      } else if (typing) {
        e.target.blur();
      }
      return;
    }
    if (closePhoto() && action.type !== 'help') return e.preventDefault();
    e.preventDefault();
    switch (action.type) {
      case 'move': {
        const id = moveIn(state.items.map((c) => c.id), state.selectedId, action.delta);
        if (id) select(id);
        $('queue').focus({ preventScroll: true });
        break;
      }
      case 'open':
        if (state.selectedId) openCase(state.selectedId);
        break;
      case 'action':
        openForm(nextSteps()[action.index]);
        break;
      case 'filters':
        $('f-status').focus();
        break;
      case 'help':
        document.querySelector('.keys').animate?.([{ background: '#fde68a' }, { background: 'transparent' }], 1200);
        break;
    }
  });
  $('lightbox').querySelector('button').onclick = closePhoto;
}

function applyLang() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.title = t('deskTitle');
  $('lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
  renderWho();
  setLive($('live').dataset.state);
  renderFilters();
  renderQueue();
  const form = state.form;
  renderDetail();
  if (form) openForm(form);
}

function renderWho() {
  const w = state.who;
  const dept = w?.department ? state.departments.find((d) => d.code === w.department) : null;
  $('who').textContent = w?.authenticated
    ? [label('role', w.role, state.lang), dept ? (state.lang === 'zh' ? dept.name_zh : dept.name_en) : w.department, w.name].filter(Boolean).join(' · ')
    : t('whoAnon');
}

function clock() {
  $('clock').textContent = new Date().toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai', hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  });
}

// ---------- start ----------

async function loadLists() {
  const [who, deps, cats, villages] = await Promise.all([
    getJSON('/api/v1/whoami').catch(() => null),
    getJSON('/api/v1/departments').catch(() => null),
    getJSON('/api/v1/categories').catch(() => null),
    getJSON('/api/v1/grids?level=village').catch(() => null),
  ]);
  state.who = who;
  state.departments = (Array.isArray(deps) ? deps : deps?.departments) ?? [];
  state.categories = (Array.isArray(cats) ? cats : cats?.categories) ?? [];
  state.villages = (villages?.features ?? []).map((f) => ({ code: f.properties.code, name: f.properties.name }));
}

async function start() {
  configureToken({ t });
  bindFilters();
  bindQueue();
  bindKeys();
  $('lang').onclick = () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    saveURL();
    applyLang();
  };
  clock();
  setInterval(clock, 10_000);
  configureDetail({
    afterStep: async (id) => {
      await Promise.all([openCase(id), loadQueue()]);
      await settled();
      state.seq.steps++;
    },
  });
  applyLang();
  // The incidents need a token: the first read asks for one when missing.
  await loadQueue();
  await loadLists();
  applyLang();
  if (!state.selectedId && state.items.length) select(state.items[0].id);
  $('queue').focus();
  startMap('map', { onPick: (id) => openCase(id) }).then((ok) => {
    if (!ok) $('map-error').hidden = false;
  });
  const open = Number(new URLSearchParams(location.search).get('case'));
  if (open > 0) await openCase(open);
  connectEvents();
  setInterval(() => renderQueue(), 60_000); // due times count down
}

// Hooks for the browser test and people at a console.
window.desk = {
  state,
  mapState,
  openCase,
  loadQueue,
  ready: start().catch((err) => {
    console.error('desk failed to start:', err);
    throw err;
  }),
};
