// Geometry for the boundary editor, on GeoJSON coordinates (WGS84).
//
// splitByLine cuts a boundary with a drawn line using JSTS (the JavaScript
// port of JTS, the library PostGIS's GEOS is ported from) the way PostGIS's
// ST_Split does: the boundary and the line are noded together (a unary
// union of the linework), the noded lines polygonized, and the faces inside
// the boundary kept. Neighbouring faces are built from the same noded
// edges, so the pieces share the cut line exactly, and every vertex of the
// boundary keeps its exact coordinates (so borders shared with neighbours
// stay shared).

import GeometryFactory from 'jsts/org/locationtech/jts/geom/GeometryFactory.js';
import Location from 'jsts/org/locationtech/jts/geom/Location.js';
import GeoJSONReader from 'jsts/org/locationtech/jts/io/GeoJSONReader.js';
import GeoJSONWriter from 'jsts/org/locationtech/jts/io/GeoJSONWriter.js';
import UnaryUnionOp from 'jsts/org/locationtech/jts/operation/union/UnaryUnionOp.js';
import Polygonizer from 'jsts/org/locationtech/jts/operation/polygonize/Polygonizer.js';
import InteriorPointArea from 'jsts/org/locationtech/jts/algorithm/InteriorPointArea.js';
import SimplePointInAreaLocator from 'jsts/org/locationtech/jts/algorithm/locate/SimplePointInAreaLocator.js';
import DistanceOp from 'jsts/org/locationtech/jts/operation/distance/DistanceOp.js';

const factory = new GeometryFactory();
const reader = new GeoJSONReader(factory);
const writer = new GeoJSONWriter();

// Metres per degree of latitude on a sphere of the Earth's mean radius.
const M_PER_DEG = (6371008.8 * Math.PI) / 180;

// polygons returns the polygons (arrays of rings) of a Polygon or
// MultiPolygon geometry.
export function polygons(geom) {
  if (!geom) return [];
  if (geom.type === 'Polygon') return [geom.coordinates];
  if (geom.type === 'MultiPolygon') return geom.coordinates;
  return [];
}

// fromParts makes a geometry of polygons: a Polygon for one, else a
// MultiPolygon.
export function fromParts(parts) {
  return parts.length === 1 ? { type: 'Polygon', coordinates: parts[0] } : { type: 'MultiPolygon', coordinates: parts };
}

// replacePart returns geom with polygon i replaced by poly; the other parts
// are the very same arrays (never rewritten, never dropped).
export function replacePart(geom, i, poly) {
  const parts = polygons(geom).slice();
  if (i < 0 || i >= parts.length) throw new Error(`no part ${i} in a boundary of ${parts.length}`);
  parts[i] = poly;
  return fromParts(parts);
}

// sameBoundary: a and b have the same polygons with the same coordinates
// (a Polygon equals a MultiPolygon of just it).
export function sameBoundary(a, b) {
  return JSON.stringify(polygons(a)) === JSON.stringify(polygons(b));
}

// ringArea is the signed planar area of a ring in square degrees,
// positive when counter-clockwise.
function ringArea(ring) {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) s += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return s / 2;
}

// areaM2 is the area of a boundary in m² on a sphere of the Earth's mean
// radius (the edge sum of Chamberlain and Duquette, as turf's area: the
// areas of pieces add up to the area of what they were cut from).
export function areaM2(geom) {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  let total = 0;
  for (const poly of polygons(geom)) {
    poly.forEach((ring, i) => {
      let s = 0;
      for (let k = 0; k + 1 < ring.length; k++) {
        s += (ring[k + 1][0] - ring[k][0]) * rad * (Math.sin(ring[k][1] * rad) + Math.sin(ring[k + 1][1] * rad));
      }
      total += (i === 0 ? 1 : -1) * Math.abs((s * R * R) / 2);
    });
  }
  return total;
}

// orient makes the exterior ring counter-clockwise and holes clockwise
// (RFC 7946), as the server stores them.
function orient(poly) {
  return poly.map((ring, i) => ((ringArea(ring) > 0) === (i === 0) ? ring : ring.slice().reverse()));
}

// bbox returns [minLon, minLat, maxLon, maxLat] of a boundary.
export function bbox(geom) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of polygons(geom)) {
    for (const p of poly[0]) {
      if (p[0] < b[0]) b[0] = p[0];
      if (p[1] < b[1]) b[1] = p[1];
      if (p[0] > b[2]) b[2] = p[0];
      if (p[1] > b[3]) b[3] = p[1];
    }
  }
  return b;
}

function inRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// partAt returns the index of the polygon of geom that holds point p
// ([lon, lat]), or -1.
export function partAt(geom, p) {
  return polygons(geom).findIndex((poly) => inRing(p, poly[0]) && !poly.slice(1).some((h) => inRing(p, h)));
}

// interiorPoint returns a point inside geom ([lon, lat]) as PostGIS's
// ST_PointOnSurface finds it (both are JTS's InteriorPointArea), or null
// for an empty boundary.
export function interiorPoint(geom) {
  const parts = polygons(geom);
  if (!parts.length) return null;
  const p = InteriorPointArea.getInteriorPoint(reader.read({ type: 'MultiPolygon', coordinates: parts }));
  return p ? [p.x, p.y] : null;
}

// splitByLine cuts geom (Polygon or MultiPolygon) with the line (an array
// of [lon, lat]) and returns the pieces, largest first, each a Polygon (or
// a MultiPolygon when it takes parts the line does not cross: each such
// part goes with the nearest piece). Fewer than two pieces — the line does
// not cut across — gives [].
export function splitByLine(geom, line) {
  const parts = polygons(geom);
  if (!parts.length || !line || line.length < 2) return [];
  const partGeoms = parts.map((p) => reader.read({ type: 'Polygon', coordinates: p }));
  const shape = reader.read({ type: 'MultiPolygon', coordinates: parts });
  const blade = reader.read({ type: 'LineString', coordinates: line });
  const noded = UnaryUnionOp.union(factory.createGeometryCollection([shape.getBoundary(), blade]));
  const pz = new Polygonizer();
  pz.add(noded);
  const facesOf = parts.map(() => []);
  for (const face of pz.getPolygons().toArray()) {
    const ip = InteriorPointArea.getInteriorPoint(face);
    const k = partGeoms.findIndex((g) => SimplePointInAreaLocator.locate(ip, g) === Location.INTERIOR);
    if (k >= 0) facesOf[k].push(face);
  }
  const pieces = []; // {parts: [polygon coordinates], jsts: [faces]}
  const uncut = [];
  facesOf.forEach((faces, k) => {
    if (faces.length >= 2) for (const f of faces) pieces.push({ parts: [orient(writer.write(f).coordinates)], jsts: [f] });
    else uncut.push(k); // kept exactly as it is
  });
  if (pieces.length < 2) return [];
  for (const k of uncut) {
    let best = pieces[0];
    let bestD = Infinity;
    for (const piece of pieces) {
      const d = DistanceOp.distance(partGeoms[k], piece.jsts[0]);
      if (d < bestD) {
        bestD = d;
        best = piece;
      }
    }
    best.parts.push(parts[k]);
  }
  return pieces
    .map((p) => fromParts(p.parts))
    .map((g) => ({ g, a: areaM2(g) }))
    .sort((x, y) => y.a - x.a)
    .map((x) => x.g);
}

// sharedBorderM is the length in metres of the border a and b share: the
// overlap of their nearly collinear edges (within tolM metres), whether
// they share vertices or one's vertex lies on the other's edge.
export function sharedBorderM(a, b, tolM = 0.05) {
  const first = polygons(a)[0]?.[0]?.[0];
  if (!first) return 0;
  const kx = M_PER_DEG * Math.cos((first[1] * Math.PI) / 180);
  const segs = (g) => {
    const out = [];
    for (const poly of polygons(g)) {
      for (const ring of poly) {
        for (let i = 0; i + 1 < ring.length; i++) {
          out.push([ring[i][0] * kx, ring[i][1] * M_PER_DEG, ring[i + 1][0] * kx, ring[i + 1][1] * M_PER_DEG]);
        }
      }
    }
    return out;
  };
  const sb = segs(b);
  let total = 0;
  for (const [x1, y1, x2, y2] of segs(a)) {
    const len = Math.hypot(x2 - x1, y2 - y1);
    if (len === 0) continue;
    const ux = (x2 - x1) / len;
    const uy = (y2 - y1) / len;
    for (const [x3, y3, x4, y4] of sb) {
      if (Math.max(x3, x4) < Math.min(x1, x2) - tolM || Math.min(x3, x4) > Math.max(x1, x2) + tolM) continue;
      if (Math.max(y3, y4) < Math.min(y1, y2) - tolM || Math.min(y3, y4) > Math.max(y1, y2) + tolM) continue;
      // Both ends of the other edge near this edge's line: collinear.
      if (Math.abs((x3 - x1) * uy - (y3 - y1) * ux) > tolM || Math.abs((x4 - x1) * uy - (y4 - y1) * ux) > tolM) continue;
      const t3 = (x3 - x1) * ux + (y3 - y1) * uy;
      const t4 = (x4 - x1) * ux + (y4 - y1) * uy;
      const lo = Math.max(0, Math.min(t3, t4));
      const hi = Math.min(len, Math.max(t3, t4));
      if (hi > lo) total += hi - lo;
    }
  }
  return total;
}

// MIN_SHARED_M: grids that share less border than this (a corner, a
// digitising seam) are not neighbours for a merge.
export const MIN_SHARED_M = 1;

// components groups geometries into sets of neighbours (sharing at least
// MIN_SHARED_M of border, directly or through others): arrays of indexes.
export function components(geoms) {
  const up = geoms.map((_, i) => i);
  const find = (i) => (up[i] === i ? i : (up[i] = find(up[i])));
  const boxes = geoms.map(bbox);
  const eps = 1e-6;
  for (let i = 0; i < geoms.length; i++) {
    for (let j = i + 1; j < geoms.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      if (a[0] > b[2] + eps || b[0] > a[2] + eps || a[1] > b[3] + eps || b[1] > a[3] + eps) continue;
      if (find(i) !== find(j) && sharedBorderM(geoms[i], geoms[j]) >= MIN_SHARED_M) up[find(i)] = find(j);
    }
  }
  const groups = new Map();
  geoms.forEach((_, i) => {
    const r = find(i);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r).push(i);
  });
  return [...groups.values()];
}
