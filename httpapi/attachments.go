package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/media"
)

// Attachments (issue 14): photos and documents of cases, uploaded once and
// named by the SHA-256 of what is stored (package media strips their
// metadata first), then given to a step by that id. They are personal
// data:
//
//	admin, reporter   read any attachment; a reporter token scoped to a grid
//	                  only those of cases in its grid (and those no case uses
//	                  yet: their id is known only to whoever has the file)
//	viewer, planner   none (403)
//
// Tiles, statistics, heat and public endpoints never carry them.

// DefaultMaxAttachmentBytes bounds an uploaded file (10 MiB).
const DefaultMaxAttachmentBytes = 10 << 20

// decodeSlots is how many uploads are decoded at once.
const decodeSlots = 2

// attachmentJSON is an attachment as POST /api/v1/attachments answers it.
type attachmentJSON struct {
	ID        string `json:"id"`
	MediaType string `json:"media_type"`
	Size      int    `json:"size"`
	// Width and Height in pixels; null for a PDF.
	Width        *int        `json:"width"`
	Height       *int        `json:"height"`
	ExifTime     *time.Time  `json:"exif_time"`
	ExifPosition *[2]float64 `json:"exif_position"`
	URL          string      `json:"url"`
	ThumbnailURL *string     `json:"thumbnail_url"`
	CreatedAt    time.Time   `json:"created_at"`
}

// postAttachment stores the file of the body (or of the multipart part
// named file): 201 when it is new, 200 with the same answer when the same
// file (after stripping) is stored already.
func (s *Server) postAttachment(w http.ResponseWriter, r *http.Request) error {
	body, declared, err := s.readAttachment(r)
	if err != nil {
		return err
	}
	// Decoding a photo takes up to 4 bytes a pixel (160 MB at the pixel
	// limit) and a core: a few at a time, the others wait.
	select {
	case s.decodeSlots <- struct{}{}:
	case <-r.Context().Done():
		return gridmap.Errorf(gridmap.EUNAVAILABLE, "the server is busy with other uploads; try again")
	}
	f, err := media.Process(body, declared, 0)
	<-s.decodeSlots
	if err != nil {
		return err
	}
	a := gridmap.Attachment{ID: f.ID, MediaType: f.MediaType, ExifTime: f.Time, ExifPosition: f.Position}
	stored, created, err := s.attachments.PutAttachment(r.Context(), a, f.Bytes, f.Thumbnail)
	if err != nil {
		return err
	}
	url := "/api/v1/attachments/" + stored.ID
	out := attachmentJSON{ID: stored.ID, MediaType: stored.MediaType, Size: stored.Size, ExifTime: stored.ExifTime,
		ExifPosition: stored.ExifPosition, URL: s.baseURL(r) + url, CreatedAt: stored.CreatedAt}
	if f.MediaType != media.PDF {
		out.Width, out.Height = &f.Width, &f.Height
	}
	if stored.HasThumbnail {
		t := out.URL + "/thumbnail"
		out.ThumbnailURL = &t
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", url)
	}
	w.Header().Set("Cache-Control", "no-store") // personal data
	writeJSON(w, status, out)
	return nil
}

// readAttachment reads the uploaded file and the type it was declared
// as: the body with its Content-Type, or the one part named file of a
// multipart/form-data body (what a browser's form sends) with the part's.
// Errors: ETOOLARGE past Config.MaxAttachmentBytes; EINVALID for a
// multipart body without exactly one file part.
func (s *Server) readAttachment(r *http.Request) (body []byte, declared string, err error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "multipart/form-data" {
		body, err := s.readFile(r.Body)
		return body, ct, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", gridmap.Errorf(gridmap.EINVALID, "the multipart/form-data body cannot be read: %v", err)
	}
	found := false
	for {
		part, err := mr.NextPart()
		switch {
		case errors.Is(err, io.EOF) && found:
			return body, declared, nil
		case errors.Is(err, io.EOF):
			return nil, "", gridmap.Errorf(gridmap.EINVALID, "the multipart/form-data body has no part named file: send the file as the part file (<input type=file name=file>)")
		case err != nil:
			return nil, "", tooLarge(err, gridmap.Errorf(gridmap.EINVALID, "the multipart/form-data body is damaged: %v", err))
		case part.FormName() != "file":
			continue // other fields of the form; NextPart skips their bytes
		case found:
			return nil, "", gridmap.Errorf(gridmap.EINVALID, "the multipart/form-data body has more than one part named file: upload one file a request")
		}
		found, declared = true, part.Header.Get("Content-Type")
		if body, err = s.readFile(part); err != nil {
			return nil, "", err
		}
	}
}

// readFile reads an uploaded file up to the attachment limit.
func (s *Server) readFile(rd io.Reader) ([]byte, error) {
	max := s.cfg.MaxAttachmentBytes
	b, err := io.ReadAll(io.LimitReader(rd, max+1))
	switch {
	case err != nil:
		return nil, tooLarge(err, gridmap.Errorf(gridmap.EINVALID, "reading the file: %v", err))
	case int64(len(b)) > max:
		return nil, s.fileTooLarge(max)
	}
	return b, nil
}

func (s *Server) fileTooLarge(limit int64) error {
	return gridmap.Errorf(gridmap.ETOOLARGE, "the file is larger than %d bytes (%.1f MiB), the largest attachment this server takes (GRIDMAP_MAX_ATTACHMENT): send a smaller one",
		limit, float64(limit)/(1<<20))
}

// tooLarge is ETOOLARGE when err is the request body's limit
// (Config.MaxBodyBytes), otherwise other.
func tooLarge(err error, other error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return gridmap.Errorf(gridmap.ETOOLARGE, "the request body is larger than %d bytes, the largest this server takes (GRIDMAP_MAX_BODY_BYTES)", mbe.Limit)
	}
	return other
}

// getAttachment serves an attachment's file; getThumbnail its thumbnail.
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) error {
	return s.serveAttachment(w, r, false)
}

func (s *Server) getThumbnail(w http.ResponseWriter, r *http.Request) error {
	return s.serveAttachment(w, r, true)
}

// serveAttachment answers the file (or thumbnail) to a request that may
// see it, cached for good: what an id names never changes.
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request, thumbnail bool) error {
	if err := s.attachmentAccess(r, nil); err != nil {
		return err
	}
	id := mux.Vars(r)["id"]
	get := s.attachments.Attachment
	if thumbnail {
		get = s.attachments.Thumbnail
	}
	f, err := get(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.attachmentAccess(r, &f); err != nil {
		return err
	}
	h := w.Header()
	etag := `"` + f.ID + `"`
	h.Set("ETag", etag)
	// private: personal data is for the browser's cache, not a proxy's.
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	// The name is made from the id: no name a client sent is ever echoed.
	disposition, name := "inline", f.ID[:16]
	switch {
	case thumbnail:
		name += "-thumbnail.jpg"
	case f.MediaType == media.PDF:
		// A PDF may carry script: download it, never show it in our origin.
		disposition, name = "attachment", name+".pdf"
	default:
		name += "." + strings.TrimPrefix(f.MediaType, "image/")
	}
	h.Set("Content-Type", f.MediaType)
	h.Set("Content-Disposition", fmt.Sprintf("%s; filename=%q", disposition, name))
	h.Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.Body)
	return nil
}

// attachmentAccess checks that the request may see an attachment: first
// (f nil) by its role alone, before anything is read, then by the cases
// that use f. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Server) attachmentAccess(r *http.Request, f *gridmap.AttachmentFile) error {
	p := PrincipalFrom(r.Context())
	if p.Anonymous() {
		return unauthorized("attachments are personal data: send Authorization: Bearer <token> of a role that may read them (reporter, admin)")
	}
	// A role that may upload sees what it uploaded; one that sees every
	// case's personal data sees every attachment.
	mayUpload := s.authorize(r, p, rule{class: ClassCase}) == nil
	if f == nil {
		if mayUpload || s.incidentView(r, "") == viewFull {
			return nil
		}
		return gridmap.Errorf(gridmap.EFORBIDDEN, "attachments are personal data: the %s role may not read them (reporter, dispatcher, department and admin tokens may)", p.Role)
	}
	if f.Cases == 0 {
		return nil // its id is known only to whoever has the file
	}
	for _, g := range f.Grids {
		if s.incidentView(r, g) == viewFull {
			return nil
		}
	}
	// A department sees the attachments of its department's cases.
	for _, d := range f.Departments {
		if s.caseView(r, "", d) == viewFull {
			return nil
		}
	}
	if p.Role == gridmap.RoleDepartment {
		return gridmap.Errorf(gridmap.EFORBIDDEN, "no case that uses this attachment is given to your department (%s)", p.Department)
	}
	return gridmap.Errorf(gridmap.EFORBIDDEN, "this token is scoped to grid %s, and no case that uses this attachment is in that grid or the grids below it", p.Grid)
}
