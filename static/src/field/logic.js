// Pure rules of the field app (/field), tested with node --test
// (test/unit/field-logic.test.mjs): thinning GPS positions, cutting a
// patrol into upload pieces, the size a photo is shrunk to, the outbox
// that sends queued reports and pieces once, and the distance from a
// position to a grid's border. No DOM, no IndexedDB here.

const R = 6371008.8; // mean Earth radius, metres
const rad = (d) => (d * Math.PI) / 180;

// metres is the great-circle distance between [lon, lat] points a and b.
export function metres(a, b) {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

// THIN: a position is kept when it is at least minMetres from the last
// kept one, or maxSeconds after it (a worker standing still still shows
// they were there); positions worse than maxAccuracy metres are dropped
// (the server would flag them: issue 15 says 100 m).
export const THIN = { minMetres: 10, maxSeconds: 60, maxAccuracy: 100 };

// keepPosition says whether p ({lon, lat, t: unix seconds, acc: metres})
// is kept after last (the last kept position, or null).
export function keepPosition(last, p, o = THIN) {
  if (!Number.isFinite(p.lon) || !Number.isFinite(p.lat) || !Number.isFinite(p.t)) return false;
  if (Number.isFinite(p.acc) && p.acc > o.maxAccuracy) return false;
  if (!last) return true;
  if (p.t <= last.t) return false; // out of order or repeated
  return metres([last.lon, last.lat], [p.lon, p.lat]) >= o.minMetres || p.t - last.t >= o.maxSeconds;
}

// thin keeps the positions of ps that keepPosition keeps, in order.
export function thin(ps, o = THIN) {
  const out = [];
  for (const p of ps) if (keepPosition(out.at(-1) ?? null, p, o)) out.push(p);
  return out;
}

// PIECE_POINTS is how many kept positions make an upload piece: a piece
// is sent when it is full and when the patrol stops.
export const PIECE_POINTS = 30;

// pieceBody is the worklog API's piece of positions ps, with its id
// (patrol id and piece number: a resend is stored once). A piece repeats
// the previous piece's last position first, so the track has no gap.
export function pieceBody(patrolId, n, ps) {
  return { id: `${patrolId}-${n}`, points: ps.map((p) => (Number.isFinite(p.acc) ? [p.lon, p.lat, p.t, Math.round(p.acc * 10) / 10] : [p.lon, p.lat, p.t])) };
}

// chinaDay is the China-time date (YYYY-MM-DD) of unix seconds t: the day
// a work log is for.
export function chinaDay(t) {
  return new Date((t + 8 * 3600) * 1000).toISOString().slice(0, 10);
}

// fitSize is the size a photo of w×h pixels is shrunk to so that its long
// side is at most max (never enlarged).
export function fitSize(w, h, max = 1600) {
  const s = Math.min(1, max / Math.max(w, h));
  return [Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s))];
}

// ---------- outbox ----------

// Outbox sends queued items (reports, track pieces) in the order they
// were queued, each until the server has it. store is an async key-value
// store of items by item.id ({all(), put(item), delete(id)}); send(item)
// resolves with the server's answer or throws: a network error (no
// signal: the item stays and the flush stops) or an Error with .status
// (the server refused it: 4xx other than 408 and 429 keeps it aside with
// the reason, never sent again by itself; 5xx, 408 and 429 are tried
// again later). Every item carries its own id that the server keys on
// (external_id, piece id), so sending an item twice never stores it twice.
export class Outbox {
  constructor(store, send, { onSent, onChange } = {}) {
    this.store = store;
    this.send = send;
    this.onSent = onSent ?? (() => {});
    this.onChange = onChange ?? (() => {});
    this.running = null;
  }

  async add(item) {
    await this.store.put({ ...item, queuedAt: item.queuedAt ?? Date.now(), tries: 0, refused: null });
    this.onChange();
    return this.flush();
  }

  async pending() {
    return (await this.store.all()).filter((x) => !x.refused).sort((a, b) => a.queuedAt - b.queuedAt);
  }

  async refused() {
    return (await this.store.all()).filter((x) => x.refused);
  }

  // flush sends what is pending; one flush at a time (a second call waits
  // for the running one and then runs again). It resolves with
  // {sent, left, offline}.
  flush() {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let sent = 0;
      let offline = false;
      do {
        this.again = false;
        for (const item of await this.pending()) {
          let answer;
          try {
            answer = await this.send(item);
          } catch (err) {
            if (!Number.isInteger(err?.status)) {
              offline = true; // no signal: try the rest later, in order
              break;
            }
            const retry = err.status >= 500 || err.status === 408 || err.status === 429;
            await this.store.put({ ...item, tries: item.tries + 1, refused: retry ? null : String(err.message ?? err.status) });
            this.onChange();
            if (retry) {
              offline = true;
              break;
            }
            continue;
          }
          await this.store.delete(item.id);
          sent++;
          await this.onSent(item, answer);
          this.onChange();
        }
      } while (this.again && !offline);
      const left = (await this.pending()).length;
      return { sent, left, offline };
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}

// memoryStore is an Outbox store in memory (for tests, and for a browser
// without IndexedDB).
export function memoryStore() {
  const m = new Map();
  return {
    all: async () => [...m.values()].map((x) => structuredClone(x)),
    put: async (x) => void m.set(x.id, structuredClone(x)),
    delete: async (id) => void m.delete(id),
  };
}

// ---------- borders ----------

// Positions are [lon, lat]; distances are metres in a local equirectangular
// frame around the position (exact enough within a street office).
function local(origin) {
  const kx = (Math.PI / 180) * R * Math.cos(rad(origin[1]));
  const ky = (Math.PI / 180) * R;
  return (p) => [(p[0] - origin[0]) * kx, (p[1] - origin[1]) * ky];
}

function rings(geom) {
  if (!geom) return [];
  if (geom.type === 'Polygon') return geom.coordinates;
  if (geom.type === 'MultiPolygon') return geom.coordinates.flat();
  return [];
}

// inside reports whether [lon, lat] p is inside a Polygon or MultiPolygon
// (even-odd over every ring: holes count).
export function inside(geom, p) {
  let c = false;
  for (const ring of rings(geom)) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) c = !c;
    }
  }
  return c;
}

// borderMetres is the distance in metres from p to the nearest edge of geom.
export function borderMetres(geom, p) {
  const f = local(p);
  let best = Infinity;
  for (const ring of rings(geom)) {
    for (let i = 1; i < ring.length; i++) {
      const [ax, ay] = f(ring[i - 1]);
      const [bx, by] = f(ring[i]);
      const dx = bx - ax;
      const dy = by - ay;
      const len = dx * dx + dy * dy;
      const t = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
      best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
    }
  }
  return best;
}

// NEAR_BORDER is how close (metres) to a border the warning shows.
export const NEAR_BORDER = 30;

// nearBorder answers, for position p and the grids around it (features
// {properties: {code, name}, geometry}), the grid p is in and the nearest
// other grid within near metres: {here, neighbour, metres}; neighbour is
// null when no other grid is that close.
export function nearBorder(grids, p, near = NEAR_BORDER) {
  const here = grids.find((g) => inside(g.geometry, p)) ?? null;
  let neighbour = null;
  let best = Infinity;
  for (const g of grids) {
    if (g === here || (here && g.properties.code === here.properties.code)) continue;
    const d = inside(g.geometry, p) ? 0 : borderMetres(g.geometry, p);
    if (d < best) {
      best = d;
      neighbour = g;
    }
  }
  return best <= near ? { here, neighbour, metres: best } : { here, neighbour: null, metres: best };
}
