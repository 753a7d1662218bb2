-- +goose Up
-- Issue 14: the case loop. The rules are in caseflow/ (pure Go); these
-- tables hold what it works on.

-- The departments a case is given to (归口定责). code is what a dispatch
-- step and a department token name; kind groups them for the desk.
CREATE TABLE department (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,31}$'),
    rank    int  NOT NULL UNIQUE,
    name_zh text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 200),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    -- command: the command centre (dispatchers); office: an office of the
    -- street; station: a station of the district posted in the street
    -- (站所); team: a field team; partner: joins the Wednesday review.
    kind    text NOT NULL CHECK (kind IN ('command', 'office', 'station', 'team', 'partner'))
);
-- The seed street office's departments (../shared/context): the four grid
-- resources (综治, 创城, 警务, 综合执法), those at the Wednesday review
-- (信访, 公安, 法庭, 法律顾问), and those its cases go to. name_zh matches
-- the demo's department names (internal/demodata).
INSERT INTO department (code, rank, name_zh, name_en, kind) VALUES
    ('command',       1, '综治中心',         'Comprehensive governance centre', 'command'),
    ('police',        2, '派出所',           'Police station',                  'station'),
    ('justice',       3, '司法所',           'Justice office',                  'station'),
    ('petition',      4, '信访办',           'Petition office',                 'office'),
    ('enforcement',   5, '综合执法中队',     'Law enforcement team',            'team'),
    ('emergency',     6, '应急管理办公室',   'Emergency management office',     'office'),
    ('sanitation',    7, '环卫所',           'Sanitation station',              'station'),
    ('civil_affairs', 8, '民政办',           'Civil affairs office',            'office'),
    ('service',       9, '便民服务中心',     'Public service centre',           'office'),
    ('civilised_city', 10, '创城办',         'Civilised city office',           'office'),
    ('court',        11, '人民法庭',         'People''s tribunal',              'partner');

-- The people of a department. name and phone are personal data.
CREATE TABLE department_member (
    id         bigserial PRIMARY KEY,
    department text NOT NULL REFERENCES department (code) ON UPDATE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- head: 负责人; staff: 工作人员; the loop role comes from the token.
    role       text NOT NULL CHECK (role IN ('head', 'staff')),
    phone      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX department_member_department ON department_member (department);

-- Photos and documents, content-addressed: the SHA-256 of bytes is the key,
-- so the same photo sent twice is stored once. Personal data.
CREATE TABLE attachment (
    sha256        bytea PRIMARY KEY CHECK (length(sha256) = 32),
    media_type    text NOT NULL CHECK (length(media_type) BETWEEN 3 AND 100),
    bytes         bytea NOT NULL,
    size          int NOT NULL CHECK (size = octet_length(bytes)),
    thumbnail     bytea,
    -- Read from the EXIF before it is stripped from bytes.
    exif_time     timestamptz,
    exif_position geometry(Point, 4326),
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Photos are compressed already: store them out of line, uncompressed.
ALTER TABLE attachment ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- A case's steps, append-only, numbered 1, 2, … per case (seq). The case's
-- status is derived from them (caseflow.StatusOf). who: the person, the
-- role they acted in, their token (NULL for a command) and, for a
-- department, its code. payload: the step's own fields (reason, department,
-- person, deadline, decision, agenda, outcome) and "changes", what it set.
CREATE TABLE incident_step (
    incident_id      bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    seq              int NOT NULL CHECK (seq >= 1),
    step             text NOT NULL CHECK (step IN ('register', 'reject', 'dispatch', 'investigate', 'consult',
                         'supervise', 'resolve', 'review', 'reply', 'revisit', 'close')),
    at               timestamptz NOT NULL,
    actor_person     text NOT NULL,
    actor_role       text NOT NULL CHECK (actor_role IN ('admin', 'dispatcher', 'department', 'reporter', 'viewer', 'system')),
    actor_token      bigint,
    actor_department text NOT NULL DEFAULT '',
    note             text NOT NULL DEFAULT '',
    payload          jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, seq)
);

-- +goose StatementBegin
CREATE FUNCTION incident_step_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident_step is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER incident_step_append_only BEFORE UPDATE ON incident_step
    FOR EACH ROW EXECUTE FUNCTION incident_step_append_only();

-- The attachments of a step (after photos of a resolve, minutes of a
-- consult).
CREATE TABLE step_attachment (
    incident_id bigint NOT NULL,
    seq         int NOT NULL,
    sha256      bytea NOT NULL REFERENCES attachment (sha256),
    position    int NOT NULL, -- the order they were given in
    PRIMARY KEY (incident_id, seq, sha256),
    FOREIGN KEY (incident_id, seq) REFERENCES incident_step (incident_id, seq) ON DELETE CASCADE
);
CREATE INDEX step_attachment_sha256 ON step_attachment (sha256);

-- A duplicate report linked to its main case: counted once, answered
-- together. A case is the duplicate of at most one main case.
CREATE TABLE incident_duplicate (
    duplicate_id bigint PRIMARY KEY REFERENCES incident (id) ON DELETE CASCADE,
    main_id      bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE CHECK (main_id <> duplicate_id),
    linked_at    timestamptz NOT NULL DEFAULT now(),
    linked_by    text NOT NULL,
    token_id     bigint
);
CREATE INDEX incident_duplicate_main ON incident_duplicate (main_id);

-- What the steps set, cached on the case row and written in the same
-- transaction as the step, under the row's lock (postgis.Store.AddStep):
-- the queue filters on them and the change feed carries them, which a view
-- over the steps could give only by aggregating every case's history on
-- every read. department, deadline and status were there already: a
-- dispatch sets department (a department code), person and deadline, a
-- supervision the deadline and one more to supervised, a revisit the
-- satisfaction. Constant defaults: no table rewrite.
ALTER TABLE incident
    ADD COLUMN person       text NOT NULL DEFAULT '',
    ADD COLUMN supervised   int  NOT NULL DEFAULT 0 CHECK (supervised >= 0),
    ADD COLUMN satisfaction text NOT NULL DEFAULT ''
        CHECK (satisfaction IN ('', 'satisfied', 'basically_satisfied', 'not_satisfied'));

-- Incidents stored with a status and no steps (rows from before the loop,
-- imports, the demo) have the steps that reach it implied, derived when
-- read (caseflow.Implied), and stored only when a step is appended: an
-- import stays a plain COPY, and this migration rewrites nothing.

-- +goose Down
ALTER TABLE incident DROP COLUMN satisfaction, DROP COLUMN supervised, DROP COLUMN person;
DROP TABLE incident_duplicate;
DROP TABLE step_attachment;
DROP TABLE incident_step;
DROP FUNCTION incident_step_append_only();
DROP TABLE attachment;
DROP TABLE department_member;
DROP TABLE department;
