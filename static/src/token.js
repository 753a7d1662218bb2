// The access token of the pages (wall map and editor), for a server whose
// reads or writes need one. It is kept for the browser session
// (sessionStorage "gridmap.token": gone when the tab closes) and sent on
// every request to this server: fetches (authFetch), MapLibre's tiles
// (transformRequest) and the event stream (withAccessToken: EventSource
// cannot send headers, the server takes ?access_token= there). A 401 (no
// token, or one the server does not know) or 403 (a token whose role may
// not) shows a field in the page asking for one (askToken), never a
// prompt(); the request is then sent again with the token typed.

const KEY = 'gridmap.token';

let translate = (key) => key;
let pending = null; // the entry being shown: a Promise of the token typed (or null)

// configureToken gives the entry the page's translation function (keys of
// i18n.js strings).
export function configureToken({ t }) {
  translate = t;
}

export function getToken() {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return ''; // storage blocked: no token
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {}
}

const sameOrigin = (url) => new URL(url, location.href).origin === location.origin;

// transformRequest is MapLibre's Map option of that name: the token on
// tile and TileJSON requests to this server, none to another (a site's
// base map).
export function transformRequest(url) {
  const token = getToken();
  return token && sameOrigin(url) ? { url, headers: { Authorization: 'Bearer ' + token } } : { url };
}

// withAccessToken is url with ?access_token= when there is a token.
export function withAccessToken(url) {
  const token = getToken();
  if (!token) return url;
  const u = new URL(url, location.href);
  u.searchParams.set('access_token', token);
  return u.pathname + u.search;
}

// authFetch is fetch with the token; on 401 or 403 from this server it
// asks for a token in the page and sends the request again with it. It
// answers the refusal itself when the entry is cancelled.
export async function authFetch(url, opts = {}) {
  for (;;) {
    const sent = getToken();
    const headers = new Headers(opts.headers);
    if (sent && sameOrigin(url)) headers.set('Authorization', 'Bearer ' + sent);
    const resp = await fetch(url, { ...opts, headers });
    if ((resp.status !== 401 && resp.status !== 403) || !sameOrigin(url)) return resp;
    if (getToken() !== sent) continue; // another request got a token meanwhile
    let detail = '';
    try {
      detail = (await resp.clone().json()).detail ?? '';
    } catch {}
    const reason = resp.status === 403 ? 'tokenForbidden' : sent ? 'tokenRejected' : 'tokenNeeded';
    if (!(await askToken(reason, detail))) return resp;
  }
}

// askToken shows the token entry with why it is needed (reason: a key of
// the strings; detail: the server's words) and resolves with the token
// typed, stored for the session, or null when cancelled. Requests that
// are refused while it is shown wait for the same answer.
export function askToken(reason, detail = '') {
  const form = entry();
  form.dataset.reason = reason;
  const why = form.querySelector('.token-why');
  why.dataset.i18n = reason;
  why.textContent = translate(reason);
  form.querySelector('.token-detail').textContent = detail;
  form.hidden = false;
  const input = form.querySelector('input');
  input.value = '';
  input.focus();
  if (!pending) {
    pending = new Promise((resolve) => {
      const done = (token) => {
        form.hidden = true;
        form.onsubmit = null;
        form.querySelector('.token-cancel').onclick = null;
        pending = null;
        resolve(token);
      };
      form.onsubmit = (e) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        setToken(token);
        done(token);
      };
      form.querySelector('.token-cancel').onclick = () => done(null);
    });
  }
  return pending;
}

// entry returns the token form, made once; its texts carry data-i18n, so
// the page's language switch translates them with the rest.
function entry() {
  let form = document.getElementById('token-form');
  if (form) return form;
  form = document.createElement('form');
  form.id = 'token-form';
  form.className = 'token-entry';
  form.hidden = true;
  form.setAttribute('role', 'dialog');
  form.setAttribute('aria-labelledby', 'token-title');
  form.innerHTML = `
    <h2 id="token-title" data-i18n="tokenTitle"></h2>
    <p class="token-why"></p>
    <p class="token-detail muted"></p>
    <label for="token-input" data-i18n="tokenLabel"></label>
    <div class="token-row">
      <input id="token-input" name="token" type="password" autocomplete="off" spellcheck="false" placeholder="gm_…">
      <button type="submit" class="btn primary" data-i18n="tokenUse"></button>
      <button type="button" class="btn token-cancel" data-i18n="tokenCancel"></button>
    </div>
    <p class="muted" data-i18n="tokenNote"></p>`;
  for (const el of form.querySelectorAll('[data-i18n]')) el.textContent = translate(el.dataset.i18n);
  document.body.append(form);
  return form;
}
