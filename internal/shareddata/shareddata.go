// Package shareddata finds the project's shared real data (the Jining
// district outlines and the 2,735 county polygons of China) for tests and
// benchmarks. The files live in ../shared/data beside the repository, or in
// the folder GRIDMAP_SHARED_DATA names.
package shareddata

import (
	"os"
	"path/filepath"
)

// Counties is the gzipped GeoJSON of 2,735 county polygons (code: adcode).
const Counties = "cn-counties.geojson.gz"

// TB is the part of testing.TB that Path uses: the package is also linked
// into the binary (gridmap demo --province), which must not carry the
// testing package.
type TB interface {
	Helper()
	Fatal(args ...any)
	Skip(args ...any)
}

// Path returns the path of the named shared data file. When it is missing
// the test skips, or fails under GRIDMAP_TESTDB=true (make test, CI), where
// the data must be there.
func Path(tb TB, name string) string {
	tb.Helper()
	if p, ok := Find(name); ok {
		return p
	}
	msg := "shared data file " + name + " not found: set GRIDMAP_SHARED_DATA to the folder holding it (../shared/data beside the repository)"
	if os.Getenv("GRIDMAP_TESTDB") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// Find looks for the named shared data file without failing a test.
func Find(name string) (string, bool) {
	if dir := os.Getenv("GRIDMAP_SHARED_DATA"); dir != "" {
		p := filepath.Join(dir, name)
		_, err := os.Stat(p)
		return p, err == nil
	}
	// Walk up from the package folder to the folder that holds shared/.
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, "shared", "data", name)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
