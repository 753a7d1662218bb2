package postgis

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

// DemoWorklogs stores synthetic work logs (demodata.Worklogs) in one
// transaction, unless work logs exist already (then it returns 0). Each
// worker, by name, gets a demo token to own its logs: a reporter token of
// its village with a random secret nobody holds, revoked at once, so it
// opens nothing. Logs and pieces go in by COPY.
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
