package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/tiles"
)

// GridTiles serves the vector tiles of the current grids, built from the
// same snapshot as the lookup index (live.Map implements it). The data
// version it returns is the one of the grids the tile shows.
type GridTiles interface {
	// TileSet returns the tile set of the current grids and its data
	// version, waiting (within ctx, for a bounded time of its choosing)
	// while it is built. When minVersion is newer than the instance has, it
	// waits for the change feed to bring it where the feed announced it,
	// and may return an older version. Errors: EUNAVAILABLE while no tile
	// set is ready.
	TileSet(ctx context.Context, minVersion int64) (*tiles.Set, int64, error)
	// Tile returns tile z/x/y of the current grids from the cache (see
	// TileSet for minVersion). Errors: as TileSet; EINVALID for a tile out
	// of range; tiles.ErrEmpty for a tile with no feature.
	Tile(ctx context.Context, minVersion int64, z, x, y uint32, opts tiles.Options) (tiles.Entry, int64, error)
}

// Tile caching. A URL with ?v= of the data version it shows names bytes
// that never change: cached for a year. Any other URL may change with the
// next edit of the grids: no-cache, so a client revalidates (a 304 when
// nothing changed) and never shows a stale tile.
const (
	cacheVersioned = "public, max-age=31536000, immutable"
	cacheCurrent   = "public, no-cache"
	// cacheHistory is for tiles of a settled past (as_of well before now).
	cacheHistory = "public, max-age=86400"
	// tileWait bounds how long a request waits for a past tile set to be
	// built (GridTiles bounds its own waits).
	tileWait = 10 * time.Second
	// settled is how long after as_of the map of as_of is taken as final:
	// later commits cannot back-date versions further.
	settled = 5 * time.Minute
)

// tileAPI holds the tile, style and page handlers' state.
type tileAPI struct {
	s       *Server
	tiles   GridTiles
	past    PastMaps // as_of (tiles_history.go)
	pages   *pages
	basemap string
}

// newTileAPI builds the state of the grid tile, TileJSON, style and page
// handlers (their routes: routes.go).
func newTileAPI(s *Server, d Deps) *tileAPI {
	return &tileAPI{s: s, tiles: d.Tiles, basemap: s.cfg.BaseMapStyleURL,
		past: d.Past, pages: newPages(d.Pages)}
}

// tileParams are the parsed parameters of a grid tile or TileJSON request.
type tileParams struct {
	opts    tiles.Options
	levels  string     // as given, for URLs
	version int64      // ?v=, 0 when absent
	asOf    *time.Time // nil for the current grids
}

func parseTileParams(q url.Values) (tileParams, error) {
	var p tileParams
	if v := q.Get("v"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return p, gridmap.Errorf(gridmap.EINVALID, "v=%q must be a data version: a whole number, as in the tile URL of /tiles/grids.json", v)
		}
		p.version = n
	}
	if q.Has("levels") {
		p.levels = q.Get("levels")
		for _, l := range strings.Split(p.levels, ",") {
			if l = strings.TrimSpace(l); l == "" {
				return p, gridmap.Errorf(gridmap.EINVALID, "levels=%q must list grid levels separated by commas, such as street,village,micro", p.levels)
			}
			p.opts.Levels = append(p.opts.Levels, gridmap.Level(l))
		}
	}
	var err error
	if p.asOf, err = paramAsOf(q); err != nil {
		return p, err
	}
	if p.asOf != nil && !p.asOf.Before(time.Now()) {
		p.asOf = nil // the map as of now or later is the current one
	}
	return p, nil
}

// checkLevels refuses levels that set has no grid of: such a tile would
// always be empty, which is more likely a typo than a wish.
func checkLevels(set *tiles.Set, opts tiles.Options) error {
	have := set.Levels()
	for _, l := range opts.Levels {
		if !slices.Contains(have, l) {
			names := make([]string, len(have))
			for i, h := range have {
				names[i] = string(h)
			}
			return gridmap.Errorf(gridmap.EINVALID, "levels: no grid has level %q; the levels are %s", l, strings.Join(names, ", "))
		}
	}
	return nil
}

// parseZXY reads the tile address of grid and heat tiles. Range checks
// (zoom up to the layer's maximum, x and y below 2^z) are the layer's.
func parseZXY(v map[string]string) (z, x, y uint32, err error) {
	var n [3]uint32
	for i, k := range []string{"z", "x", "y"} {
		u, perr := strconv.ParseUint(v[k], 10, 32)
		if perr != nil {
			return 0, 0, 0, gridmap.Errorf(gridmap.EINVALID, "tile %s/%s/%s: %s must be a whole number (z from 0 to the layer's maximum zoom, x and y from 0 to 2^z-1)", v["z"], v["x"], v["y"], k)
		}
		n[i] = uint32(u)
	}
	return n[0], n[1], n[2], nil
}

// gridTile answers GET /tiles/grids/{z}/{x}/{y}.mvt?v=&levels=&as_of=: a
// Mapbox Vector Tile 2.1 of the grids (layers "grids" and "labels", see
// package tiles), gzipped (Content-Encoding: gzip; plain for a client that
// does not accept gzip), with a strong ETag (304 on If-None-Match).
//
//   - v: the data version (from /tiles/grids.json). A tile of that version
//     is cached for a year; without v, or for another version, the current
//     grids are answered with no-cache. X-Data-Version says which it is.
//   - levels=street,village: draw exactly these levels at every zoom,
//     instead of each level from its own zoom.
//   - as_of: RFC 3339 time; the grids as they were then.
//
// A tile with no feature is 204 No Content (with the same caching), never
// an empty MVT. Errors: 400 for a bad z/x/y (not a number, z above the
// maximum, x or y out of range) or parameter, 503 while the tiles of the
// current grids are being built.
func (t *tileAPI) gridTile(w http.ResponseWriter, r *http.Request) error {
	z, x, y, err := parseZXY(mux.Vars(r))
	if err != nil {
		return err
	}
	p, err := parseTileParams(r.URL.Query())
	if err != nil {
		return err
	}
	ctx := r.Context() // GridTiles bounds its own waits

	var e tiles.Entry
	var cc string
	if p.asOf != nil {
		hctx, cancel := context.WithTimeout(ctx, tileWait)
		defer cancel()
		past, err := pastMap(hctx, t.past, *p.asOf)
		if err != nil {
			return err
		}
		set, err := past.TileSet(hctx)
		if err != nil {
			return err
		}
		if err := checkLevels(set, p.opts); err != nil {
			return err
		}
		if e, err = past.Tile(hctx, z, x, y, p.opts); err != nil && !errors.Is(err, tiles.ErrEmpty) {
			return err
		}
		cc = cacheCurrent
		if time.Since(*p.asOf) > settled {
			cc = cacheHistory
		}
	} else {
		if t.tiles == nil {
			return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "grid tiles are not served by this instance"}
		}
		if len(p.opts.Levels) > 0 {
			set, _, err := t.tiles.TileSet(ctx, p.version)
			if err != nil {
				return err
			}
			if err := checkLevels(set, p.opts); err != nil {
				return err
			}
		}
		var ver int64
		if e, ver, err = t.tiles.Tile(ctx, p.version, z, x, y, p.opts); err != nil && !errors.Is(err, tiles.ErrEmpty) {
			return err
		}
		w.Header().Set("X-Data-Version", strconv.FormatInt(ver, 10))
		cc = cacheCurrent
		if p.version != 0 && p.version == ver {
			cc = cacheVersioned
		}
	}
	h := w.Header()
	h.Set("Cache-Control", cc)
	if e.Data == nil { // tiles.ErrEmpty
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return writeGzipped(w, r, "application/vnd.mapbox-vector-tile", e.Data, e.ETag)
}

// writeGzipped answers data (gzip bytes) with its strong etag: gzipped to a
// client that accepts gzip, else inflated under a derived etag (another
// representation needs another strong validator); 304 on If-None-Match.
func writeGzipped(w http.ResponseWriter, r *http.Request, contentType string, data []byte, etag string) error {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	if !gz {
		etag = strings.TrimSuffix(etag, `"`) + `-identity"`
	}
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", contentType)
	if gz {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(data)))
		if r.Method == http.MethodHead {
			return nil
		}
		_, err := w.Write(data)
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = io.Copy(w, zr)
	return err
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed and not
// refused with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

// tileJSONOut is TileJSON 3.0.0 with the data version beside it (TileJSON
// allows extra members): the wall map watches it to reload tiles.
type tileJSONOut struct {
	tiles.TileJSON
	DataVersion int64  `json:"data_version,omitempty"`
	AsOf        string `json:"as_of,omitempty"`
}

// tileJSON answers GET /tiles/grids.json?levels=&as_of=: TileJSON 3.0.0 of
// the grid tiles. Its tile URL carries the data version (?v=), so tiles
// fetched through it are cached for long and a change of the grids gives
// new URLs; levels and as_of are carried into the URL. The document itself
// is no-cache, with an ETag.
func (t *tileAPI) tileJSON(w http.ResponseWriter, r *http.Request) error {
	p, err := parseTileParams(r.URL.Query())
	if err != nil {
		return err
	}
	if p.version != 0 {
		return gridmap.Errorf(gridmap.EINVALID, "v: /tiles/grids.json describes the current grids; leave v out")
	}
	ctx, cancel := context.WithTimeout(r.Context(), tileWait)
	defer cancel()
	base := t.s.baseURL(r)
	query := url.Values{}
	if p.levels != "" {
		query.Set("levels", p.levels)
	}
	var out tileJSONOut
	if p.asOf != nil {
		past, err := pastMap(ctx, t.past, *p.asOf)
		if err != nil {
			return err
		}
		set, err := past.TileSet(ctx)
		if err != nil {
			return err
		}
		if err := checkLevels(set, p.opts); err != nil {
			return err
		}
		out.TileJSON = set.TileJSON(base)
		out.AsOf = p.asOf.UTC().Format(time.RFC3339Nano)
		query.Set("as_of", out.AsOf)
		out.Description = fmt.Sprintf("Grid boundaries and labels as they were at %s. Feature ids are the grids' stable numeric ids, for feature-state.", out.AsOf)
	} else {
		if t.tiles == nil {
			return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "grid tiles are not served by this instance"}
		}
		set, ver, err := t.tiles.TileSet(ctx, 0)
		if err != nil {
			return err
		}
		if err := checkLevels(set, p.opts); err != nil {
			return err
		}
		out.TileJSON = set.TileJSON(base)
		out.DataVersion = ver
		query.Set("v", strconv.FormatInt(ver, 10))
		out.Description = fmt.Sprintf("Grid boundaries and labels, data version %d. Feature ids are the grids' stable numeric ids, for feature-state.", ver)
	}
	// The set's URL names its cache epoch; carry the data version instead.
	out.Tiles = []string{base + "/tiles/grids/{z}/{x}/{y}.mvt?" + query.Encode()}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", cacheCurrent)
	return writeBody(w, r, "application/json", body)
}

// writeBody answers a small body with a strong ETag of its bytes (304 on
// If-None-Match).
func writeBody(w http.ResponseWriter, r *http.Request, contentType string, body []byte) error {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(body)
	return err
}

// validHost accepts a host[:port] of letters, digits, dots, hyphens,
// colons and brackets (IPv6): nothing that could break out of a URL.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return false
		}
	}
	return true
}
