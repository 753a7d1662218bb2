// Package geo is the pure geometry of gridmap: the point-in-grid Index
// (which grid contains a point, and its chain of ancestors), the queries
// over the tree of grids it holds (tree.go: the grids of a level, the
// ancestor at a level, descendants), the grids intersecting a box
// (bound.go), the nearest grid boundary, and conversions between the
// coordinate systems Chinese map SDKs use (WGS84, GCJ-02, BD-09). It does
// no I/O.
//
// Coordinates are EPSG:4326 longitude, latitude in degrees unless a name
// says otherwise; distances are in metres.
package geo
