// terra-draw in the editor: its setup on the map (select mode to drag the
// vertices of every part of the grid selected, linestring mode to draw a
// cut line), the snapping of both to the vertices of the other grids, the
// selection of a grid and the edits of its boundary it gives back.

import { TerraDraw, TerraDrawLineStringMode, TerraDrawPolygonMode, TerraDrawSelectMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { polygons, replacePart } from '../geometry.js';
import { refreshSources } from './layers.js';
import { renderGrid, renderMerge, showLevel } from './panel.js';
import { setBoundary } from './plan.js';
import { cut, endSplit } from './split.js';
import { attachDraw, selectGrid, setDrawIds, setSelectedPart, state } from './state.js';

// SNAP_PX: how near (pixels) a vertex snaps, and a click finishes a line.
export const SNAP_PX = 12;

// round9 rounds [lon, lat] to 1e-9 degrees, as terra-draw keeps them.
export const round9 = (p) => [Math.round(p[0] * 1e9) / 1e9, Math.round(p[1] * 1e9) / 1e9];

// vertices of the grids of view other than except (of every level: a
// village's border runs along its micro-grids').
export function vertices(view, except) {
  const out = [];
  for (const [code, g] of view) {
    if (code === except) continue;
    for (const poly of polygons(g.geometry)) for (const ring of poly) for (const p of ring) out.push(p);
  }
  return out;
}

// exact gives back, for a vertex terra-draw rounded, the original position
// (of this grid or a neighbour) it came from, so untouched shared borders
// stay exactly shared.
export function exact(p, originals) {
  for (const q of originals) if (Math.abs(q[0] - p[0]) < 2e-9 && Math.abs(q[1] - p[1]) < 2e-9) return q;
  return p;
}

// partOf is the part index in a terra-draw id, CODE#PART.
export const partOf = (id) => Number(String(id).slice(String(id).lastIndexOf('#') + 1));

// drawnParts: the parts of geom as terra-draw holds them (rounded).
export const drawnParts = (geom) => polygons(geom).map((poly) => poly.map((ring) => ring.map(round9)));

// snap: the nearest vertex of a neighbouring grid within SNAP_PX pixels.
function snap(event, ctx) {
  let best = null;
  let bestD = SNAP_PX * SNAP_PX;
  const here = ctx.project(event.lng, event.lat);
  // A cut line may snap to the split grid's own vertices too.
  for (const p of vertices(state.view, state.mode === 'split' ? null : state.selected)) {
    const s = ctx.project(p[0], p[1]);
    const d = (s.x - here.x) ** 2 + (s.y - here.y) ** 2;
    if (d < bestD) {
      bestD = d;
      best = p;
    }
  }
  return best ? round9(best) : undefined;
}

// startDraw puts terra-draw on the map, in select mode.
export function startDraw() {
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map: state.map }),
    idStrategy: { isValidId: (id) => typeof id === 'string' && id.length > 0, getId: (() => { let n = 0; return () => 'new-' + ++n; })() },
    modes: [
      new TerraDrawPolygonMode(),
      new TerraDrawLineStringMode({
        snapping: { toCustom: snap },
        // A click this near the last point finishes the line: small, so a
        // cut can follow the close vertices of a border.
        pointerDistance: SNAP_PX,
        styles: { lineStringColor: '#f8fafc', lineStringWidth: 2, closingPointColor: '#f472b6', closingPointWidth: 6, snappingPointColor: '#facc15' },
      }),
      new TerraDrawSelectMode({
        allowManualDeselection: false,
        flags: {
          polygon: {
            feature: {
              draggable: false,
              coordinates: { draggable: true, midpoints: true, deletable: true, snappable: { toCustom: snap } },
            },
          },
        },
        styles: {
          selectedPolygonColor: '#22d3ee',
          selectedPolygonFillOpacity: 0.25,
          selectedPolygonOutlineColor: '#67e8f9',
          selectedPolygonOutlineWidth: 2.5,
          selectionPointColor: '#f8fafc',
          selectionPointWidth: 5,
          midPointColor: '#38bdf8',
        },
      }),
    ],
  });
  attachDraw(state, draw);
  draw.start();
  draw.setMode('select');
  // Every finished step on the grid (a vertex dragged, a midpoint inserted,
  // a vertex deleted) is one edit; a finished line is a cut.
  draw.on('finish', (id, ctx) => {
    if (ctx?.mode === 'linestring' || (state.mode === 'split' && draw.getSnapshotFeature(id)?.geometry.type === 'LineString')) {
      cut(id);
      return;
    }
    if (!state.drawIds.includes(id)) return;
    const f = draw.getSnapshotFeature(id);
    if (f) commitPart(partOf(id), f.geometry);
  });
  draw.on('select', (id) => {
    if (state.drawIds.includes(id)) setSelectedPart(state, partOf(id));
  });
}

// drawSelected puts every part of the selected grid into terra-draw, the
// part selectedPart selected (the others are selected with a click).
export function drawSelected() {
  const { draw, selected } = state;
  if (state.drawIds.length) draw.removeFeatures(state.drawIds.filter((id) => draw.getSnapshotFeature(id)));
  setDrawIds(state, []);
  const g = selected && state.mode === 'edit' ? state.view.get(selected) : null;
  if (!g || g.pending) return;
  const parts = drawnParts(g.geometry);
  const feats = parts.map((poly, k) => ({
    id: `${selected}#${k}`,
    type: 'Feature',
    geometry: { type: 'Polygon', coordinates: poly },
    properties: { mode: 'polygon' },
  }));
  const res = draw.addFeatures(feats);
  const ids = [];
  res.forEach((r, k) => {
    if (r.valid) ids.push(feats[k].id);
    else console.warn('terra-draw refused part', k, 'of', selected, r.reason);
  });
  setDrawIds(state, ids);
  const want = `${selected}#${Math.min(state.selectedPart, parts.length - 1)}`;
  if (ids.includes(want)) draw.selectFeature(want);
  else if (ids.length) draw.selectFeature(ids[0]);
}

// select puts grid code into terra-draw for editing; at ([lon, lat]) picks
// the part of a MultiPolygon clicked. A grid of the other level switches
// the level (an edit listed in the side panel may be of either).
export function select(code, at) {
  if (state.mode === 'split') endSplit();
  if (selectGrid(state, code, at)) {
    showLevel();
    renderMerge();
  }
  drawSelected();
  renderGrid();
  refreshSources();
}

// commitPart records the boundary terra-draw now has for part k of the
// selected grid as an edit; the other parts stay exactly as they are.
function commitPart(k, geometry) {
  const cur = state.view.get(state.selected)?.geometry;
  if (!cur) return;
  const originals = [...polygons(cur).flat(2), ...vertices(state.view, state.selected)];
  const poly = geometry.coordinates.map((ring) => ring.map((p) => exact(p, originals)));
  setBoundary(state.selected, replacePart(cur, k, poly));
}

// syncDraw puts the selected grid back into terra-draw where the draft
// differs from what it holds (terra-draw keeps what was dragged; a merge
// is drawn once the server has joined it).
export function syncDraw() {
  const { draw, selected } = state;
  if (selected && state.mode === 'edit') {
    const parts = drawnParts(state.view.get(selected).geometry);
    const drawn = state.drawIds.map((id) => draw.getSnapshotFeature(id)?.geometry.coordinates);
    if (JSON.stringify(parts) !== JSON.stringify(drawn)) drawSelected();
  } else if (!selected) {
    drawSelected();
  }
}
