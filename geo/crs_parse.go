package geo

import (
	"strings"

	"github.com/gridmap/gridmap"
)

// CRSChoices lists the names ParseCRS accepts, for the error messages of
// its callers (a query parameter, a command flag, a record field).
const CRSChoices = "wgs84 (GPS, EPSG:4326), cgcs2000 (EPSG:4490, taken as WGS84), gcj02 (Gaode/Tencent) or bd09 (Baidu)"

// ParseCRS reads the name of a coordinate system as clients, files and
// command flags give it, ignoring case: "" (the default), wgs84 or
// epsg:4326 is WGS84; cgcs2000 or epsg:4490 (the national datum) is taken
// as WGS84 without a shift, as they agree to a few centimetres; gcj02 and
// bd09 are themselves. Errors: EINVALID naming s and CRSChoices.
func ParseCRS(s string) (CRS, error) {
	switch c := strings.ToLower(s); c {
	case "", string(WGS84), "epsg:4326", "cgcs2000", "epsg:4490":
		return WGS84, nil
	case string(GCJ02), string(BD09):
		return CRS(c), nil
	}
	return "", gridmap.Errorf(gridmap.EINVALID, "unknown coordinate system %q; use %s", s, CRSChoices)
}
