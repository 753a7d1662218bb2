-- +goose Up
-- The roster (issue 15): grid_member rows become versions, like
-- grid_version. A person keeps one member_id through every change (move,
-- new phone, new role); each change closes the current row (valid_to) and
-- opens a new one, and retiring only closes it, so any past roster can be
-- read back (as_of). Who changed it and why are kept on both ends.
ALTER TABLE grid_member
    ADD COLUMN member_id    bigint,
    ADD COLUMN valid_from   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN valid_to     timestamptz,
    ADD COLUMN changed_by   text NOT NULL DEFAULT '',
    ADD COLUMN reason       text NOT NULL DEFAULT '',
    ADD COLUMN closed_by    text NOT NULL DEFAULT '',
    ADD COLUMN close_reason text NOT NULL DEFAULT '',
    ADD CONSTRAINT grid_member_valid CHECK (valid_to IS NULL OR valid_to >= valid_from);
-- Members from before the roster served since their grid's first version.
UPDATE grid_member m SET member_id = m.id,
    valid_from = coalesce((SELECT min(v.valid_from) FROM grid_version v WHERE v.code = m.grid_code), m.valid_from);
ALTER TABLE grid_member ALTER COLUMN member_id SET NOT NULL;

-- A new person (member_id not given) is numbered by the row's own id.
-- +goose StatementBegin
CREATE FUNCTION grid_member_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.member_id := coalesce(NEW.member_id, NEW.id);
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER grid_member_id BEFORE INSERT ON grid_member
    FOR EACH ROW EXECUTE FUNCTION grid_member_id();

DROP INDEX grid_member_grid;
CREATE INDEX grid_member_current_grid ON grid_member (grid_code) WHERE valid_to IS NULL;
CREATE INDEX grid_member_grid_from ON grid_member (grid_code, valid_from);
-- One current row per person: two concurrent moves cannot both win.
CREATE UNIQUE INDEX grid_member_current_person ON grid_member (member_id) WHERE valid_to IS NULL;
CREATE INDEX grid_member_person ON grid_member (member_id, valid_from);

-- +goose Down
DROP INDEX grid_member_person;
DROP INDEX grid_member_current_person;
DROP INDEX grid_member_grid_from;
DROP INDEX grid_member_current_grid;
DELETE FROM grid_member WHERE valid_to IS NOT NULL;
CREATE INDEX grid_member_grid ON grid_member (grid_code);
DROP TRIGGER grid_member_id ON grid_member;
DROP FUNCTION grid_member_id();
ALTER TABLE grid_member
    DROP CONSTRAINT grid_member_valid,
    DROP COLUMN member_id,
    DROP COLUMN valid_from,
    DROP COLUMN valid_to,
    DROP COLUMN changed_by,
    DROP COLUMN reason,
    DROP COLUMN closed_by,
    DROP COLUMN close_reason;
