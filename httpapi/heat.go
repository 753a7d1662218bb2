package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gridmap/gridmap/heat"
)

// heatTile answers GET /tiles/heat/{z}/{x}/{y}.mvt?category=&status=&from=
// &to=&grid=: a Mapbox Vector Tile with one point layer "heat" whose
// features are density cells with a "count" (see package heat), for a
// MapLibre heatmap layer weighted by ["get", "count"]. No personal data.
// An empty tile is 204 No Content. The tile is gzipped (Content-Encoding:
// gzip) unless the client does not accept gzip.
func (s *Server) heatTile(w http.ResponseWriter, r *http.Request) error {
	z, x, y, err := parseZXY(mux.Vars(r))
	if err != nil {
		return err
	}
	_, _, agg, f, err := s.heatQuery(r)
	if err != nil {
		return err
	}
	if _, err := s.planWindow(&f, "a heat tile", false); err != nil {
		return err
	}
	cells, err := agg.Tile(z, x, y, f, 0)
	if err != nil {
		return err
	}
	// Incidents arrive all the time: a short cache keeps a wall map of
	// many screens from asking twice within seconds.
	w.Header().Set("Cache-Control", "public, max-age=10")
	if len(cells) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	b, err := heat.EncodeTile(cells)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
	w.Header().Add("Vary", "Accept-Encoding")
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return err
		}
		_, err = io.Copy(w, zr)
		return err
	}
	w.Header().Set("Content-Encoding", "gzip")
	_, err = w.Write(b)
	return err
}
