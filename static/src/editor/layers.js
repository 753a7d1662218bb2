// The editor's map: its style, and the GeoJSON its sources show (the
// grids, their name labels, the problems of the last validation, the
// pieces of a split and the cut line), made from the state.

import { interiorPoint } from '../geometry.js';
import { LEVELS, state } from './state.js';

// PIECE_COLOURS colour the pieces of a split, on the map and in the panel.
export const PIECE_COLOURS = ['#f472b6', '#a3e635', '#fb923c', '#c084fc', '#facc15', '#2dd4bf'];

export function fc(features) {
  return { type: 'FeatureCollection', features };
}

// gridFeatures draws the grids of the level edited (active) and the others
// as context: the levels above as parent lines, those below faintly.
export function gridFeatures(s) {
  const depth = LEVELS.indexOf(s.level);
  return [...s.view.values()].map((g) => ({
    type: 'Feature',
    id: g.code,
    properties: {
      code: g.code,
      level: g.level,
      active: g.level === s.level,
      ctx: g.level === s.level ? '' : LEVELS.indexOf(g.level) < depth ? 'parent' : 'child',
      edited: g.status !== 'current',
      selected: g.code === s.selected && s.drawIds.length > 0,
      target: g.code === s.selected,
      picked: s.picked.includes(g.code),
    },
    geometry: g.geometry,
  }));
}

// labelPoint is where a grid's name goes: one point inside it (a polygon
// labelled as such gets a label per tile it crosses), kept per boundary.
const labelPoints = new WeakMap();
function labelPoint(geom) {
  if (!labelPoints.has(geom)) labelPoints.set(geom, interiorPoint(geom));
  return labelPoints.get(geom);
}

// labelFeatures: the names of the grids of the level edited.
export function labelFeatures(s) {
  const out = [];
  for (const g of s.view.values()) {
    if (g.level !== s.level || !g.geometry) continue;
    const p = labelPoint(g.geometry);
    if (p) out.push({ type: 'Feature', properties: { code: g.code, name: g.name, level: g.level }, geometry: { type: 'Point', coordinates: p } });
  }
  return out;
}

// pieceFeatures: the pieces of the split proposed, numbered and coloured.
export function pieceFeatures(s) {
  return s.pieces.map((p, i) => ({ type: 'Feature', properties: { n: i + 1, colour: PIECE_COLOURS[i % PIECE_COLOURS.length] }, geometry: p.boundary }));
}

// refreshSources puts the state on the map.
export function refreshSources() {
  const { map } = state;
  if (!map) return;
  map.getSource('grids')?.setData(fc(gridFeatures(state)));
  map.getSource('labels')?.setData(fc(labelFeatures(state)));
  map.getSource('problems')?.setData(fc(state.report?.features ?? []));
  map.getSource('pieces')?.setData(fc(pieceFeatures(state)));
  map.getSource('cut')?.setData(fc(state.cutLine ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: state.cutLine } }] : []));
}

export const style = {
  version: 8,
  name: 'gridmap editor',
  sources: {
    grids: { type: 'geojson', data: fc([]) },
    labels: { type: 'geojson', data: fc([]) },
    problems: { type: 'geojson', data: fc([]) },
    pieces: { type: 'geojson', data: fc([]) },
    cut: { type: 'geojson', data: fc([]) },
  },
  layers: [
    { id: 'bg', type: 'background', paint: { 'background-color': '#0a1628' } },
    // Only grid-fill is clickable: the grids of the level edited.
    { id: 'grid-fill', type: 'fill', source: 'grids', filter: ['all', ['get', 'active'], ['!', ['get', 'selected']]],
      paint: { 'fill-color': ['case', ['get', 'picked'], '#9d174d', ['get', 'edited'], '#0e7490', '#15325a'], 'fill-opacity': 0.55 } },
    { id: 'child-line', type: 'line', source: 'grids', filter: ['==', ['get', 'ctx'], 'child'],
      paint: { 'line-color': '#7fa3cc', 'line-width': 0.8, 'line-opacity': 0.4, 'line-dasharray': [3, 2] } },
    { id: 'grid-line', type: 'line', source: 'grids', filter: ['all', ['get', 'active'], ['!', ['get', 'selected']]],
      paint: { 'line-color': ['case', ['get', 'edited'], '#22d3ee', '#5b84b1'], 'line-width': 1.2 } },
    { id: 'parent-line', type: 'line', source: 'grids', filter: ['==', ['get', 'ctx'], 'parent'], paint: { 'line-color': '#facc15', 'line-width': 2.2, 'line-opacity': 0.8 } },
    { id: 'picked-line', type: 'line', source: 'grids', filter: ['get', 'picked'], paint: { 'line-color': '#f472b6', 'line-width': 3 } },
    { id: 'target-line', type: 'line', source: 'grids', filter: ['all', ['get', 'target'], ['!', ['get', 'selected']]],
      paint: { 'line-color': '#67e8f9', 'line-width': 3 } },
    { id: 'piece-fill', type: 'fill', source: 'pieces', paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.45 } },
    { id: 'piece-line', type: 'line', source: 'pieces', paint: { 'line-color': ['get', 'colour'], 'line-width': 2 } },
    { id: 'cut-line', type: 'line', source: 'cut', paint: { 'line-color': '#f8fafc', 'line-width': 2, 'line-dasharray': [2, 2] } },
    // Names of the grids of the level edited, from zooms where they fit.
    ...[['village', 11], ['micro', 13.5]].map(([level, minzoom]) => ({
      id: `grid-label-${level}`, type: 'symbol', source: 'labels', minzoom,
      filter: ['==', ['get', 'level'], level],
      layout: { 'text-field': ['get', 'name'], 'text-size': level === 'village' ? 15 : 12, 'text-max-width': 7, 'text-padding': 3 },
      paint: { 'text-color': '#e5eefb', 'text-halo-color': '#07101f', 'text-halo-width': 1.6 },
    })),
    { id: 'problem-fill', type: 'fill', source: 'problems', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': ['case', ['get', 'fatal'], '#ef4444', '#f97316'], 'fill-opacity': 0.6 } },
    { id: 'problem-line', type: 'line', source: 'problems', paint: { 'line-color': '#fecaca', 'line-width': 2 } },
    { id: 'problem-point', type: 'circle', source: 'problems', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': '#ef4444', 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
  ],
};
