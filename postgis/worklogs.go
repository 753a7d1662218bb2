package postgis

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

const sqlUpsertWorklog = `
INSERT INTO worklog (token_id, worker, role, grid_scope, day, notes, visited_people, case_ids)
VALUES ($1, $2, $3, NULLIF($4, ''), $5::date, $6, $7, $8)
ON CONFLICT (token_id, day) DO UPDATE SET
    worker = EXCLUDED.worker,
    notes = CASE WHEN EXCLUDED.notes = '' THEN worklog.notes ELSE EXCLUDED.notes END,
    visited_people = ARRAY(SELECT DISTINCT unnest(worklog.visited_people || EXCLUDED.visited_people) ORDER BY 1),
    case_ids = ARRAY(SELECT DISTINCT unnest(worklog.case_ids || EXCLUDED.case_ids) ORDER BY 1),
    updated_at = now()
RETURNING id, xmax = 0`

// The piece is built from arrays of its coordinates: values travel as $n.
const sqlInsertTrack = `
INSERT INTO worklog_track (worklog_id, client_id, track, accuracy, started_at, ended_at, metres, flags, grids, grid_metres)
SELECT $1, $2,
    ST_SetSRID(ST_MakeLine(ARRAY(
        SELECT ST_MakePointM(x, y, m) FROM unnest($3::float8[], $4::float8[], $5::float8[]) WITH ORDINALITY AS u(x, y, m, i) ORDER BY i)), 4326),
    $6, $7, $8, $9, $10, $11, $12
ON CONFLICT (worklog_id, client_id) DO NOTHING
RETURNING id`

// SaveWorklog implements gridmap.WorklogService.
func (s *Store) SaveWorklog(ctx context.Context, in gridmap.WorklogInput) (w gridmap.Worklog, created bool, err error) {
	defer gridmap.Wrap(&err, "postgis.SaveWorklog")
	people := in.People
	if people == nil {
		people = []string{}
	}
	cases := in.Cases
	if cases == nil {
		cases = []int64{}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return w, false, err
	}
	defer tx.Rollback(ctx)
	var id int64
	if err := tx.QueryRow(ctx, sqlUpsertWorklog, in.Worker.TokenID, in.Worker.Name, string(in.Role), in.Grid, in.Day,
		in.Notes, people, cases).Scan(&id, &created); err != nil {
		return w, false, err
	}
	stored := map[string]bool{}
	for _, p := range in.Tracks {
		n := len(p.Points)
		if n == 1 { // a LineString needs two points
			p.Points = append(p.Points, p.Points[0])
			n = 2
		}
		xs, ys, ms := make([]float64, n), make([]float64, n), make([]float64, n)
		var acc []float32
		for i, q := range p.Points {
			xs[i], ys[i], ms[i] = q.Lon, q.Lat, float64(q.Time.UnixMilli())/1000
			if q.Accuracy > 0 && acc == nil {
				acc = make([]float32, n)
			}
		}
		if acc != nil {
			for i, q := range p.Points {
				acc[i] = float32(q.Accuracy)
			}
		}
		var tid int64
		err := tx.QueryRow(ctx, sqlInsertTrack, id, p.ClientID, xs, ys, ms, acc, p.Points[0].Time, p.Points[n-1].Time,
			p.Metres, nonNil(p.Flags), nonNil(p.Grids), nonNilF(p.GridMetres)).Scan(&tid)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			// A resend of a stored piece.
		case err != nil:
			return w, false, err
		default:
			stored[p.ClientID] = true
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return w, false, err
	}
	w, err = s.Worklog(ctx, id)
	for i := range w.Tracks {
		w.Tracks[i].Stored = stored[w.Tracks[i].ClientID]
	}
	return w, created, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilF(s []float64) []float64 {
	if s == nil {
		return []float64{}
	}
	return s
}

const sqlWorklogCols = `w.id, w.token_id, w.worker, w.role, COALESCE(w.grid_scope, ''), w.day::text, w.notes, w.visited_people, w.case_ids, w.created_at, w.updated_at`

const sqlWorklog = `SELECT ` + sqlWorklogCols + ` FROM worklog w WHERE w.id = $1`

const sqlWorklogTracks = `
SELECT t.worklog_id, t.id, t.client_id, t.started_at, t.ended_at, t.metres, t.flags, t.grids, t.grid_metres,
    CASE WHEN $2 THEN ARRAY(SELECT ST_X(d.geom) FROM ST_DumpPoints(t.track) d ORDER BY d.path) END,
    CASE WHEN $2 THEN ARRAY(SELECT ST_Y(d.geom) FROM ST_DumpPoints(t.track) d ORDER BY d.path) END,
    CASE WHEN $2 THEN ARRAY(SELECT ST_M(d.geom) FROM ST_DumpPoints(t.track) d ORDER BY d.path) END,
    CASE WHEN $2 THEN t.accuracy END
FROM worklog_track t WHERE t.worklog_id = ANY($1) ORDER BY t.worklog_id, t.started_at, t.id`

func scanWorklog(row pgx.Row) (w gridmap.Worklog, err error) {
	var role string
	err = row.Scan(&w.ID, &w.TokenID, &w.Worker, &role, &w.GridScope, &w.Day, &w.Notes, &w.People, &w.CaseIDs, &w.CreatedAt, &w.UpdatedAt)
	w.Role = gridmap.Role(role)
	return w, err
}

// Worklog implements gridmap.WorklogService.
func (s *Store) Worklog(ctx context.Context, id int64) (w gridmap.Worklog, err error) {
	defer gridmap.Wrap(&err, "postgis.Worklog(%d)", id)
	w, err = scanWorklog(s.pool.QueryRow(ctx, sqlWorklog, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, gridmap.Errorf(gridmap.ENOTFOUND, "no work log %d", id)
	}
	if err != nil {
		return w, err
	}
	logs := []gridmap.Worklog{w}
	if err := s.worklogTracks(ctx, logs, true); err != nil {
		return w, err
	}
	return logs[0], nil
}

func (s *Store) worklogTracks(ctx context.Context, logs []gridmap.Worklog, points bool) error {
	ids := make([]int64, len(logs))
	at := map[int64]int{}
	for i, w := range logs {
		ids[i], at[w.ID] = w.ID, i
		logs[i].Tracks = []gridmap.TrackPiece{}
	}
	rows, err := s.pool.Query(ctx, sqlWorklogTracks, ids, points)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var wid int64
		var p gridmap.TrackPiece
		var xs, ys, ms []float64
		var acc []float32
		if err := rows.Scan(&wid, &p.ID, &p.ClientID, &p.Start, &p.End, &p.Metres, &p.Flags, &p.Grids, &p.GridMetres, &xs, &ys, &ms, &acc); err != nil {
			return err
		}
		for i := range xs {
			q := gridmap.TrackPoint{Lon: xs[i], Lat: ys[i], Time: time.UnixMilli(int64(math.Round(ms[i] * 1000))).UTC()}
			if i < len(acc) {
				q.Accuracy = float64(acc[i])
			}
			p.Points = append(p.Points, q)
		}
		i := at[wid]
		logs[i].Tracks = append(logs[i].Tracks, p)
	}
	return rows.Err()
}

const sqlWorklogs = `
SELECT ` + sqlWorklogCols + ` FROM worklog w
WHERE ($1 = 0 OR w.token_id = $1)
  AND ($2 = '' OR EXISTS (SELECT 1 FROM worklog_track t WHERE t.worklog_id = w.id AND t.grids @> ARRAY[$2::text]))
  AND ($3 = '' OR w.day >= $3::date)
  AND ($4 = '' OR w.day <= $4::date)
ORDER BY w.day DESC, w.id DESC
LIMIT $5`

// Worklogs implements gridmap.WorklogService.
func (s *Store) Worklogs(ctx context.Context, f gridmap.WorklogFilter) (logs []gridmap.Worklog, err error) {
	defer gridmap.Wrap(&err, "postgis.Worklogs")
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, sqlWorklogs, f.TokenID, f.Grid, f.From, f.To, f.Limit)
	if err != nil {
		return nil, err
	}
	logs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridmap.Worklog, error) { return scanWorklog(r) })
	if err != nil {
		return nil, err
	}
	if len(logs) == 0 {
		return []gridmap.Worklog{}, nil
	}
	return logs, s.worklogTracks(ctx, logs, false)
}

// Per grid: logs whose tracks passed it, metres assigned to it, the end of
// the last piece that passed it, distinct workers. Pieces flagged as
// implausible count too: the flags are shown, not silently dropped.
const sqlPatrolStats = `
SELECT g.code, count(DISTINCT t.worklog_id), sum(g.metres), max(t.ended_at), count(DISTINCT w.token_id)
FROM worklog_track t
JOIN worklog w ON w.id = t.worklog_id
CROSS JOIN LATERAL unnest(t.grids, t.grid_metres) AS g(code, metres)
WHERE t.ended_at >= $1 AND t.ended_at < $2
GROUP BY g.code`

// PatrolStats implements gridmap.WorklogService.
func (s *Store) PatrolStats(ctx context.Context, from, to time.Time) (out map[string]gridmap.PatrolStat, err error) {
	defer gridmap.Wrap(&err, "postgis.PatrolStats")
	rows, err := s.pool.Query(ctx, sqlPatrolStats, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = map[string]gridmap.PatrolStat{}
	for rows.Next() {
		var p gridmap.PatrolStat
		var last time.Time
		if err := rows.Scan(&p.Grid, &p.Visits, &p.Metres, &last, &p.Workers); err != nil {
			return nil, err
		}
		last = last.UTC()
		p.LastVisited = &last
		out[p.Grid] = p
	}
	return out, rows.Err()
}

// Tile z/x/y ($1..$3) of the pieces ended in [$4, $5): one line layer
// "patrol" with the worker's role, the log's day, the piece's flags and
// metres; no name, no token. As tileMVTSQL: margin, clip, ST_AsMVT.
const sqlPatrolTile = `
WITH bounds AS (
  SELECT ST_TileEnvelope($1, $2, $3) AS clip,
         ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096), 4326) AS query
)
SELECT coalesce(ST_AsMVT(t, 'patrol', 4096, 'geom', 'id'), '')
FROM (
  SELECT ST_AsMVTGeom(ST_Transform(ST_Force2D(k.track), 3857), bounds.clip, 4096, 256, true) AS geom,
         k.id, w.role, w.day::text AS date, array_to_string(k.flags, ',') AS flags, round(k.metres)::int AS metres
  FROM worklog_track k JOIN worklog w ON w.id = k.worklog_id, bounds
  WHERE k.ended_at >= $4 AND k.ended_at < $5
    AND k.track && bounds.query
) t
WHERE t.geom IS NOT NULL`

// PatrolTile implements gridmap.WorklogService.
func (s *Store) PatrolTile(ctx context.Context, z, x, y uint32, from, to time.Time) (tile []byte, err error) {
	defer gridmap.Wrap(&err, "postgis.PatrolTile(%d/%d/%d)", z, x, y)
	err = s.pool.QueryRow(ctx, sqlPatrolTile, int32(z), int64(x), int64(y), from, to).Scan(&tile)
	return tile, mapErr(err, "tile")
}

var _ gridmap.WorklogService = (*Store)(nil)
