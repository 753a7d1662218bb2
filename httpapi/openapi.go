package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.0 description of /api/v1, served as is
// at /api/v1/openapi.json. tests/openapi_test.go keeps it true: it must
// validate, describe every route registered under /api/v1 (and no route
// that is not), and document every error answer as problem+json.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIDoc serves the OpenAPI document of /api/v1.
func (s *Server) openAPIDoc(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, err := w.Write(openAPIDocument)
	return err
}
