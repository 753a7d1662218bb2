package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gridmap/gridmap"
)

// statusOf maps error codes to HTTP statuses; the one place that does.
var statusOf = map[string]int{
	gridmap.EINVALID:      http.StatusBadRequest,
	gridmap.EUNAUTHORIZED: http.StatusUnauthorized,
	gridmap.EFORBIDDEN:    http.StatusForbidden,
	gridmap.ENOTFOUND:     http.StatusNotFound,
	gridmap.ECONFLICT:     http.StatusConflict,
	gridmap.EGONE:         http.StatusGone,
	gridmap.EPRECONDITION: http.StatusPreconditionFailed,
	gridmap.ETOOMANY:      http.StatusTooManyRequests,
	gridmap.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	gridmap.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	gridmap.EUNAVAILABLE:  http.StatusServiceUnavailable,
	gridmap.EINTERNAL:     http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem details object. Errors lists the items of
// a batch that failed; Extra carries endpoint-specific members (e.g. the
// nearest grid of a point outside every grid).
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []gridmap.ItemError `json:"errors,omitempty"`
	Extra     any                 `json:"extra,omitempty"`
}

// writeError answers err as application/problem+json. Internal errors are
// logged in full and the client sees only the request id, never driver text.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := gridmap.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	rid := requestID(r.Context())
	p := Problem{
		Type:      "urn:gridmap:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    gridmap.ErrorMessage(err),
		Instance:  r.URL.Path,
		RequestID: rid,
	}
	var e *gridmap.Error
	if errors.As(err, &e) {
		switch d := e.Details.(type) {
		case []gridmap.ItemError:
			p.Errors = d
		case nil:
		default:
			p.Extra = d
		}
	}
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", slog.String("request_id", rid), slog.String("error", err.Error()))
		if code == gridmap.EINTERNAL {
			p.Detail = "internal error; quote request id " + rid + " when reporting it"
		}
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(5))
	}
	if isOpen311(r.URL.Path) {
		s.writeOpen311Error(w, r, status, p.Detail, err) // the spec's error format
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
