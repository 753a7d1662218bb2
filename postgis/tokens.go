package postgis

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

// TokensChannel is the NOTIFY channel on which every change to api_token
// is announced (migration 00005), so every instance reloads its tokens.
const TokensChannel = "gridmap_tokens"

const createTokenSQL = `
INSERT INTO api_token (name, role, grid_code, secret_hash, department) VALUES ($1, $2, nullif($3, ''), $4, nullif($5, ''))
RETURNING id, created_at`

// CreateToken stores a new API token with a fresh random secret and returns
// the token text (shown once: only the SHA-256 of the secret is stored).
// grid, when set, must be a current grid's code.
// Errors: EINVALID for an unknown role, an empty or long name, an unknown grid.
func (s *Store) CreateToken(ctx context.Context, name string, role gridmap.Role, grid string) (token string, t gridmap.Token, err error) {
	return s.CreateTokenFor(ctx, gridmap.TokenSpec{Name: name, Role: role, Grid: grid})
}

// CreateTokenFor is CreateToken with a department: a department token must
// name one of the department table, and no other role may.
// Errors: EINVALID as CreateToken, and for a missing, unknown or
// misplaced department.
func (s *Store) CreateTokenFor(ctx context.Context, spec gridmap.TokenSpec) (token string, t gridmap.Token, err error) {
	defer gridmap.Wrap(&err, "postgis.CreateToken")
	name, role, grid, dept := strings.TrimSpace(spec.Name), spec.Role, spec.Grid, strings.TrimSpace(spec.Department)
	switch {
	case !role.Valid():
		return "", t, gridmap.Errorf(gridmap.EINVALID, "unknown role %q; the roles are viewer, reporter, planner, admin, dispatcher and department", role)
	case role == gridmap.RoleDepartment && dept == "":
		return "", t, gridmap.Errorf(gridmap.EINVALID, "a department token names its department: give its code (see GET /api/v1/departments)")
	case role != gridmap.RoleDepartment && dept != "":
		return "", t, gridmap.Errorf(gridmap.EINVALID, "only a department token names a department; a %s token has none", role)
	case grid != "" && role != gridmap.RoleReporter:
		return "", t, gridmap.Errorf(gridmap.EINVALID, "only a reporter token (a grid worker's) is scoped to a grid; a %s token has none", role)
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
	if dept != "" {
		var codes []string
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(code ORDER BY rank), '{}') FROM department`).Scan(&codes); err != nil {
			return "", t, mapErr(err, "departments")
		}
		if !slices.Contains(codes, dept) {
			return "", t, gridmap.Errorf(gridmap.EINVALID, "unknown department %q; the departments are %s", dept, strings.Join(codes, ", "))
		}
	}
	secret, hash := gridmap.NewTokenSecret()
	t = gridmap.Token{Name: name, Role: role, Grid: grid, Department: dept, Hash: hash}
	if err := s.pool.QueryRow(ctx, createTokenSQL, name, string(role), grid, hash, dept).Scan(&t.ID, &t.CreatedAt); err != nil {
		return "", t, mapErr(err, "token")
	}
	return gridmap.FormatToken(t.ID, secret), t, nil
}

const tokenColumns = `id, name, role, coalesce(grid_code, ''), created_at, revoked_at, secret_hash, coalesce(department, '')`

func scanToken(r pgx.CollectableRow) (gridmap.Token, error) {
	var t gridmap.Token
	var role string
	err := r.Scan(&t.ID, &t.Name, &role, &t.Grid, &t.CreatedAt, &t.RevokedAt, &t.Hash, &t.Department)
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
