-- +goose Up
-- Issue 12. A default deadline per category, applied to an incident posted
-- or imported without one (so it can become overdue); NULL: no default.
-- The figures are the demo's (internal/demodata.DeadlineDays); a city sets
-- its own with UPDATE incident_category SET deadline_days = … .
ALTER TABLE incident_category
    ADD COLUMN deadline_days int CHECK (deadline_days BETWEEN 1 AND 3650);
UPDATE incident_category SET deadline_days = CASE name
    WHEN 'dispute'         THEN 7
    WHEN 'hazard'          THEN 3
    WHEN 'public_request'  THEN 10
    WHEN 'service_request' THEN 5
    WHEN 'petition'        THEN 60
    WHEN 'environment'     THEN 3
    WHEN 'public_security' THEN 2
    WHEN 'other'           THEN 10
END;

-- Who stored an incident: the API token (id and name at the time), or a
-- command (token NULL, created_by naming it). Rows from before are ''.
ALTER TABLE incident
    ADD COLUMN created_by_token bigint,
    ADD COLUMN created_by text NOT NULL DEFAULT '';

-- Every change made to an incident after it was stored, append-only: who
-- (token id and name), when the write happened (at), and what it set
-- (change: {"status": {"from", "to", "at"}, "department": {"from", "to"},
-- "deadline": {"from", "to"}}).
CREATE TABLE incident_change (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    token_id    bigint,
    actor       text NOT NULL,
    change      jsonb NOT NULL
);
CREATE INDEX incident_change_incident ON incident_change (incident_id, id);

-- +goose StatementBegin
CREATE FUNCTION incident_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident_change is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER incident_change_append_only BEFORE UPDATE ON incident_change
    FOR EACH ROW EXECUTE FUNCTION incident_change_append_only();

-- +goose Down
DROP TABLE incident_change;
DROP FUNCTION incident_change_append_only();
ALTER TABLE incident DROP COLUMN created_by, DROP COLUMN created_by_token;
ALTER TABLE incident_category DROP COLUMN deadline_days;
