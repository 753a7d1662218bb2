// Package media checks and cleans uploaded files (case attachments): it
// sniffs the real type of the bytes (JPEG, PNG, WebP, PDF), reads the EXIF
// time and GPS position of a photo, strips the metadata from what is
// stored and served by removing segments and chunks (never re-encoding the
// image), refuses images that do not decode or that would decode to more
// than a pixel limit (decompression bombs, checked from the headers before
// decoding), and makes a JPEG thumbnail. It does no I/O.
package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"mime"
	"strings"
	"time"

	"golang.org/x/image/webp"

	"github.com/gridmap/gridmap"
)

// The media types an attachment may have.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
	PDF  = "application/pdf"
)

// Types are the media types Process takes, in the order messages list them.
var Types = []string{JPEG, PNG, WebP, PDF}

// DefaultMaxPixels bounds an image's width × height (40 megapixels: a
// phone photo is 12 to 50; at 4 bytes a pixel, 160 MB decoded).
const DefaultMaxPixels = 40_000_000

// ThumbnailSize is the longest side of a thumbnail, in pixels.
const ThumbnailSize = 320

// File is an uploaded file as it is stored and served.
type File struct {
	// ID is the SHA-256 of Bytes, in lower-case hex.
	ID        string
	MediaType string
	// Bytes are the file with its metadata stripped (a PDF as it came).
	Bytes []byte
	// Width and Height are the image's size in pixels (0 for a PDF).
	Width, Height int
	// Thumbnail is a JPEG whose longest side is at most ThumbnailSize
	// pixels, turned upright by the EXIF orientation; nil for a PDF.
	Thumbnail []byte
	// Time is the photo's EXIF DateTimeOriginal (or DateTimeDigitized),
	// with its EXIF offset, or in China time (UTC+8) when it has none.
	Time *time.Time
	// Position is the photo's EXIF GPS position, [lon, lat] in degrees
	// as the camera wrote it (WGS84 for a phone's GPS).
	Position *[2]float64
	// Orientation is the EXIF orientation (1 to 8; 1 upright) read
	// before stripping. A JPEG or PNG whose orientation is not 1 is
	// stored turned upright (decoded, turned and re-encoded: a JPEG at
	// quality 92, the one case that is not lossless), since the tag that
	// told viewers to turn it is stripped; a WebP is stored as the sensor
	// saw it. Width and Height are then the upright size.
	Orientation int
}

// Sniff returns the media type of b by its first bytes, one of Types, or
// "" when it is none of them.
func Sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(b, []byte(pngSignature)):
		return PNG
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return PDF
	}
	return ""
}

// names are the types as messages say them.
var names = map[string]string{JPEG: "a JPEG image", PNG: "a PNG image", WebP: "a WebP image", PDF: "a PDF document"}

// unspecified are declared types that say nothing about the bytes: none,
// a generic binary, and what curl --data-binary sends unless told.
var unspecified = map[string]bool{"": true, "application/octet-stream": true, "application/x-www-form-urlencoded": true}

// aliases are declared types that old software sends for one of Types.
var aliases = map[string]string{"image/jpg": JPEG, "image/pjpeg": JPEG, "image/x-png": PNG, "application/x-pdf": PDF}

// Check returns the media type of b, checked against declared (a
// Content-Type, parameters allowed; "" or a generic binary type when the
// client did not say). Errors: EUNSUPPORTED when the bytes are none of
// Types, when declared is another type, or when they disagree.
func Check(b []byte, declared string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(declared))
	if mt, _, err := mime.ParseMediaType(d); err == nil {
		d = mt
	}
	if a, ok := aliases[d]; ok {
		d = a
	}
	got := Sniff(b)
	switch {
	case !unspecified[d] && names[d] == "":
		return "", gridmap.Errorf(gridmap.EUNSUPPORTED, "Content-Type %s is not taken: an attachment is %s", declared, list())
	case got == "":
		return "", gridmap.Errorf(gridmap.EUNSUPPORTED, "the body is not %s by its first bytes (%s)", list(), head(b))
	case !unspecified[d] && d != got:
		return "", gridmap.Errorf(gridmap.EUNSUPPORTED, "the body is %s but came as Content-Type %s: send it as %s", names[got], declared, got)
	}
	return got, nil
}

func list() string {
	return "a JPEG, PNG or WebP image or a PDF document (" + strings.Join(Types, ", ") + ")"
}

// head shows the first bytes of b for a message.
func head(b []byte) string {
	if len(b) == 0 {
		return "it is empty"
	}
	if len(b) > 8 {
		b = b[:8]
	}
	return fmt.Sprintf("it starts % x", b)
}

// Process checks b (see Check), strips its metadata, checks the image
// decodes within maxPixels (DefaultMaxPixels when ≤ 0) and makes its
// thumbnail. Errors: EUNSUPPORTED (Check); EINVALID for a file that is
// damaged or does not decode; ETOOLARGE for an image of more pixels.
func Process(b []byte, declared string, maxPixels int64) (*File, error) {
	mt, err := Check(b, declared)
	if err != nil {
		return nil, err
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	out, meta, pixels, err := strip(mt, b)
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "the body is %s but it is damaged: %v", names[mt], err)
	}
	f := &File{MediaType: mt, Bytes: out}
	sum := sha256.Sum256(out)
	f.ID = hex.EncodeToString(sum[:])
	if mt == PDF {
		return f, nil
	}
	var cfg image.Config
	switch mt {
	case JPEG:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(out))
	case PNG:
		cfg, err = png.DecodeConfig(bytes.NewReader(out))
	case WebP:
		cfg, err = webp.DecodeConfig(bytes.NewReader(out))
	}
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "the body is %s but its header does not decode: %v", names[mt], err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, gridmap.Errorf(gridmap.EINVALID, "the body is %s of %d × %d pixels: an image has at least one", names[mt], cfg.Width, cfg.Height)
	}
	if n := max(int64(cfg.Width)*int64(cfg.Height), pixels); n > maxPixels {
		return nil, gridmap.Errorf(gridmap.ETOOLARGE, "the image is %d × %d pixels (%d in its largest frame), more than the %d pixels an attachment may have: scale it down",
			cfg.Width, cfg.Height, n, maxPixels)
	}
	var img image.Image
	switch mt {
	case JPEG:
		img, err = jpeg.Decode(bytes.NewReader(out))
	case PNG:
		img, err = png.Decode(bytes.NewReader(out))
	case WebP:
		img, err = webp.Decode(bytes.NewReader(out))
	}
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "the body is %s but it does not decode: %v", names[mt], err)
	}
	f.Width, f.Height = cfg.Width, cfg.Height
	info := readEXIF(meta)
	f.Time, f.Position, f.Orientation = info.time, info.position, info.orientation
	if info.orientation > 1 && mt != WebP {
		// The orientation tag is stripped with the rest, so the pixels
		// are turned upright instead: the one case that re-encodes.
		if img, err = upright(f, img, info.orientation); err != nil {
			return nil, fmt.Errorf("media: turning upright: %w", err)
		}
		info.orientation = 1
	}
	if f.Thumbnail, err = thumbnail(img, info.orientation); err != nil {
		return nil, fmt.Errorf("media: thumbnail: %w", err)
	}
	return f, nil
}

// upright turns a JPEG or PNG upright by its EXIF orientation and
// re-encodes it into f (a JPEG at quality 92, a PNG losslessly), with its
// new size and id.
func upright(f *File, img image.Image, orientation int) (image.Image, error) {
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	up := orient(rgba, orientation)
	var buf bytes.Buffer
	var err error
	if f.MediaType == JPEG {
		err = jpeg.Encode(&buf, up, &jpeg.Options{Quality: 92})
	} else {
		err = png.Encode(&buf, up)
	}
	if err != nil {
		return nil, err
	}
	f.Bytes, f.Width, f.Height = buf.Bytes(), up.Bounds().Dx(), up.Bounds().Dy()
	sum := sha256.Sum256(f.Bytes)
	f.ID = hex.EncodeToString(sum[:])
	return up, nil
}
