package intake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/gridio"
)

// MaxBatch is the most incidents one posted batch may hold.
const MaxBatch = 10000

// ReadJSON reads a posted body: one incident object, or a batch
// {"incidents": [...]} of at most MaxBatch. single says which it was.
// Errors: EINVALID for a body that is neither, ETOOLARGE for a longer batch.
func ReadJSON(r io.Reader) (recs []Record, single bool, err error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, false, gridmap.Errorf(gridmap.EINVALID, "the body is not a JSON object: %v", errOr(err, "null"))
	}
	if dec.More() {
		return nil, false, gridmap.Errorf(gridmap.EINVALID, "the body holds more than one JSON value; send one object or {\"incidents\": [...]}")
	}
	items, isBatch := body["incidents"]
	if !isBatch {
		return []Record{{Index: 0, Fields: body}}, true, nil
	}
	list, ok := items.([]any)
	if !ok {
		return nil, false, gridmap.Errorf(gridmap.EINVALID, "incidents must be an array of incident objects")
	}
	if len(list) > MaxBatch {
		return nil, false, gridmap.Errorf(gridmap.ETOOLARGE, "a batch holds at most %d incidents; this one has %d: split it", MaxBatch, len(list))
	}
	recs = make([]Record, len(list))
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			m = nil // reported by Records as an item error
		}
		recs[i] = Record{Index: i, Fields: m}
	}
	return recs, false, nil
}

// Records yields recs, an ItemError for each that is not an object.
func Records(recs []Record) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for _, r := range recs {
			if r.Fields == nil {
				if !yield(r, &gridmap.ItemError{Index: r.Index, Message: "not a JSON object"}) {
					return
				}
				continue
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// ReadNDJSON reads one JSON incident object per line (gzip accepted).
// Blank lines are skipped; a line that is not a JSON object yields an
// ItemError naming it.
func ReadNDJSON(r io.Reader) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		r, err := gridio.MaybeGunzip(r)
		if err != nil {
			yield(Record{}, err)
			return
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		idx := 0
		for line := 1; sc.Scan(); line++ {
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			rec := Record{Index: idx, Line: line}
			idx++
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&rec.Fields); err != nil || rec.Fields == nil {
				if !yield(rec, &gridmap.ItemError{Index: rec.Index, Line: line, Message: fmt.Sprintf("not a JSON object: %v", errOr(err, "null"))}) {
					return
				}
				continue
			}
			if !yield(rec, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(Record{}, gridmap.Errorf(gridmap.EINVALID, "reading NDJSON: %v", err))
		}
	}
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}

// ReadCSV reads a CSV file with a header row (gzip and a UTF-8 byte order
// mark accepted). columns maps a field name (see Fields) to the header of
// the column holding it; a field not mapped is read from a column named
// like the field, when there is one. Errors: EINVALID when a mapped column
// is missing from the header, or no column holds a field. A row with the
// wrong number of columns yields an ItemError naming its line.
func ReadCSV(r io.Reader, columns map[string]string) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		r, err := gridio.MaybeGunzip(r)
		if err != nil {
			yield(Record{}, err)
			return
		}
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		header, err := cr.Read()
		if err != nil {
			yield(Record{}, gridmap.Errorf(gridmap.EINVALID, "reading the CSV header: %v", err))
			return
		}
		header = slices.Clone(header)
		if len(header) > 0 {
			header[0] = strings.TrimPrefix(header[0], "\ufeff")
		}
		col := map[string]int{} // field → column
		for i, h := range header {
			h = strings.TrimSpace(h)
			header[i] = h
			if slices.Contains(Fields, h) {
				col[h] = i
			}
		}
		for field, name := range columns {
			if !slices.Contains(Fields, field) {
				yield(Record{}, gridmap.Errorf(gridmap.EINVALID, "unknown field %q in the column mapping; the fields are %s", field, strings.Join(Fields, ", ")))
				return
			}
			i := slices.Index(header, name)
			if i < 0 {
				yield(Record{}, gridmap.Errorf(gridmap.EINVALID, "the CSV header has no column %q (for %s); it has %s", name, field, strings.Join(header, ", ")))
				return
			}
			col[field] = i
		}
		if len(col) == 0 {
			yield(Record{}, gridmap.Errorf(gridmap.EINVALID, "no CSV column holds an incident field; name columns like the fields (%s) or map them", strings.Join(Fields, ", ")))
			return
		}
		for idx := 0; ; idx++ {
			row, err := cr.Read()
			if err == io.EOF {
				return
			}
			line := 0
			if len(row) > 0 { // FieldPos panics after a parse error that read no field
				line, _ = cr.FieldPos(0)
			}
			rec := Record{Index: idx, Line: line}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					rec.Line = pe.Line
					if !yield(rec, &gridmap.ItemError{Index: idx, Line: pe.Line, Message: "not a valid CSV row: " + pe.Err.Error()}) {
						return
					}
					if pe.Err == csv.ErrFieldCount {
						continue
					}
					// A broken quote leaves the reader lost: stop here.
					return
				}
				yield(rec, gridmap.Errorf(gridmap.EINVALID, "reading CSV: %v", err))
				return
			}
			if len(row) != len(header) {
				if !yield(rec, &gridmap.ItemError{Index: idx, Line: line, Message: fmt.Sprintf("has %d columns; the header has %d", len(row), len(header))}) {
					return
				}
				continue
			}
			rec.Fields = make(map[string]any, len(col))
			for field, i := range col {
				if row[i] != "" {
					rec.Fields[field] = row[i]
				}
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// ReadGeoJSON streams a FeatureCollection of Point features (gzip
// accepted): the point is the location, the properties the other fields.
func ReadGeoJSON(r io.Reader) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for at, raw := range gridio.Features(r) {
			if raw == nil { // the collection itself is broken
				yield(Record{}, at.Err)
				return
			}
			if !yield(recordFromFeature(at.Index, raw)) {
				return
			}
		}
	}
}

func recordFromFeature(i int, raw json.RawMessage) (Record, error) {
	rec := Record{Index: i}
	var f struct {
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return rec, &gridmap.ItemError{Index: i, Message: fmt.Sprintf("not a GeoJSON feature: %v", err)}
	}
	rec.Fields = f.Properties
	if rec.Fields == nil {
		rec.Fields = map[string]any{}
	}
	g, err := geojson.UnmarshalGeometry(f.Geometry)
	if err != nil || g == nil {
		return rec, &gridmap.ItemError{Index: i, Field: "geometry", Message: "missing or not a GeoJSON geometry; an incident is a Point"}
	}
	p, ok := g.Geometry().(orb.Point)
	if !ok {
		return rec, &gridmap.ItemError{Index: i, Field: "geometry", Message: fmt.Sprintf("is a %s; an incident is a Point", g.Geometry().GeoJSONType())}
	}
	rec.Fields["lon"] = p[0]
	rec.Fields["lat"] = p[1]
	return rec, nil
}
