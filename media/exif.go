package media

import (
	"encoding/binary"
	"math"
	"strings"
	"time"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"

	"github.com/gridmap/gridmap"
)

// EXIF tags read (CIPA DC-008).
const (
	tagOrientation        = 0x0112
	tagDateTimeOriginal   = 0x9003
	tagDateTimeDigitized  = 0x9004
	tagOffsetTimeOriginal = 0x9011
	tagOffsetTimeDigitzed = 0x9012
)

// maxEXIF bounds the EXIF block read: a JPEG's is at most 64 KiB; a PNG's
// or WebP's could be anything.
const maxEXIF = 1 << 20

// exifInfo is what an attachment keeps of a photo's EXIF.
type exifInfo struct {
	time        *time.Time
	position    *[2]float64 // lon, lat
	orientation int
}

// ReadEXIF returns the time, the [lon, lat] position and the orientation
// (1 when it has none) that a raw EXIF (TIFF) block holds, each nil or 1
// when it is missing or makes no sense. It never fails: a damaged block
// gives what could be read before the damage, or nothing.
func ReadEXIF(raw []byte) (t *time.Time, position *[2]float64, orientation int) {
	i := readEXIF(raw)
	return i.time, i.position, i.orientation
}

func readEXIF(raw []byte) (info exifInfo) {
	info.orientation = 1
	if len(raw) < 8 || len(raw) > maxEXIF || !sane(raw) {
		return info
	}
	// go-exif reports most damage as errors, from panics it recovers;
	// what it does not recover must not take the upload with it.
	defer func() {
		if recover() != nil {
			info = exifInfo{orientation: 1}
		}
	}()
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return info
	}
	_, index, err := exif.Collect(im, exif.NewTagIndex(), raw)
	if err != nil || index.RootIfd == nil {
		return info
	}
	root := index.RootIfd
	if v, ok := tagValue(root, tagOrientation).([]uint16); ok && len(v) == 1 && v[0] >= 1 && v[0] <= 8 {
		info.orientation = int(v[0])
	}
	if sub, err := root.ChildWithIfdPath(exifcommon.IfdExifStandardIfdIdentity); err == nil {
		info.time = exifTime(sub, tagDateTimeOriginal, tagOffsetTimeOriginal)
		if info.time == nil {
			info.time = exifTime(sub, tagDateTimeDigitized, tagOffsetTimeDigitzed)
		}
	}
	if gps, err := root.ChildWithIfdPath(exifcommon.IfdGpsInfoStandardIfdIdentity); err == nil {
		if gi, err := gps.GpsInfo(); err == nil {
			lon, lat := gi.Longitude.Decimal(), gi.Latitude.Decimal()
			// 0, 0 is what a camera without a fix often writes.
			if !math.IsNaN(lon) && !math.IsNaN(lat) && math.Abs(lon) <= 180 && math.Abs(lat) <= 90 && (lon != 0 || lat != 0) {
				info.position = &[2]float64{lon, lat}
			}
		}
	}
	return info
}

// tagValue is the value of the first tag id of ifd, nil when it has none.
func tagValue(ifd *exif.Ifd, id uint16) any {
	tags, err := ifd.FindTagWithId(id)
	if err != nil || len(tags) == 0 {
		return nil
	}
	v, err := tags[0].Value()
	if err != nil {
		return nil
	}
	return v
}

// exifTime reads an EXIF date and time ("2006:01:02 15:04:05") with its
// offset tag ("+08:00"); without one, the camera's clock is taken to be
// in China time (gridmap.ChinaTime), as the street's phones are.
func exifTime(ifd *exif.Ifd, id, offsetID uint16) *time.Time {
	s, ok := tagValue(ifd, id).(string)
	if !ok {
		return nil
	}
	s = strings.TrimRight(strings.TrimSpace(s), "\x00")
	loc := gridmap.ChinaTime
	if o, ok := tagValue(ifd, offsetID).(string); ok {
		if z, err := time.Parse("-07:00", strings.TrimRight(strings.TrimSpace(o), "\x00")); err == nil {
			loc = z.Location()
		}
	}
	t, err := time.ParseInLocation("2006:01:02 15:04:05", s, loc)
	if err != nil || t.Year() < 1990 || t.Year() > 2100 {
		return nil
	}
	return &t
}

// tiffUnit is the size in bytes of one value of each TIFF type (TIFF 6.0
// section 2); 8, the largest, for a type it does not name.
func tiffUnit(typ uint16) uint64 {
	switch typ {
	case 1, 2, 6, 7:
		return 1
	case 3, 8:
		return 2
	case 4, 9, 11:
		return 4
	}
	return 8
}

// sane reports whether every entry of the IFDs of a TIFF block that
// go-exif walks (the IFD0 chain, the EXIF, GPS and interoperability IFDs)
// has values that fit in the block, and the IFDs are no more than a few:
// go-exif allocates a value's count × size before it reads it, so a
// count of 2³² from a crafted file would ask for gigabytes.
func sane(raw []byte) bool {
	var bo binary.ByteOrder
	switch string(raw[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return false
	}
	size := uint64(len(raw))
	todo := []uint32{bo.Uint32(raw[4:])}
	seen := map[uint32]bool{}
	for len(todo) > 0 {
		off := todo[0]
		todo = todo[1:]
		if off == 0 || seen[off] {
			continue
		}
		seen[off] = true
		if len(seen) > 16 || uint64(off)+2 > size {
			return false
		}
		n := uint64(bo.Uint16(raw[off:]))
		if uint64(off)+2+12*n+4 > size {
			return false
		}
		for e := range n {
			at := uint64(off) + 2 + 12*e
			tag, typ, count := bo.Uint16(raw[at:]), bo.Uint16(raw[at+2:]), uint64(bo.Uint32(raw[at+4:]))
			if bytes := count * tiffUnit(typ); bytes > 4 && uint64(bo.Uint32(raw[at+8:]))+bytes > size || bytes > size {
				return false
			}
			switch tag {
			case 0x8769, 0x8825, 0xA005: // EXIF, GPS, interoperability IFDs
				todo = append(todo, bo.Uint32(raw[at+8:]))
			}
		}
		todo = append(todo, bo.Uint32(raw[uint64(off)+2+12*n:]))
	}
	return true
}
