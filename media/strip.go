package media

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Stripping walks the file's segments (JPEG) or chunks (PNG, WebP) and
// copies those that draw the image, leaving out those that describe it:
// no pixel is decoded or re-encoded, so stripping loses nothing of the
// picture. What follows the file's end (a JPEG's EOI, a PNG's IEND, a
// WebP's RIFF size) is dropped too: trailers are where some cameras and
// apps append more metadata.

// Strip returns b of mediaType (one of Types) without its metadata, and
// the raw EXIF (TIFF) block it held, nil when none. A PDF is returned as
// it is. The error says where b is damaged.
func Strip(mediaType string, b []byte) (out, exif []byte, err error) {
	out, exif, _, err = strip(mediaType, b)
	return out, exif, err
}

// strip is Strip that also returns, for a WebP, the pixels of its largest
// frame as its frame headers say (the canvas size DecodeConfig reads may
// be smaller than what a frame would decode to).
func strip(mediaType string, b []byte) (out, exif []byte, pixels int64, err error) {
	switch mediaType {
	case JPEG:
		out, exif, err = stripJPEG(b)
	case PNG:
		out, exif, err = stripPNG(b)
	case WebP:
		out, exif, pixels, err = stripWebP(b)
	case PDF:
		out = b
	default:
		err = fmt.Errorf("media type %q is not one of %v", mediaType, Types)
	}
	return out, exif, pixels, err
}

var errTruncated = errors.New("it ends before its end marker")

// JPEG markers (ITU T.81 B.1.1.3).
const (
	markSOI  = 0xD8
	markEOI  = 0xD9
	markSOS  = 0xDA
	markAPP0 = 0xE0
	markAPP1 = 0xE1 // EXIF, XMP
	markAPP2 = 0xE2 // ICC profile, or FlashPix metadata
	markAPPE = 0xEE // Adobe: how to read the colours
	markAPPF = 0xEF
	markCOM  = 0xFE
)

// keepJPEG reports whether a segment with marker m and payload p is part
// of the picture: every non-APPn segment except comments, JFIF (APP0),
// the ICC colour profile (APP2) and Adobe's colour transform (APP14).
// Every other APPn (EXIF and XMP in APP1, FlashPix, IPTC in APP13, maker
// data) and COM is metadata.
func keepJPEG(m byte, p []byte) bool {
	switch {
	case m == markCOM:
		return false
	case m < markAPP0 || m > markAPPF:
		return true
	case m == markAPP0, m == markAPPE:
		return true
	case m == markAPP2:
		return len(p) >= 12 && string(p[:12]) == "ICC_PROFILE\x00"
	}
	return false
}

// stripJPEG walks the markers of a JPEG, through the entropy-coded data
// of every scan (so a segment between the scans of a progressive JPEG is
// seen too), up to EOI.
func stripJPEG(b []byte) (out, exif []byte, err error) {
	if len(b) < 2 || b[0] != 0xFF || b[1] != markSOI {
		return nil, nil, errors.New("it does not start with a JPEG start marker (SOI)")
	}
	out = make([]byte, 0, len(b))
	out = append(out, 0xFF, markSOI)
	i := 2
	for {
		if i >= len(b) {
			return nil, nil, errTruncated
		}
		if b[i] != 0xFF {
			return nil, nil, fmt.Errorf("byte %d is %#02x where a marker should start", i, b[i])
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes before a marker
			i++
		}
		if i >= len(b) {
			return nil, nil, errTruncated
		}
		m := b[i]
		i++
		switch {
		case m == markEOI:
			return append(out, 0xFF, markEOI), exif, nil
		case m >= 0xD0 && m <= 0xD7 || m == 0x01: // RSTn, TEM: no length
			out = append(out, 0xFF, m)
			continue
		case m == 0x00 || m == markSOI:
			return nil, nil, fmt.Errorf("marker %#02x at byte %d is out of place", m, i-1)
		}
		if i+2 > len(b) {
			return nil, nil, errTruncated
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, nil, fmt.Errorf("the segment %#02x at byte %d has a bad length %d", m, i-2, n)
		}
		p := b[i+2 : i+n]
		if m == markAPP1 && exif == nil && len(p) > 6 && string(p[:6]) == "Exif\x00\x00" {
			exif = p[6:]
		}
		if keepJPEG(m, p) {
			out = append(out, 0xFF, m)
			out = append(out, b[i:i+n]...)
		}
		i += n
		if m != markSOS {
			continue
		}
		// Entropy-coded data: up to the next 0xFF that is neither a
		// stuffed 0xFF00 nor a restart marker.
		j := i
		for j < len(b) {
			if b[j] == 0xFF && j+1 < len(b) {
				if c := b[j+1]; c == 0x00 || c >= 0xD0 && c <= 0xD7 {
					j += 2
					continue
				}
				break
			}
			j++
		}
		out = append(out, b[i:j]...)
		i = j
	}
}

const pngSignature = "\x89PNG\r\n\x1a\n"

// dropPNG are the PNG chunks that describe the image rather than draw
// it: EXIF, text (tEXt, zTXt, iTXt: comments, authors, XMP) and the time
// it was last changed.
var dropPNG = map[string]bool{"eXIf": true, "tEXt": true, "zTXt": true, "iTXt": true, "tIME": true}

// stripPNG walks the chunks of a PNG up to IEND.
func stripPNG(b []byte) (out, exif []byte, err error) {
	if len(b) < len(pngSignature) || string(b[:len(pngSignature)]) != pngSignature {
		return nil, nil, errors.New("it does not start with the PNG signature")
	}
	out = make([]byte, 0, len(b))
	out = append(out, pngSignature...)
	i := len(pngSignature)
	for {
		if len(b)-i < 12 {
			return nil, nil, errTruncated
		}
		n := int64(binary.BigEndian.Uint32(b[i:]))
		if n > int64(len(b)-i-12) {
			return nil, nil, fmt.Errorf("the chunk at byte %d says it is %d bytes long, past the end", i, n)
		}
		end := i + 12 + int(n)
		typ := string(b[i+4 : i+8])
		switch {
		case dropPNG[typ]:
			if typ == "eXIf" && exif == nil {
				exif = b[i+8 : end-4]
			}
		default:
			out = append(out, b[i:end]...)
		}
		i = end
		if typ == "IEND" {
			return out, exif, nil
		}
	}
}

// WebP extended-format (VP8X) flags of metadata chunks.
const (
	webpFlagEXIF = 0x08
	webpFlagXMP  = 0x04
)

// stripWebP walks the chunks of a WebP (RIFF) up to the RIFF's size,
// dropping EXIF and XMP and clearing their flags in VP8X, and returns the
// pixels of its largest frame (VP8, VP8L) or canvas (VP8X).
func stripWebP(b []byte) (out, exif []byte, pixels int64, err error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, nil, 0, errors.New("it does not start with a RIFF WEBP header")
	}
	end := 8 + int64(binary.LittleEndian.Uint32(b[4:]))
	if end > int64(len(b)) || end < 12 {
		return nil, nil, 0, fmt.Errorf("its RIFF header says %d bytes, it has %d", end, len(b))
	}
	out = make([]byte, 0, end)
	out = append(out, b[:12]...)
	i := int64(12)
	for i < end {
		if end-i < 8 {
			return nil, nil, 0, errTruncated
		}
		fourcc := string(b[i : i+4])
		n := int64(binary.LittleEndian.Uint32(b[i+4:]))
		padded := n + n&1
		if padded > end-i-8 {
			return nil, nil, 0, fmt.Errorf("the chunk %q at byte %d says it is %d bytes long, past the end", fourcc, i, n)
		}
		data := b[i+8 : i+8+n]
		switch fourcc {
		case "EXIF":
			if exif == nil {
				exif = data
				if len(exif) > 6 && string(exif[:6]) == "Exif\x00\x00" {
					exif = exif[6:]
				}
			}
		case "XMP ":
		default:
			at := len(out)
			out = append(out, b[i:i+8+padded]...)
			if fourcc == "VP8X" && n > 0 {
				out[at+8] &^= webpFlagEXIF | webpFlagXMP
			}
			pixels = max(pixels, webpPixels(fourcc, data))
		}
		i += 8 + padded
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, exif, pixels, nil
}

// webpPixels is width × height as a WebP chunk's header says it (0 for
// another chunk or a header too short to say).
func webpPixels(fourcc string, d []byte) int64 {
	le24 := func(p []byte) int64 { return int64(p[0]) | int64(p[1])<<8 | int64(p[2])<<16 }
	switch {
	case fourcc == "VP8 " && len(d) >= 10 && d[3] == 0x9d && d[4] == 0x01 && d[5] == 0x2a:
		w := int64(binary.LittleEndian.Uint16(d[6:]) & 0x3fff)
		h := int64(binary.LittleEndian.Uint16(d[8:]) & 0x3fff)
		return w * h
	case fourcc == "VP8L" && len(d) >= 5 && d[0] == 0x2f:
		bits := binary.LittleEndian.Uint32(d[1:])
		return int64(bits&0x3fff+1) * int64(bits>>14&0x3fff+1)
	case fourcc == "VP8X" && len(d) >= 10:
		return (le24(d[4:]) + 1) * (le24(d[7:]) + 1)
	case fourcc == "ANMF" && len(d) >= 12:
		return (le24(d[6:]) + 1) * (le24(d[9:]) + 1)
	}
	return 0
}
