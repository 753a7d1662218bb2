// Steps the editor's browser tests share: open /editor, fit the map to
// grids, turn coordinates into mouse positions, wait for validation, and a
// few geometry helpers of their own (not the page's, so the page is checked
// against something independent).

export async function openEditor(page, base, check) {
  await page.goto(base + '/editor');
  await page.waitForFunction(() => window.__editor?.ready && window.__editor.codes().length > 0, null, { timeout: 60_000 });
  check('editor loads the micro-grids', true);
}

// fit zooms the map to the grids codes (current or planned), leaving room
// for the side panel.
export async function fit(page, codes) {
  await page.evaluate((codes) => {
    const ed = window.__editor;
    const b = [[180, 90], [-180, -90]];
    for (const c of codes) {
      const g = (ed.planned(c) ?? ed.grid(c)).geometry;
      for (const poly of g.type === 'Polygon' ? [g.coordinates] : g.coordinates) {
        for (const p of poly[0]) {
          b[0][0] = Math.min(b[0][0], p[0]);
          b[0][1] = Math.min(b[0][1], p[1]);
          b[1][0] = Math.max(b[1][0], p[0]);
          b[1][1] = Math.max(b[1][1], p[1]);
        }
      }
    }
    ed.map.fitBounds(b, { padding: { top: 120, bottom: 80, left: 80, right: 480 }, duration: 0 });
  }, codes);
  await page.waitForFunction(() => window.__editor.map.loaded() && !window.__editor.map.isMoving(), null, { timeout: 20_000 });
}

// screen returns the mouse position of [lon, lat].
export function screen(page, p) {
  return page.evaluate((p) => {
    const s = window.__editor.map.project(p);
    const r = window.__editor.map.getCanvas().getBoundingClientRect();
    return { x: r.left + s.x, y: r.top + s.y };
  }, p);
}

// drag moves the mouse from a to b ([lon, lat]) with the button down.
export async function drag(page, a, b) {
  const from = await screen(page, a);
  const to = await screen(page, b);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(from.x + ((to.x - from.x) * i) / 12, from.y + ((to.y - from.y) * i) / 12);
  await page.mouse.up();
}

export const seq = (page) => page.evaluate(() => window.__editor.seq);

// validated waits for a validation after seq s and for the queue to drain.
export async function validated(page, s) {
  await page.waitForFunction((s) => window.__editor.seq > s, s, { timeout: 30_000 });
  await page.evaluate(() => window.__editor.idle());
}

export const statusOf = (page) => page.evaluate(() => ({ kind: document.querySelector('#status').dataset.kind, text: document.querySelector('#status').textContent }));

// publish presses Publish and waits for the outcome.
export async function publish(page) {
  await page.evaluate(() => (document.querySelector('#status').dataset.kind = ''));
  await page.click('#publish');
  await page.waitForFunction(() => document.querySelector('#status').dataset.kind, null, { timeout: 30_000 });
  return statusOf(page);
}

// inside returns a point inside a polygon ring: the middle of the first
// stretch of a horizontal line through the ring's middle that is inside.
export function inside(ring) {
  const ys = ring.map((p) => p[1]);
  const y = (Math.min(...ys) + Math.max(...ys)) / 2 + 1e-9;
  const xs = [];
  for (let i = 0; i + 1 < ring.length; i++) {
    const [a, b] = [ring[i], ring[i + 1]];
    if ((a[1] > y) !== (b[1] > y)) xs.push(a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]));
  }
  xs.sort((a, b) => a - b);
  return [(xs[0] + xs[1]) / 2, y];
}

// inRing: point p is inside the ring (ray casting).
export function inRing(p, ring) {
  let In = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) In = !In;
  }
  return In;
}

// lookup asks /api/v1/lookup for the grid of p until it answers want (the
// index follows a publication within a moment) or 15 s pass.
export async function lookup(page, p, want) {
  let got = null;
  for (let i = 0; i < 75; i++) {
    got = await page.evaluate(async (p) => {
      const r = await fetch(`/api/v1/lookup?lon=${p[0]}&lat=${p[1]}`);
      return r.ok ? (await r.json()).grid : { status: r.status };
    }, p);
    if (got?.code === want) break;
    await page.waitForTimeout(200);
  }
  return got;
}

export const microGrids = (page) => page.evaluate(async () => (await (await fetch('/api/v1/grids?level=micro')).json()).features);
