-- +goose Up
-- Issue 15: grid workers' daily work logs (工作日志) and their patrol tracks.

-- One log per worker per day. The worker is the token that wrote it
-- (token_id) and the token's name when it was written (worker: a
-- person's name, personal data); grid_scope the token's grid. day is the
-- China day (Asia/Shanghai) the log is for.
CREATE TABLE worklog (
    id             bigserial PRIMARY KEY,
    token_id       bigint NOT NULL REFERENCES api_token (id),
    worker         text NOT NULL,
    role           text NOT NULL,
    grid_scope     text,
    day            date NOT NULL,
    notes          text NOT NULL DEFAULT '' CHECK (length(notes) <= 20000),
    visited_people text[] NOT NULL DEFAULT '{}',
    case_ids       bigint[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (token_id, day)
);
CREATE INDEX worklog_day ON worklog (day);

-- A piece of a patrol track, uploaded on its own (resumable: client_id is
-- the phone's id of the piece; a resend of the same id stores nothing).
-- track: M is the time of each point in unix seconds; accuracy the GPS
-- accuracy of each point in metres (NULL when the client sent none).
-- grids and grid_metres are the micro-grids the piece passed through and
-- the metres of it assigned to each (geo.Index.VisitedGrids, computed at
-- upload against the grids then current); flags say why the piece is not
-- to be trusted ('speed', 'outside', 'accuracy').
CREATE TABLE worklog_track (
    id          bigserial PRIMARY KEY,
    worklog_id  bigint NOT NULL REFERENCES worklog (id) ON DELETE CASCADE,
    client_id   text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 200),
    track       geometry(LineStringM, 4326) NOT NULL,
    accuracy    real[],
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    metres      double precision NOT NULL,
    flags       text[] NOT NULL DEFAULT '{}',
    grids       text[] NOT NULL DEFAULT '{}',
    grid_metres double precision[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(grid_metres) = cardinality(grids)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (worklog_id, client_id)
);
CREATE INDEX worklog_track_grids ON worklog_track USING gin (grids);
CREATE INDEX worklog_track_ended ON worklog_track (ended_at);

-- +goose Down
DROP TABLE worklog_track;
DROP TABLE worklog;
