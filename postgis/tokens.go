package postgis

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

// TokensChannel is the NOTIFY channel on which every change to api_token
// is announced (migration 00005), so every instance reloads its tokens.
const TokensChannel = "gridmap_tokens"

const createTokenSQL = `
INSERT INTO api_token (name, role, grid_code, secret_hash) VALUES ($1, $2, nullif($3, ''), $4)
RETURNING id, created_at`

// CreateToken stores a new API token with a fresh random secret and returns
// the token text (shown once: only the SHA-256 of the secret is stored).
// grid, when set, must be a current grid's code.
// Errors: EINVALID for an unknown role, an empty or long name, an unknown grid.
func (s *Store) CreateToken(ctx context.Context, name string, role gridmap.Role, grid string) (token string, t gridmap.Token, err error) {
	defer gridmap.Wrap(&err, "postgis.CreateToken")
	name = strings.TrimSpace(name)
	switch {
	case !role.Valid():
		return "", t, gridmap.Errorf(gridmap.EINVALID, "unknown role %q; the roles are viewer, reporter, planner and admin", role)
	case name == "" || utf8.RuneCountInString(name) > gridmap.MaxName:
		return "", t, gridmap.Errorf(gridmap.EINVALID, "a token needs a name of 1 to %d characters saying who or what holds it", gridmap.MaxName)
	}
	if err := gridmap.CheckText("the token name", name, 0, false); err != nil {
		return "", t, err
	}
	if err := gridmap.CheckText("the token grid", grid, 0, false); err != nil {
		return "", t, err
	}
	if grid != "" {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM grid_version WHERE code = $1 AND valid_to IS NULL)`, grid).Scan(&ok); err != nil {
			return "", t, mapErr(err, "grid")
		}
		if !ok {
			return "", t, gridmap.Errorf(gridmap.EINVALID, "grid %q is not a current grid", grid)
		}
	}
	secret, hash := gridmap.NewTokenSecret()
	t = gridmap.Token{Name: name, Role: role, Grid: grid, Hash: hash}
	if err := s.pool.QueryRow(ctx, createTokenSQL, name, string(role), grid, hash).Scan(&t.ID, &t.CreatedAt); err != nil {
		return "", t, mapErr(err, "token")
	}
	return gridmap.FormatToken(t.ID, secret), t, nil
}

const tokenColumns = `id, name, role, coalesce(grid_code, ''), created_at, revoked_at, secret_hash`

func scanToken(r pgx.CollectableRow) (gridmap.Token, error) {
	var t gridmap.Token
	var role string
	err := r.Scan(&t.ID, &t.Name, &role, &t.Grid, &t.CreatedAt, &t.RevokedAt, &t.Hash)
	t.Role = gridmap.Role(role)
	return t, err
}

// RevokeToken revokes the token with the id (revoking it again changes
// nothing). Every instance stops accepting it once the change feed tells it.
// Errors: ENOTFOUND.
func (s *Store) RevokeToken(ctx context.Context, id int64) (t gridmap.Token, err error) {
	defer gridmap.Wrap(&err, "postgis.RevokeToken(%d)", id)
	rows, err := s.pool.Query(ctx, `UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING `+tokenColumns, id)
	if err != nil {
		return t, mapErr(err, "token")
	}
	t, err = pgx.CollectExactlyOneRow(rows, scanToken)
	return t, mapErr(err, fmt.Sprintf("token %d", id))
}

// Tokens returns every token, revoked ones included, ordered by id, with
// the hashes of their secrets.
func (s *Store) Tokens(ctx context.Context) (ts []gridmap.Token, err error) {
	defer gridmap.Wrap(&err, "postgis.Tokens")
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_token ORDER BY id`)
	if err != nil {
		return nil, mapErr(err, "tokens")
	}
	ts, err = pgx.CollectRows(rows, scanToken)
	return ts, mapErr(err, "tokens")
}
