-- +goose Up
-- Issue 17: per-month rollups of incidents and the record of archived
-- months. A month is a calendar month in China time (UTC+8), named by its
-- first day; month m covers [m 00:00+08, m + 1 month 00:00+08).

-- Counts of a month's incidents by grid, category and status. They outlive
-- the month's partition, so statistics over old months survive archiving.
CREATE TABLE incident_month_rollup (
    month     date NOT NULL CHECK (extract(day FROM month) = 1),
    -- '' for incidents outside every grid (incident.grid_code IS NULL).
    grid_code text COLLATE "C" NOT NULL,
    category  text NOT NULL,
    status    text NOT NULL,
    incidents bigint NOT NULL CHECK (incidents > 0),
    PRIMARY KEY (month, grid_code, category, status)
);

-- Which months have rollups, when they were made and how many incidents
-- they counted.
CREATE TABLE incident_month_rollup_state (
    month        date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    refreshed_at timestamptz NOT NULL,
    incidents    bigint NOT NULL
);

-- The months written to archive files and detached from incident.
CREATE TABLE incident_archive (
    month       date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    archived_at timestamptz NOT NULL,
    incidents   bigint,
    steps       bigint,
    -- Where the files were written (the directory), and the sha256 of the
    -- manifest that lists each file's sha256.
    location    text,
    sha256      text
);

-- The UTC instant month m begins in China time.
-- +goose StatementBegin
CREATE FUNCTION gridmap_month_start(m date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT (date_trunc('month', m)::timestamp - interval '8 hours') AT TIME ZONE 'UTC'
$$;
-- +goose StatementEnd

-- True when month m has been archived; gridmap_ensure_incident_month
-- refuses such a month.
-- +goose StatementBegin
CREATE FUNCTION gridmap_month_archived(m date) RETURNS boolean
LANGUAGE sql STABLE STRICT AS $$
    SELECT EXISTS (SELECT 1 FROM incident_archive WHERE month = date_trunc('month', m)::date)
$$;
-- +goose StatementEnd

-- Replaces month m's rollup from incident (plain or partitioned: the
-- reported_at range prunes to the month's partition) and returns the
-- incidents counted. An archived month's rollup is frozen: nothing is
-- done and the archived count is returned.
-- +goose StatementBegin
CREATE FUNCTION gridmap_rollup_month(m date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    mon  date := date_trunc('month', m)::date;
    lo   timestamptz := gridmap_month_start(m);
    hi   timestamptz := gridmap_month_start((date_trunc('month', m) + interval '1 month')::date);
    n    bigint;
BEGIN
    -- One refresh of a month at a time (two would both delete, then both
    -- insert and collide on the primary key).
    PERFORM pg_advisory_xact_lock(1735552368, 17);
    SELECT a.incidents INTO n FROM incident_archive a WHERE a.month = mon;
    IF FOUND THEN
        RETURN coalesce(n, 0);
    END IF;
    DELETE FROM incident_month_rollup WHERE month = mon;
    INSERT INTO incident_month_rollup (month, grid_code, category, status, incidents)
    SELECT mon, coalesce(grid_code, ''), category, status, count(*)
    FROM incident
    WHERE reported_at >= lo AND reported_at < hi
    GROUP BY 2, 3, 4;
    SELECT coalesce(sum(incidents), 0) INTO n FROM incident_month_rollup WHERE month = mon;
    INSERT INTO incident_month_rollup_state (month, refreshed_at, incidents)
    VALUES (mon, now(), n)
    ON CONFLICT (month) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, incidents = EXCLUDED.incidents;
    RETURN n;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION gridmap_rollup_month(date);
DROP FUNCTION gridmap_month_archived(date);
DROP FUNCTION gridmap_month_start(date);
DROP TABLE incident_archive;
DROP TABLE incident_month_rollup_state;
DROP TABLE incident_month_rollup;
