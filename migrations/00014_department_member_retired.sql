-- +goose Up
-- A department's person who leaves is retired, not deleted: dispatch steps
-- name people as text, and the history of who was in a department stays.
ALTER TABLE department_member ADD COLUMN retired_at timestamptz;
-- A retirement comes after the person was added.
ALTER TABLE department_member ADD CONSTRAINT department_member_retired_after
    CHECK (retired_at IS NULL OR retired_at >= created_at);
-- The desk lists the current people of one department.
CREATE INDEX department_member_current ON department_member (department) WHERE retired_at IS NULL;

-- +goose Down
DROP INDEX department_member_current;
ALTER TABLE department_member DROP CONSTRAINT department_member_retired_after;
ALTER TABLE department_member DROP COLUMN retired_at;
