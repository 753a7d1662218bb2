package media

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// thumbnail scales img to fit ThumbnailSize × ThumbnailSize (never up),
// over white (a transparent PNG's background), turns it upright by the
// EXIF orientation and encodes it as a JPEG.
func thumbnail(img image.Image, orientation int) ([]byte, error) {
	b := img.Bounds()
	// A big photo is first scaled down cheaply (ApproxBiLinear) to at most
	// twice the thumbnail: Catmull-Rom's cost grows with the source, and
	// was 0.4 s of a 12-megapixel upload's 0.9.
	if pw, ph := fit(b.Dx(), b.Dy(), 2*ThumbnailSize); pw < b.Dx() {
		pre := image.NewRGBA(image.Rect(0, 0, pw, ph))
		draw.ApproxBiLinear.Scale(pre, pre.Bounds(), img, b, draw.Src, nil)
		img, b = pre, pre.Bounds()
	}
	w, h := fit(b.Dx(), b.Dy(), ThumbnailSize)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, orient(dst, orientation), &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fit returns w × h scaled to fit size × size, keeping the aspect ratio,
// at least 1 pixel a side; an image that fits already keeps its size.
func fit(w, h, size int) (int, int) {
	if w <= size && h <= size {
		return w, h
	}
	if w >= h {
		return size, max(1, (h*size+w/2)/w)
	}
	return max(1, (w*size+h/2)/h), size
}

// orient returns src turned upright by an EXIF orientation (1 to 8, TIFF
// 6.0: where the picture's first row and column are).
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // turned 180°
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // turned 90° clockwise to be upright
				dx, dy = h-1-y, x
			case 7: // transversed
				dx, dy = h-1-y, w-1-x
			case 8: // turned 90° anticlockwise to be upright
				dx, dy = y, w-1-x
			}
			dst.SetRGBA(dx, dy, src.RGBAAt(x, y))
		}
	}
	return dst
}
