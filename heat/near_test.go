package heat

import (
	"math"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
)

// haversine is the great-circle distance in metres on the mean sphere.
func haversine(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// TestNear: points at known distances are found within the radius and not
// beyond, nearest first, with distances within 0.5% of the sphere's; the
// category, status and time filters apply.
func TestNear(t *testing.T) {
	const lon, lat = 116.84, 35.55 // the demo street
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	mPerDegLat := 6371008.8 * math.Pi / 180
	at := func(east, north float64) (float64, float64) {
		return lon + east/(mPerDegLat*math.Cos(lat*math.Pi/180)), lat + north/mPerDegLat
	}
	var rows []Row
	add := func(id int64, east, north float64, cat gridmap.Category, st gridmap.Status, dt time.Duration) {
		x, y := at(east, north)
		rows = append(rows, Row{ID: id, ReportedAt: t0.Add(dt), Category: cat, Status: st, Lon: x, Lat: y, GridCode: "g"})
	}
	add(1, 0, 0, "hazard", gridmap.StatusReported, 0)
	add(2, 30, 0, "hazard", gridmap.StatusAccepted, time.Hour)
	add(3, 0, -45, "hazard", gridmap.StatusInProgress, -6*24*time.Hour)
	add(4, 35, 35, "hazard", gridmap.StatusReported, 0) // 49.5 m
	add(5, 36, 36, "hazard", gridmap.StatusReported, 0) // 50.9 m
	add(6, 10, 0, "dispute", gridmap.StatusReported, 0)
	add(7, 10, 0, "hazard", gridmap.StatusClosed, 0)
	add(8, 10, 0, "hazard", gridmap.StatusReported, -8*24*time.Hour)
	add(9, -200, 0, "hazard", gridmap.StatusReported, 0)
	a := New()
	a.Apply(rows)
	f := Filter{Categories: []gridmap.Category{"hazard"}, Statuses: []gridmap.Status{gridmap.StatusReported, gridmap.StatusAccepted, gridmap.StatusInProgress},
		From: t0.Add(-7 * 24 * time.Hour), To: t0.Add(7*24*time.Hour + time.Second)}
	got := a.Near(lon, lat, 50, f)
	var ids []int64
	for _, n := range got {
		ids = append(ids, n.ID)
		want := haversine(lon, lat, n.Lon, n.Lat)
		if math.Abs(n.DistanceM-want) > 0.005*want+0.02 {
			t.Errorf("incident %d: %.3f m, the sphere says %.3f m", n.ID, n.DistanceM, want)
		}
		if n.Category != "hazard" || n.GridCode != "g" {
			t.Errorf("incident %d: %+v", n.ID, n.Row)
		}
	}
	if want := []int64{1, 2, 3, 4}; !equal(ids, want) {
		t.Errorf("near: %v, want %v (nearest first)", ids, want)
	}
	if n := a.Near(lon, lat, 10.5, Filter{}); len(n) != 4 { // 1, and 6, 7, 8 at 10 m
		t.Errorf("10.5 m without a filter: %d, want 4", len(n))
	}
	if n := a.Near(lon, lat, 250, Filter{}); len(n) != 9 {
		t.Errorf("250 m without a filter: %d, want all 9", len(n))
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
