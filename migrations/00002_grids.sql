-- +goose Up
-- Levels are data, not an enum, so a city can add its own tiers.
CREATE TABLE grid_level (
    name     text PRIMARY KEY,
    rank     int  NOT NULL UNIQUE, -- 1 is the top of the tree
    label_zh text NOT NULL,
    label_en text NOT NULL
);
INSERT INTO grid_level (name, rank, label_zh, label_en) VALUES
    ('street',  1, '街道',     'Street'),
    ('village', 2, '村/社区',  'Village / community'),
    ('micro',   3, '微网格',   'Micro-grid');

-- grid gives each code a stable id (the tile feature id); its versions live in
-- grid_version.
CREATE TABLE grid (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_-]{1,64}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Every change of a grid is a new row; the current one has valid_to IS NULL.
CREATE TABLE grid_version (
    version     bigserial PRIMARY KEY,
    grid_id     bigint NOT NULL REFERENCES grid (id),
    code        text NOT NULL,
    name        text NOT NULL,
    level       text NOT NULL REFERENCES grid_level (name),
    parent_code text,
    attributes  jsonb NOT NULL DEFAULT '{}',
    boundary    geometry(MultiPolygon, 4326) NOT NULL,
    valid_from  timestamptz NOT NULL DEFAULT now(),
    valid_to    timestamptz,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX grid_version_current_code ON grid_version (code) WHERE valid_to IS NULL;
CREATE INDEX grid_version_code_from ON grid_version (code, valid_from);
CREATE INDEX grid_version_current_level ON grid_version (level, code) WHERE valid_to IS NULL;
CREATE INDEX grid_version_current_parent ON grid_version (parent_code) WHERE valid_to IS NULL;
CREATE INDEX grid_version_boundary ON grid_version USING gist (boundary);

CREATE TABLE grid_member (
    id        bigserial PRIMARY KEY,
    grid_code text NOT NULL REFERENCES grid (code),
    role      text NOT NULL CHECK (role IN ('leader', 'worker', 'legal_adviser', 'police_assistant')),
    name      text NOT NULL,
    contact   text NOT NULL DEFAULT '' -- personal data
);
CREATE INDEX grid_member_grid ON grid_member (grid_code);

-- data_version counts changes to grids and members. It is a row, not a
-- sequence, so a reader's snapshot sees the version that matches its data;
-- tile caches and the index are keyed by it.
CREATE TABLE gridmap_state (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    data_version bigint NOT NULL
);
INSERT INTO gridmap_state (data_version) VALUES (0);

-- Every change bumps the version and tells every instance (LISTEN) to reload.
-- +goose StatementBegin
CREATE FUNCTION grid_version_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    UPDATE gridmap_state SET data_version = data_version + 1 RETURNING data_version INTO v;
    PERFORM pg_notify('gridmap_grids', v::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER grid_version_notify AFTER INSERT OR UPDATE OR DELETE ON grid_version
    FOR EACH STATEMENT EXECUTE FUNCTION grid_version_notify();
-- Lookups answer with the members from memory, so member changes reload too.
CREATE TRIGGER grid_member_notify AFTER INSERT OR UPDATE OR DELETE ON grid_member
    FOR EACH STATEMENT EXECUTE FUNCTION grid_version_notify();

-- +goose Down
DROP TRIGGER grid_member_notify ON grid_member;
DROP TRIGGER grid_version_notify ON grid_version;
DROP FUNCTION grid_version_notify();
DROP TABLE gridmap_state;
DROP TABLE grid_member;
DROP TABLE grid_version;
DROP TABLE grid;
DROP TABLE grid_level;
