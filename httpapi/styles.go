package httpapi

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"regexp"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/static"
)

var styleName = regexp.MustCompile(`^[a-z0-9-]+$`)

// style answers GET /styles/{name}.json: a MapLibre style from static/styles
// (wallmap: the command-centre wall map), its source URLs made absolute for
// the host the client used, and metadata "gridmap:basemap" set to the
// configured base-map style URL (Config.BaseMapStyleURL; the wall map draws
// that style under its own layers). No glyphs URL: MapLibre GL JS draws
// labels with the machine's fonts, so the map needs no glyph server.
// no-cache with an ETag.
func (t *tileAPI) style(w http.ResponseWriter, r *http.Request) error {
	name := mux.Vars(r)["name"]
	if !styleName.MatchString(name) {
		return gridmap.Errorf(gridmap.ENOTFOUND, "no style %q", name)
	}
	tmpl, err := static.Style(name)
	if errors.Is(err, fs.ErrNotExist) {
		return gridmap.Errorf(gridmap.ENOTFOUND, "no style %q; there is /styles/wallmap.json", name)
	} else if err != nil {
		return err
	}
	body, err := renderStyle(tmpl, t.s.baseURL(r), t.basemap)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", cacheCurrent)
	return writeBody(w, r, "application/json", body)
}

// renderStyle makes the source URLs of a style template absolute (those
// starting with "/" get base in front) and records the base map URL.
func renderStyle(tmpl []byte, base, basemap string) ([]byte, error) {
	var style map[string]any
	if err := json.Unmarshal(tmpl, &style); err != nil {
		return nil, err
	}
	abs := func(u any) any {
		if s, ok := u.(string); ok && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
			return base + s
		}
		return u
	}
	sources, _ := style["sources"].(map[string]any)
	for _, src := range sources {
		src, ok := src.(map[string]any)
		if !ok {
			continue
		}
		if u, ok := src["url"]; ok {
			src["url"] = abs(u)
		}
		if ts, ok := src["tiles"].([]any); ok {
			for i := range ts {
				ts[i] = abs(ts[i])
			}
		}
	}
	meta, _ := style["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		style["metadata"] = meta
	}
	meta["gridmap:basemap"] = basemap
	return json.Marshal(style)
}
