-- +goose Up
-- Issue 17: incidents and their steps partitioned by calendar month (China
-- time, UTC+8, as gridmap.ChinaTime), so a month can be rolled up,
-- archived and detached whole instead of deleted row by row.
--
-- 00003 refused partitions because a unique index on a partitioned table
-- must include the partition key, so external_id could no longer be kept
-- unique across months. incident_key solves that: one narrow row per case
-- (id, external_id, reported_at), unpartitioned, holding the global
-- uniqueness of id and external_id. Inserts go key first (postgis:
-- INSERT INTO incident_key … ON CONFLICT (external_id) DO NOTHING, then
-- the incident from what it returned). Its rows stay when a month is
-- archived, so an archived case's id and external id are never reused and
-- a re-import of an archived ticket is a duplicate. Every foreign key that
-- pointed at incident(id) points at incident_key(id).
--
-- No foreign key from incident to incident_key: a per-row check would cost
-- bulk ingest (see 00003 on categories); gridmap writes the key in the
-- same statement as the row. Deleting an incident row deletes its key
-- (incident_delete_key), which cascades as the old foreign keys did.

-- The month (its first day) of a time, in China time.
-- +goose StatementBegin
CREATE FUNCTION gridmap_incident_month(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT date_trunc('month', (at AT TIME ZONE 'UTC') + interval '8 hours')::date
$$;
-- +goose StatementEnd

CREATE TABLE incident_key (
    id          bigint NOT NULL,
    external_id text COLLATE "C" NOT NULL,
    reported_at timestamptz NOT NULL
);
INSERT INTO incident_key (id, external_id, reported_at) SELECT id, external_id, reported_at FROM incident;
ALTER TABLE incident_key
    ADD CONSTRAINT incident_key_pkey PRIMARY KEY (id),
    ADD CONSTRAINT incident_key_external_id_key UNIQUE (external_id);
-- The id sequence now belongs to the keys, which are never dropped; both
-- tables take their ids from it.
ALTER SEQUENCE incident_id_seq OWNED BY incident_key.id;
ALTER TABLE incident_key ALTER COLUMN id SET DEFAULT nextval('incident_id_seq');

-- The foreign keys move to incident_key (incident_reassignment had no
-- cascade and still has none). step_attachment's (incident_id, seq) →
-- incident_step cannot stay: incident_step's key now includes
-- reported_at, which step_attachment does not carry, so it points at the
-- case (incident_key) and loses the check that the step exists
-- (postgis.insertStep writes the step and its attachments together).
ALTER TABLE incident_change DROP CONSTRAINT incident_change_incident_id_fkey,
    ADD CONSTRAINT incident_change_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident_key (id) ON DELETE CASCADE;
ALTER TABLE incident_attachment DROP CONSTRAINT incident_attachment_incident_id_fkey,
    ADD CONSTRAINT incident_attachment_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident_key (id) ON DELETE CASCADE;
ALTER TABLE incident_duplicate DROP CONSTRAINT incident_duplicate_duplicate_id_fkey,
    DROP CONSTRAINT incident_duplicate_main_id_fkey,
    ADD CONSTRAINT incident_duplicate_duplicate_id_fkey FOREIGN KEY (duplicate_id) REFERENCES incident_key (id) ON DELETE CASCADE,
    ADD CONSTRAINT incident_duplicate_main_id_fkey FOREIGN KEY (main_id) REFERENCES incident_key (id) ON DELETE CASCADE;
ALTER TABLE incident_reassignment DROP CONSTRAINT incident_reassignment_incident_id_fkey,
    ADD CONSTRAINT incident_reassignment_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident_key (id);
ALTER TABLE step_attachment DROP CONSTRAINT step_attachment_incident_id_seq_fkey,
    ADD CONSTRAINT step_attachment_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident_key (id) ON DELETE CASCADE;
ALTER TABLE incident_step DROP CONSTRAINT incident_step_incident_id_fkey;

-- The old tables step aside, their index names freed.
ALTER TABLE incident RENAME TO incident_old;
ALTER TABLE incident_old RENAME CONSTRAINT incident_pkey TO incident_old_pkey;
ALTER TABLE incident_old ALTER COLUMN id DROP DEFAULT;
DROP INDEX incident_external_id, incident_reported_brin, incident_grid_id, incident_txid, incident_open_deadline;
ALTER TABLE incident_step RENAME TO incident_step_old;
ALTER TABLE incident_step_old RENAME CONSTRAINT incident_step_pkey TO incident_step_old_pkey;

-- The same columns in the same order, defaults (id from incident_id_seq)
-- and checks.
CREATE TABLE incident (LIKE incident_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)
    PARTITION BY RANGE (reported_at);
ALTER TABLE incident ALTER COLUMN id SET DEFAULT nextval('incident_id_seq');
-- reported_at is the case's (copied at insert: postgis.insertStep), so a
-- case and its steps share a month and are archived together.
CREATE TABLE incident_step (LIKE incident_step_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE,
    reported_at timestamptz NOT NULL)
    PARTITION BY RANGE (reported_at);

-- Month m's partitions of incident and incident_step (incident_yYYYYmMM,
-- incident_step_yYYYYmMM): made when missing; true when it made them.
-- Each is created alone and attached, which locks the parent only
-- SHARE UPDATE EXCLUSIVE (CREATE TABLE … PARTITION OF would take ACCESS
-- EXCLUSIVE and wait for, then block, every reader and writer); the
-- attach copies the parent's indexes, row triggers and foreign keys. An
-- advisory lock serialises two sessions making the same month. A month
-- listed in incident_archive (migration 00021, when present) is refused.
-- +goose StatementBegin
CREATE FUNCTION gridmap_ensure_incident_month(m date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', m)::date;
    suffix text := to_char(date_trunc('month', m), '"y"YYYY"m"MM');
    lo timestamptz := (first::timestamp - interval '8 hours') AT TIME ZONE 'UTC';
    hi timestamptz := ((first + interval '1 month')::timestamp - interval '8 hours') AT TIME ZONE 'UTC';
    archived boolean := false;
    made boolean := false;
    t text;
BEGIN
    IF (SELECT count(*) FROM pg_inherits
        WHERE inhrelid IN (to_regclass('incident_' || suffix), to_regclass('incident_step_' || suffix))
          AND inhparent IN ('incident'::regclass, 'incident_step'::regclass)) = 2 THEN
        RETURN false;
    END IF;
    PERFORM pg_advisory_xact_lock(1735552368, 2);
    IF to_regclass('incident_archive') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM incident_archive WHERE month = $1)' INTO archived USING first;
        IF archived THEN
            RAISE EXCEPTION 'month % is archived', to_char(first, 'YYYY-MM')
                USING ERRCODE = 'P0001', HINT = 'an archived month takes no new incidents or steps';
        END IF;
    END IF;
    FOREACH t IN ARRAY ARRAY['incident', 'incident_step'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_inherits
                       WHERE inhrelid = to_regclass(t || '_' || suffix) AND inhparent = t::regclass) THEN
            IF to_regclass(t || '_' || suffix) IS NOT NULL THEN
                RAISE EXCEPTION 'table %_% exists but is not a partition of %', t, suffix, t
                    USING ERRCODE = 'P0001', HINT = 'attach it again or rename it';
            END IF;
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
                t || '_' || suffix, t);
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                t, t || '_' || suffix,
                to_char(lo AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS+00'),
                to_char(hi AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS+00'));
            made := true;
        END IF;
    END LOOP;
    RETURN made;
END;
$$;
-- +goose StatementEnd

SELECT gridmap_ensure_incident_month(m)
FROM (SELECT DISTINCT gridmap_incident_month(reported_at) AS m FROM incident_old
      UNION
      SELECT (gridmap_incident_month(now()) + n * interval '1 month')::date FROM generate_series(0, 2) AS n) AS months
ORDER BY m;

-- Rows keep their ids; the indexes and triggers come after the load.
INSERT INTO incident SELECT * FROM incident_old;
INSERT INTO incident_step SELECT s.*, k.reported_at FROM incident_step_old s JOIN incident_key k ON k.id = s.incident_id;
DROP TABLE incident_step_old;
DROP TABLE incident_old;

-- Per partition. The primary key must include the partition key; id alone
-- is unique through incident_key. A lookup by id probes each partition's
-- primary key index.
ALTER TABLE incident ADD CONSTRAINT incident_pkey PRIMARY KEY (id, reported_at);
CREATE INDEX incident_reported_brin ON incident USING brin (reported_at) WITH (pages_per_range = 32);
CREATE INDEX incident_grid_id ON incident (grid_code, id);
CREATE INDEX incident_txid ON incident (txid);
CREATE INDEX incident_open_deadline ON incident (deadline)
    WHERE deadline IS NOT NULL AND status IN ('reported', 'accepted', 'in_progress');
-- Row triggers are cloned to every partition; the statement trigger fires
-- once per statement on the parent.
CREATE TRIGGER incident_touch BEFORE UPDATE ON incident
    FOR EACH ROW EXECUTE FUNCTION incident_touch();
CREATE TRIGGER incident_notify AFTER INSERT OR UPDATE OR DELETE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION incident_notify();
-- +goose StatementBegin
CREATE FUNCTION incident_delete_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM incident_key WHERE id = OLD.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER incident_delete_key AFTER DELETE ON incident
    FOR EACH ROW EXECUTE FUNCTION incident_delete_key();

ALTER TABLE incident_step ADD CONSTRAINT incident_step_pkey PRIMARY KEY (incident_id, seq, reported_at),
    ADD CONSTRAINT incident_step_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident_key (id) ON DELETE CASCADE;
CREATE TRIGGER incident_step_append_only BEFORE UPDATE ON incident_step
    FOR EACH ROW EXECUTE FUNCTION incident_step_append_only();

-- +goose Down
-- Back to one table each. Refused while a month is detached (archived):
-- its rows are no longer in incident and would be lost.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM incident_key k WHERE NOT EXISTS (SELECT 1 FROM incident i WHERE i.id = k.id)) THEN
        RAISE EXCEPTION 'some cases are not in incident (an archived month?): migrating down would lose them'
            USING HINT = 'attach the archived months again first';
    END IF;
END;
$$;
-- +goose StatementEnd
ALTER TABLE incident RENAME TO incident_part;
ALTER TABLE incident_part RENAME CONSTRAINT incident_pkey TO incident_part_pkey;
DROP INDEX incident_reported_brin, incident_grid_id, incident_txid, incident_open_deadline;
ALTER TABLE incident_step RENAME TO incident_step_part;
ALTER TABLE incident_step_part RENAME CONSTRAINT incident_step_pkey TO incident_step_part_pkey;

CREATE TABLE incident (LIKE incident_part INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE);
INSERT INTO incident SELECT * FROM incident_part;
CREATE TABLE incident_step (LIKE incident_step_part INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE);
INSERT INTO incident_step SELECT * FROM incident_step_part;
ALTER TABLE incident_step DROP COLUMN reported_at;
ALTER SEQUENCE incident_id_seq OWNED BY incident.id;
DROP TABLE incident_step_part;
DROP TABLE incident_part;
DROP FUNCTION incident_delete_key();

ALTER TABLE incident ADD CONSTRAINT incident_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX incident_external_id ON incident (external_id);
CREATE INDEX incident_reported_brin ON incident USING brin (reported_at) WITH (pages_per_range = 32);
CREATE INDEX incident_grid_id ON incident (grid_code, id);
CREATE INDEX incident_txid ON incident (txid);
CREATE INDEX incident_open_deadline ON incident (deadline)
    WHERE deadline IS NOT NULL AND status IN ('reported', 'accepted', 'in_progress');
CREATE TRIGGER incident_touch BEFORE UPDATE ON incident
    FOR EACH ROW EXECUTE FUNCTION incident_touch();
CREATE TRIGGER incident_notify AFTER INSERT OR UPDATE OR DELETE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION incident_notify();
ALTER TABLE incident_step ADD CONSTRAINT incident_step_pkey PRIMARY KEY (incident_id, seq),
    ADD CONSTRAINT incident_step_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident (id) ON DELETE CASCADE;
CREATE TRIGGER incident_step_append_only BEFORE UPDATE ON incident_step
    FOR EACH ROW EXECUTE FUNCTION incident_step_append_only();

ALTER TABLE incident_change DROP CONSTRAINT incident_change_incident_id_fkey,
    ADD CONSTRAINT incident_change_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident (id) ON DELETE CASCADE;
ALTER TABLE incident_attachment DROP CONSTRAINT incident_attachment_incident_id_fkey,
    ADD CONSTRAINT incident_attachment_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident (id) ON DELETE CASCADE;
ALTER TABLE incident_duplicate DROP CONSTRAINT incident_duplicate_duplicate_id_fkey,
    DROP CONSTRAINT incident_duplicate_main_id_fkey,
    ADD CONSTRAINT incident_duplicate_duplicate_id_fkey FOREIGN KEY (duplicate_id) REFERENCES incident (id) ON DELETE CASCADE,
    ADD CONSTRAINT incident_duplicate_main_id_fkey FOREIGN KEY (main_id) REFERENCES incident (id) ON DELETE CASCADE;
ALTER TABLE incident_reassignment DROP CONSTRAINT incident_reassignment_incident_id_fkey,
    ADD CONSTRAINT incident_reassignment_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incident (id);
ALTER TABLE step_attachment DROP CONSTRAINT step_attachment_incident_id_fkey,
    ADD CONSTRAINT step_attachment_incident_id_seq_fkey FOREIGN KEY (incident_id, seq) REFERENCES incident_step (incident_id, seq) ON DELETE CASCADE;
DROP TABLE incident_key;
DROP FUNCTION gridmap_ensure_incident_month(date);
DROP FUNCTION gridmap_incident_month(timestamptz);
