// Package mediatest makes real files with metadata for tests: JPEG and
// PNG pictures encoded by Go's encoders, a WebP, and EXIF blocks built by
// hand from the TIFF and EXIF specifications (not by the library that
// package media reads them with), so a test can check what is read and
// what is stripped.
package mediatest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
)

// EXIF is what an EXIF block built by TIFF holds; zero fields are left out.
type EXIF struct {
	// Time is DateTimeOriginal, "2006:01:02 15:04:05"; Offset its
	// OffsetTimeOriginal, "+08:00".
	Time, Offset string
	// Lon and Lat are the GPS position in degrees (east and north
	// positive); both 0 leaves GPS out.
	Lon, Lat float64
	// Orientation is 1 to 8.
	Orientation uint16
}

type entry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

// TIFF types.
const (
	tByte     = 1
	tASCII    = 2
	tShort    = 3
	tLong     = 4
	tRational = 5
)

var be = binary.BigEndian

func ascii(s string) entry {
	return entry{typ: tASCII, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
}

func long(v uint32) []byte { return be.AppendUint32(nil, v) }

// dms writes degrees as three rationals: degrees, minutes, seconds/1000.
func dms(deg float64) []byte {
	deg = math.Abs(deg)
	d := math.Floor(deg)
	m := math.Floor((deg - d) * 60)
	s := math.Round(((deg-d)*60 - m) * 60 * 1000)
	var b []byte
	for _, r := range [][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(s), 1000}} {
		b = be.AppendUint32(be.AppendUint32(b, r[0]), r[1])
	}
	return b
}

// ifd lays out one IFD that starts at offset base, with the values that do
// not fit in an entry after it. Entries must be in tag order.
func ifd(base uint32, es []entry) []byte {
	size := uint32(2 + 12*len(es) + 4)
	var dir, extra []byte
	dir = be.AppendUint16(dir, uint16(len(es)))
	for _, e := range es {
		dir = be.AppendUint16(be.AppendUint16(dir, e.tag), e.typ)
		dir = be.AppendUint32(dir, e.count)
		if len(e.data) <= 4 {
			v := make([]byte, 4)
			copy(v, e.data)
			dir = append(dir, v...)
			continue
		}
		dir = be.AppendUint32(dir, base+size+uint32(len(extra)))
		extra = append(extra, e.data...)
		if len(extra)%2 == 1 {
			extra = append(extra, 0)
		}
	}
	dir = be.AppendUint32(dir, 0) // no next IFD
	return append(dir, extra...)
}

// TIFF returns the EXIF block (a big-endian TIFF structure): IFD0 with
// the orientation and the pointers to the EXIF and GPS IFDs.
func (e EXIF) TIFF() []byte {
	var ifd0 []entry
	if e.Orientation != 0 {
		ifd0 = append(ifd0, entry{tag: 0x0112, typ: tShort, count: 1, data: be.AppendUint16(nil, e.Orientation)})
	}
	var sub, gps []entry
	if e.Time != "" {
		t := ascii(e.Time)
		t.tag = 0x9003
		sub = append(sub, t)
		if e.Offset != "" {
			o := ascii(e.Offset)
			o.tag = 0x9011
			sub = append(sub, o)
		}
	}
	if e.Lon != 0 || e.Lat != 0 {
		ns, ew := "N", "E"
		if e.Lat < 0 {
			ns = "S"
		}
		if e.Lon < 0 {
			ew = "W"
		}
		latRef, lonRef := ascii(ns), ascii(ew)
		latRef.tag, lonRef.tag = 1, 3
		gps = []entry{
			{tag: 0, typ: tByte, count: 4, data: []byte{2, 2, 0, 0}},
			latRef, {tag: 2, typ: tRational, count: 3, data: dms(e.Lat)},
			lonRef, {tag: 4, typ: tRational, count: 3, data: dms(e.Lon)},
		}
	}
	n0 := len(ifd0)
	if sub != nil {
		n0++
	}
	if gps != nil {
		n0++
	}
	at := uint32(8 + 2 + 12*n0 + 4) // after IFD0, whose values all fit
	var rest []byte
	if sub != nil {
		ifd0 = append(ifd0, entry{tag: 0x8769, typ: tLong, count: 1, data: long(at)})
		b := ifd(at, sub)
		rest, at = append(rest, b...), at+uint32(len(b))
	}
	if gps != nil {
		ifd0 = append(ifd0, entry{tag: 0x8825, typ: tLong, count: 1, data: long(at)})
		rest = append(rest, ifd(at, gps)...)
	}
	out := []byte("MM\x00\x2a")
	out = be.AppendUint32(out, 8)
	out = append(out, ifd(8, ifd0)...)
	return append(out, rest...)
}

// Picture is a w × h test picture: colour bands, so a scaled or turned
// copy can be told apart from a wrong one.
func Picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{R: uint8(255 * x / max(1, w-1)), G: uint8(255 * y / max(1, h-1)), B: 80, A: 255})
		}
	}
	return img
}

// XMP is an XMP packet with a creator, as photo apps write them.
const XMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
	`<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>王演示</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`

// JPEG encodes a w × h picture with Go's encoder and puts after its start
// marker an APP1 EXIF segment of e, an APP1 XMP segment and a comment.
func JPEG(w, h int, e EXIF) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Picture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	seg := func(m byte, p []byte) []byte {
		return append(be.AppendUint16([]byte{0xFF, m}, uint16(len(p)+2)), p...)
	}
	out := append([]byte{}, b[:2]...)
	out = append(out, seg(0xE1, append([]byte("Exif\x00\x00"), e.TIFF()...))...)
	out = append(out, seg(0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), XMP...))...)
	out = append(out, seg(0xFE, []byte("taken by 王演示 at 199-0537-0001"))...)
	return append(out, b[2:]...)
}

// Chunk is a PNG chunk of type typ with data, its CRC computed.
func Chunk(typ string, data []byte) []byte {
	c := be.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return be.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// PNG encodes a w × h picture with Go's encoder and puts after its
// header chunk (IHDR) an eXIf chunk of e, a tEXt, an iTXt and a tIME.
func PNG(w, h int, e EXIF) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, Picture(w, h)); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	const ihdrEnd = 8 + 12 + 13
	out := append([]byte{}, b[:ihdrEnd]...)
	out = append(out, Chunk("eXIf", e.TIFF())...)
	out = append(out, Chunk("tEXt", []byte("Author\x00王演示"))...)
	out = append(out, Chunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), XMP...))...)
	out = append(out, Chunk("tIME", []byte{0x07, 0xEA, 11, 25, 9, 30, 0})...)
	return append(out, b[ihdrEnd:]...)
}

// webp1x1 is a 1 × 1 lossless WebP (a VP8L chunk alone, 26 bytes), the
// smallest there is; Go has no WebP encoder to make one.
const webp1x1 = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

// WebP returns a 1 × 1 WebP in the extended format (VP8X) with its
// picture (the VP8L chunk of webp1x1) and an EXIF chunk of e and an XMP
// chunk, flagged in VP8X as the format says.
func WebP(e EXIF) []byte {
	simple, err := base64.StdEncoding.DecodeString(webp1x1)
	if err != nil {
		panic(err)
	}
	chunk := func(fourcc string, data []byte) []byte {
		c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	// VP8X: flags (alpha 0x10, EXIF 0x08, XMP 0x04), 3 reserved bytes,
	// canvas width - 1 and height - 1 in 24 bits each.
	vp8x := []byte{0x10 | 0x08 | 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	body := []byte("WEBP")
	body = append(body, chunk("VP8X", vp8x)...)
	body = append(body, simple[12:]...) // the VP8L chunk
	body = append(body, chunk("EXIF", e.TIFF())...)
	body = append(body, chunk("XMP ", []byte(XMP))...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}
