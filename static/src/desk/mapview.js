// The desk's map: the grid tiles in light colours, the open case's grid
// outlined, the open cases of its village around it, the case itself as
// a red marker. A click on a nearby case opens it (onPick).
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { getJSON } from './api.js';
import { transformRequest } from '../token.js';
import { hasWebGL2 } from '../webgl.js';

const CJK_FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif';
const EMPTY = { type: 'FeatureCollection', features: [] };

let map = null;
let selectedGrid = null;
let ready = null;
let shown = { caseId: null, nearby: 0 };

// The wall map's style, recoloured for a light desk: the same grid tiles,
// lines and labels, no heat or flash.
function deskStyle(wall, tileJSON) {
  const keep = new Set(['grid-fill-street', 'grid-fill-village', 'grid-fill-micro', 'grid-line-micro', 'grid-line-village',
    'grid-line-street', 'grid-line-other', 'grid-selected', 'label-other', 'label-micro', 'label-village']);
  const paint = {
    'grid-fill-street': { 'fill-color': '#e9eef5' },
    'grid-fill-village': { 'fill-color': '#f4f6f9', 'fill-opacity': 0.6 },
    'grid-fill-micro': { 'fill-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#fde68a', '#ffffff'], 'fill-opacity': ['case', ['boolean', ['feature-state', 'selected'], false], 0.55, 0.35] },
    'grid-line-micro': { 'line-color': '#94a3b8', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.5, 16, 1.5] },
    'grid-line-village': { 'line-color': '#475569', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 16, 2.5] },
    'grid-line-street': { 'line-color': '#1e293b', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1.5, 16, 4] },
    'grid-line-other': { 'line-color': '#64748b', 'line-width': 1 },
    'grid-selected': { 'line-color': '#d97706', 'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 4, 0] },
    'label-other': { 'text-color': '#1e293b', 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
    'label-micro': { 'text-color': '#475569', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    'label-village': { 'text-color': '#0f172a', 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#dfe5ec' } }];
  for (const l of wall.layers) if (keep.has(l.id)) layers.push({ ...l, paint: paint[l.id] ?? l.paint });
  layers.push(
    { id: 'nearby', type: 'circle', source: 'nearby', paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 3, 16, 7],
      'circle-color': ['case', ['boolean', ['get', 'overdue'], false], '#f97316', '#2563eb'],
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5, 'circle-opacity': 0.9 } },
    { id: 'case', type: 'circle', source: 'case', paint: {
      'circle-radius': 10, 'circle-color': '#dc2626', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 } },
  );
  return {
    version: 8,
    sources: {
      grids: { type: 'vector', tiles: tileJSON.tiles, minzoom: tileJSON.minzoom, maxzoom: tileJSON.maxzoom, bounds: tileJSON.bounds, promoteId: wall.sources.grids.promoteId },
      nearby: { type: 'geojson', data: EMPTY },
      case: { type: 'geojson', data: EMPTY },
    },
    layers,
  };
}

// startMap draws the map in container; false without WebGL 2 (the page
// says so where the map would be).
export function startMap(container, { onPick }) {
  ready = (async () => {
    if (!hasWebGL2()) return false;
    const worker = document.querySelector('meta[name="gridmap:worker"]')?.content;
    if (worker) maplibregl.setWorkerUrl(new URL(worker, location.href).href);
    const [wall, tileJSON] = await Promise.all([getJSON('/styles/wallmap.json'), getJSON('/tiles/grids.json')]);
    const [w, s, e, n] = tileJSON.bounds;
    try {
      map = new maplibregl.Map({
        container, style: deskStyle(wall, tileJSON), bounds: [[w, s], [e, n]], fitBoundsOptions: { padding: 20 },
        localIdeographFontFamily: CJK_FONTS, attributionControl: { compact: true },
        dragRotate: false, pitchWithRotate: false, maxPitch: 0, transformRequest,
      });
    } catch (err) {
      console.warn('map not started:', err.message);
      return false;
    }
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    await new Promise((resolve) => map.once('load', resolve));
    map.on('click', 'nearby', (ev) => {
      const id = Number(ev.features[0]?.properties.id ?? ev.features[0]?.id);
      if (id) onPick(id);
    });
    map.on('mouseenter', 'nearby', () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', 'nearby', () => (map.getCanvas().style.cursor = ''));
    return true;
  })().catch((err) => {
    console.warn('map not started:', err.message);
    return false;
  });
  return ready;
}

// showCase puts the case (an incident of the API) on the map: its point,
// its grid outlined, the cases nearby (a GeoJSON FeatureCollection).
export async function showCase(inc, nearby) {
  if (!(await ready) || !map) return;
  const setSel = (code, on) => code && map.setFeatureState({ source: 'grids', sourceLayer: 'grids', id: code }, { selected: on });
  setSel(selectedGrid, false);
  selectedGrid = inc?.grid?.code ?? null;
  setSel(selectedGrid, true);
  map.getSource('case').setData(inc ? { type: 'Feature', geometry: { type: 'Point', coordinates: [inc.lon, inc.lat] }, properties: { id: inc.id } } : EMPTY);
  shown.caseId = inc?.id ?? null;
  if (nearby) {
    const others = { ...nearby, features: (nearby.features ?? []).filter((f) => Number(f.properties?.id ?? f.id) !== inc?.id) };
    map.getSource('nearby').setData(others);
    shown.nearby = others.features.length;
  }
  if (inc) map.easeTo({ center: [inc.lon, inc.lat], zoom: Math.max(map.getZoom(), 15.5), duration: 600 });
}

// mapState is for the browser test: what the map shows.
export function mapState() {
  if (!map) return null;
  return { loaded: map.loaded(), selectedGrid, center: map.getCenter().toArray(), zoom: map.getZoom(), ...shown };
}

export const getMap = () => map;
