package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unsafe"

	"github.com/gridmap/gridmap"
)

// Bytes where they enter (issue 12). Before any handler runs, every path
// variable and every query parameter of the request is checked against one
// rule: the route accepts the parameter (its query list in the route
// table, routes.go; a page takes any), and the value, percent-decoded, is one
// line of UTF-8 text without NUL or other control characters
// (gridmap.TextProblem), at most maxParamBytes long. A request that breaks
// it is a 400 naming the variable or parameter, so no handler and no query
// ever sees such bytes. The router's routes are checked in authorizeRoute,
// the hot routes in dispatch; neither check allocates for a good request.

// maxParamBytes bounds a path variable or a query parameter's value,
// decoded: an external id of 128 characters fits, as does any list a
// query takes.
const maxParamBytes = 1024

// paramRule says what a good parameter value is, for error messages.
const paramRule = "a parameter is one line of UTF-8 text without control characters, at most 1024 bytes"

// paramProblem says what is wrong with a decoded value ("" when nothing).
func paramProblem(v string) string {
	if len(v) > maxParamBytes {
		return fmt.Sprintf("is %d bytes long", len(v))
	}
	return gridmap.TextProblem(v, 0, false)
}

// checkInput checks the path variables and the query of a request to the
// route whose rule is ru and template tmpl. Errors: EINVALID.
func checkInput(r *http.Request, vars map[string]string, ru *rule, tmpl string) error {
	if err := checkVars(vars); err != nil {
		return err
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	return checkQuery(r.URL.RawQuery, ru, r.Method, tmpl)
}

// checkVars checks the path variables of a matched route.
func checkVars(vars map[string]string) error {
	for name, v := range vars {
		if p := paramProblem(v); p != "" {
			return gridmap.Errorf(gridmap.EINVALID, "the path variable {%s} %s; %s", name, p, paramRule)
		}
	}
	return nil
}

// checkQuery checks a raw query string against the rule of the route
// (method, tmpl): each parameter accepted, each value good text. It reads
// the raw string, as rawQuery does, without building url.Values.
func checkQuery(raw string, ru *rule, method, tmpl string) error {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		name := k
		if strings.ContainsAny(k, "%+") {
			var err error
			if name, err = url.QueryUnescape(k); err != nil {
				return gridmap.Errorf(gridmap.EINVALID, "the query parameter name %q is not percent-encoded properly", k)
			}
		}
		if p := paramProblem(name); p != "" {
			return gridmap.Errorf(gridmap.EINVALID, "the query parameter name %q %s; %s", name, p, paramRule)
		}
		if !ru.page && !slices.Contains(ru.query, name) {
			return unknownParam(name, method+" "+tmpl, ru.query)
		}
		var buf [maxParamBytes]byte
		val, ok, long := unescapeInto(&buf, v)
		switch {
		case !ok:
			return gridmap.Errorf(gridmap.EINVALID, "the query parameter %s is not percent-encoded properly (%%XX with two hex digits)", quoteName(name))
		case long:
			return gridmap.Errorf(gridmap.EINVALID, "the query parameter %s is longer than %d bytes; %s", quoteName(name), maxParamBytes, paramRule)
		}
		if p := paramProblem(val); p != "" {
			return gridmap.Errorf(gridmap.EINVALID, "the query parameter %s %s; %s", quoteName(name), p, paramRule)
		}
	}
	return nil
}

// unknownParam is the error for a query parameter that where (a route, an
// OGC collection) does not accept: it lists those it does.
func unknownParam(name, where string, accepted []string) error {
	if len(accepted) == 0 {
		return gridmap.Errorf(gridmap.EINVALID, "unknown query parameter %q; %s takes no query parameters", name, where)
	}
	return gridmap.Errorf(gridmap.EINVALID, "unknown query parameter %q; %s accepts %s", name, where, strings.Join(accepted, ", "))
}

// quoteName writes a parameter name for a message: bare when it is plain
// text (a page's parameter may be anything).
func quoteName(name string) string {
	if gridmap.TextProblem(name, 0, false) == "" && !strings.ContainsAny(name, " \"") {
		return name
	}
	return fmt.Sprintf("%q", name)
}

// unescapeInto percent-decodes a query value ('+' is a space), into buf
// when it holds escapes. The result aliases buf or s: use it before buf
// goes. ok is false for a malformed escape, long true for a value that
// decodes longer than buf.
func unescapeInto(buf *[maxParamBytes]byte, s string) (val string, ok, long bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true, len(s) > maxParamBytes
	}
	n := 0
	for i := 0; i < len(s); n++ {
		if n == len(buf) {
			return "", true, true
		}
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false, false
			}
			buf[n] = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 3
		case '+':
			buf[n] = ' '
			i++
		default:
			buf[n] = c
			i++
		}
	}
	// Not a copy: the caller reads it while buf lives, on its stack.
	return unsafe.String(&buf[0], n), true, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
