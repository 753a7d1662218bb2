package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/static"
)

// pages serves the web-page bundle (static.Dist): NAME.html pages and
// their assets. Files are read once and kept in memory, with a strong ETag
// and, for text, a gzipped copy.
type pages struct {
	fsys  fs.FS
	mu    sync.Mutex
	files map[string]*pageFile
}

type pageFile struct {
	data, gz []byte // gz nil when compressing does not pay
	etag     string
	ctype    string
}

func newPages(fsys fs.FS) *pages {
	if fsys == nil {
		fsys = static.Dist()
	}
	return &pages{fsys: fsys, files: map[string]*pageFile{}}
}

var pageName = regexp.MustCompile(`^[a-z0-9-]+$`)

// wallMap serves GET / (the wall map).
func (t *tileAPI) wallMap(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "wallmap.html", false)
}

// editor serves GET /editor (the boundary editor).
func (t *tileAPI) editor(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "editor.html", false)
}

// desk serves GET /desk (the case desk, 案件工作台).
func (t *tileAPI) desk(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "desk.html", false)
}

// roster serves GET /roster: who serves which grid (issue 15).
func (t *tileAPI) roster(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "roster.html", false)
}

// rankingPage serves GET /ranking: the red and black lists (indicators.go).
func (t *tileAPI) rankingPage(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "ranking.html", false)
}

// field serves GET /field: the grid workers' phone app (issue 15).
func (t *tileAPI) field(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "field.html", false)
}

// fieldWorker serves GET /field-sw.js, the field app's service worker
// (never cached by HTTP: a new build must reach the phones).
func (t *tileAPI) fieldWorker(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "field-sw.js", false)
}

// fieldManifest serves GET /field.webmanifest, what installs the app.
func (t *tileAPI) fieldManifest(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "field.webmanifest", false)
}

// reportsPage serves GET /reports: the daily bulletin and the Wednesday
// agenda, with the agenda's decisions recorded as consult steps (reports.go).
func (t *tileAPI) reportsPage(w http.ResponseWriter, r *http.Request) error {
	return t.pages.serve(w, r, "reports.html", false)
}

// page serves GET /{page}.html.
func (t *tileAPI) page(w http.ResponseWriter, r *http.Request) error {
	name := mux.Vars(r)["page"]
	if !pageName.MatchString(name) {
		return gridmap.Errorf(gridmap.ENOTFOUND, "no page %s.html", name)
	}
	return t.pages.serve(w, r, name+".html", false)
}

// asset serves GET /assets/….
func (t *tileAPI) asset(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if !fs.ValidPath(name) {
		return gridmap.Errorf(gridmap.ENOTFOUND, "no file %s", r.URL.Path)
	}
	return t.pages.serve(w, r, name, true)
}

// serve answers one file of the bundle. Pages are no-cache (they name the
// current assets); assets carry a content hash in their names and are
// cached for a year. A missing page when the bundle was not built is 503
// saying how to build it.
func (p *pages) serve(w http.ResponseWriter, r *http.Request, name string, immutable bool) error {
	f, err := p.file(name)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := fs.Stat(p.fsys, "wallmap.html"); errors.Is(err, fs.ErrNotExist) {
			return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the web pages were not built into this binary: " +
				"run `make build` (npm ci and the bundle step in static/, then go build) on a machine with Node.js and npm"}
		}
		return gridmap.Errorf(gridmap.ENOTFOUND, "no file %s", r.URL.Path)
	} else if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", f.etag)
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", f.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	body := f.data
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(body)
	return err
}

// file reads name from the bundle once.
func (p *pages) file(name string) (*pageFile, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.files[name]; ok {
		return f, nil
	}
	data, err := fs.ReadFile(p.fsys, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	f := &pageFile{data: data, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
	f.ctype = mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".mjs", ".js":
		f.ctype = "text/javascript; charset=utf-8"
	case ".webmanifest":
		f.ctype = "application/manifest+json"
	case "":
		f.ctype = "application/octet-stream"
	}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	if strings.HasPrefix(f.ctype, "text/") || strings.Contains(f.ctype, "json") || strings.Contains(f.ctype, "svg") {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		if buf.Len() < len(data)*9/10 {
			f.gz = buf.Bytes()
		}
	}
	p.files[name] = f
	return f, nil
}
