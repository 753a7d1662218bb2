-- +goose Up
-- Issue 15: the photos a report is sent with (a grid worker's field app
-- posts them with the case, before any step exists). Given once by the
-- token that reported the case; a resend of the same report links nothing
-- twice.
CREATE TABLE incident_attachment (
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    sha256      bytea NOT NULL REFERENCES attachment (sha256),
    position    int NOT NULL, -- the order they were given in
    PRIMARY KEY (incident_id, sha256)
);
CREATE INDEX incident_attachment_sha256 ON incident_attachment (sha256);

-- +goose Down
DROP TABLE incident_attachment;
