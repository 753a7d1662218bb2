package media_test

import (
	"bytes"
	"testing"

	"github.com/gridmap/gridmap/media"
	"github.com/gridmap/gridmap/media/mediatest"
)

// FuzzStrip: on any bytes, Strip and Process never panic; what Strip
// returns has no metadata left (structureLeft's walk, and a second Strip finds
// no EXIF and changes nothing), and a file Process accepts is stripped.
func FuzzStrip(f *testing.F) {
	e := mediatest.EXIF{Time: "2026:11:25 09:30:00", Offset: "+08:00", Lon: 116.8, Lat: 35.5, Orientation: 6}
	f.Add(mediatest.JPEG(16, 8, e))
	f.Add(mediatest.PNG(8, 8, e))
	f.Add(mediatest.WebP(e))
	f.Add(cwebpEXIF(f))
	f.Add(e.TIFF()) // for ReadEXIF
	f.Add([]byte("%PDF-1.4\n%%EOF"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mt := range []string{media.JPEG, media.PNG, media.WebP} {
			out, _, err := media.Strip(mt, b)
			if err != nil {
				continue
			}
			if left := structureLeft(mt, out); len(left) > 0 {
				t.Fatalf("%s: metadata left: %v", mt, left)
			}
			again, exif, err := media.Strip(mt, out)
			if err != nil || exif != nil || !bytes.Equal(again, out) {
				t.Fatalf("%s: stripping the stripped file: err %v, EXIF %d bytes, changed %v", mt, err, len(exif), !bytes.Equal(again, out))
			}
		}
		media.ReadEXIF(b)
		if f, err := media.Process(b, "", 1<<16); err == nil && f.MediaType != media.PDF {
			if _, exif, _ := media.Strip(f.MediaType, f.Bytes); exif != nil {
				t.Fatalf("Process kept an EXIF block")
			}
		}
	})
}
