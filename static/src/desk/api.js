// The desk's requests: reads through token.js's authFetch (a 401 or 403
// asks for a token in the page), writes with the token but without that
// retry on 403, because a 403 from a step (another department's case) is
// an answer to show beside the form, not a reason to change tokens.
import { askToken, authFetch, getToken } from '../token.js';

// ApiError carries the problem+json of a refused request.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function problemOf(resp) {
  try {
    return await resp.json();
  } catch {
    return { detail: `${resp.status} ${resp.statusText}` };
  }
}

export async function getJSON(url) {
  const resp = await authFetch(url);
  if (!resp.ok) throw new ApiError(resp.status, await problemOf(resp));
  return resp.json();
}

// send makes a write (method, url, body: an object sent as JSON, or a
// Blob sent as it is) and answers its JSON; a refusal throws ApiError with
// the problem. A 401 asks for a token and sends again. extra: more
// headers (If-Match).
export async function send(method, url, body, extra) {
  for (;;) {
    const sent = getToken();
    const headers = new Headers(extra);
    if (sent) headers.set('Authorization', 'Bearer ' + sent);
    let data = body;
    if (body instanceof Blob) {
      headers.set('Content-Type', body.type || 'application/octet-stream');
    } else if (body !== undefined) {
      headers.set('Content-Type', 'application/json');
      data = JSON.stringify(body);
    }
    const resp = await fetch(url, { method, headers, body: data });
    if (resp.status === 401 && getToken() === sent) {
      const p = await problemOf(resp);
      if (await askToken(sent ? 'tokenRejected' : 'tokenNeeded', p.detail ?? '')) continue;
      throw new ApiError(401, p);
    }
    if (!resp.ok) throw new ApiError(resp.status, await problemOf(resp));
    return resp.status === 204 ? null : resp.json();
  }
}

// blobURL fetches an image that needs the token (attachments are personal
// data) and answers an object URL for an <img>; kept per URL. A refusal
// (a photo of a case out of the token's reach) is the image's error, not
// a reason to ask for another token.
const blobs = new Map();
export function blobURL(url) {
  if (!blobs.has(url)) {
    const token = getToken();
    const p = fetch(url, { headers: token ? { Authorization: 'Bearer ' + token } : {} }).then(async (resp) => {
      if (!resp.ok) throw new ApiError(resp.status, await problemOf(resp));
      return URL.createObjectURL(await resp.blob());
    });
    p.catch(() => blobs.delete(url));
    blobs.set(url, p);
  }
  return blobs.get(url);
}

// departmentPeople answers the people of a department whose names the
// token reads in full ([] when masked or refused: a masked name is no one
// to give a case to), kept per token and department. A refusal asks for
// no token: the person field still takes a typed name.
const people = new Map();
export function departmentPeople(code) {
  const token = getToken();
  const key = `${token}\n${code}`;
  if (!people.has(key)) {
    const forget = () => {
      people.delete(key);
      return [];
    };
    const p = fetch(`/api/v1/departments/${encodeURIComponent(code)}/members`, { headers: token ? { Authorization: 'Bearer ' + token } : {} })
      .then(async (resp) => {
        if (!resp.ok) return forget();
        const j = await resp.json();
        return j?.personal_data === 'full' && Array.isArray(j.members) ? j.members : [];
      })
      .catch(forget);
    people.set(key, p);
  }
  return people.get(key);
}

// attachmentURLs names an attachment's photo and thumbnail by its id.
export function attachmentURLs(id) {
  const base = '/api/v1/attachments/' + encodeURIComponent(id);
  return { full: base, thumb: base + '/thumbnail' };
}
