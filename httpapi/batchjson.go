package httpapi

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// parseBatchJSON reads {"points":[[lon,lat],…],"crs":"…"} with a scanner
// made for this one shape: encoding/json spends most of a million-point
// batch on reflection, this spends it on ParseFloat. Anything unexpected is
// an EINVALID error that says where.
func parseBatchJSON(body []byte, max int) (batch, error) {
	b := batch{crs: geo.WGS84}
	sc := jsonScanner{b: body}
	if err := sc.expect('{'); err != nil {
		return b, err
	}
	sawPoints := false
	for first := true; ; first = false {
		sc.ws()
		if sc.peek() == '}' {
			sc.i++
			break
		}
		if !first {
			if err := sc.expect(','); err != nil {
				return b, err
			}
		}
		key, err := sc.str()
		if err != nil {
			return b, err
		}
		if err := sc.expect(':'); err != nil {
			return b, err
		}
		switch key {
		case "points":
			sawPoints = true
			if b.pts, err = sc.points(max); err != nil {
				return b, err
			}
		case "crs":
			v, err := sc.str()
			if err != nil {
				return b, err
			}
			if b.crs, err = paramCRS(v); err != nil {
				return b, err
			}
		default:
			return b, gridmap.Errorf(gridmap.EINVALID, "unknown field %q; a lookup batch has \"points\" and optionally \"crs\"", key)
		}
	}
	sc.ws()
	if sc.i != len(sc.b) {
		return b, sc.fail("trailing data after the object")
	}
	if !sawPoints {
		return b, gridmap.Errorf(gridmap.EINVALID, `the body has no "points": send {"points":[[lon,lat],…]}`)
	}
	return b, nil
}

type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScanner) fail(what string) error {
	return gridmap.Errorf(gridmap.EINVALID, "the JSON body is malformed at byte %d: %s", s.i, what)
}

func (s *jsonScanner) expect(c byte) error {
	s.ws()
	if s.peek() != c {
		if s.i >= len(s.b) {
			return s.fail(fmt.Sprintf("want %q, the body ended", c))
		}
		return s.fail(fmt.Sprintf("want %q, found %q", c, s.b[s.i]))
	}
	s.i++
	return nil
}

// str reads a JSON string; escapes are handed to encoding/json.
func (s *jsonScanner) str() (string, error) {
	s.ws()
	if s.peek() != '"' {
		return "", s.fail("want a string")
	}
	start := s.i
	escaped := false
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i++
		case '"':
			s.i++
			if !escaped {
				return string(s.b[start+1 : s.i-1]), nil
			}
			var out string
			if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
				return "", s.fail("bad string")
			}
			return out, nil
		}
	}
	return "", s.fail("unterminated string")
}

func (s *jsonScanner) num() (float64, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	if start == s.i {
		return 0, s.fail("want a number")
	}
	tok := s.b[start:s.i]
	f, err := parseFloatBytes(tok)
	if err != nil {
		return 0, s.fail(fmt.Sprintf("%q is not a number", tok))
	}
	return f, nil
}

// points reads [[lon,lat],…]; a third number (altitude) is allowed and ignored.
func (s *jsonScanner) points(max int) ([]orb.Point, error) {
	if err := s.expect('['); err != nil {
		return nil, err
	}
	pts := make([]orb.Point, 0, min(max, len(s.b)/16+1))
	s.ws()
	if s.peek() == ']' {
		s.i++
		return pts, nil
	}
	for {
		if len(pts) == max {
			return nil, tooMany(max)
		}
		if err := s.expect('['); err != nil {
			return nil, gridmap.Errorf(gridmap.EINVALID, "points[%d] must be an array [lon, lat] (%s)", len(pts), gridmap.ErrorMessage(err))
		}
		var p orb.Point
		for k := 0; k < 2; k++ {
			if k > 0 {
				if err := s.expect(','); err != nil {
					return nil, gridmap.Errorf(gridmap.EINVALID, "points[%d] must hold two numbers [lon, lat]", len(pts))
				}
			}
			f, err := s.num()
			if err != nil {
				return nil, gridmap.Errorf(gridmap.EINVALID, "points[%d][%d]: %s", len(pts), k, gridmap.ErrorMessage(err))
			}
			p[k] = f
		}
		s.ws()
		if s.peek() == ',' {
			s.i++
			if _, err := s.num(); err != nil {
				return nil, gridmap.Errorf(gridmap.EINVALID, "points[%d] must be [lon, lat] or [lon, lat, altitude]", len(pts))
			}
		}
		if err := s.expect(']'); err != nil {
			return nil, gridmap.Errorf(gridmap.EINVALID, "points[%d] must be [lon, lat] or [lon, lat, altitude]", len(pts))
		}
		pts = append(pts, p)
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return pts, nil
		default:
			return nil, s.fail("want ',' or ']' after a point")
		}
	}
}
