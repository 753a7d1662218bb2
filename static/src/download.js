// saveFetched downloads url with the page's token (a plain link cannot
// send the Authorization header) and saves it as filename from a blob.
// A refusal throws an Error with the server's detail.
import { authFetch } from './token.js';

export async function saveFetched(url, filename) {
  const r = await authFetch(url);
  if (!r.ok) {
    const p = await r.json().catch(() => ({}));
    throw new Error(p.detail || p.title || `HTTP ${r.status}`);
  }
  const href = URL.createObjectURL(await r.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}
