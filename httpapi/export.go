package httpapi

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// Exports of GET /api/v1/grids: format=geojson (the default) or csv.

// gridCSVHeader is the header of a grid CSV export. wkt is the boundary as
// a WKT MULTIPOLYGON in EPSG:4326 degrees with every coordinate exact
// (shortest round-trip decimal), so an export imports back unchanged.
var gridCSVHeader = []string{"code", "name", "level", "parent", "grid_id", "version", "valid_from", "valid_to", "attributes", "wkt"}

// paramExportFormat parses format=geojson|csv (default geojson).
func paramExportFormat(q url.Values) (string, error) {
	switch f := q.Get("format"); f {
	case "":
		return "geojson", nil
	case "geojson", "csv":
		return f, nil
	default:
		return "", gridmap.Errorf(gridmap.EINVALID, "format=%q: the formats are geojson and csv", f)
	}
}

// listGridsCSV streams the grids matching f as CSV (gridCSVHeader), one
// row per grid, ordered by code, as a download named grids[-LEVEL].csv.
// With limit (f.Limit is limit+1) the answer holds at most limit rows; a
// CSV has no place for a next link, so the next page is cursor=<code of
// the last row>, and a page of fewer than limit rows is the last.
func (s *Server) listGridsCSV(w http.ResponseWriter, r *http.Request, f gridmap.GridFilter, limit int) error {
	var bw *bufio.Writer
	var cw *csv.Writer
	start := func() {
		name := "grids"
		if f.Level != "" {
			name += "-" + string(f.Level)
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
		w.Header().Set("Content-Disposition", `attachment; filename="`+url.PathEscape(name)+`.csv"`)
		bw = bufio.NewWriterSize(w, 64<<10)
		cw = csv.NewWriter(bw)
		_ = cw.Write(gridCSVHeader)
	}
	n := 0
	rec := make([]string, len(gridCSVHeader))
	err := s.grids.ListGrids(r.Context(), f, func(g gridmap.Grid) error {
		if limit > 0 && n == limit {
			return nil
		}
		if bw == nil {
			start()
		}
		n++
		attrs := []byte("{}")
		if len(g.Attributes) > 0 {
			var err error
			if attrs, err = json.Marshal(g.Attributes); err != nil {
				return err
			}
		}
		validTo := ""
		if g.ValidTo != nil {
			validTo = g.ValidTo.Format(time.RFC3339Nano)
		}
		rec[0], rec[1], rec[2], rec[3] = g.Code, g.Name, string(g.Level), g.Parent
		rec[4], rec[5] = strconv.FormatInt(g.ID, 10), strconv.FormatInt(g.Version, 10)
		rec[6], rec[7] = g.ValidFrom.Format(time.RFC3339Nano), validTo
		rec[8], rec[9] = string(attrs), string(appendWKT(nil, g.Boundary))
		return cw.Write(rec)
	})
	if err != nil && bw == nil {
		return err
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "grid export failed mid-stream", "request_id", requestID(r.Context()), "error", err.Error())
		panic(http.ErrAbortHandler)
	}
	if bw == nil {
		start()
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// appendWKT appends mp as WKT MULTIPOLYGON with exact coordinates
// (strconv 'f', -1: the shortest decimal that parses back to the same
// float64), unlike orb's WKT encoder, which rounds to six digits.
func appendWKT(b []byte, mp orb.MultiPolygon) []byte {
	if len(mp) == 0 {
		return append(b, "MULTIPOLYGON EMPTY"...)
	}
	b = append(b, "MULTIPOLYGON ("...)
	for i, poly := range mp {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '(')
		for j, ring := range poly {
			if j > 0 {
				b = append(b, ", "...)
			}
			b = append(b, '(')
			for k, p := range ring {
				if k > 0 {
					b = append(b, ", "...)
				}
				b = strconv.AppendFloat(b, p[0], 'f', -1, 64)
				b = append(b, ' ')
				b = strconv.AppendFloat(b, p[1], 'f', -1, 64)
			}
			b = append(b, ')')
		}
		b = append(b, ')')
	}
	return append(b, ')')
}
