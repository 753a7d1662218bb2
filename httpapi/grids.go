package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
)

// gridFeature renders a grid as a GeoJSON Feature (RFC 7946) whose id is
// the grid code.
func gridFeature(g gridmap.Grid) *geojson.Feature {
	f := geojson.NewFeature(g.Boundary)
	f.ID = g.Code
	f.Properties = geojson.Properties{
		"code":       g.Code,
		"name":       g.Name,
		"level":      string(g.Level),
		"parent":     nilIfEmpty(g.Parent),
		"grid_id":    g.ID,
		"version":    g.Version,
		"valid_from": g.ValidFrom,
		"valid_to":   g.ValidTo,
		"attributes": g.Attributes,
	}
	return f
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) checkLevel(r *http.Request, l string) error {
	if l == "" {
		return nil
	}
	levels, err := s.grids.Levels(r.Context())
	if err != nil {
		return err
	}
	if !slices.Contains(levels, gridmap.Level(l)) {
		return gridmap.Errorf(gridmap.EINVALID, "level=%q is not a grid level; the levels are %v", l, levels)
	}
	return nil
}

const maxPage = 10000

// listGrids streams a FeatureCollection of the grids matching level, parent,
// bbox and as_of. With limit, a page ends with "next_cursor"; pass it as
// cursor for the next page.
func (s *Server) listGrids(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := gridmap.GridFilter{Level: gridmap.Level(q.Get("level")), Parent: q.Get("parent"), After: q.Get("cursor")}
	var err error
	if f.BBox, err = paramBBox(q); err != nil {
		return err
	}
	if f.AsOf, err = paramAsOf(q); err != nil {
		return err
	}
	limit, err := paramInt(q, "limit", 0, 1, maxPage)
	if err != nil {
		return err
	}
	if err := s.checkLevel(r, q.Get("level")); err != nil {
		return err
	}
	if limit > 0 {
		f.Limit = limit + 1 // one more tells whether a next page exists
	}
	format, err := paramExportFormat(q) // export.go
	if err != nil {
		return err
	}
	if format == "csv" {
		return s.listGridsCSV(w, r, f, limit)
	}

	var bw *bufio.Writer
	n, last, more := 0, "", false
	err = s.grids.ListGrids(r.Context(), f, func(g gridmap.Grid) error {
		if limit > 0 && n == limit {
			more = true
			return nil
		}
		if bw == nil {
			// Headers go out with the first feature, so an error before it
			// can still be a proper problem response.
			w.Header().Set("Content-Type", "application/geo+json")
			bw = bufio.NewWriterSize(w, 64<<10)
			bw.WriteString(`{"type":"FeatureCollection","features":[`)
		} else {
			bw.WriteByte(',')
		}
		b, err := json.Marshal(gridFeature(g))
		if err != nil {
			return err
		}
		bw.Write(b)
		n++
		last = g.Code
		return nil
	})
	if err != nil && bw == nil {
		return err
	}
	if err != nil {
		// Too late for a status: cut the response so the client sees
		// broken JSON rather than a silently short list.
		s.log.ErrorContext(r.Context(), "grid listing failed mid-stream", "request_id", requestID(r.Context()), "error", err.Error())
		panic(http.ErrAbortHandler)
	}
	if bw == nil {
		w.Header().Set("Content-Type", "application/geo+json")
		bw = bufio.NewWriter(w)
		bw.WriteString(`{"type":"FeatureCollection","features":[`)
	}
	bw.WriteString(`],"numberReturned":` + strconv.Itoa(n))
	if more {
		next := *r.URL
		nq := next.Query()
		nq.Set("cursor", last)
		next.RawQuery = nq.Encode()
		fmt.Fprintf(bw, `,"next_cursor":%q,"links":[{"rel":"next","type":"application/geo+json","href":%q}]`, last, next.String())
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// getGrid answers one grid as a Feature, the current version or the one
// valid at as_of, with a strong ETag of its version.
func (s *Server) getGrid(w http.ResponseWriter, r *http.Request) error {
	asOf, err := paramAsOf(r.URL.Query())
	if err != nil {
		return err
	}
	g, err := s.grids.Grid(r.Context(), mux.Vars(r)["code"], asOf)
	if err != nil {
		return err
	}
	etag := fmt.Sprintf(`"g%d"`, g.Version)
	w.Header().Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/geo+json")
	return json.NewEncoder(w).Encode(gridFeature(g))
}
