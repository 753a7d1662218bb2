package gridmap

import (
	"context"
	"time"
)

// Attachment is a photo or document of a case (issue 14), stored once by
// the SHA-256 of its bytes as served (metadata stripped: package media).
// It is personal data: the picture of a person or a home, and where and
// when it was taken.
type Attachment struct {
	// ID is the SHA-256 of the stored bytes, 64 lower-case hex digits.
	ID        string
	MediaType string
	// Size is the stored bytes' length.
	Size int
	// ExifTime and ExifPosition ([lon, lat], degrees, EPSG:4326) were
	// read from the file's EXIF before it was stripped; nil when it had
	// none.
	ExifTime     *time.Time
	ExifPosition *[2]float64
	// HasThumbnail: an image has one, a PDF none.
	HasThumbnail bool
	CreatedAt    time.Time
}

// AttachmentFile is an attachment or its thumbnail as served, with where
// it is used.
type AttachmentFile struct {
	Attachment
	// Body is the stored file, or its thumbnail (a JPEG).
	Body []byte
	// Cases is how many cases have a step that names the attachment, and
	// Grids the grid codes they are assigned to ("" for a case outside
	// every grid), each once: what a grid-scoped token is checked by;
	// Departments the department codes they are given to, each once:
	// what a department token is checked by.
	Cases       int
	Grids       []string
	Departments []string
}

// AttachmentService stores and reads attachments (postgis.Store).
type AttachmentService interface {
	// PutAttachment stores a (its ID the SHA-256 of body) with its
	// thumbnail (nil for none), unless an attachment of that ID is
	// stored already: then it stores nothing and returns that one, with
	// created false.
	PutAttachment(ctx context.Context, a Attachment, body, thumbnail []byte) (stored Attachment, created bool, err error)
	// Attachment returns an attachment's file. Errors: ENOTFOUND.
	Attachment(ctx context.Context, id string) (AttachmentFile, error)
	// Thumbnail returns an attachment's thumbnail as its Body (MediaType
	// image/jpeg). Errors: ENOTFOUND, also for a PDF, which has none.
	Thumbnail(ctx context.Context, id string) (AttachmentFile, error)
	// AttachToIncident gives incident id the photos ids it was reported
	// with (issue 15), when token tokenID reported it; links held already
	// are kept as they are. Errors: ENOTFOUND, EFORBIDDEN.
	AttachToIncident(ctx context.Context, id, tokenID int64, ids []string) error
	// IncidentAttachments returns the ids of the photos incident id was
	// reported with, in order.
	IncidentAttachments(ctx context.Context, id int64) ([]string, error)
}
