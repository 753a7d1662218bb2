-- +goose Up
-- API tokens (issue 7). Only the SHA-256 of a token's secret part is kept:
-- the token itself ("gm_<id>_<secret>") is shown once, when it is created.
CREATE TABLE api_token (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role        text NOT NULL CHECK (role IN ('viewer', 'reporter', 'planner', 'admin')),
    -- A reporter scoped to a grid (a grid worker) reads the personal data of
    -- that grid's incidents only; NULL for no scope.
    grid_code   text,
    secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- Every instance keeps the tokens in memory (so lookups need no database);
-- a change tells them to reload.
-- +goose StatementBegin
CREATE FUNCTION api_token_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridmap_tokens', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER api_token_notify AFTER INSERT OR UPDATE OR DELETE ON api_token
    FOR EACH STATEMENT EXECUTE FUNCTION api_token_notify();

-- +goose Down
DROP TRIGGER api_token_notify ON api_token;
DROP FUNCTION api_token_notify();
DROP TABLE api_token;
