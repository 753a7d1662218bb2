package tiles

import (
	"bytes"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/paulmach/orb"
	"google.golang.org/protobuf/encoding/protowire"
)

// Encoding. Tiles are written straight to protobuf wire format
// (protowire), byte for byte as orb's mvt.Marshal writes them (a test
// holds it to that): orb builds a message tree, boxes, hashes and
// allocates every property value of every feature anew, and its generated
// marshaller allocates ten bytes per coordinate; on a small tile that was
// most of the cost. Grids keep their properties ready (tags).

// Field numbers of vector_tile.proto (MVT 2.1).
const (
	tileLayers protowire.Number = 3

	layerName     protowire.Number = 1
	layerFeatures protowire.Number = 2
	layerKeys     protowire.Number = 3
	layerValues   protowire.Number = 4
	layerExtent   protowire.Number = 5
	layerVersion  protowire.Number = 15

	featureID       protowire.Number = 1
	featureTags     protowire.Number = 2
	featureType     protowire.Number = 3
	featureGeometry protowire.Number = 4

	valueString protowire.Number = 1

	geomPoint   = 1
	geomPolygon = 3

	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

// tags are a grid's properties in one layer, keys sorted (the order orb
// writes them in).
type tags struct {
	keys, vals []string
}

// newTags returns the tags of props.
func newTags(props map[string]string) *tags {
	t := &tags{}
	for k := range props {
		t.keys = append(t.keys, k)
	}
	slices.Sort(t.keys)
	for _, k := range t.keys {
		t.vals = append(t.vals, props[k])
	}
	return t
}

// tileFeature is one feature of a layer: a polygon, multipolygon or point
// in tile units.
type tileFeature struct {
	id   uint64
	geom orb.Geometry
	tags *tags
}

// layer is one layer of a tile before encoding.
type layer struct {
	name  string
	feats []tileFeature
}

// encoder holds what encoding one tile reuses; pooled.
type encoder struct {
	raw, body, feat, packed, geom []byte
	keys                          []string
	values                        []string
	index                         map[string]uint32 // of values
	zw                            *gzip.Writer
}

var encoders = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzipLevel)
	return &encoder{index: map[string]uint32{}, zw: zw}
}}

// gzipLevel trades bytes for time (see BENCHMARKS.md). klauspost's
// encoders, unlike compress/flate's, need no clearing of large tables for
// each tile, which cost more than a small tile itself.
const gzipLevel = 6

// encode writes layers as an MVT tile and gzips it.
func encode(extent uint32, layers []layer) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.marshal(extent, layers)
	var buf bytes.Buffer
	buf.Grow(len(e.raw)/2 + 64)
	e.zw.Reset(&buf)
	if _, err := e.zw.Write(e.raw); err != nil {
		return nil, err
	}
	if err := e.zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshal writes layers as an MVT tile to e.raw.
func (e *encoder) marshal(extent uint32, layers []layer) {
	e.raw = e.raw[:0]
	for _, l := range layers {
		e.layer(l, extent)
		e.raw = protowire.AppendTag(e.raw, tileLayers, protowire.BytesType)
		e.raw = protowire.AppendBytes(e.raw, e.body)
	}
}

// layer writes the body of layer l to e.body. Keys and values are
// numbered by first use, each value written once.
func (e *encoder) layer(l layer, extent uint32) {
	e.keys, e.values = e.keys[:0], e.values[:0]
	clear(e.index)
	b := protowire.AppendTag(e.body[:0], layerName, protowire.BytesType)
	b = protowire.AppendString(b, l.name)
	for _, f := range l.feats {
		e.feature(f)
		b = protowire.AppendTag(b, layerFeatures, protowire.BytesType)
		b = protowire.AppendBytes(b, e.feat)
	}
	for _, k := range e.keys {
		b = protowire.AppendTag(b, layerKeys, protowire.BytesType)
		b = protowire.AppendString(b, k)
	}
	for _, v := range e.values {
		b = protowire.AppendTag(b, layerValues, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(protowire.SizeTag(valueString)+protowire.SizeBytes(len(v))))
		b = protowire.AppendTag(b, valueString, protowire.BytesType)
		b = protowire.AppendString(b, v)
	}
	b = protowire.AppendTag(b, layerExtent, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(extent))
	b = protowire.AppendTag(b, layerVersion, protowire.VarintType)
	e.body = protowire.AppendVarint(b, 2)
}

// feature writes the body of feature f to e.feat.
func (e *encoder) feature(f tileFeature) {
	b := protowire.AppendTag(e.feat[:0], featureID, protowire.VarintType)
	b = protowire.AppendVarint(b, f.id)

	p := e.packed[:0]
	for k, key := range f.tags.keys {
		ki := slices.Index(e.keys, key)
		if ki < 0 {
			ki = len(e.keys)
			e.keys = append(e.keys, key)
		}
		v := f.tags.vals[k]
		vi, ok := e.index[v]
		if !ok {
			vi = uint32(len(e.values))
			e.values = append(e.values, v)
			e.index[v] = vi
		}
		p = protowire.AppendVarint(p, uint64(ki))
		p = protowire.AppendVarint(p, uint64(vi))
	}
	if len(p) > 0 {
		b = protowire.AppendTag(b, featureTags, protowire.BytesType)
		b = protowire.AppendBytes(b, p)
	}

	typ := geomPolygon
	g := geomWriter{b: e.geom[:0]}
	switch geom := f.geom.(type) {
	case orb.Point:
		typ = geomPoint
		g.moveTo(geom)
	case orb.Polygon:
		g.polygon(geom)
	case orb.MultiPolygon:
		for _, q := range geom {
			g.polygon(q)
		}
	}
	b = protowire.AppendTag(b, featureType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(typ))
	b = protowire.AppendTag(b, featureGeometry, protowire.BytesType)
	b = protowire.AppendBytes(b, g.b)
	e.packed, e.geom, e.feat = p, g.b, b
}

// geomWriter writes MVT geometry commands, packed: coordinates as
// zigzagged steps from the previous point.
type geomWriter struct {
	b            []byte
	prevX, prevY int32
}

func (g *geomWriter) moveTo(p orb.Point) {
	g.b = protowire.AppendVarint(g.b, 1<<3|cmdMoveTo)
	g.points([]orb.Point{p})
}

// points writes the steps to pts, the hot loop of encoding: varints
// written here rather than through protowire, room made once.
func (g *geomWriter) points(pts []orb.Point) {
	b := slices.Grow(g.b, 10*len(pts))
	px, py := g.prevX, g.prevY
	for _, p := range pts {
		x, y := int32(p[0]), int32(p[1])
		b = appendVarint32(b, zigzag(x-px))
		b = appendVarint32(b, zigzag(y-py))
		px, py = x, y
	}
	g.b, g.prevX, g.prevY = b, px, py
}

func zigzag(v int32) uint32 { return uint32(v<<1) ^ uint32(v>>31) }

func appendVarint32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// polygon writes each closed ring as a move to its first point, lines to
// the others but the last, and a close.
func (g *geomWriter) polygon(p orb.Polygon) {
	for _, r := range p {
		g.moveTo(r[0])
		pts := r[1:]
		if r.Closed() {
			pts = r[1 : len(r)-1]
		}
		g.b = protowire.AppendVarint(g.b, uint64(len(pts))<<3|cmdLineTo)
		g.points(pts)
		g.b = protowire.AppendVarint(g.b, 1<<3|cmdClosePath)
	}
}
