package gridmap

import (
	"errors"
	"fmt"
)

// Error codes. httpapi maps each to one HTTP status.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ETOOLARGE     = "too_large"
	EUNSUPPORTED  = "unsupported_media_type" // a body of a type the endpoint does not take
	EUNAVAILABLE  = "unavailable"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	// EPRECONDITION: an If-Match precondition failed (the thing changed).
	EPRECONDITION = "precondition_failed"
	// ETOOMANY: the caller sent more requests than its rate limit allows.
	ETOOMANY = "too_many_requests"
	// EGONE: the thing existed and was archived away (an archived month's case).
	EGONE = "gone"
)

// Error is an application error whose Message is safe to show a user.
type Error struct {
	Code    string
	Message string
	// Details carries structured, user-safe context (e.g. which rows failed).
	Details any
}

func (e *Error) Error() string { return fmt.Sprintf("gridmap: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-safe message of err: the *Error's message,
// or a generic one for internal errors so driver text never leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Wrap adds the operation name to *errp if it is non-nil, keeping the chain.
// Use as `defer gridmap.Wrap(&err, "Store.Grid(%q)", code)`.
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

// ItemError says what is wrong with one item of a batch: a feature of an
// imported file or a row of a posted batch. It is the Details element of an
// EINVALID *Error for batches, so a client learns exactly which items failed.
type ItemError struct {
	// Index is the 0-based position of the item in its batch (features[i]).
	Index int `json:"index"`
	// Line is the 1-based line of a line-oriented input (CSV, NDJSON), or 0.
	Line int `json:"line,omitempty"`
	// Code identifies the item (grid code, external id) where it has one.
	Code  string `json:"code,omitempty"`
	Field string `json:"field,omitempty"`
	// Message says what is wrong, for a person to act on.
	Message string `json:"message"`
	// Location is where a geometry is invalid, [lon, lat] in EPSG:4326.
	Location *[2]float64 `json:"location,omitempty"`
}

func (e *ItemError) Error() string {
	s := fmt.Sprintf("features[%d]", e.Index)
	if e.Line > 0 {
		s = fmt.Sprintf("line %d", e.Line)
	}
	if e.Code != "" {
		s += fmt.Sprintf(" (code %s)", e.Code)
	}
	if e.Field != "" {
		s += " " + e.Field
	}
	s += ": " + e.Message
	if e.Location != nil {
		s += fmt.Sprintf(" at POINT(%g %g)", e.Location[0], e.Location[1])
	}
	return s
}
