// The case desk's one state: what the page shows and the settings it was
// opened with. Modules read and change it and then call the render
// functions of the parts they touched; nothing else holds page state.
import { filtersFromURL, filtersToURL } from './queue.js';

const params = new URLSearchParams(location.search);

export const state = {
  lang: params.get('lang') === 'en' ? 'en' : 'zh',
  live: params.get('live') !== '0',
  filters: filtersFromURL(params),
  who: null, // /api/v1/whoami
  departments: [], // [{code, name_zh, name_en, kind, members?}]; members: its people, once loaded (detailview.js)
  categories: [], // [{name, label_zh, label_en}]
  villages: [], // [{code, name}]
  items: [], // the queue as listed, sorted
  more: false, // the listing has more than it shows
  queueError: '',
  selectedId: null, // the case highlighted in the queue
  openId: null, // the case shown in the detail
  detail: null, // {incident, flow, duplicates, lookup} of openId
  form: null, // the step whose form is open
  photos: [], // [{id, thumb}] uploaded for the open resolve form
  seq: { queue: 0, detail: 0, steps: 0 }, // completed loads, for tests
};

// saveURL keeps the filters, the language and the open case in the
// address, so a desk can be bookmarked as it is set up and a case passed
// on as a link.
export function saveURL() {
  const q = filtersToURL(state.filters, new URLSearchParams(location.search));
  if (state.lang !== 'zh') q.set('lang', state.lang);
  else q.delete('lang');
  if (state.openId) q.set('case', String(state.openId));
  else q.delete('case');
  const s = q.toString();
  history.replaceState(null, '', s ? '?' + s : location.pathname);
}
