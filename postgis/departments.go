package postgis

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// The people of the departments (department_member, migrations 00007 and
// 00014). A person who leaves is retired (retired_at), not deleted.

const memberColumns = `m.id, m.department, m.name, m.role, m.phone, m.created_at, m.retired_at`

func scanDepartmentMember(r pgx.CollectableRow) (caseflow.Member, error) {
	var m caseflow.Member
	err := r.Scan(&m.ID, &m.Department, &m.Name, &m.Role, &m.Phone, &m.CreatedAt, &m.RetiredAt)
	return m, err
}

// departmentMembersSQL lists members of one department ($1) or of all
// ($1 = ”), the current ones only unless $2: by department order, heads
// first, then as added.
const departmentMembersSQL = `
SELECT ` + memberColumns + ` FROM department_member m JOIN department d ON d.code = m.department
WHERE ($1 = '' OR m.department = $1) AND ($2 OR m.retired_at IS NULL)
ORDER BY d.rank, m.role <> 'head', m.id`

// DepartmentMembers returns the people of department code, or of every
// department when code is "": those serving now, and the retired too when
// retired is set. Errors: ENOTFOUND for an unknown department.
func (s *Store) DepartmentMembers(ctx context.Context, code string, retired bool) (ms []caseflow.Member, err error) {
	defer gridmap.Wrap(&err, "postgis.DepartmentMembers")
	if code != "" {
		if err := s.knownDepartment(ctx, code); err != nil {
			return nil, err
		}
	}
	rows, err := s.pool.Query(ctx, departmentMembersSQL, code, retired)
	if err != nil {
		return nil, mapErr(err, "department members")
	}
	ms, err = pgx.CollectRows(rows, scanDepartmentMember)
	return ms, mapErr(err, "department members")
}

func (s *Store) knownDepartment(ctx context.Context, code string) error {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM department WHERE code = $1)`, code).Scan(&ok); err != nil {
		return mapErr(err, "departments")
	}
	if !ok {
		return gridmap.Errorf(gridmap.ENOTFOUND, "department %q not found; GET /api/v1/departments lists them", code)
	}
	return nil
}

// AddDepartmentMember adds a person to m.Department (checked with
// caseflow.CheckMember first) and returns the stored row. Errors:
// EINVALID, ENOTFOUND for an unknown department.
func (s *Store) AddDepartmentMember(ctx context.Context, m caseflow.Member) (out caseflow.Member, err error) {
	defer gridmap.Wrap(&err, "postgis.AddDepartmentMember")
	if err := caseflow.CheckMember(&m); err != nil {
		return out, err
	}
	if err := s.knownDepartment(ctx, m.Department); err != nil {
		return out, err
	}
	rows, err := s.pool.Query(ctx, `
INSERT INTO department_member AS m (department, name, role, phone) VALUES ($1, $2, $3, $4)
RETURNING `+memberColumns, m.Department, m.Name, m.Role, m.Phone)
	if err != nil {
		return out, mapErr(err, "department member")
	}
	out, err = pgx.CollectExactlyOneRow(rows, scanDepartmentMember)
	return out, mapErr(err, "department member")
}

// RetireDepartmentMember marks person id of department code as left, now,
// and returns the row. Errors: ENOTFOUND (no such person in that
// department), ECONFLICT (retired already).
func (s *Store) RetireDepartmentMember(ctx context.Context, code string, id int64) (out caseflow.Member, err error) {
	defer gridmap.Wrap(&err, "postgis.RetireDepartmentMember")
	what := fmt.Sprintf("person %d of department %q", id, code)
	rows, err := s.pool.Query(ctx, `
UPDATE department_member m SET retired_at = greatest(now(), m.created_at)
WHERE m.id = $1 AND m.department = $2 AND m.retired_at IS NULL
RETURNING `+memberColumns, id, code)
	if err != nil {
		return out, mapErr(err, what)
	}
	out, err = pgx.CollectExactlyOneRow(rows, scanDepartmentMember)
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return out, mapErr(err, what)
	}
	var retired bool
	switch err := s.pool.QueryRow(ctx, `SELECT retired_at IS NOT NULL FROM department_member WHERE id = $1 AND department = $2`, id, code).Scan(&retired); {
	case errors.Is(err, pgx.ErrNoRows):
		return out, gridmap.Errorf(gridmap.ENOTFOUND, "%s not found; GET /api/v1/departments/%s/members lists them", what, code)
	case err != nil:
		return out, mapErr(err, what)
	}
	return out, gridmap.Errorf(gridmap.ECONFLICT, "%s is retired already", what)
}

// DemoDepartmentMembers adds the people given to each department that has
// none yet (so loading the demo twice adds nothing) and returns how many
// it added. Errors: EINVALID for a person CheckMember refuses.
func (s *Store) DemoDepartmentMembers(ctx context.Context, ms []caseflow.Member) (n int, err error) {
	defer gridmap.Wrap(&err, "postgis.DemoDepartmentMembers")
	var deps, names, roles, phones []string
	for _, m := range ms {
		if err := caseflow.CheckMember(&m); err != nil {
			return 0, err
		}
		deps, names, roles, phones = append(deps, m.Department), append(names, m.Name), append(roles, m.Role), append(phones, m.Phone)
	}
	tag, err := s.pool.Exec(ctx, `
INSERT INTO department_member (department, name, role, phone)
SELECT u.department, u.name, u.role, u.phone
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u (department, name, role, phone, n)
WHERE NOT EXISTS (SELECT 1 FROM department_member m WHERE m.department = u.department)
ORDER BY u.n`, deps, names, roles, phones)
	if err != nil {
		return 0, mapErr(err, "department members")
	}
	return int(tag.RowsAffected()), nil
}
