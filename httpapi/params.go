package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// Query parameter parsers: each returns an EINVALID error that names the
// parameter and says what a valid value looks like.

func paramAsOf(q url.Values) (*time.Time, error) {
	v := q.Get("as_of")
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "as_of=%q is not an RFC 3339 time such as 2026-01-31T08:00:00+08:00", v)
	}
	return &t, nil
}

func paramBBox(q url.Values) (*orb.Bound, error) {
	v := q.Get("bbox")
	if v == "" {
		return nil, nil
	}
	bad := gridmap.Errorf(gridmap.EINVALID, "bbox=%q must be minLon,minLat,maxLon,maxLat in degrees (EPSG:4326), min before max", v)
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return nil, bad
	}
	var f [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, bad
		}
		f[i] = x
	}
	if f[0] > f[2] || f[1] > f[3] || f[0] < -180 || f[2] > 180 || f[1] < -90 || f[3] > 90 {
		return nil, bad
	}
	return &orb.Bound{Min: orb.Point{f[0], f[1]}, Max: orb.Point{f[2], f[3]}}, nil
}

// paramInt parses an optional whole number within [min, max].
func paramInt(q url.Values, name string, def, min, max int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, gridmap.Errorf(gridmap.EINVALID, "%s=%q must be a whole number from %d to %d", name, v, min, max)
	}
	return n, nil
}

// jsonBodyRule is the one rule for the body of every JSON endpoint
// (incident posts and PATCHes, plan writes, grid edits, batch lookups),
// said in the error when a body is not JSON.
const jsonBodyRule = "every JSON endpoint reads its body as JSON whatever the Content-Type says " +
	"(application/json, none, or the application/x-www-form-urlencoded that curl -d sends); only a batch lookup also takes text/csv"

// readJSONBody reads the body of a JSON endpoint by jsonBodyRule: the
// Content-Type is not checked (curl -d labels JSON as a form, and clients
// that label it correctly or not at all keep working), the bytes are. A
// body that is not JSON is EINVALID naming where it breaks, the
// Content-Type it came with, and the rule. An empty body is returned as
// it is (some endpoints take none).
func readJSONBody(r *http.Request) ([]byte, error) {
	body, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 || json.Valid(body) {
		return body, err
	}
	return nil, notJSON(r, json.Unmarshal(body, new(json.RawMessage)))
}

// notJSON is the error of a JSON endpoint's body that does not parse.
func notJSON(r *http.Request, err error) error {
	msg := "the body is not JSON"
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		msg += fmt.Sprintf(" (at byte %d: %v)", se.Offset, se)
	case gridmap.ErrorCode(err) == gridmap.EINVALID:
		msg += fmt.Sprintf(" (%s)", gridmap.ErrorMessage(err))
	case err != nil:
		msg += fmt.Sprintf(" (%v)", err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		msg += fmt.Sprintf("; it came as Content-Type: %s", ct)
	}
	return gridmap.Errorf(gridmap.EINVALID, "%s; %s", msg, jsonBodyRule)
}

// readBody reads a request body whole: ETOOLARGE past the size limit
// (Config.MaxBodyBytes), EINVALID when the client broke off.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, gridmap.Errorf(gridmap.ETOOLARGE, "the request body is larger than %d bytes, the limit of a request (GRIDMAP_MAX_BODY_BYTES); send a batch in smaller parts", mbe.Limit)
		}
		return nil, gridmap.Errorf(gridmap.EINVALID, "reading the request body: %v", err)
	}
	return body, nil
}
