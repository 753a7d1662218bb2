package gridio

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// CSVOptions names the columns of a grid CSV. Empty names are detected
// from the header (case-insensitive): the WKT column among wktNames, the
// vertex columns among lonNames, latNames, partNames and ringNames.
type CSVOptions struct {
	// Props names the code, name and parent columns; other columns become
	// attributes (text; empty cells are left out).
	Props
	// WKT is the column holding each grid's boundary as WKT (POLYGON or
	// MULTIPOLYGON, EPSG:4326 degrees): one row per grid.
	WKT string
	// Lon and Lat are the columns of a vertex table: one row per boundary
	// vertex, the rows of one grid together and in ring order. Part and
	// Ring, when present, number the polygons of a grid and the rings of a
	// polygon (the first ring is the exterior); a new number starts a new
	// polygon or ring. Rings need not repeat their first vertex at the end.
	Lon, Lat, Part, Ring string
}

var (
	wktNames  = []string{"wkt", "geometry", "geom", "the_geom", "shape", "boundary"}
	lonNames  = []string{"lon", "lng", "longitude", "x", "经度"}
	latNames  = []string{"lat", "latitude", "y", "纬度"}
	partNames = []string{"part", "polygon"}
	ringNames = []string{"ring"}
)

// ReadCSV streams grids from a CSV file (UTF-8, comma-separated, a header
// line first; gzip and a UTF-8 byte-order mark accepted) in one of two
// shapes, chosen by its columns:
//
//   - a WKT column: one row per grid, its boundary as WKT POLYGON or
//     MULTIPOLYGON, as GET /api/v1/grids?format=csv exports;
//   - lon and lat columns: a vertex table, one row per vertex (see
//     CSVOptions), as surveying tables of boundary points (界址点) come.
//
// A row that cannot be a grid yields a *gridmap.ItemError with its line and
// reading goes on; a file whose header names neither shape, or that is not
// UTF-8 CSV, yields one EINVALID *gridmap.Error and stops.
func ReadCSV(r io.Reader, o CSVOptions) iter.Seq2[gridmap.GridRow, error] {
	return func(yield func(gridmap.GridRow, error) bool) {
		r, err := MaybeGunzip(r)
		if err != nil {
			yield(gridmap.GridRow{}, err)
			return
		}
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		header, err := cr.Read()
		if err != nil {
			yield(gridmap.GridRow{}, gridmap.Errorf(gridmap.EINVALID, "not a CSV file with a header line: %v", csvErr(err)))
			return
		}
		header = slices.Clone(header)
		if len(header) > 0 {
			header[0] = strings.TrimPrefix(header[0], "\uFEFF")
		}
		if !utf8.ValidString(strings.Join(header, "")) {
			yield(gridmap.GridRow{}, notUTF8(1))
			return
		}
		cols, err := csvColumns(header, o)
		if err != nil {
			yield(gridmap.GridRow{}, err)
			return
		}
		if cols.wkt >= 0 {
			readWKTRows(cr, header, cols, yield)
		} else {
			readVertexRows(cr, header, cols, yield)
		}
	}
}

func notUTF8(line int) error {
	return gridmap.Errorf(gridmap.EINVALID, "line %d is not UTF-8 text: save the CSV as UTF-8 (Excel: \"CSV UTF-8\"), or convert it, e.g. iconv -f GBK -t UTF-8", line)
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	return err
}

// csvCols holds the positions of the columns ReadCSV uses (-1: absent).
type csvCols struct {
	code, name, parent        int
	wkt, lon, lat, part, ring int
	used                      []bool // columns that are not attributes
}

func csvColumns(header []string, o CSVOptions) (csvCols, error) {
	find := func(flag, given string, names []string) (int, error) {
		if given != "" {
			for i, h := range header {
				if strings.EqualFold(strings.TrimSpace(h), given) {
					return i, nil
				}
			}
			return -1, gridmap.Errorf(gridmap.EINVALID, "the CSV has no column %q (%s); its columns are %s", given, flag, strings.Join(header, ", "))
		}
		for _, n := range names {
			for i, h := range header {
				if strings.EqualFold(strings.TrimSpace(h), n) {
					return i, nil
				}
			}
		}
		return -1, nil
	}
	c := csvCols{used: make([]bool, len(header))}
	var err error
	set := func(dst *int, flag, given string, names ...string) {
		if err == nil {
			*dst, err = find(flag, given, names)
			if *dst >= 0 {
				c.used[*dst] = true
			}
		}
	}
	c.code, c.name, c.parent = -1, -1, -1
	for i, h := range header {
		switch strings.TrimSpace(h) {
		case o.Code:
			c.code, c.used[i] = i, true
		case o.Name:
			if o.Name != "" { // optional: a grid without a name is named by its code
				c.name, c.used[i] = i, true
			}
		}
	}
	if o.Parent != "" {
		set(&c.parent, "--parent-prop", o.Parent)
	}
	set(&c.wkt, "--wkt-column", o.WKT, wktNames...)
	if o.WKT == "" && (o.Lon != "" || o.Lat != "") {
		c.used[c.wkt], c.wkt = false, -1 // vertex columns asked for
	}
	c.lon, c.lat, c.part, c.ring = -1, -1, -1, -1
	if c.wkt < 0 {
		set(&c.lon, "--lon-column", o.Lon, lonNames...)
		set(&c.lat, "--lat-column", o.Lat, latNames...)
		set(&c.part, "part", o.Part, partNames...)
		set(&c.ring, "ring", o.Ring, ringNames...)
	}
	if err != nil {
		return c, err
	}
	if c.code < 0 {
		return c, gridmap.Errorf(gridmap.EINVALID, "the CSV has no code column %q (name it with --code-prop); its columns are %s", o.Code, strings.Join(header, ", "))
	}
	if c.wkt < 0 && (c.lon < 0 || c.lat < 0) {
		return c, gridmap.Errorf(gridmap.EINVALID, "the CSV has neither a WKT column (%s) nor lon and lat columns (%s; %s): name them with --wkt-column, or --lon-column and --lat-column; its columns are %s",
			strings.Join(wktNames, ", "), strings.Join(lonNames, ", "), strings.Join(latNames, ", "), strings.Join(header, ", "))
	}
	return c, nil
}

// fields sets the code, name, parent and attributes of a record, and
// returns the column holding text that may not be stored and its problem
// (rowText), "" when none does.
func (c csvCols) fields(header, rec []string, row *gridmap.GridRow) (column, problem string) {
	get := func(i int) string {
		if i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	row.Code = get(c.code)
	row.Name = get(c.name)
	if row.Name == "" {
		row.Name = row.Code
	}
	row.Parent = get(c.parent)
	row.Attributes = map[string]any{}
	for i, v := range rec {
		if i < len(header) && !c.used[i] && v != "" {
			row.Attributes[header[i]] = v
		}
	}
	return rowText(row, func(field string) string {
		col := -1
		switch field {
		case "code":
			col = c.code
		case "name":
			col = c.name
		case "parent":
			col = c.parent
		case "":
			return "header"
		default:
			return field
		}
		if col < 0 { // a name defaults to the code
			col = c.code
		}
		return header[col]
	})
}

func validRecord(rec []string) bool {
	for _, v := range rec {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// readWKTRows reads one grid per row from the WKT column.
func readWKTRows(cr *csv.Reader, header []string, c csvCols, yield func(gridmap.GridRow, error) bool) {
	for i := 0; ; i++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			yield(gridmap.GridRow{}, gridmap.Errorf(gridmap.EINVALID, "not a valid CSV: %v", csvErr(err)))
			return
		}
		line, _ := cr.FieldPos(0) // after the error check: FieldPos panics after a parse error
		if !validRecord(rec) {
			yield(gridmap.GridRow{}, notUTF8(line))
			return
		}
		row := gridmap.GridRow{Index: i}
		col, problem := c.fields(header, rec, &row)
		bad := func(field, format string, args ...any) bool {
			return yield(row, &gridmap.ItemError{Index: i, Line: line, Code: row.Code, Field: field, Message: fmt.Sprintf(format, args...)})
		}
		if problem != "" {
			if !bad(col, "%s", problem) {
				return
			}
			continue
		}
		if row.Code == "" {
			if !bad(header[c.code], "the code is empty") {
				return
			}
			continue
		}
		if c.wkt >= len(rec) || strings.TrimSpace(rec[c.wkt]) == "" {
			if !bad(header[c.wkt], "the WKT boundary is empty") {
				return
			}
			continue
		}
		g, err := parseWKT(rec[c.wkt])
		if err != nil {
			if !bad(header[c.wkt], "%v", err) {
				return
			}
			continue
		}
		row.Boundary = g
		if err := checkRings(g); err != nil {
			if !bad(header[c.wkt], "%v", err) {
				return
			}
			continue
		}
		if !yield(row, nil) {
			return
		}
	}
}

// readVertexRows assembles grids from consecutive vertex rows.
func readVertexRows(cr *csv.Reader, header []string, c csvCols, yield func(gridmap.GridRow, error) bool) {
	var (
		cur     *gridmap.GridRow
		curLine int
		mp      orb.MultiPolygon
		part    string
		ring    string
		problem *gridmap.ItemError
		seenAt  = map[string]int{} // code → first line
		index   = 0
		stopped bool
		// flush yields the grid assembled so far.
		flush = func() {
			if cur == nil {
				return
			}
			row := *cur
			var err error
			if problem != nil {
				err = problem
			} else {
				for pi := range mp {
					for ri, r := range mp[pi] {
						if len(r) > 0 && r[0] != r[len(r)-1] {
							mp[pi][ri] = append(r, r[0]) // close the ring
						}
					}
				}
				row.Boundary = mp
				if e := checkRings(mp); e != nil {
					err = &gridmap.ItemError{Index: row.Index, Line: curLine, Code: row.Code, Field: "geometry", Message: e.Error()}
				}
			}
			if !yield(row, err) {
				stopped = true
			}
			cur, mp, problem = nil, nil, nil
		}
	)
	for !stopped {
		rec, err := cr.Read()
		if err == io.EOF {
			flush()
			return
		}
		if err != nil {
			yield(gridmap.GridRow{}, gridmap.Errorf(gridmap.EINVALID, "not a valid CSV: %v", csvErr(err)))
			return
		}
		line, _ := cr.FieldPos(0) // after the error check: FieldPos panics after a parse error
		if !validRecord(rec) {
			yield(gridmap.GridRow{}, notUTF8(line))
			return
		}
		get := func(i int) string {
			if i >= 0 && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		code := get(c.code)
		if cur == nil || code != cur.Code {
			flush()
			if stopped {
				return
			}
			cur = &gridmap.GridRow{Index: index}
			index++
			curLine = line
			col, text := c.fields(header, rec, cur)
			part, ring = get(c.part), get(c.ring)
			mp = orb.MultiPolygon{{{}}}
			if text != "" {
				problem = &gridmap.ItemError{Index: cur.Index, Line: line, Code: code, Field: col, Message: text}
			} else if code == "" {
				problem = &gridmap.ItemError{Index: cur.Index, Line: line, Field: header[c.code], Message: "the code is empty"}
			} else if first, ok := seenAt[code]; ok {
				problem = &gridmap.ItemError{Index: cur.Index, Line: line, Code: code, Field: header[c.code],
					Message: fmt.Sprintf("the vertices of grid %s must be on consecutive lines: it appeared from line %d before", code, first)}
			} else {
				seenAt[code] = line
			}
		}
		if problem != nil {
			continue
		}
		if p, r := get(c.part), get(c.ring); p != part {
			part, ring = p, r
			mp = append(mp, orb.Polygon{{}})
		} else if r != ring {
			ring = r
			mp[len(mp)-1] = append(mp[len(mp)-1], orb.Ring{})
		}
		var pt orb.Point
		for k, col := range []int{c.lon, c.lat} {
			v := get(col)
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				problem = &gridmap.ItemError{Index: cur.Index, Line: line, Code: code, Field: header[col], Message: fmt.Sprintf("%q is not a number in degrees", v)}
				break
			}
			pt[k] = f
		}
		if problem != nil {
			continue
		}
		poly := mp[len(mp)-1]
		poly[len(poly)-1] = append(poly[len(poly)-1], pt)
	}
}
