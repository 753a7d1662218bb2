// Package static holds gridmap's web pages for the binary to serve: the
// bundle in dist/ (built by `make build` or `npm run build` in this folder:
// MapLibre GL JS and the pages' code from npm, bundled with esbuild for use
// with no internet) and the MapLibre style templates in styles/.
//
// dist/ is not committed but for a placeholder, so `go build` works from a
// clean clone; the pages then answer 503 saying to build the bundle.
package static

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

//go:embed styles/*.json
var styles embed.FS

// Dist returns the built bundle: one NAME.html per page, its scripts and
// styles under assets/ with content-hashed names. It holds only
// PLACEHOLDER.md when the bundle was not built.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// Style returns the MapLibre style template NAME.json from styles/; its
// source URLs are relative to the server and made absolute when served.
func Style(name string) ([]byte, error) {
	return fs.ReadFile(styles, "styles/"+name+".json")
}
