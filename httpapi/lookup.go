package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unsafe"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/geo"
)

// Lookup settings, overridable through Config.
const (
	defaultNearBoundaryMetres = 30
	// A point outside every grid still names the nearest one within this.
	outsideSearchMetres   = 50_000
	defaultMaxBatchPoints = 1_000_000
	maxListedBadPoints    = 100
)

// lookupFrags caches, per index, the constant part of each grid's single
// lookup answer (grid, chain, members), so a lookup writes bytes instead of
// encoding JSON. It is rebuilt lazily when the index is swapped.
type lookupFrags struct {
	ix     *geo.Index
	single [][]byte // `{"grid":…,"chain":[…],"members":[…]`
	code   [][]byte // `{"code":"…"}` for batch answers

	// masked and full are single with member contacts masked or in
	// full, for the roles that may see them (auth_personal.go).
	masked, full [][]byte
}

type gridRef struct {
	Code  string        `json:"code"`
	Name  string        `json:"name"`
	Level gridmap.Level `json:"level"`
}

// publicMember is what a lookup may show of a member: no contact, which is
// personal data.
type publicMember struct {
	Grid string `json:"grid"`
	Role string `json:"role"`
	Name string `json:"name"`
}

func (s *Server) frags(ix *geo.Index) *lookupFrags {
	if f := s.lookupCache.Load(); f != nil && f.ix == ix {
		return f
	}
	f := &lookupFrags{ix: ix, single: make([][]byte, ix.Len()), code: make([][]byte, ix.Len()),
		masked: make([][]byte, ix.Len()), full: make([][]byte, ix.Len())}
	for i := range ix.Len() {
		g := ix.At(i)
		chain := ix.Chain(g.Code)
		refs := make([]gridRef, len(chain))
		for k, c := range chain {
			refs[k] = gridRef{c.Code, c.Name, c.Level}
		}
		grid, _ := json.Marshal(refs[0])
		ch, _ := json.Marshal(refs)
		ms, masked, full := memberArrays(chain) // contacts by role (auth_personal.go)
		f.single[i] = fmt.Appendf(nil, `{"grid":%s,"chain":%s,"members":%s`, grid, ch, ms)
		f.masked[i] = fmt.Appendf(nil, `{"grid":%s,"chain":%s,"members":%s`, grid, ch, masked)
		f.full[i] = fmt.Appendf(nil, `{"grid":%s,"chain":%s,"members":%s`, grid, ch, full)
		code, _ := json.Marshal(g.Code)
		f.code[i] = fmt.Appendf(nil, `{"code":%s}`, code)
	}
	s.lookupCache.Store(f)
	return f
}

// currentIndex returns the index or EUNAVAILABLE while none is loaded.
func (s *Server) currentIndex() (*geo.Index, error) {
	if s.index != nil {
		if ix, _ := s.index(); ix != nil {
			return ix, nil
		}
	}
	return nil, &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the grid index is not loaded yet; try again shortly"}
}

// paramCRS reads ?crs= (geo.ParseCRS; absent: WGS84).
func paramCRS(v string) (geo.CRS, error) {
	c, err := geo.ParseCRS(v)
	if err != nil {
		return "", gridmap.Errorf(gridmap.EINVALID, "crs=%q is not supported; use %s", v, geo.CRSChoices)
	}
	return c, nil
}

// checkLonLat validates a WGS84-range coordinate pair, spotting swapped axes.
func checkLonLat(lon, lat float64) string {
	switch {
	case math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0):
		return "lon and lat must be finite numbers"
	case math.Abs(lat) > 90 && math.Abs(lon) <= 90 && math.Abs(lat) <= 180:
		return fmt.Sprintf("lat=%g is outside ±90 while lon=%g would be a latitude: lon and lat look swapped (send lon first, then lat)", lat, lon)
	case math.Abs(lat) > 90:
		return fmt.Sprintf("lat=%g is outside -90…90 degrees", lat)
	case math.Abs(lon) > 180:
		return fmt.Sprintf("lon=%g is outside -180…180 degrees", lon)
	}
	return ""
}

// getter is what parameter parsers read: url.Values, or rawQuery.
type getter interface{ Get(name string) string }

// rawQuery reads parameters straight from a raw query string, without the
// map url.Query builds: on the lookup hot path that map was a tenth of the
// handler's time. The first value of a name wins, as with url.Values.Get.
type rawQuery string

func (q rawQuery) Get(name string) string {
	s := string(q)
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			if u, err := url.QueryUnescape(v); err == nil {
				return u
			}
		}
		return v
	}
	return ""
}

func (q rawQuery) Has(name string) bool {
	s := string(q)
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if k, _, _ := strings.Cut(kv, "="); k == name {
			return true
		}
	}
	return false
}

func parseLonLat(q getter) (orb.Point, error) {
	var p orb.Point
	for i, name := range []string{"lon", "lat"} {
		v := q.Get(name)
		if v == "" {
			return p, gridmap.Errorf(gridmap.EINVALID, "%s is missing: give lon and lat in degrees, e.g. ?lon=116.83&lat=35.55", name)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return p, gridmap.Errorf(gridmap.EINVALID, "%s=%q is not a number in degrees", name, v)
		}
		p[i] = f
	}
	if msg := checkLonLat(p[0], p[1]); msg != "" {
		return p, gridmap.Errorf(gridmap.EINVALID, "%s", msg)
	}
	return p, nil
}

// lookup answers GET /api/v1/lookup?lon=&lat=[&crs=]: the deepest grid that
// holds the point, its chain up to the street, who is responsible, and the
// nearest other grid when it is closer than the near-boundary threshold.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) error {
	q := rawQuery(r.URL.RawQuery)
	if q.Has("as_of") {
		if s.plans == nil {
			return gridmap.Errorf(gridmap.EINVALID, "as_of lookups need the plan history, which this server does not have")
		}
		return s.lookupAsOf(w, r)
	}
	crs, err := paramCRS(q.Get("crs"))
	if err != nil {
		return err
	}
	p, err := parseLonLat(q)
	if err != nil {
		return err
	}
	ix, err := s.currentIndex()
	if err != nil {
		return err
	}
	wgs, _ := geo.ToWGS84(crs, p)
	hit, ok := ix.Lookup(wgs[0], wgs[1])
	if !ok {
		return s.outside(ix, p, wgs, crs)
	}
	s.metrics.lookupPoints("single", 1)
	f := s.frags(ix)
	frag := f.single
	switch s.memberView(r) {
	case viewMasked:
		frag = f.masked
	case viewFull:
		frag = f.full
	}
	buf := make([]byte, 0, len(frag[hit.Index()])+96)
	buf = append(buf, frag[hit.Index()]...)
	buf = append(buf, `,"near_boundary":`...)
	if code, m, ok := ix.Nearest(wgs[0], wgs[1], s.cfg.NearBoundaryMetres, hit.Grid().Code); ok {
		buf = append(buf, `{"code":`...)
		buf = strconv.AppendQuote(buf, code)
		buf = append(buf, `,"distance_m":`...)
		buf = strconv.AppendFloat(buf, m, 'f', 1, 64)
		buf = append(buf, '}')
	} else {
		buf = append(buf, "null"...)
	}
	if crs != geo.WGS84 {
		buf = fmt.Appendf(buf, `,"wgs84":[%s,%s]`, ftoa(wgs[0]), ftoa(wgs[1]))
	}
	buf = append(buf, "}\n"...)
	h := w.Header()
	h["Content-Type"] = jsonCT
	_, err = w.Write(buf)
	return err
}

var jsonCT = []string{"application/json; charset=utf-8"}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// outside answers a point in no grid: 404, naming the nearest grid, and
// whether swapping lon and lat would have hit one.
func (s *Server) outside(ix *geo.Index, p, wgs orb.Point, crs geo.CRS) error {
	msg := fmt.Sprintf("the point lon=%g lat=%g (%s) is in no grid", p[0], p[1], crs)
	extra := map[string]any{"nearest": nil}
	if code, m, ok := ix.Nearest(wgs[0], wgs[1], outsideSearchMetres, ""); ok {
		g, _ := ix.Grid(code)
		extra["nearest"] = map[string]any{"code": code, "name": g.Name, "distance_m": math.Round(m*10) / 10}
		msg += fmt.Sprintf("; the nearest grid is %s %s, %.0f m away", code, g.Name, m)
	}
	if checkLonLat(p[1], p[0]) == "" {
		sw, _ := geo.ToWGS84(crs, orb.Point{p[1], p[0]})
		if hit, ok := ix.Lookup(sw[0], sw[1]); ok {
			msg += fmt.Sprintf("; with lon and lat swapped it would be in %s %s: check the axis order", hit.Grid().Code, hit.Grid().Name)
		}
	}
	return &gridmap.Error{Code: gridmap.ENOTFOUND, Message: msg, Details: extra}
}

// lookupBatch answers POST /api/v1/lookup: JSON {"points":[[lon,lat],…],
// "crs":"wgs84"} → {"results":[{"code":…}|null,…]} in input order, or CSV
// (Content-Type: text/csv; columns lon,lat; ?crs=) → CSV lon,lat,code.
func (s *Server) lookupBatch(w http.ResponseWriter, r *http.Request) error {
	ix, err := s.currentIndex()
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	// CSV when labelled so; else JSON by the rule of every JSON endpoint
	// (jsonBodyRule): whatever the Content-Type says.
	ct := r.Header.Get("Content-Type")
	isCSV := strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "text/csv")
	var b batch
	if isCSV {
		crs, err := paramCRS(r.URL.Query().Get("crs"))
		if err != nil {
			return err
		}
		b, err = parseBatchCSV(body, s.cfg.MaxBatchPoints)
		b.crs = crs
		if err != nil {
			return err
		}
	} else {
		if b, err = parseBatchJSON(body, s.cfg.MaxBatchPoints); err != nil {
			if !json.Valid(body) {
				return notJSON(r, err)
			}
			return err
		}
	}
	if err := b.check(); err != nil {
		return err
	}
	if b.crs != geo.WGS84 {
		for i, p := range b.pts {
			b.pts[i], _ = geo.ToWGS84(b.crs, p)
		}
	}
	out := make([]int32, len(b.pts))
	ix.LookupBatch(b.pts, out)
	s.metrics.lookupPoints("batch", len(b.pts))
	f := s.frags(ix)
	if isCSV {
		return writeBatchCSV(w, &b, out, f)
	}
	buf := make([]byte, 0, 16+len(out)*24)
	buf = append(buf, `{"results":[`...)
	for i, g := range out {
		if i > 0 {
			buf = append(buf, ',')
		}
		if g < 0 {
			buf = append(buf, "null"...)
		} else {
			buf = append(buf, f.code[g]...)
		}
	}
	buf = append(buf, "]}\n"...)
	w.Header()["Content-Type"] = jsonCT
	_, err = w.Write(buf)
	return err
}

func writeBatchCSV(w http.ResponseWriter, b *batch, out []int32, f *lookupFrags) error {
	buf := make([]byte, 0, len(out)*40)
	buf = append(buf, "lon,lat,code\n"...)
	for i, g := range out {
		r := b.raw[i]
		buf = append(buf, b.body[r[0]:r[1]]...)
		buf = append(buf, ',')
		buf = append(buf, b.body[r[2]:r[3]]...)
		buf = append(buf, ',')
		if g >= 0 {
			buf = append(buf, f.ix.At(int(g)).Code...)
		}
		buf = append(buf, '\n')
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	_, err := w.Write(buf)
	return err
}

// batch is a parsed lookup batch.
type batch struct {
	pts   []orb.Point
	crs   geo.CRS
	body  []byte     // CSV: the request body
	raw   [][4]int32 // CSV: offsets of the lon and lat text in body
	lines []int32    // CSV: line of each point
}

// check validates every point, listing the bad ones (at most
// maxListedBadPoints) in one EINVALID error.
func (b *batch) check() error {
	var bad []gridmap.ItemError
	n := 0
	for i, p := range b.pts {
		if msg := checkLonLat(p[0], p[1]); msg != "" {
			n++
			if len(bad) < maxListedBadPoints {
				e := gridmap.ItemError{Index: i, Message: msg}
				if b.lines != nil {
					e.Line = int(b.lines[i])
				}
				bad = append(bad, e)
			}
		}
	}
	if n == 0 {
		return nil
	}
	return &gridmap.Error{Code: gridmap.EINVALID, Details: bad,
		Message: fmt.Sprintf("%d of %d points are invalid; nothing was looked up", n, len(b.pts))}
}

func tooMany(max int) error {
	return gridmap.Errorf(gridmap.ETOOLARGE, "a batch holds at most %d points; split it into several calls", max)
}

// parseBatchCSV reads lon,lat lines; a first line that is not numeric is a
// header. Extra columns are ignored. It keeps offsets of the lon and lat
// text, not copies, so answers echo the numbers exactly as sent. Lines
// that are not lon,lat numbers refuse the batch, each named by line and
// item (with the points out of range among the others; see badCSVLines).
func parseBatchCSV(body []byte, max int) (batch, error) {
	b := batch{body: body}
	hint := min(max, bytes.Count(body, []byte{'\n'})+1)
	b.pts = make([]orb.Point, 0, hint)
	b.raw = make([][4]int32, 0, hint)
	b.lines = make([]int32, 0, hint)
	// Malformed lines, in order: counted, the first maxListedBadPoints kept
	// (enough: the listing stops there).
	var bad []gridmap.ItemError
	nbad := 0
	malformed := func(e gridmap.ItemError) {
		if nbad++; len(bad) < maxListedBadPoints {
			bad = append(bad, e)
		}
	}
	line, off := 0, 0
	for off < len(body) {
		line++
		end := bytes.IndexByte(body[off:], '\n')
		if end < 0 {
			end = len(body)
		} else {
			end += off
		}
		l, lstart := body[off:end], off
		off = end + 1
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		c1 := bytes.IndexByte(l, ',')
		if c1 < 0 {
			malformed(gridmap.ItemError{Index: len(b.pts) + nbad, Line: line, Message: "no comma: want lon,lat"})
			continue
		}
		rest := l[c1+1:]
		if c2 := bytes.IndexByte(rest, ','); c2 >= 0 {
			rest = rest[:c2]
		}
		lonB, latB := bytes.TrimSpace(l[:c1]), bytes.TrimSpace(rest)
		lon, err1 := parseFloatBytes(lonB)
		lat, err2 := parseFloatBytes(latB)
		if err1 != nil || err2 != nil {
			if len(b.pts) == 0 && line == 1 {
				continue // header
			}
			malformed(gridmap.ItemError{Index: len(b.pts) + nbad, Line: line, Message: fmt.Sprintf("lon,lat %q,%q are not numbers", lonB, latB)})
			continue
		}
		if len(b.pts) == max {
			return b, tooMany(max)
		}
		b.pts = append(b.pts, orb.Point{lon, lat})
		lonAt := lstart + bytes.Index(l, lonB)
		latAt := lstart + c1 + 1 + bytes.Index(rest, latB)
		b.raw = append(b.raw, [4]int32{int32(lonAt), int32(lonAt + len(lonB)), int32(latAt), int32(latAt + len(latB))})
		b.lines = append(b.lines, int32(line))
	}
	if nbad > 0 {
		return b, badCSVLines(&b, bad, nbad)
	}
	if len(b.pts) == 0 {
		return b, gridmap.Errorf(gridmap.EINVALID, "the CSV holds no points: send lines of lon,lat")
	}
	return b, nil
}

// badCSVLines is the error of a CSV batch with nbad malformed lines, the
// first of them listed in malformed: every bad line, malformed or out of
// range, in line order (at most maxListedBadPoints listed), with its item
// index (data lines counted from 0, bad ones included).
func badCSVLines(b *batch, malformed []gridmap.ItemError, nbad int) error {
	var all []gridmap.ItemError
	n := nbad - len(malformed) // malformed lines counted but not kept
	add := func(e gridmap.ItemError) {
		if n++; len(all) < maxListedBadPoints {
			all = append(all, e)
		}
	}
	j := 0 // malformed lines before point i
	for i, p := range b.pts {
		for j < len(malformed) && int32(malformed[j].Line) < b.lines[i] {
			add(malformed[j])
			j++
		}
		if msg := checkLonLat(p[0], p[1]); msg != "" {
			add(gridmap.ItemError{Index: i + j, Line: int(b.lines[i]), Message: msg})
		}
	}
	for _, e := range malformed[j:] {
		add(e)
	}
	return &gridmap.Error{Code: gridmap.EINVALID, Details: all,
		Message: fmt.Sprintf("%d of %d lines are not valid lon,lat numbers; nothing was looked up", n, len(b.pts)+nbad)}
}

// parseFloatBytes parses without copying: ParseFloat keeps no reference.
func parseFloatBytes(t []byte) (float64, error) {
	if len(t) == 0 {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(unsafe.String(&t[0], len(t)), 64)
}
