// The detail column: the open case's head (what, where, who has it, when
// it is due), the actions the caller may take now with one form each, the
// step timeline with photos, and the possible duplicates.
import { state } from './state.js';
import { label } from './labels.js';
import { FIELDS, chinaLocal, defaultDeadline, nextWednesday, validateStep } from './validate.js';
import { attachmentURLs, blobURL, departmentPeople, send, ApiError } from './api.js';
import { caseStatus, categoryLabel, departmentLabel, dueText, statusLabel } from './queueview.js';
import { format, strings } from './strings.js';

const $ = (id) => document.getElementById(id);
const t = (key) => strings[state.lang][key] ?? key;
const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids.filter((k) => k !== null && k !== undefined && k !== false));
  return e;
};

let hooks = { afterStep: async () => {} };
export function configureDetail(h) {
  hooks = { ...hooks, ...h };
}

export function fmtTime(iso, withYear = false) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai', hour12: false, ...(withYear ? { year: 'numeric' } : {}), month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  });
}
const fmtDate = (iso) => (iso ? new Date(iso).toLocaleDateString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' }) : '');

// nextSteps is the steps the caller may take now, from the steps answer.
export function nextSteps() {
  return (state.detail?.flow?.next ?? []).map((x) => (typeof x === 'string' ? x : x.step)).filter((s) => FIELDS[s]);
}

export function renderDetail() {
  const d = state.detail;
  $('pick').hidden = !!d;
  $('case').hidden = !d;
  if (!d) return;
  const inc = d.incident;
  const flow = d.flow ?? {};
  const statusName = flow.case_status ?? caseStatus(inc);
  $('c-title').textContent = `${t('caseNo')} #${inc.id} · ${categoryLabel(inc.category)}`;
  const chip = $('c-status');
  chip.dataset.status = statusName;
  chip.textContent = flow.case_status ? label('status', flow.case_status, state.lang) : statusLabel(inc);
  const overdue = flow.overdue || inc.overdue;
  const supervised = (flow.supervised ?? inc.supervised) > 0;
  $('c-tags').replaceChildren(
    ...(overdue ? [el('span', { class: 'tag late' }, t('overdueTag'))] : []),
    ...(supervised ? [el('span', { class: 'tag sup' }, t('supervisedTag'))] : []),
  );
  const due = flow.due?.by ?? inc.due?.by;
  const dueStep = flow.due?.step ?? inc.due?.step;
  const village = d.lookup?.chain?.find((g) => g.level === 'village');
  const grid = [inc.grid?.name, village?.name].filter(Boolean).join(' · ') || t('unassigned');
  const rows = [
    [t('reportedAt'), fmtTime(inc.reported_at, true)],
    [t('source'), t('sources')[inc.source] ?? inc.source],
    [t('grid'), grid],
    [t('department'), departmentLabel(flow.department ?? inc.department) || '—'],
    [t('person'), flow.person ?? inc.person ?? '—'],
    [dueStep ? format(t('dueStep'), { step: label('step', dueStep, state.lang) }) : t('deadline'),
      due || inc.deadline ? `${fmtTime(due ?? inc.deadline, true)}  ${dueText(Date.parse(due ?? inc.deadline))}` : '—'],
  ];
  $('c-meta').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const priv = [];
  if (inc.description) priv.push(t('description') + t('colon') + inc.description);
  if (inc.reporter?.name || inc.reporter?.phone) priv.push(t('reporter') + t('colon') + [inc.reporter.name, inc.reporter.phone].filter(Boolean).join(' '));
  $('c-private').textContent = priv.join('\n');
  renderActions();
  renderTimeline();
  renderDuplicates();
}

function renderActions() {
  const next = nextSteps();
  const box = $('actions');
  if (next.length === 0) {
    box.replaceChildren(el('p', { class: 'muted' }, t('noActions')));
  } else {
    box.replaceChildren(...next.map((s, i) => {
      const b = el('button', { type: 'button', class: 'btn', dataset: { step: s } }, el('kbd', {}, String(i + 1)), label('step', s, state.lang));
      b.setAttribute('aria-pressed', String(state.form === s));
      b.onclick = () => openForm(s);
      return b;
    }));
  }
  if (state.form && !next.includes(state.form)) closeForm();
}

// ---------- the step form ----------

export function openForm(step) {
  state.form = step;
  state.photos = [];
  const form = $('step-form');
  form.replaceChildren(...formFields(step));
  form.hidden = false;
  form.dataset.step = step;
  for (const b of $('actions').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.step === step));
  form.onsubmit = (e) => {
    e.preventDefault();
    submit(step);
  };
  form.querySelector('input, select, textarea, button')?.focus();
}

export function closeForm() {
  state.form = null;
  state.photos = [];
  const form = $('step-form');
  form.hidden = true;
  form.replaceChildren();
  for (const b of $('actions').querySelectorAll('button')) b.setAttribute('aria-pressed', 'false');
}

function formFields(step) {
  const out = [];
  const now = new Date();
  // A consult needs its decision or a Wednesday: said above the two.
  if (step === 'consult') out.push(el('p', { class: 'muted hint' }, t('vConsult')));
  for (const f of FIELDS[step]) {
    const id = `sf-${f.name}`;
    const lab = el('label', { for: id, class: f.required ? 'req' : '' }, t(f.name));
    let input;
    switch (f.kind) {
      case 'select': {
        input = el('select', { id, name: f.name }, el('option', { value: '' }, t('deptNone')),
          ...state.departments.map((d) => el('option', { value: d.code }, state.lang === 'zh' ? d.name_zh : d.name_en)));
        input.value = state.detail?.flow?.department ?? state.detail?.incident?.department ?? '';
        if (input.value && !state.departments.some((d) => d.code === input.value)) input.value = '';
        input.onchange = () => fillPeople(input.value);
        break;
      }
      case 'text':
        input = el('input', { id, name: f.name, type: 'text', maxlength: '200', ...(f.name === 'person' ? { list: 'sf-people' } : {}) });
        break;
      case 'datetime':
        input = el('input', { id, name: f.name, type: 'datetime-local', min: chinaLocal(now) });
        input.value = defaultDeadline(now, step === 'supervise' ? 2 : 5);
        break;
      case 'date':
        input = el('input', { id, name: f.name, type: 'date', min: nextWednesday(now), step: '7' });
        break;
      case 'choice':
        input = el('div', { id, class: 'choices', role: 'radiogroup' }, ...f.choices.map((c) => el('label', {},
          el('input', { type: 'radio', name: f.name, value: c }), ' ', label('outcome', c, state.lang))));
        break;
      case 'photos':
        input = photoField(id);
        break;
      default:
        input = el('textarea', { id, name: f.name, rows: '2' });
    }
    const cell = el('div', { dataset: { field: f.name } }, input, el('div', { class: 'err', id: `${id}-err` }));
    out.push(lab, cell);
    if (f.required && f.kind !== 'choice' && f.kind !== 'photos') input.setAttribute('aria-required', 'true');
  }
  out.push(el('datalist', { id: 'sf-people' }));
  out.push(el('p', { class: 'problem', role: 'alert' }));
  out.push(el('div', { class: 'buttons' },
    el('button', { type: 'submit', class: 'btn primary' }, t('submit')),
    Object.assign(el('button', { type: 'button', class: 'btn' }, t('cancel')), { onclick: closeForm }),
    el('span', { class: 'muted sending' })));
  queueMicrotask(() => fillPeople($('sf-department')?.value));
  return out;
}

// fillPeople offers the people of a department (its head first) as the
// person's choices, from GET /api/v1/departments/{code}/members; the field
// still takes any typed name, as when the list is empty.
async function fillPeople(code) {
  const list = $('sf-people');
  if (!list) return;
  list.replaceChildren();
  if (!code) return;
  const d = state.departments.find((d) => d.code === code);
  if (d && !d.members) d.members = await departmentPeople(code);
  // The department may have changed while its people loaded.
  if ($('sf-people') !== list || $('sf-department')?.value !== code) return;
  const people = (d?.members ?? []).map((m) => (typeof m === 'string' ? { name: m } : m)).filter((m) => m.name);
  list.replaceChildren(...people.map((m) => el('option', { value: m.name },
    [m.role ? t(m.role === 'head' ? 'memberHead' : 'memberStaff') : '', m.phone ?? ''].filter(Boolean).join(' · '))));
}

function photoField(id) {
  const file = el('input', { id, type: 'file', accept: 'image/jpeg,image/png,image/webp', multiple: true, class: 'sr-only' });
  const pick = el('label', { for: id, class: 'btn', tabindex: '0' }, t('upload'));
  pick.onkeydown = (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      file.click();
    }
  };
  const box = el('div', { class: 'photos', id: 'sf-photos' }, pick, file);
  file.onchange = async () => {
    const files = [...file.files];
    file.value = '';
    const err = $(`${id}-err`);
    err.textContent = '';
    for (const f of files) {
      const fig = el('figure', {}, el('span', { class: 'muted' }, t('uploading')));
      box.insertBefore(fig, pick);
      try {
        const a = await send('POST', '/api/v1/attachments', f);
        const aid = a.id ?? a.sha256;
        state.photos.push({ id: aid });
        const img = el('img', { alt: f.name, title: t('photoOpen'), dataset: { id: aid } });
        img.src = URL.createObjectURL(f);
        img.onclick = () => openPhoto(aid);
        const rm = el('button', { type: 'button', class: 'btn', title: t('removePhoto') }, '×');
        rm.onclick = () => {
          state.photos = state.photos.filter((p) => p.id !== aid);
          fig.remove();
        };
        fig.replaceChildren(img, rm);
        // The thumbnail the server made, once it answers.
        const thumb = a.thumbnail_url ?? a.thumbnail ?? attachmentURLs(aid).thumb;
        blobURL(thumb).then((u) => (img.src = u)).catch(() => {});
      } catch (e) {
        fig.remove();
        err.textContent = t('uploadFailed') + e.message;
      }
    }
  };
  return box;
}

function formValues(step) {
  const form = $('step-form');
  const v = {};
  for (const f of FIELDS[step]) {
    if (f.kind === 'photos') v[f.name] = state.photos.map((p) => p.id);
    else if (f.kind === 'choice') v[f.name] = form.querySelector(`input[name="${f.name}"]:checked`)?.value ?? '';
    else v[f.name] = form.elements[f.name]?.value ?? '';
  }
  return v;
}

async function submit(step) {
  const form = $('step-form');
  const { errors, body } = validateStep(step, formValues(step), new Date());
  for (const f of FIELDS[step]) {
    const msg = errors[f.name] ? t(errors[f.name]) : '';
    const err = $(`sf-${f.name}-err`);
    if (err) err.textContent = msg;
    form.querySelector(`#sf-${f.name}`)?.setAttribute('aria-invalid', String(!!msg));
  }
  const problem = form.querySelector('.problem');
  problem.textContent = '';
  if (!body) {
    const first = FIELDS[step].find((f) => errors[f.name]);
    form.querySelector(`[data-field="${first?.name}"] input, [data-field="${first?.name}"] select, [data-field="${first?.name}"] textarea, [data-field="${first?.name}"] label`)?.focus();
    return;
  }
  const id = state.openId;
  const buttons = form.querySelectorAll('button');
  buttons.forEach((b) => (b.disabled = true));
  form.querySelector('.sending').textContent = t('sending');
  try {
    await send('POST', `/api/v1/incidents/${id}/steps`, body);
    closeForm();
    $('step-done').textContent = format(t('done'), { step: label('step', step, state.lang) });
    await hooks.afterStep(id);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    problem.textContent = e.message;
    buttons.forEach((b) => (b.disabled = false));
    form.querySelector('.sending').textContent = '';
  }
}

// ---------- timeline ----------

function renderTimeline() {
  const steps = state.detail?.flow?.steps ?? [];
  const ol = $('timeline');
  if (steps.length === 0) {
    ol.replaceChildren(el('li', { class: 'muted' }, t('noSteps')));
    return;
  }
  ol.replaceChildren(...steps.map((s) => {
    const a = s.actor ?? {};
    const who = [a.person, label('role', a.role, state.lang), departmentLabel(a.department)].filter(Boolean).join(' · ');
    let what = label('step', s.step, state.lang);
    if (s.outcome) what += ` · ${label('outcome', s.outcome, state.lang)}`;
    const lines = [];
    const line = (key, v) => lines.push(t(key) + t('colon') + v);
    if (s.department || s.person) line('department', `${departmentLabel(s.department)} ${s.person ?? ''}`.trim());
    if (s.deadline) line('deadline', fmtTime(s.deadline, true));
    if (s.decision) line('decision', s.decision);
    if (s.agenda) line('agenda', fmtDate(s.agenda));
    if (s.reason) line('reason', s.reason);
    if (s.note) lines.push(s.note);
    const li = el('li', { dataset: { step: s.step, seq: String(s.seq) } },
      el('div', {}, el('span', { class: 'when' }, fmtTime(s.at, true)), ' ', el('span', { class: 'what' }, what), el('span', { class: 'who' }, who)),
      lines.length ? el('div', { class: 'fields' }, lines.join('\n')) : null);
    const ids = (s.attachments ?? []).map((x) => (typeof x === 'string' ? x : x.id ?? x.sha256));
    if (ids.length) {
      const thumbs = el('div', { class: 'thumbs' });
      for (const aid of ids) {
        const img = el('img', { alt: t('attachments'), dataset: { id: aid } });
        const b = el('button', { type: 'button', title: t('photoOpen') }, img);
        b.onclick = () => openPhoto(aid);
        blobURL(attachmentURLs(aid).thumb).then((u) => (img.src = u)).catch(() => (img.alt = '⚠'));
        thumbs.append(b);
      }
      li.append(thumbs);
    }
    return li;
  }));
}

// openPhoto shows an attachment large; Esc or a click closes it.
export async function openPhoto(aid) {
  const box = $('lightbox');
  const img = box.querySelector('img');
  img.removeAttribute('src');
  img.dataset.id = aid;
  box.hidden = false;
  box.querySelector('button').focus();
  box.onclick = (e) => {
    if (e.target !== img) closePhoto();
  };
  try {
    img.src = await blobURL(attachmentURLs(aid).full);
  } catch (e) {
    img.alt = e.message;
  }
}

export function closePhoto() {
  const box = $('lightbox');
  if (box.hidden) return false;
  box.hidden = true;
  return true;
}

// ---------- duplicates ----------

function renderDuplicates() {
  const d = state.detail;
  const ul = $('dups');
  // link: "main" (this case is its duplicate), "duplicate" (it is this
  // case's duplicate), "" (possible, not linked).
  const list = d?.duplicates?.duplicates ?? [];
  const linkedToMain = list.some((c) => c.link === 'main');
  const rows = list.map((c) => {
    const dist = c.distance_m !== undefined ? ` · ${Math.round(c.distance_m)} m` : '';
    const li = el('li', { dataset: { id: String(c.id), link: c.link ?? '' } },
      el('span', {}, `#${c.id} ${categoryLabel(c.category)} · ${c.grid?.name ?? ''} · ${fmtTime(c.reported_at)}${dist} · ${label('public', c.status, state.lang)}`));
    if (c.link === 'main') {
      li.append(el('span', { class: 'chip' }, t('dupMain')));
    } else if (c.link === 'duplicate') {
      li.append(el('span', { class: 'chip' }, t('dupOf')));
    } else if (canLink()) {
      // The earlier report is the main case: a later one is linked to
      // this case, this case to an earlier one (once).
      const later = Date.parse(c.reported_at) > Date.parse(d.incident.reported_at) || (c.reported_at === d.incident.reported_at && c.id > d.incident.id);
      if (later || !linkedToMain) {
        const [dup, main] = later ? [c.id, d.incident.id] : [d.incident.id, c.id];
        const b = el('button', { type: 'button', class: 'btn' }, format(t(later ? 'linkHere' : 'linkAsMain'), { id: c.id }));
        b.onclick = async () => {
          b.disabled = true;
          try {
            await send('POST', `/api/v1/incidents/${dup}/duplicate-of`, { main });
            await hooks.afterStep(d.incident.id);
          } catch (e) {
            b.disabled = false;
            li.append(el('span', { class: 'err', role: 'alert' }, e.message));
          }
        };
        li.append(b);
      }
    }
    return li;
  });
  if (rows.length === 0) rows.push(el('li', { class: 'muted' }, t('noDuplicates')));
  ul.replaceChildren(...rows);
}

const canLink = () => ['dispatcher', 'admin'].includes(state.who?.role);
