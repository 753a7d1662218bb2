package postgis

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

var _ gridmap.RosterService = (*Store)(nil)

// membersAtSQL keeps the rows of people serving now ($2 NULL) or at $2.
const membersAtSQL = `(CASE WHEN $2::timestamptz IS NULL THEN valid_to IS NULL
       ELSE valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) END)`

const rosterColumns = `member_id, id, grid_code, role, name, contact, valid_from, valid_to, changed_by, reason, closed_by, close_reason`

// rosterSQL: $1 grid ("" every grid), $2 as_of, $3 history (every version).
const rosterSQL = `
SELECT ` + rosterColumns + ` FROM grid_member
WHERE ($1 = '' OR grid_code = $1) AND ($3 OR ` + membersAtSQL + `)
ORDER BY grid_code, role, member_id, valid_from`

func scanRoster(r pgx.CollectableRow) (gridmap.RosterEntry, error) {
	var e gridmap.RosterEntry
	err := r.Scan(&e.ID, &e.Version, &e.GridCode, &e.Role, &e.Name, &e.Contact, &e.ValidFrom, &e.ValidTo,
		&e.ChangedBy, &e.Reason, &e.ClosedBy, &e.CloseReason)
	return e, err
}

// Roster returns the roster rows f selects, ordered by grid, role and person.
func (s *Store) Roster(ctx context.Context, f gridmap.RosterFilter) (es []gridmap.RosterEntry, err error) {
	defer gridmap.Wrap(&err, "postgis.Roster")
	rows, err := s.pool.Query(ctx, rosterSQL, f.Grid, f.AsOf, f.History)
	if err != nil {
		return nil, mapErr(err, "roster")
	}
	es, err = pgx.CollectRows(rows, scanRoster)
	return es, mapErr(err, "roster")
}

// A person serves only a grid that exists now.
const currentGridSQL = `SELECT EXISTS (SELECT 1 FROM grid_version WHERE code = $1 AND valid_to IS NULL)`

const insertMemberSQL = `
INSERT INTO grid_member (member_id, grid_code, role, name, contact, valid_from, changed_by, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING ` + rosterColumns

// closeMemberSQL closes the person's current row; $1 id, $2 time, $3 by, $4 why.
const closeMemberSQL = `
UPDATE grid_member SET valid_to = $2, closed_by = $3, close_reason = $4
WHERE member_id = $1 AND valid_to IS NULL
RETURNING ` + rosterColumns

// AddMember puts a new person on the roster (see gridmap.RosterService).
func (s *Store) AddMember(ctx context.Context, e gridmap.RosterEdit) (out gridmap.RosterEntry, ver int64, err error) {
	defer gridmap.Wrap(&err, "postgis.AddMember")
	if err := gridmap.CheckRosterEdit(e, true); err != nil {
		return out, 0, err
	}
	err = s.rosterTx(ctx, &ver, func(tx pgx.Tx, now time.Time) error {
		if err := checkCurrentGrid(ctx, tx, e.GridCode); err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(mustQuery(ctx, tx, insertMemberSQL, nil, e.GridCode, e.Role, e.Name, e.Contact, now, e.Actor, e.Reason), scanRoster)
		return err
	})
	return out, ver, err
}

// ChangeMember closes the person's current row and opens one with the
// edit applied (see gridmap.RosterService).
func (s *Store) ChangeMember(ctx context.Context, id int64, e gridmap.RosterEdit) (out gridmap.RosterEntry, ver int64, err error) {
	defer gridmap.Wrap(&err, "postgis.ChangeMember")
	if err := gridmap.CheckRosterEdit(e, false); err != nil {
		return out, 0, err
	}
	err = s.rosterTx(ctx, &ver, func(tx pgx.Tx, now time.Time) error {
		old, err := closeMember(ctx, tx, id, e, now)
		if err != nil {
			return err
		}
		next := old.Member
		if e.GridCode != "" && e.GridCode != old.GridCode {
			if err := checkCurrentGrid(ctx, tx, e.GridCode); err != nil {
				return err
			}
			next.GridCode = e.GridCode
		}
		next.Role = cmpOr(e.Role, next.Role)
		next.Name = cmpOr(e.Name, next.Name)
		next.Contact = cmpOr(e.Contact, next.Contact)
		if next == old.Member {
			return gridmap.Errorf(gridmap.ECONFLICT, "person %d already serves grid %s as %s with these details: nothing to change", id, old.GridCode, old.Role)
		}
		out, err = pgx.CollectExactlyOneRow(mustQuery(ctx, tx, insertMemberSQL, id, next.GridCode, next.Role, next.Name, next.Contact, now, e.Actor, e.Reason), scanRoster)
		return err
	})
	return out, ver, err
}

// RetireMember closes the person's current row (see gridmap.RosterService).
func (s *Store) RetireMember(ctx context.Context, id int64, e gridmap.RosterEdit) (out gridmap.RosterEntry, ver int64, err error) {
	defer gridmap.Wrap(&err, "postgis.RetireMember")
	if err := gridmap.CheckText("reason", e.Reason, gridmap.MaxName, false); err != nil {
		return out, 0, err
	}
	err = s.rosterTx(ctx, &ver, func(tx pgx.Tx, now time.Time) error {
		out, err = closeMember(ctx, tx, id, e, now)
		return err
	})
	return out, ver, err
}

// rosterTx runs fn in a transaction and reads the data version its write
// made (the grid_member trigger bumps it and notifies every instance).
// The closing and opening rows of a change share one time, so no instant
// has the person twice or nowhere.
func (s *Store) rosterTx(ctx context.Context, ver *int64, fn func(tx pgx.Tx, now time.Time) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr(err, "roster")
	}
	defer tx.Rollback(ctx)
	var now time.Time
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		return mapErr(err, "roster")
	}
	if err := fn(tx, now); err != nil {
		var ge *gridmap.Error
		if errors.As(err, &ge) {
			return err
		}
		return mapErr(err, "roster")
	}
	if err := tx.QueryRow(ctx, dataVersionSQL).Scan(ver); err != nil {
		return mapErr(err, "data version")
	}
	return mapErr(tx.Commit(ctx), "roster")
}

func closeMember(ctx context.Context, tx pgx.Tx, id int64, e gridmap.RosterEdit, now time.Time) (gridmap.RosterEntry, error) {
	old, err := pgx.CollectExactlyOneRow(mustQuery(ctx, tx, closeMemberSQL, id, now, e.Actor, e.Reason), scanRoster)
	if errors.Is(err, pgx.ErrNoRows) {
		// A change committed meanwhile closed the row this statement
		// waited on; a new statement sees the row it opened.
		var current bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM grid_member WHERE member_id = $1 AND valid_to IS NULL)`, id).Scan(&current); err != nil {
			return old, err
		}
		if current {
			return old, gridmap.Errorf(gridmap.ECONFLICT, "person %d was changed by someone else at the same moment: reload and try again", id)
		}
		return old, gridmap.Errorf(gridmap.ENOTFOUND, "person %d is not on the roster now (unknown, or retired: see GET /api/v1/roster?history=true)", id)
	}
	if err != nil {
		return old, err
	}
	if e.IfVersion != 0 && old.Version != e.IfVersion {
		return old, gridmap.Errorf(gridmap.EPRECONDITION, "person %d was changed since version %d (now %d): reload and try again", id, e.IfVersion, old.Version)
	}
	return old, nil
}

func checkCurrentGrid(ctx context.Context, tx pgx.Tx, code string) error {
	var ok bool
	if err := tx.QueryRow(ctx, currentGridSQL, code).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return gridmap.Errorf(gridmap.EINVALID, "grid %q does not exist now: a person serves a current grid (see GET /api/v1/grids)", code)
	}
	return nil
}

// mustQuery is tx.Query for CollectExactlyOneRow, which reports the error.
func mustQuery(ctx context.Context, tx pgx.Tx, sql string, args ...any) pgx.Rows {
	rows, _ := tx.Query(ctx, sql, args...)
	return rows
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
