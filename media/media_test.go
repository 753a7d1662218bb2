package media_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/webp"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/media"
	"github.com/gridmap/gridmap/media/mediatest"
)

var photoEXIF = mediatest.EXIF{Time: "2026:11:25 09:30:00", Offset: "+08:00", Lon: 116.812345, Lat: 35.551234}

// metaLeft names the metadata left in a file: the telltale strings of
// the test files anywhere, and what structureLeft finds.
func metaLeft(t *testing.T, mt string, b []byte) []string {
	t.Helper()
	var left []string
	for _, s := range []string{"Exif\x00\x00", "王演示", "xmpmeta"} {
		if bytes.Contains(b, []byte(s)) {
			left = append(left, "the bytes "+s)
		}
	}
	return append(left, structureLeft(mt, b)...)
}

// structureLeft names the metadata segments and chunks of a file, walked
// independently of the stripper: the JPEG segments before the first scan,
// the PNG chunks, the WebP chunks and VP8X flags.
func structureLeft(mt string, b []byte) []string {
	var left []string
	switch mt {
	case media.JPEG:
		for i := 2; i+4 <= len(b) && b[i] == 0xFF && b[i+1] != 0xDA; {
			m, n := b[i+1], int(binary.BigEndian.Uint16(b[i+2:]))
			if m == 0x01 || m >= 0xD0 && m <= 0xD7 {
				n = 0
			}
			if m == 0xE1 || m == 0xED || m == 0xFE {
				left = append(left, "JPEG segment "+string("0123456789ABCDEF"[m>>4])+string("0123456789ABCDEF"[m&15]))
			}
			i += 2 + n
		}
	case media.PNG:
		for i := 8; i+12 <= len(b); {
			n, typ := int(binary.BigEndian.Uint32(b[i:])), string(b[i+4:i+8])
			switch typ {
			case "eXIf", "tEXt", "iTXt", "zTXt", "tIME":
				left = append(left, "PNG chunk "+typ)
			}
			i += 12 + n
		}
	case media.WebP:
		for i := 12; i+8 <= len(b); {
			n, typ := int(binary.LittleEndian.Uint32(b[i+4:])), string(b[i:i+4])
			switch {
			case typ == "EXIF", typ == "XMP ":
				left = append(left, "WebP chunk "+typ)
			case typ == "VP8X" && i+8 < len(b) && b[i+8]&0x0C != 0:
				left = append(left, "WebP VP8X metadata flags")
			}
			i += 8 + n + n&1
		}
	}
	return left
}

func decode(t *testing.T, mt string, b []byte) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch mt {
	case media.JPEG:
		img, err = jpeg.Decode(bytes.NewReader(b))
	case media.PNG:
		img, err = png.Decode(bytes.NewReader(b))
	case media.WebP:
		img, err = webp.Decode(bytes.NewReader(b))
	}
	if err != nil {
		t.Fatalf("decoding %s: %v", mt, err)
	}
	return img
}

// samePixels: stripping is lossless.
func samePixels(t *testing.T, a, b image.Image) {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v, want %v", b.Bounds(), a.Bounds())
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				t.Fatalf("pixel %d,%d is %v, was %v: stripping changed the picture", x, y, b.At(x, y), a.At(x, y))
			}
		}
	}
}

func TestProcess(t *testing.T) {
	want := time.Date(2026, 11, 25, 9, 30, 0, 0, gridmap.ChinaTime)
	for _, c := range []struct {
		name, mt string
		in       []byte
		w, h     int
	}{
		{"jpeg", media.JPEG, mediatest.JPEG(800, 600, photoEXIF), 800, 600},
		{"png", media.PNG, mediatest.PNG(300, 500, photoEXIF), 300, 500},
		{"webp", media.WebP, mediatest.WebP(photoEXIF), 1, 1},
		// Lossy, made by libwebp's cwebp -metadata exif,xmp from
		// mediatest.JPEG(96, 64, photoEXIF) (786 bytes).
		{"webp from cwebp", media.WebP, cwebpEXIF(t), 96, 64},
	} {
		t.Run(c.name, func(t *testing.T) {
			if left := metaLeft(t, c.mt, c.in); len(left) < 3 {
				t.Fatalf("the test file holds too little metadata to test stripping: %v", left)
			}
			f, err := media.Process(c.in, c.mt, 0)
			if err != nil {
				t.Fatal(err)
			}
			if f.MediaType != c.mt || f.Width != c.w || f.Height != c.h {
				t.Errorf("%s %d × %d, want %s %d × %d", f.MediaType, f.Width, f.Height, c.mt, c.w, c.h)
			}
			if f.Time == nil || !f.Time.Equal(want) {
				t.Errorf("time %v, want %v", f.Time, want)
			}
			if p := f.Position; p == nil || math.Abs(p[0]-116.812345) > 1e-6 || math.Abs(p[1]-35.551234) > 1e-6 {
				t.Errorf("position %v, want [116.812345 35.551234]", p)
			}
			if left := metaLeft(t, c.mt, f.Bytes); len(left) > 0 {
				t.Errorf("metadata left after stripping: %v", left)
			}
			if tm, pos, _ := media.ReadEXIF(exifOf(t, c.mt, f.Bytes)); tm != nil || pos != nil {
				t.Errorf("the stripped file still has EXIF: %v %v", tm, pos)
			}
			if len(f.Bytes) >= len(c.in) {
				t.Errorf("stripped %d bytes, was %d", len(f.Bytes), len(c.in))
			}
			samePixels(t, decode(t, c.mt, c.in), decode(t, c.mt, f.Bytes))
			th, err := jpeg.Decode(bytes.NewReader(f.Thumbnail))
			if err != nil {
				t.Fatalf("thumbnail: %v", err)
			}
			tb := th.Bounds()
			if tb.Dx() > media.ThumbnailSize || tb.Dy() > media.ThumbnailSize || max(tb.Dx(), tb.Dy()) != min(media.ThumbnailSize, max(c.w, c.h)) {
				t.Errorf("thumbnail %v of a %d × %d image", tb, c.w, c.h)
			}
		})
	}
}

func cwebpEXIF(tb testing.TB) []byte {
	b, err := os.ReadFile("testdata/cwebp-exif.webp")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// exifOf returns the EXIF block Strip finds in a file.
func exifOf(t *testing.T, mt string, b []byte) []byte {
	t.Helper()
	_, exif, err := media.Strip(mt, b)
	if err != nil {
		t.Fatal(err)
	}
	return exif
}

// TestSameAfterStripping: two copies of one photo with different EXIF
// are one attachment.
func TestSameAfterStripping(t *testing.T) {
	a, err := media.Process(mediatest.JPEG(120, 80, photoEXIF), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := media.Process(mediatest.JPEG(120, 80, mediatest.EXIF{Time: "2020:01:01 00:00:00"}), "image/jpeg", 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || len(a.ID) != 64 {
		t.Errorf("ids %s and %s", a.ID, b.ID)
	}
	if b.Position != nil || b.Time == nil || b.Time.Year() != 2020 {
		t.Errorf("second copy: %v %v", b.Time, b.Position)
	}
}

// TestOrientation: a photo whose EXIF says to turn it is stored turned
// (the tag is stripped with the rest), and so is its thumbnail.
func TestOrientation(t *testing.T) {
	for o, want := range map[uint16]struct {
		w, h int
		// where the sensor's top-left pixel (black: no red, no green)
		// and its bottom-left one (green) end up
		black, green image.Point
	}{
		1: {40, 20, image.Pt(0, 0), image.Pt(0, 19)},
		3: {40, 20, image.Pt(39, 19), image.Pt(39, 0)},
		6: {20, 40, image.Pt(19, 0), image.Pt(0, 0)},
		8: {20, 40, image.Pt(0, 39), image.Pt(19, 39)},
	} {
		f, err := media.Process(mediatest.JPEG(40, 20, mediatest.EXIF{Orientation: o}), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		img := decode(t, media.JPEG, f.Bytes)
		if f.Orientation != int(o) || f.Width != want.w || f.Height != want.h || img.Bounds() != image.Rect(0, 0, want.w, want.h) {
			t.Errorf("orientation %d: read %d, %d × %d, stored %v; want %d × %d", o, f.Orientation, f.Width, f.Height, img.Bounds(), want.w, want.h)
			continue
		}
		near := func(p image.Point, r, g uint32) bool {
			cr, cg, _, _ := img.At(p.X, p.Y).RGBA()
			return math.Abs(float64(cr>>8)-float64(r)) < 48 && math.Abs(float64(cg>>8)-float64(g)) < 48
		}
		if !near(want.black, 0, 0) || !near(want.green, 0, 255) {
			t.Errorf("orientation %d: stored picture not upright: %v at %v, %v at %v", o,
				img.At(want.black.X, want.black.Y), want.black, img.At(want.green.X, want.green.Y), want.green)
		}
		if left := metaLeft(t, media.JPEG, f.Bytes); len(left) > 0 {
			t.Errorf("orientation %d: metadata left: %v", o, left)
		}
		th, err := jpeg.Decode(bytes.NewReader(f.Thumbnail))
		if err != nil || th.Bounds() != img.Bounds() {
			t.Errorf("orientation %d: thumbnail %v %v", o, th.Bounds(), err)
		}
	}
}

func TestCheck(t *testing.T) {
	jpg := mediatest.JPEG(8, 8, mediatest.EXIF{})
	pdf := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	for _, c := range []struct {
		name     string
		b        []byte
		declared string
		want     string // media type, or an error code
		says     string
	}{
		{"jpeg as jpeg", jpg, "image/jpeg", media.JPEG, ""},
		{"jpeg undeclared", jpg, "", media.JPEG, ""},
		{"jpeg as curl sends it", jpg, "application/x-www-form-urlencoded", media.JPEG, ""},
		{"jpeg as image/jpg", jpg, "image/jpg", media.JPEG, ""},
		{"jpeg with parameters", jpg, "Image/JPEG; name=x.jpg", media.JPEG, ""},
		{"pdf", pdf, "application/pdf", media.PDF, ""},
		{"jpeg as png", jpg, "image/png", gridmap.EUNSUPPORTED, "is a JPEG image but came as Content-Type image/png"},
		{"pdf as jpeg", pdf, "image/jpeg", gridmap.EUNSUPPORTED, "send it as application/pdf"},
		{"text", []byte("hello"), "text/plain", gridmap.EUNSUPPORTED, "Content-Type text/plain is not taken"},
		{"garbage as jpeg", []byte("hello world"), "image/jpeg", gridmap.EUNSUPPORTED, "it starts 68 65 6c"},
		{"empty", nil, "", gridmap.EUNSUPPORTED, "it is empty"},
		{"svg", []byte("<svg/>"), "image/svg+xml", gridmap.EUNSUPPORTED, "image/svg+xml is not taken"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := media.Check(c.b, c.declared)
			if err != nil {
				got = gridmap.ErrorCode(err)
			}
			if got != c.want || c.says != "" && !strings.Contains(gridmap.ErrorMessage(err), c.says) {
				t.Errorf("%q, %v; want %s saying %q", got, err, c.want, c.says)
			}
		})
	}
}

// bombPNG is a real 1 × 1 PNG whose header says w × h.
func bombPNG(t *testing.T, w, h uint32) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, mediatest.Picture(1, 1)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestRefused(t *testing.T) {
	jpg := mediatest.JPEG(100, 100, photoEXIF)
	for _, c := range []struct {
		name      string
		b         []byte
		maxPixels int64
		want      string
		says      string
	}{
		{"decompression bomb", bombPNG(t, 100_000, 100_000), 0, gridmap.ETOOLARGE, "100000 × 100000 pixels"},
		{"over a small limit", jpg, 5000, gridmap.ETOOLARGE, "more than the 5000 pixels"},
		{"truncated jpeg", jpg[:len(jpg)/2], 0, gridmap.EINVALID, "damaged"},
		{"jpeg whose scan is garbage", append(append([]byte{}, jpg[:len(jpg)-200]...), 0xFF, 0xD9), 0, gridmap.EINVALID, "does not decode"},
		{"png header only", bombPNG(t, 1, 1)[:33], 0, gridmap.EINVALID, "damaged"},
		{"png whose pixels are too few", bombPNG(t, 2, 1), 0, gridmap.EINVALID, "does not decode"},
		{"riff that is not webp", []byte("RIFF\x04\x00\x00\x00WAVE"), 0, gridmap.EUNSUPPORTED, "not a JPEG"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := media.Process(c.b, "", c.maxPixels)
			if code := gridmap.ErrorCode(err); code != c.want || !strings.Contains(gridmap.ErrorMessage(err), c.says) {
				t.Errorf("%v (%v); want %s saying %q", code, err, c.want, c.says)
			}
			if f != nil {
				t.Errorf("a file was returned with the error")
			}
		})
	}
}
