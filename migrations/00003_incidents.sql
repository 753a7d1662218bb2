-- +goose Up
-- Categories are data, not an enum, so a city can add its own.
CREATE TABLE incident_category (
    name     text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
    rank     int  NOT NULL UNIQUE,
    label_zh text NOT NULL,
    label_en text NOT NULL
);
INSERT INTO incident_category (name, rank, label_zh, label_en) VALUES
    ('dispute',         1, '矛盾纠纷', 'Dispute'),
    ('hazard',          2, '安全隐患', 'Hazard'),
    ('public_request',  3, '民情民意', 'Public request'),
    ('service_request', 4, '帮办代办', 'Service request'),
    ('petition',        5, '信访',     'Petition'),
    ('environment',     6, '环境卫生', 'Environment'),
    ('public_security', 7, '治安',     'Public security'),
    ('other',           8, '其他',     'Other');

-- One row per incident. Sized for tens of millions of rows: the time
-- window of the statistics is served by a BRIN index on reported_at (rows
-- arrive roughly in time order, so block ranges are tight and the index is
-- a few hundred kilobytes), not by partitions, because partitions could not
-- keep external_id globally unique.
CREATE TABLE incident (
    id               bigserial PRIMARY KEY,
    -- The idempotency key, such as the hotline ticket number. Byte order
    -- ("C"): ids and codes are compared, never sorted for people, and the
    -- C.UTF-8 locale's comparisons would cost a fifth of bulk ingest.
    external_id      text COLLATE "C" NOT NULL CHECK (length(external_id) BETWEEN 1 AND 128),
    -- Checked against incident_category at ingest (a per-row foreign key
    -- would cost a quarter of bulk ingest); incident_category_in_use keeps
    -- a category in use from being deleted or renamed.
    category         text NOT NULL,
    source           text NOT NULL CHECK (source IN ('grid_worker', 'hotline', 'visit', 'other')),
    status           text NOT NULL DEFAULT 'reported'
                     CHECK (status IN ('reported', 'accepted', 'in_progress', 'resolved', 'replied', 'closed')),
    reported_at      timestamptz NOT NULL,
    accepted_at      timestamptz,
    in_progress_at   timestamptz,
    resolved_at      timestamptz,
    replied_at       timestamptz,
    closed_at        timestamptz,
    department       text NOT NULL DEFAULT '',
    deadline         timestamptz,
    location         geometry(Point, 4326) NOT NULL,
    -- The deepest grid containing location when it was assigned (through
    -- the in-memory index), NULL when the point is outside every grid, and
    -- the grid data version (newest grid_version.version) assigned under.
    -- No foreign key: grid codes are never deleted, and a per-row check
    -- would halve bulk ingest.
    grid_code        text COLLATE "C",
    boundary_version bigint NOT NULL,
    -- Personal data: never selected by listings, statistics, tiles or events.
    description      text NOT NULL DEFAULT '',
    reporter_name    text NOT NULL DEFAULT '',
    reporter_phone   text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- The transaction that last wrote the row: the change feed reads the
    -- rows written since a snapshot (see postgis/incidents_feed.go).
    txid             xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE UNIQUE INDEX incident_external_id ON incident (external_id);
CREATE INDEX incident_reported_brin ON incident USING brin (reported_at) WITH (pages_per_range = 32);
-- Listing one grid's incidents, newest first.
CREATE INDEX incident_grid_id ON incident (grid_code, id);
CREATE INDEX incident_txid ON incident (txid);
-- Overdue: only open incidents with a deadline, a small part of the table.
CREATE INDEX incident_open_deadline ON incident (deadline)
    WHERE deadline IS NOT NULL AND status IN ('reported', 'accepted', 'in_progress');

-- +goose StatementBegin
CREATE FUNCTION incident_category_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.name <> OLD.name)
       AND EXISTS (SELECT 1 FROM incident WHERE category = OLD.name) THEN
        RAISE EXCEPTION 'incident category % is in use', OLD.name USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER incident_category_in_use BEFORE DELETE OR UPDATE OF name ON incident_category
    FOR EACH ROW EXECUTE FUNCTION incident_category_in_use();

-- An update stamps the row with its transaction, for the change feed.
-- +goose StatementBegin
CREATE FUNCTION incident_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.txid := pg_current_xact_id();
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER incident_touch BEFORE UPDATE ON incident
    FOR EACH ROW EXECUTE FUNCTION incident_touch();

-- Any write tells every instance to read the change feed (once per
-- statement, so a batch of 10,000 is one notice).
-- +goose StatementBegin
CREATE FUNCTION incident_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridmap_incidents', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER incident_notify AFTER INSERT OR UPDATE OR DELETE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION incident_notify();

-- +goose Down
DROP TRIGGER incident_notify ON incident;
DROP FUNCTION incident_notify();
DROP TRIGGER incident_touch ON incident;
DROP FUNCTION incident_touch();
DROP TABLE incident;
DROP TRIGGER incident_category_in_use ON incident_category;
DROP FUNCTION incident_category_in_use();
DROP TABLE incident_category;
