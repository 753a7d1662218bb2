package postgis

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

// creditDemoCasesSQL credits the demo's cases from grid workers, imported
// without a token, to the worker of their micro-grid (the first by name of
// its members), given the workers' demo tokens ($1 names, $2 ids): the
// rankings count the cases each raised, as for cases posted from the
// field app.
const creditDemoCasesSQL = `
WITH t AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS t(name, id)),
     w AS (SELECT DISTINCT ON (m.grid_code) m.grid_code, t.id, t.name
           FROM grid_member m JOIN t ON t.name = m.name
           WHERE m.role = 'worker' ORDER BY m.grid_code, m.name)
UPDATE incident i SET created_by_token = w.id, created_by = w.name
FROM w WHERE i.grid_code = w.grid_code AND i.source = 'grid_worker' AND i.created_by_token IS NULL`

// DemoWorklogs stores synthetic work logs (demodata.Worklogs) in one
// transaction, unless work logs exist already (then it returns 0). Each
// worker, by name, gets a demo token to own its logs: a reporter token of
// its village with a random secret nobody holds, revoked at once, so it
// opens nothing, and is credited with the grid workers' cases of its
// micro-grids (creditDemoCasesSQL). Logs and pieces go in by COPY.
func (s *Store) DemoWorklogs(ctx context.Context, logs []gridmap.WorklogInput) (n int, err error) {
	defer gridmap.Wrap(&err, "postgis.DemoWorklogs")
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM worklog)`).Scan(&exists); err != nil || exists {
		return 0, err
	}
	tokens := map[string]int64{}
	for _, l := range logs {
		if _, ok := tokens[l.Worker.Name]; ok {
			continue
		}
		var secret [32]byte
		_, _ = rand.Read(secret[:])
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO api_token (name, role, grid_code, secret_hash, revoked_at)
VALUES ($1, 'reporter', NULLIF($2, ''), $3, now()) RETURNING id`, l.Worker.Name, l.Grid, secret[:]).Scan(&id); err != nil {
			return 0, err
		}
		tokens[l.Worker.Name] = id
	}
	names := slices.Collect(maps.Keys(tokens))
	tokenIDs := make([]int64, len(names))
	for i, n := range names {
		tokenIDs[i] = tokens[n]
	}
	if _, err := tx.Exec(ctx, creditDemoCasesSQL, names, tokenIDs); err != nil {
		return 0, err
	}
	ids := make([]int64, 0, len(logs))
	rows, err := tx.Query(ctx, `SELECT nextval('worklog_id_seq') FROM generate_series(1, $1)`, len(logs))
	if err != nil {
		return 0, err
	}
	if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return 0, err
	}
	var wrows, trows [][]any
	var sb strings.Builder
	for i, l := range logs {
		wrows = append(wrows, []any{ids[i], tokens[l.Worker.Name], l.Worker.Name, string(l.Role), l.Grid, l.Day, l.Notes, []string{}, []int64{}})
		for _, p := range l.Tracks {
			sb.Reset()
			sb.WriteString("SRID=4326;LINESTRING M (")
			for j, q := range p.Points {
				if j > 0 {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, "%.7f %.7f %d", q.Lon, q.Lat, q.Time.Unix())
			}
			sb.WriteString(")")
			acc := make([]float32, len(p.Points))
			for j, q := range p.Points {
				acc[j] = float32(q.Accuracy)
			}
			trows = append(trows, []any{ids[i], p.ClientID, sb.String(), acc, p.Start, p.End, p.Metres, nonNil(p.Flags), nonNil(p.Grids), nonNilF(p.GridMetres)})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"worklog"},
		[]string{"id", "token_id", "worker", "role", "grid_scope", "day", "notes", "visited_people", "case_ids"}, pgx.CopyFromRows(wrows)); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE stage_track (worklog_id bigint, client_id text, track text, accuracy real[],
started_at timestamptz, ended_at timestamptz, metres float8, flags text[], grids text[], grid_metres float8[]) ON COMMIT DROP`); err != nil {
		return 0, err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_track"},
		[]string{"worklog_id", "client_id", "track", "accuracy", "started_at", "ended_at", "metres", "flags", "grids", "grid_metres"}, pgx.CopyFromRows(trows)); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO worklog_track (worklog_id, client_id, track, accuracy, started_at, ended_at, metres, flags, grids, grid_metres)
SELECT worklog_id, client_id, ST_GeomFromEWKT(track), accuracy, started_at, ended_at, metres, flags, grids, grid_metres FROM stage_track`); err != nil {
		return 0, err
	}
	return len(logs), tx.Commit(ctx)
}
