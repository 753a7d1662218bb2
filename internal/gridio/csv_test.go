package gridio

import (
	"bytes"
	"compress/gzip"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
)

// readAll collects the rows and item errors of a sequence, and the fatal
// error that stopped it.
func readAll(tb testing.TB, seq func(func(gridmap.GridRow, error) bool)) (rows []gridmap.GridRow, items []gridmap.ItemError, fatal error) {
	tb.Helper()
	for row, err := range seq {
		var ie *gridmap.ItemError
		switch {
		case errors.As(err, &ie):
			items = append(items, *ie)
		case err != nil:
			fatal = err
		default:
			rows = append(rows, row)
		}
	}
	return rows, items, fatal
}

var square = orb.Polygon{{{116.1, 35.1}, {116.2, 35.1}, {116.2, 35.2}, {116.1, 35.2}, {116.1, 35.1}}}

func TestReadCSV(t *testing.T) {
	props := CSVOptions{Props: Props{Code: "code", Name: "name"}}
	for _, c := range []struct {
		name  string
		csv   string
		opts  *CSVOptions
		rows  []gridmap.GridRow
		items []string // "line:field:message substring"
		fatal string
	}{
		{
			name: "WKT, one grid a row, extra columns as attributes",
			csv:  "code,name,parent,wkt,households\nA1,甲,A,\"POLYGON((116.1 35.1,116.2 35.1,116.2 35.2,116.1 35.2,116.1 35.1))\",12\n",
			opts: &CSVOptions{Props: Props{Code: "code", Name: "name", Parent: "parent"}},
			rows: []gridmap.GridRow{{Index: 0, Code: "A1", Name: "甲", Parent: "A", Attributes: map[string]any{"households": "12"}, Boundary: square}},
		},
		{
			name:  "a parent column asked for and missing",
			csv:   "code,name,wkt\n",
			opts:  &CSVOptions{Props: Props{Code: "code", Name: "name", Parent: "parent_code"}},
			fatal: `no column "parent_code" (--parent-prop)`,
		},
		{
			name: "WKT MULTIPOLYGON with a byte-order mark, EWKT and an empty name",
			csv:  "\uFEFFcode,name,geometry\nA1,,\"SRID=4326;MULTIPOLYGON(((116.1 35.1,116.2 35.1,116.2 35.2,116.1 35.2,116.1 35.1)))\"\n",
			rows: []gridmap.GridRow{{Index: 0, Code: "A1", Name: "A1", Attributes: map[string]any{}, Boundary: orb.MultiPolygon{square}}},
		},
		{
			name:  "bad rows are reported by line and reading goes on",
			csv:   "code,name,wkt\nA1,x,POINT(1 2)\n,y,\"POLYGON((0 0,1 0,1 1,0 0))\"\nA3,z,POLYGON((0 0\nA4,w,\"POLYGON((0 0,1 0,1 1,0 1))\"\nA5,v,\nA6,u,\"POLYGON((0 0,200 0,1 1,0 0))\"\n",
			items: []string{"2:wkt:POINT", "3:code:empty", "4:wkt:not valid WKT", "5:wkt:not closed", "6:wkt:empty", "7:wkt:outside lon"},
		},
		{
			name:  "another SRID is refused",
			csv:   "code,wkt\nA1,\"SRID=3857;POLYGON((0 0,1 0,1 1,0 0))\"\n",
			items: []string{"2:wkt:SRID=3857"},
		},
		{
			name: "vertex table: rings closed, parts and rings numbered",
			csv: "code,name,part,ring,lon,lat\n" +
				"B1,乙,1,0,116.1,35.1\nB1,乙,1,0,116.2,35.1\nB1,乙,1,0,116.2,35.2\nB1,乙,1,0,116.1,35.2\n" +
				"B1,乙,1,1,116.12,35.12\nB1,乙,1,1,116.12,35.14\nB1,乙,1,1,116.14,35.14\n" +
				"B1,乙,2,0,117,36\nB1,乙,2,0,117.1,36\nB1,乙,2,0,117.1,36.1\n" +
				"B2,丙,1,0,116.1,35.1\nB2,丙,1,0,116.2,35.1\nB2,丙,1,0,116.2,35.2\nB2,丙,1,0,116.1,35.2\nB2,丙,1,0,116.1,35.1\n",
			rows: []gridmap.GridRow{
				{Index: 0, Code: "B1", Name: "乙", Attributes: map[string]any{}, Boundary: orb.MultiPolygon{
					{square[0], {{116.12, 35.12}, {116.12, 35.14}, {116.14, 35.14}, {116.12, 35.12}}},
					{{{117, 36}, {117.1, 36}, {117.1, 36.1}, {117, 36}}},
				}},
				{Index: 1, Code: "B2", Name: "丙", Attributes: map[string]any{}, Boundary: orb.MultiPolygon{square}},
			},
		},
		{
			name:  "vertex table: a grid split over the file, a bad number, too few vertices",
			csv:   "code,x,y\nC1,1,1\nC1,2,1\nC1,2,2\nC2,1,1\nC1,5,5\nC3,1,one\nC4,1,1\nC4,2,2\n",
			items: []string{"5:geometry:at least 4", "6:code:consecutive lines", "7:y:not a number", "8:geometry:at least 4"},
			rows:  []gridmap.GridRow{{Index: 0, Code: "C1", Name: "C1", Attributes: map[string]any{}, Boundary: orb.MultiPolygon{{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}}}},
		},
		{
			name:  "neither WKT nor lon/lat columns",
			csv:   "code,name,area\nA1,x,3\n",
			fatal: "neither a WKT column",
		},
		{
			name:  "no code column",
			csv:   "id,wkt\n1,\"POLYGON((0 0,1 0,1 1,0 0))\"\n",
			fatal: `no code column "code"`,
		},
		{
			name:  "a named column that is not there",
			csv:   "code,wkt\n",
			opts:  &CSVOptions{Props: Props{Code: "code"}, WKT: "shape_wkt"},
			fatal: `no column "shape_wkt" (--wkt-column)`,
		},
		{
			name:  "GBK text",
			csv:   "code,name,wkt\nA1,\xc4\xcf,\"POLYGON((0 0,1 0,1 1,0 0))\"\n",
			fatal: "not UTF-8",
		},
		{
			name: "lon/lat columns asked for although there is a wkt column",
			csv:  "code,wkt,E,N\nD1,ignored,1,1\nD1,ignored,2,1\nD1,ignored,2,2\n",
			opts: &CSVOptions{Props: Props{Code: "code"}, Lon: "E", Lat: "N"},
			rows: []gridmap.GridRow{{Index: 0, Code: "D1", Name: "D1", Attributes: map[string]any{"wkt": "ignored"}, Boundary: orb.MultiPolygon{{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}}}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := props
			if c.opts != nil {
				o = *c.opts
			}
			rows, items, fatal := readAll(t, ReadCSV(strings.NewReader(c.csv), o))
			if c.fatal != "" {
				if fatal == nil || !strings.Contains(fatal.Error(), c.fatal) {
					t.Fatalf("fatal %v, want one saying %q", fatal, c.fatal)
				}
				return
			}
			if fatal != nil {
				t.Fatal(fatal)
			}
			if !reflect.DeepEqual(rows, c.rows) && !(len(rows) == 0 && len(c.rows) == 0) {
				t.Errorf("rows\n%+v\nwant\n%+v", rows, c.rows)
			}
			if len(items) != len(c.items) {
				t.Fatalf("item errors %+v, want %v", items, c.items)
			}
			for i, want := range c.items {
				parts := strings.SplitN(want, ":", 3)
				got := items[i]
				if strconv.Itoa(got.Line) != parts[0] || got.Field != parts[1] || !strings.Contains(got.Message, parts[2]) {
					t.Errorf("item %d: %+v, want %s", i, got, want)
				}
			}
		})
	}
}

func TestReadCSVGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("code,wkt\nA1,\"POLYGON((116.1 35.1,116.2 35.1,116.2 35.2,116.1 35.2,116.1 35.1))\"\n"))
	zw.Close()
	rows, items, fatal := readAll(t, ReadCSV(&buf, CSVOptions{Props: Props{Code: "code", Name: "name"}}))
	if fatal != nil || len(items) != 0 || len(rows) != 1 || !orb.Equal(rows[0].Boundary, square) {
		t.Errorf("gzipped CSV: %v %v %v", rows, items, fatal)
	}
}
