package media_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/gridmap/gridmap/media"
	"github.com/gridmap/gridmap/media/mediatest"
)

// photo is a w × h JPEG at quality 90 with noise over a gradient (fixed
// seed), so it compresses about as a phone photo does, and an EXIF block.
func photo(b *testing.B, w, h int) []byte {
	rng := rand.New(rand.NewPCG(14, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(48))
			img.SetRGBA(x, y, color.RGBA{R: uint8(x*200/w) + n, G: uint8(y*200/h) + n, B: 60 + n, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	j := buf.Bytes()
	exif := mediatest.JPEG(8, 8, mediatest.EXIF{Time: "2026:11:25 09:30:00", Offset: "+08:00", Lon: 116.8, Lat: 35.5})
	// The EXIF, XMP and comment segments of the small file, before the
	// big one's tables.
	var seg []byte
	for i := 2; exif[i] == 0xFF && (exif[i+1] == 0xE1 || exif[i+1] == 0xFE); {
		n := int(exif[i+2])<<8 | int(exif[i+3])
		seg = append(seg, exif[i:i+2+n]...)
		i += 2 + n
	}
	return append(append(append([]byte{}, j[:2]...), seg...), j[2:]...)
}

// BenchmarkProcess: the whole upload's work (sniff, strip, EXIF, decode,
// thumbnail) and the stripping alone (the baseline: what a lossless strip
// costs beside decoding), for a 1 and a 12 megapixel photo.
func BenchmarkProcess(b *testing.B) {
	for _, size := range [][2]int{{1280, 960}, {4000, 3000}} {
		in := photo(b, size[0], size[1])
		name := fmt.Sprintf("%dx%d_%dKB", size[0], size[1], len(in)>>10)
		b.Run("process/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			b.ResetTimer()
			for range b.N {
				if _, err := media.Process(in, "image/jpeg", 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("strip/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			b.ResetTimer()
			for range b.N {
				if _, _, err := media.Strip(media.JPEG, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
