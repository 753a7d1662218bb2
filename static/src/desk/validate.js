// The fields of each step's form and their checks, as caseflow.Apply makes
// them (caseflow/caseflow.go, checkFields), so a form says what is missing
// before anything is sent; the server checks again and its problem detail
// is shown beside the form. Times typed are China Standard Time (+08:00),
// as the street works; they are sent as RFC 3339 with that offset. Pure:
// no DOM, the clock passed in.

// FIELDS lists each step's fields in form order: kind is the input
// (text: one line, textarea, select, datetime, date, choice, photos),
// required says when it must be given.
export const FIELDS = {
  register: [{ name: 'note', kind: 'textarea' }],
  reject: [{ name: 'reason', kind: 'textarea', required: true }, { name: 'note', kind: 'textarea' }],
  dispatch: [
    { name: 'department', kind: 'select', required: true },
    { name: 'person', kind: 'text', required: true },
    { name: 'deadline', kind: 'datetime', required: true },
    { name: 'note', kind: 'textarea' },
  ],
  investigate: [{ name: 'note', kind: 'textarea', required: true }],
  consult: [
    { name: 'decision', kind: 'textarea' },
    { name: 'agenda', kind: 'date' },
    { name: 'note', kind: 'textarea' },
  ],
  supervise: [{ name: 'deadline', kind: 'datetime', required: true }, { name: 'note', kind: 'textarea' }],
  resolve: [{ name: 'attachments', kind: 'photos', required: true }, { name: 'note', kind: 'textarea' }],
  review: [
    { name: 'outcome', kind: 'choice', choices: ['accept', 'send_back'], required: true },
    { name: 'reason', kind: 'textarea' },
    { name: 'note', kind: 'textarea' },
  ],
  reply: [{ name: 'note', kind: 'textarea', required: true }],
  revisit: [
    { name: 'outcome', kind: 'choice', choices: ['satisfied', 'basically_satisfied', 'not_satisfied'], required: true },
    { name: 'reason', kind: 'textarea' },
    { name: 'note', kind: 'textarea' },
  ],
  close: [{ name: 'note', kind: 'textarea' }],
};

// Limits of caseflow's text fields (gridmap.MaxName, gridmap.MaxText).
export const MAX_LINE = 200;
export const MAX_TEXT = 4000;

const CST = 8 * 3600e3;

// chinaDate is the China Standard Time calendar date of t, YYYY-MM-DD.
export function chinaDate(t) {
  return new Date(t.getTime() + CST).toISOString().slice(0, 10);
}

// chinaLocal is t as a datetime-local value in China Standard Time
// (YYYY-MM-DDTHH:MM).
export function chinaLocal(t) {
  return new Date(t.getTime() + CST).toISOString().slice(0, 16);
}

// fromChinaLocal reads a datetime-local value (or a date) typed in China
// Standard Time as RFC 3339 with +08:00; '' for anything else.
// (An agenda is sent as the date itself.)
export function fromChinaLocal(v) {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?::(\d{2}))?)?$/.exec(String(v ?? '').trim());
  if (!m) return '';
  const iso = `${m[1]}T${m[2] ?? '00:00'}:${m[3] ?? '00'}+08:00`;
  return Number.isNaN(Date.parse(iso)) ? '' : iso;
}

// weekday of a YYYY-MM-DD date: 0 Sunday … 3 Wednesday … 6 Saturday.
export function weekday(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

// nextWednesday is the first Wednesday on or after t's China date.
export function nextWednesday(t) {
  const d = chinaDate(t);
  const days = (3 - weekday(d) + 7) % 7;
  return chinaDate(new Date(Date.parse(d + 'T12:00:00+08:00') + days * 86400e3));
}

// defaultDeadline is days after now at 18:00 China time, as a
// datetime-local value: what a dispatch or supervision form proposes.
export function defaultDeadline(now, days) {
  return chinaDate(new Date(now.getTime() + days * 86400e3)) + 'T18:00';
}

// validateStep checks the values of step's form (strings; attachments an
// array of ids) at time now. It answers errors, {field: message key} (keys
// of the desk's strings), and body, the JSON to POST when there are none.
export function validateStep(step, values, now = new Date()) {
  const fields = FIELDS[step];
  if (!fields) return { errors: { step: 'vUnknownStep' }, body: null };
  const v = {};
  for (const f of fields) v[f.name] = f.kind === 'photos' ? [...(values[f.name] ?? [])] : String(values[f.name] ?? '').trim();
  const errors = {};
  const body = { step };
  for (const f of fields) {
    const x = v[f.name];
    const empty = Array.isArray(x) ? x.length === 0 : x === '';
    if (f.required && empty) {
      errors[f.name] = f.kind === 'photos' ? 'vPhotos' : f.kind === 'select' || f.kind === 'choice' ? 'vChoose' : 'vRequired';
      continue;
    }
    if (empty) continue;
    switch (f.kind) {
      case 'text':
        if ([...x].length > MAX_LINE || /[\n\r]/.test(x)) errors[f.name] = 'vLine';
        else body[f.name] = x;
        break;
      case 'textarea':
        if ([...x].length > MAX_TEXT) errors[f.name] = 'vLong';
        else body[f.name] = x;
        break;
      case 'choice':
        if (!f.choices.includes(x)) errors[f.name] = 'vChoose';
        else body[f.name] = x;
        break;
      case 'datetime': {
        const iso = fromChinaLocal(x);
        if (!iso) errors[f.name] = 'vTime';
        else if (Date.parse(iso) <= now.getTime()) errors[f.name] = 'vFuture';
        else body[f.name] = iso;
        break;
      }
      case 'date': {
        const iso = fromChinaLocal(x);
        if (!iso || x.length !== 10) errors[f.name] = 'vTime';
        else if (weekday(x) !== 3) errors[f.name] = 'vWednesday';
        else if (x < chinaDate(now)) errors[f.name] = 'vPast';
        else body[f.name] = x; // a date, China time, as the API takes it
        break;
      }
      default:
        body[f.name] = x;
    }
  }
  // The rules that join fields.
  if (step === 'consult' && !v.decision && !v.agenda && !errors.agenda) errors.decision = 'vConsult';
  if ((step === 'review' && v.outcome === 'send_back') || (step === 'revisit' && v.outcome === 'not_satisfied')) {
    if (!v.reason) errors.reason = 'vReason';
  }
  return Object.keys(errors).length ? { errors, body: null } : { errors, body };
}
