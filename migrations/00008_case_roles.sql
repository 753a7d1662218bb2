-- +goose Up
-- Issue 14: the roles of the case loop, and what the event stream needs to
-- show every step.

-- A dispatcher is the command centre; a department token acts for one
-- department (its code), which that role requires and no other has.
ALTER TABLE api_token DROP CONSTRAINT api_token_role_check;
ALTER TABLE api_token
    ADD CONSTRAINT api_token_role_check
        CHECK (role IN ('viewer', 'reporter', 'planner', 'admin', 'dispatcher', 'department')),
    ADD COLUMN department text REFERENCES department (code) ON UPDATE CASCADE,
    ADD CONSTRAINT api_token_department_check CHECK ((role = 'department') = (department IS NOT NULL));

-- The newest stored step of a case, cached on the row by the transaction
-- that appends it (postgis.Store.AddStep, a status PATCH): step_txid is
-- that transaction, so the change feed, which reads rows by the
-- transaction that last wrote them (txid), tells a write that appended a
-- step (txid = step_txid) from any other, and the event stream shows the
-- step without reading incident_step. step_status is the case status
-- after it (caseflow.Status, finer than status). Constant defaults: no
-- table rewrite.
ALTER TABLE incident
    ADD COLUMN step_seq    int  NOT NULL DEFAULT 0,
    ADD COLUMN step_kind   text NOT NULL DEFAULT '',
    ADD COLUMN step_status text NOT NULL DEFAULT '',
    ADD COLUMN step_txid   xid8;

-- No new index on incident: every one costs every insert. Possible
-- duplicates (open cases within 50 m) are found in memory
-- (heat.Aggregate.Near): a GiST index on the open cases' locations cost
-- bulk imports 29–43% of their rate (BenchmarkDuplicates). The queue's
-- department filter walks the newest ids, as the other filters do.

-- +goose Down
ALTER TABLE incident DROP COLUMN step_txid, DROP COLUMN step_status, DROP COLUMN step_kind, DROP COLUMN step_seq;
DELETE FROM api_token WHERE role IN ('dispatcher', 'department');
ALTER TABLE api_token DROP CONSTRAINT api_token_department_check, DROP COLUMN department,
    DROP CONSTRAINT api_token_role_check;
ALTER TABLE api_token ADD CONSTRAINT api_token_role_check CHECK (role IN ('viewer', 'reporter', 'planner', 'admin'));
