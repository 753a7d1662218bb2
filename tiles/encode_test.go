package tiles

import (
	"bytes"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"

	"github.com/gridmap/gridmap/internal/shareddata"
)

// TestEncodeOrb holds the encoder to orb's: the same layers, given to
// mvt.Marshal with their properties, must come out byte for byte the same,
// over every tile of the street from zoom 0 to 15 and the county tiles to
// zoom 6.
func TestEncodeOrb(t *testing.T) {
	type set struct {
		s    *Set
		maxZ uint32
	}
	sets := []set{{newSet(t, streetGrids(t), Config{}), 15}}
	if _, ok := shareddata.Find(shareddata.Counties); ok {
		sets = append(sets, set{counties(t), 6})
	}
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	n := 0
	for _, d := range sets {
		for z := uint32(0); z <= d.maxZ; z++ {
			for _, tl := range tilesOver(d.s.Bound(), z) {
				sc := scratches.Get().(*scratch)
				layers := d.s.layers(tl[0], tl[1], tl[2], Options{}, sc)
				if len(layers) == 0 {
					sc.release()
					continue
				}
				var ls mvt.Layers
				for _, l := range layers {
					ml := &mvt.Layer{Name: l.name, Version: 2, Extent: d.s.cfg.Extent}
					for _, f := range l.feats {
						props := geojson.Properties{}
						for k, key := range f.tags.keys {
							props[key] = f.tags.vals[k]
						}
						ml.Features = append(ml.Features, &geojson.Feature{ID: f.id, Geometry: f.geom, Properties: props})
					}
					ls = append(ls, ml)
				}
				want, err := mvt.Marshal(ls)
				if err != nil {
					t.Fatal(err)
				}
				e.marshal(d.s.cfg.Extent, layers)
				sc.release()
				if !bytes.Equal(e.raw, want) {
					t.Fatalf("tile %v: %d bytes, orb writes %d", tl, len(e.raw), len(want))
				}
				n++
			}
		}
	}
	t.Logf("%d tiles", n)
	if n == 0 {
		t.Fatal("no tile")
	}
}
