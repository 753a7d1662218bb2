// The editor's HTTP calls: the grids and the draft plan's endpoints. Each
// sends the session's token (token.js; a 401 or 403 asks for one in the
// page) and returns the JSON answer; an error answer throws.

import { authFetch } from '../token.js';

// api sends a request and returns the JSON answer; an error answer throws
// an Error with its detail, and status and data (the problem) set.
export async function api(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await authFetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try {
    data = await resp.json();
  } catch {}
  if (!resp.ok) {
    const err = new Error(data?.detail || data?.title || `${method} ${url}: ${resp.status}`);
    err.status = resp.status;
    err.data = data;
    throw err;
  }
  return data;
}

// getGrids: the current grids of a level, a FeatureCollection.
export const getGrids = (level) => api('GET', `/api/v1/grids?level=${level}`);

// createPlan starts a draft plan: {id, …}.
export const createPlan = (title) => api('POST', '/api/v1/plans', { title, actor: '' });

export const getPlan = (id) => api('GET', `/api/v1/plans/${id}`);

// deleteChange takes change n (1-based) out of plan id.
export const deleteChange = (id, n) => api('DELETE', `/api/v1/plans/${id}/changes/${n}`);

// addChanges appends changes to plan id; the answer holds them as stored
// (a merge with the boundary the server joined).
export const addChanges = (id, changes) => api('POST', `/api/v1/plans/${id}/changes`, { changes });

export const validatePlan = (id) => api('GET', `/api/v1/plans/${id}/validate`);

export const planImpact = (id) => api('GET', `/api/v1/plans/${id}/impact`);

// publishPlan makes plan id the current map; a 409 carries the problems in
// err.data.extra.
export const publishPlan = (id) => api('POST', `/api/v1/plans/${id}/publish`, { actor: '' });

export const discardPlan = (id) => api('POST', `/api/v1/plans/${id}/discard`, { actor: '' });
