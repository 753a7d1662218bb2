// The live event stream (/api/v1/events, Server-Sent Events) of a page:
// one connection, its state for the page's indicator, and a retry after
// a refusal. EventSource reconnects by itself after a dropped connection
// (sending Last-Event-ID, so the server replays or says "resync"); it
// gives up only when the server refuses (no feed, restarting), and then
// this tries again after retryMs.

import { withAccessToken } from './token.js';

// openEvents connects and calls handlers[kind](event, kind) with each
// event's parsed data ({} when it is not JSON) and onState('connecting' |
// 'live' | 'offline') when the connection changes. It returns close().
export function openEvents({ handlers, onState = () => {}, retryMs = 30_000 }) {
  let source = null;
  let timer = null;
  let closed = false;
  const connect = () => {
    if (closed) return;
    onState('connecting');
    source = new EventSource(withAccessToken('/api/v1/events'));
    source.onopen = () => onState('live');
    for (const [kind, fn] of Object.entries(handlers)) {
      source.addEventListener(kind, (e) => {
        let data = {};
        try {
          data = JSON.parse(e.data) ?? {};
        } catch {}
        fn(data, kind);
      });
    }
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        onState('offline');
        source.close();
        timer = setTimeout(connect, retryMs);
      } else {
        onState('connecting');
      }
    };
  };
  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      source?.close();
    },
  };
}
