package postgis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

// Attachments (issue 14): the attachment table of migration 00007, keyed
// by the SHA-256 of the stored bytes. The bytes are checked and stripped
// by package media before they get here.

// putAttachmentSQL stores an attachment unless its key is stored already
// (the same file again): then it returns no row.
const putAttachmentSQL = `
INSERT INTO attachment (sha256, media_type, bytes, size, thumbnail, exif_time, exif_position)
VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6,
        CASE WHEN $7::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($7::float8, $8::float8), 4326) END)
ON CONFLICT (sha256) DO NOTHING
RETURNING created_at`

// attachmentColumns are what scanAttachment reads, in its order.
const attachmentColumns = `encode(a.sha256, 'hex'), a.media_type, a.size, a.exif_time,
       ST_X(a.exif_position), ST_Y(a.exif_position), a.thumbnail IS NOT NULL, a.created_at`

const attachmentSQL = `SELECT ` + attachmentColumns + ` FROM attachment a WHERE a.sha256 = decode($1, 'hex')`

// attachmentFileSQL reads an attachment's bytes ($2 false) or thumbnail
// ($2 true) and the cases that name it, in a step or as a report's photo,
// through the step_attachment_sha256 and incident_attachment_sha256
// indexes.
const attachmentFileSQL = `
WITH used AS (
    SELECT s.incident_id FROM step_attachment s WHERE s.sha256 = decode($1, 'hex')
    UNION
    SELECT r.incident_id FROM incident_attachment r WHERE r.sha256 = decode($1, 'hex')
)
SELECT ` + attachmentColumns + `,
       CASE WHEN $2 THEN a.thumbnail ELSE a.bytes END,
       (SELECT count(*) FROM used),
       (SELECT coalesce(array_agg(DISTINCT coalesce(i.grid_code, '')), '{}')
        FROM used u JOIN incident i ON i.id = u.incident_id),
       (SELECT coalesce(array_agg(DISTINCT i.department) FILTER (WHERE i.department <> ''), '{}')
        FROM used u JOIN incident i ON i.id = u.incident_id)
FROM attachment a WHERE a.sha256 = decode($1, 'hex')`

func scanAttachment(a *gridmap.Attachment, lon, lat **float64) []any {
	return []any{&a.ID, &a.MediaType, &a.Size, &a.ExifTime, lon, lat, &a.HasThumbnail, &a.CreatedAt}
}

func setPosition(a *gridmap.Attachment, lon, lat *float64) {
	if lon != nil && lat != nil {
		a.ExifPosition = &[2]float64{*lon, *lat}
	}
}

// attachmentKey checks an attachment id: 64 hex digits (a SHA-256).
func attachmentKey(id string) error {
	if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
		return gridmap.Errorf(gridmap.ENOTFOUND, "attachment %.80q not found: an attachment id is the 64 hex digits of its SHA-256", id)
	}
	return nil
}

// PutAttachment stores attachment a with body (whose SHA-256 a.ID is)
// and thumbnail (nil for none) in one statement; when an attachment of
// that id is stored already it stores nothing and returns that one, with
// created false. a.Size is set from body. Errors: EINVALID for an id
// that is not the SHA-256 of body.
func (s *Store) PutAttachment(ctx context.Context, a gridmap.Attachment, body, thumbnail []byte) (stored gridmap.Attachment, created bool, err error) {
	defer gridmap.Wrap(&err, "postgis.PutAttachment(%.12s)", a.ID)
	if sum := sha256.Sum256(body); a.ID != hex.EncodeToString(sum[:]) {
		return stored, false, gridmap.Errorf(gridmap.EINVALID, "attachment id %.80q is not the SHA-256 of its bytes", a.ID)
	}
	var lon, lat *float64
	if p := a.ExifPosition; p != nil {
		lon, lat = &p[0], &p[1]
	}
	a.Size, a.HasThumbnail = len(body), thumbnail != nil
	err = s.pool.QueryRow(ctx, putAttachmentSQL, a.ID, a.MediaType, body, a.Size, thumbnail, a.ExifTime, lon, lat).Scan(&a.CreatedAt)
	switch {
	case err == nil:
		return a, true, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return stored, false, mapErr(err, "attachment "+a.ID)
	}
	err = s.pool.QueryRow(ctx, attachmentSQL, a.ID).Scan(scanAttachment(&stored, &lon, &lat)...)
	setPosition(&stored, lon, lat)
	return stored, false, mapErr(err, "attachment "+a.ID)
}

// Attachment returns attachment id's file and the cases that use it.
// Errors: ENOTFOUND.
func (s *Store) Attachment(ctx context.Context, id string) (f gridmap.AttachmentFile, err error) {
	defer gridmap.Wrap(&err, "postgis.Attachment(%.12s)", id)
	return s.attachmentFile(ctx, id, false)
}

// Thumbnail returns attachment id's thumbnail (a JPEG) and the cases that
// use it. Errors: ENOTFOUND, also for one without a thumbnail (a PDF).
func (s *Store) Thumbnail(ctx context.Context, id string) (f gridmap.AttachmentFile, err error) {
	defer gridmap.Wrap(&err, "postgis.Thumbnail(%.12s)", id)
	f, err = s.attachmentFile(ctx, id, true)
	switch {
	case err != nil:
		return f, err
	case f.Body == nil:
		return gridmap.AttachmentFile{}, gridmap.Errorf(gridmap.ENOTFOUND, "attachment %s (%s) has no thumbnail: only images have one", id, f.MediaType)
	}
	f.MediaType = "image/jpeg"
	return f, nil
}

func (s *Store) attachmentFile(ctx context.Context, id string, thumbnail bool) (f gridmap.AttachmentFile, err error) {
	if err := attachmentKey(id); err != nil {
		return f, err
	}
	var lon, lat *float64
	dst := append(scanAttachment(&f.Attachment, &lon, &lat), &f.Body, &f.Cases, &f.Grids, &f.Departments)
	if err := s.pool.QueryRow(ctx, attachmentFileSQL, id, thumbnail).Scan(dst...); err != nil {
		return f, mapErr(err, fmt.Sprintf("attachment %s", id))
	}
	setPosition(&f.Attachment, lon, lat)
	return f, nil
}

// attachToIncidentSQL links the photos $3 (hex ids, in order) to incident
// $1 when token $2 reported it; links it holds already are left alone.
const attachToIncidentSQL = `
INSERT INTO incident_attachment (incident_id, sha256, position)
SELECT i.id, decode(x.id, 'hex'), x.n
FROM incident i, unnest($3::text[]) WITH ORDINALITY AS x(id, n)
WHERE i.id = $1 AND i.created_by_token IS NOT DISTINCT FROM $2
ON CONFLICT (incident_id, sha256) DO NOTHING`

// AttachToIncident gives incident id the photos ids (attachment ids, in
// their order) it was reported with. Only the token that reported it may
// (tokenID; 0 for a command); ids it holds already are not linked again,
// so a resent report changes nothing. Errors: ENOTFOUND (the incident or
// an attachment), EFORBIDDEN (another token's report).
func (s *Store) AttachToIncident(ctx context.Context, id, tokenID int64, ids []string) (err error) {
	defer gridmap.Wrap(&err, "postgis.AttachToIncident(%d)", id)
	for _, a := range ids {
		if err := attachmentKey(a); err != nil {
			return err
		}
	}
	var by *int64
	if tokenID != 0 {
		by = &tokenID
	}
	var owner *int64
	if err := s.pool.QueryRow(ctx, `SELECT created_by_token FROM incident WHERE id = $1`, id).Scan(&owner); err != nil {
		return mapErr(err, fmt.Sprintf("incident %d", id))
	}
	if (owner == nil) != (by == nil) || (owner != nil && *owner != *by) {
		return gridmap.Errorf(gridmap.EFORBIDDEN, "incident %d was reported by another token: photos are given with a report by whoever reported it; add photos to a case through a step", id)
	}
	var missing []string
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(x), '{}') FROM unnest($1::text[]) x
WHERE NOT EXISTS (SELECT 1 FROM attachment a WHERE a.sha256 = decode(x, 'hex'))`, ids).Scan(&missing); err != nil {
		return mapErr(err, "attachments")
	}
	if len(missing) > 0 {
		return gridmap.Errorf(gridmap.ENOTFOUND, "attachment %s not found: upload the photo first (POST /api/v1/attachments) and give the id it answers", missing[0])
	}
	_, err = s.pool.Exec(ctx, attachToIncidentSQL, id, by, ids)
	return mapErr(err, "incident attachments")
}

// IncidentAttachments returns the ids of the photos incident id was
// reported with, in their order (none: an empty slice).
func (s *Store) IncidentAttachments(ctx context.Context, id int64) (ids []string, err error) {
	defer gridmap.Wrap(&err, "postgis.IncidentAttachments(%d)", id)
	err = s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(encode(sha256, 'hex') ORDER BY position), '{}')
FROM incident_attachment WHERE incident_id = $1`, id).Scan(&ids)
	return ids, mapErr(err, "incident attachments")
}
