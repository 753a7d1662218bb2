-- +goose Up
-- A plan is a planner's draft set of boundary changes, validated and then
-- published in one transaction as new grid versions (issue 6).
CREATE TABLE plan (
    id                bigserial PRIMARY KEY,
    title             text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'discarded')),
    -- revision counts edits; with id it is the plan's ETag.
    revision          bigint NOT NULL DEFAULT 0,
    created_by        text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- gridmap_state.data_version when the plan was created.
    base_data_version bigint NOT NULL,
    published_at      timestamptz,
    published_by      text,
    -- the data version the publication produced.
    data_version      bigint,
    forced            boolean NOT NULL DEFAULT false,
    force_reason      text,
    discarded_at      timestamptz,
    discarded_by      text,
    CHECK (NOT forced OR force_reason <> '')
);
CREATE INDEX plan_status ON plan (status, id);

-- The changes of a plan in order. body is the change as the API shows it
-- (gridmap.Change JSON, boundaries as GeoJSON); base maps each existing
-- grid code the change touches to the version it was drafted against.
CREATE TABLE plan_change (
    plan_id bigint NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    seq     int    NOT NULL,
    kind    text   NOT NULL CHECK (kind IN ('replace', 'add', 'split', 'merge', 'retire', 'move')),
    body    jsonb  NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

-- Which plan wrote a grid version, and which closed it. Versions written
-- by an import or the demo have no row.
CREATE TABLE grid_version_plan (
    version        bigint PRIMARY KEY REFERENCES grid_version (version),
    plan_id        bigint REFERENCES plan (id),
    closed_by_plan bigint REFERENCES plan (id)
);
CREATE INDEX grid_version_plan_plan ON grid_version_plan (plan_id);

-- One row per incident a publication moved to another grid.
CREATE TABLE incident_reassignment (
    id               bigserial PRIMARY KEY,
    incident_id      bigint NOT NULL REFERENCES incident (id),
    plan_id          bigint NOT NULL REFERENCES plan (id),
    old_grid         text,
    new_grid         text,
    boundary_version bigint NOT NULL,
    at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_reassignment_incident ON incident_reassignment (incident_id);
CREATE INDEX incident_reassignment_plan ON incident_reassignment (plan_id);

-- Who changed the map, when and what: one row per publication or direct
-- edit. detail holds the codes added, changed and retired, the incidents
-- moved and, when forced, the problems published over.
CREATE TABLE grid_audit (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL CHECK (action IN ('publish', 'edit')),
    plan_id bigint REFERENCES plan (id),
    forced  boolean NOT NULL DEFAULT false,
    reason  text,
    detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX grid_audit_plan ON grid_audit (plan_id);

-- +goose Down
DROP TABLE grid_audit;
DROP TABLE incident_reassignment;
DROP TABLE grid_version_plan;
DROP TABLE plan_change;
DROP TABLE plan;
