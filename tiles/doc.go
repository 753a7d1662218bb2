// Package tiles cuts Mapbox Vector Tiles from grids held in memory. It does
// no I/O: no database, no HTTP. httpapi serves what it returns.
//
// Grids come in as EPSG:4326 degrees; tiles are addressed z/x/y on the
// EPSG:3857 (web Mercator) XYZ grid, and their coordinates are integer tile
// units, 0..Extent on each side, y pointing down (Config.Extent, default 4096).
// Grids must not cross the antimeridian.
//
// # Tiles
//
// A tile is MVT 2.1, gzipped, with two layers (see Set.Tile):
//
//   - "grids": one polygon feature per grid, feature id = Grid.ID (so MapLibre
//     feature-state can key on it), properties code, name, level and parent
//     (parent absent for a root grid).
//   - "labels": one point per grid at its pole of inaccessibility (the point
//     farthest inside the polygon, not the centroid), properties code, name,
//     level, same feature id. A label is written only in the one tile that
//     holds it (never in the buffer of a neighbour), only when its grid's
//     inscribed circle has a radius of at least Config.LabelMinRadius at that
//     zoom, and biggest first, so a renderer that drops colliding labels
//     keeps the big ones.
//
// A layer with no feature is left out. A tile with no feature at all is not
// written: Set.Tile and Cache.Tile return ErrEmpty (code ENOTFOUND), which
// the HTTP layer answers with 204 No Content.
//
// # Geometry rules
//
// Simplification. Each grid is simplified once per zoom, when the Set is
// built, not per tile, so the outline is the same in every tile of a zoom
// and shows no seams. The boundary is projected to the zoom's global tile
// grid, snapped to whole tile units, and simplified with Douglas–Peucker
// (orb/simplify) at Config.Tolerance tile units (default 6, three quarters
// of a CSS pixel of a 512-pixel MapLibre tile). Past zoom 10, zooms at
// which simplification would keep nine tenths of the vertices or more are
// not precomputed: their tiles are projected and snapped from the full
// boundary. Grids, and parts of one grid, are simplified each on its own,
// so where two meet they may gap or overlap by up to the tolerance: less
// than a pixel.
//
// Never dropped, never broken. A polygon (or hole) whose area is at least
// Config.MinArea tile units² (default 256, one pixel of a 256-pixel tile) is
// never dropped by simplification: if simplification collapses it, turns it
// inside out or makes its rings cross, the tolerance is halved and
// simplification tried again, down to snapping alone. Smaller polygons that
// collapse are dropped; they would draw nothing. Where snapping alone folds
// an outline (it is narrower than a unit there) or the source boundary
// crosses itself, a polygon under MinArea is drawn as its convex hull (its
// shape is invisible, a hole in a choropleth would not be) and a bigger one
// is repaired: a vertex goes wherever two edges meet, and rings are cut
// into loops at repeated vertices; loops turning as an exterior become
// polygons, loops turning the other way holes, loops of no area go.
//
// Clipping. Polygons are clipped to the tile plus Config.Buffer tile units
// on each side (default 64), so strokes and fills meet across tile seams.
// Clipping walks the cut outline around the clip box (orb/clip/smartclip):
// a polygon that leaves and re-enters the box comes out as separate
// polygons, without the zero-width bridges along the box edge that
// Sutherland–Hodgman clipping leaves; a polygon that covers the whole tile
// comes out as the box. Every ring written is closed, has at least four
// points, no repeated or collinear consecutive points, and non-zero area;
// exterior rings have positive area by the MVT surveyor's formula
// (clockwise on screen) and holes negative, as MVT 2.1 requires (orb's
// encoder writes rings as given, so this package orients them); and no two
// edges meet except consecutive edges of a ring, or two rings at a point
// (checked after clipping, and repaired as above where snapping folded an
// outline).
//
// # Levels by zoom
//
// A grid is drawn from the zoom its level has in Config.LevelMinZoom (by
// default street from 0, village from 11, micro from 13); levels not listed
// are drawn at every zoom, so a flat data set such as counties shows whole.
// Options.Levels overrides the rule: the listed levels are drawn at every
// zoom, the others not at all.
//
// # Caching
//
// A Cache keeps gzipped tiles with a strong ETag (a hash of the bytes), keyed
// by (data version, z, x, y, options) and bounded in bytes (least recently
// used first out). Two ways keep it fresh: a new data version never hits an
// entry of an older one (old entries age out), and Cache.Invalidate drops
// exactly the tiles, at every zoom, whose buffered extent meets the old or
// new bounds of changed grids.
//
// # Concurrency
//
// A Set is immutable once built and safe for concurrent use; build a new one
// for new data and swap it in. A Cache is safe for concurrent use, and
// concurrent misses of one tile generate it once.
package tiles
