package postgis

import (
	"context"

	"github.com/gridmap/gridmap"
)

// tileMVTSQL cuts tile z/x/y ($1..$3) of the current grids with ST_AsMVT,
// the way pg_tileserv serves a table layer (and tegola and martin much
// the same): envelope of the tile grown by a 256-unit margin, bounding-box
// filter on the GiST index of grid_version.boundary, exact ST_Intersects,
// ST_AsMVTGeom to clip (buffer 256, extent 4096) and snap, ST_AsMVT to
// encode one layer "grids" with the grid id as the feature id. $4 lists the
// levels drawn at the zoom (NULL: all). No simplification beyond
// ST_AsMVTGeom's snapping, no labels, no gzip: this is the baseline the
// in-memory tiles (package tiles) are measured against.
const tileMVTSQL = `
WITH bounds AS (
  SELECT ST_TileEnvelope($1, $2, $3) AS clip,
         ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096), 4326) AS query
)
SELECT coalesce(ST_AsMVT(t, 'grids', 4096, 'geom', 'id'), '')
FROM (
  SELECT ST_AsMVTGeom(ST_Transform(v.boundary, 3857), bounds.clip, 4096, 256, true) AS geom,
         g.id, v.code, v.name, v.level, v.parent_code AS parent
  FROM grid_version v JOIN grid g ON g.id = v.grid_id, bounds
  WHERE v.valid_to IS NULL
    AND ($4::text[] IS NULL OR v.level = ANY($4))
    AND v.boundary && bounds.query
    AND ST_Intersects(v.boundary, bounds.query)
) t
WHERE t.geom IS NOT NULL`

// TileMVT returns tile z/x/y (EPSG:3857 XYZ) of the current grids of the
// given levels (all when levels is nil) as an uncompressed MVT built by
// PostGIS ST_AsMVT, as pg_tileserv would serve it: the baseline of the
// tile benchmarks. An empty tile is an empty slice.
// Errors: EUNAVAILABLE when the database cannot be reached.
func (s *Store) TileMVT(ctx context.Context, z, x, y uint32, levels []gridmap.Level) (tile []byte, err error) {
	defer gridmap.Wrap(&err, "postgis.TileMVT(%d/%d/%d)", z, x, y)
	var ls []string
	if levels != nil {
		ls = make([]string, len(levels))
		for i, l := range levels {
			ls[i] = string(l)
		}
	}
	err = s.pool.QueryRow(ctx, tileMVTSQL, int32(z), int64(x), int64(y), ls).Scan(&tile)
	return tile, mapErr(err, "tile")
}
