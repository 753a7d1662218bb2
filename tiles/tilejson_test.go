package tiles

import (
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"
)

func TestTileJSON(t *testing.T) {
	s := newSet(t, streetGrids(t), Config{})
	tests := []struct {
		name, base, url string
	}{
		{"plain", "https://grid.example.cn", "https://grid.example.cn/tiles/grids/{z}/{x}/{y}.mvt?v=7"},
		{"trailing slash", "http://localhost:8080/", "http://localhost:8080/tiles/grids/{z}/{x}/{y}.mvt?v=7"},
		{"relative", "", "/tiles/grids/{z}/{x}/{y}.mvt?v=7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tj := s.TileJSON(tt.base)
			if tj.TileJSON != "3.0.0" || tj.Scheme != "xyz" || len(tj.Tiles) != 1 || tj.Tiles[0] != tt.url {
				t.Errorf("TileJSON %+v", tj)
			}
		})
	}

	tj := s.TileJSON("")
	b := s.Bound()
	if tj.Bounds != [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		t.Errorf("bounds %v, want %v", tj.Bounds, b)
	}
	if c := (orb.Point{tj.Center[0], tj.Center[1]}); !b.Contains(c) || tj.Center[2] < 10 || tj.Center[2] > 13 {
		t.Errorf("center %v: want inside the street at a zoom showing it whole", tj.Center)
	}
	if tj.MinZoom != 0 || tj.MaxZoom != 18 {
		t.Errorf("zooms %d–%d, want 0–18", tj.MinZoom, tj.MaxZoom)
	}
	want := map[string][]string{GridsLayer: {"code", "name", "level", "parent"}, LabelsLayer: {"code", "name", "level"}}
	if len(tj.VectorLayers) != 2 {
		t.Fatalf("vector_layers %+v", tj.VectorLayers)
	}
	for _, l := range tj.VectorLayers {
		if len(l.Fields) != len(want[l.ID]) || l.MinZoom != 0 || l.MaxZoom != 18 {
			t.Errorf("layer %+v", l)
		}
		for _, f := range want[l.ID] {
			if l.Fields[f] == "" {
				t.Errorf("layer %s: field %s undocumented", l.ID, f)
			}
		}
	}

	data, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	for _, k := range []string{"tilejson", "tiles", "bounds", "center", "minzoom", "maxzoom", "vector_layers"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, data)
		}
	}
}

// TestTileJSONCounties checks the minimum zoom of a flat data set and the
// centre zoom of a country.
func TestTileJSONCounties(t *testing.T) {
	s := counties(t)
	tj := s.TileJSON("")
	if tj.VectorLayers[0].MinZoom != 0 || tj.Center[2] != 2 {
		t.Errorf("layer minzoom %d, center %v", tj.VectorLayers[0].MinZoom, tj.Center)
	}
}
