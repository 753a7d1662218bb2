-- +goose Up
-- A NOTIFY holds PostgreSQL's global notify lock from the writer's
-- pre-commit until its commit is flushed, so notifying writers commit one
-- at a time (single posts at ~400/s). gridmap's own connections set
-- gridmap.notify = 'after_commit' (postgis.Open) and announce their writes
-- themselves once committed (postgis.Store.notifyIncidents); any other
-- writer (psql, a script) is still announced by the trigger.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION incident_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('gridmap.notify', true), '') <> 'after_commit' THEN
        PERFORM pg_notify('gridmap_incidents', '');
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION incident_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridmap_incidents', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
