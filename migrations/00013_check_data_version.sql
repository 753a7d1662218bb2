-- +goose Up
-- An import assigned under grid data version v takes a share lock on the
-- version and checks it in the statement that begins its transaction
-- (postgis.Store.ImportIncidents: "BEGIN; SELECT
-- gridmap_check_data_version(v)", one round trip instead of two). A
-- publication takes the row for update before it moves incidents, so
-- either it waits for the import and moves its rows, or the import sees
-- the new version here and its rows are assigned again.
-- +goose StatementBegin
CREATE FUNCTION gridmap_check_data_version(assigned bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    cur bigint;
BEGIN
    SELECT data_version INTO cur FROM gridmap_state FOR SHARE;
    IF cur <> assigned THEN
        RAISE EXCEPTION 'the grids changed (data version %, assigned under %)', cur, assigned
            USING ERRCODE = 'GM001', DETAIL = cur::text;
    END IF;
    RETURN cur;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION gridmap_check_data_version(bigint);
