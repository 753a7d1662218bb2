package httpapi

import (
	"errors"
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

// readBody reads a request body whole: ETOOLARGE past the size limit
// (Config.MaxBodyBytes), EINVALID when the client broke off.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, gridmap.Errorf(gridmap.ETOOLARGE, "the request body is larger than %d bytes; split the batch", mbe.Limit)
		}
		return nil, gridmap.Errorf(gridmap.EINVALID, "reading the request body: %v", err)
	}
	return body, nil
}
