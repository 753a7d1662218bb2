package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/media/mediatest"
)

// TestReportPhotos posts a grid worker's report with its photo twice, as
// the field app resends a report whose answer was lost: one case, the
// photo linked once, shown in the case's detail and readable by the
// grid's token; another token reusing the report's external id cannot add
// photos to it; a bad id is refused before anything is stored.
func TestReportPhotos(t *testing.T) {
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{})
	ctx := context.Background()
	base := srv.URL
	const grid = "37081200100101"
	worker := mint(t, a, gridmap.RoleReporter, "网格员 现场", grid)
	other := mint(t, a, gridmap.RoleReporter, "网格员 另一人", grid)
	var lon, lat float64
	if err := a.Store.Pool().QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) p
FROM grid_version WHERE code = $1 AND valid_to IS NULL) x`, grid).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	resp, att, p := upload(t, base, worker, "image/jpeg", "", mediatest.JPEG(800, 600, mediatest.EXIF{}))
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %+v", resp.StatusCode, p)
	}
	report := func(token, ext string, photos ...string) (*http.Response, []byte) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"external_id": ext, "category": "hazard", "source": "grid_worker",
			"lon": lon, "lat": lat, "reported_at": time.Now().Format(time.RFC3339), "description": "（测试）井盖松动", "attachments": photos})
		return do(t, "POST", base+"/api/v1/incidents", token, "application/json", string(b))
	}
	count := func(q string, args ...any) (n int) {
		t.Helper()
		if err := a.Store.Pool().QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Refused before storing: not an id.
	if resp, body := report(worker, "field-bad", "not-a-photo"); resp.StatusCode != 400 {
		t.Errorf("a bad attachment id: %d %s", resp.StatusCode, body)
	}
	if n := count(`SELECT count(*) FROM incident WHERE external_id = 'field-bad'`); n != 0 {
		t.Errorf("a refused report stored %d cases", n)
	}

	const ext = "field-7c1e4a9e-0b1d-4f7e-9d55-1f2a3b4c5d6e"
	var ids []int64
	for i, want := range []int{201, 200} {
		resp, body := report(worker, ext, att.ID)
		var got struct {
			ID          int64    `json:"id"`
			Attachments []string `json:"attachments"`
			Grid        struct{ Code string }
		}
		if resp.StatusCode != want || json.Unmarshal(body, &got) != nil || got.Grid.Code != grid || len(got.Attachments) != 1 {
			t.Fatalf("post %d: %d %s (want %d, grid %s, the photo)", i+1, resp.StatusCode, body, want, grid)
		}
		ids = append(ids, got.ID)
	}
	if ids[0] != ids[1] {
		t.Errorf("the resend answered case %d, the first %d", ids[1], ids[0])
	}
	if n := count(`SELECT count(*) FROM incident WHERE external_id = $1`, ext); n != 1 {
		t.Errorf("%d cases stored, want 1", n)
	}
	if n := count(`SELECT count(*) FROM incident_attachment WHERE incident_id = $1`, ids[0]); n != 1 {
		t.Errorf("%d photos linked, want 1", n)
	}

	// Another token's resend of the same external id adds no photo.
	_, att2, _ := upload(t, base, other, "image/jpeg", "", mediatest.JPEG(640, 480, mediatest.EXIF{}))
	if resp, body := report(other, ext, att2.ID); resp.StatusCode != 403 {
		t.Errorf("another token's photos on the report: %d %s, want 403", resp.StatusCode, body)
	}
	if n := count(`SELECT count(*) FROM incident_attachment WHERE incident_id = $1`, ids[0]); n != 1 {
		t.Errorf("%d photos linked after another token's try, want 1", n)
	}

	// The detail names the photo; the grid's token reads it.
	var detail struct {
		Attachments []string `json:"attachments"`
	}
	resp, body := do(t, "GET", base+"/api/v1/incidents/"+strconv.FormatInt(ids[0], 10), worker, "", "")
	if resp.StatusCode != 200 || json.Unmarshal(body, &detail) != nil || len(detail.Attachments) != 1 || detail.Attachments[0] != att.ID {
		t.Errorf("detail: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", base+"/api/v1/attachments/"+att.ID, other, "", ""); resp.StatusCode != 200 {
		t.Errorf("the grid's token reads the report's photo: %d", resp.StatusCode)
	}
	elsewhere := mint(t, a, gridmap.RoleReporter, "网格员 别处", "37081200100102")
	if resp, _ := do(t, "GET", base+"/api/v1/attachments/"+att.ID, elsewhere, "", ""); resp.StatusCode != 403 {
		t.Errorf("another grid's token reads the report's photo: %d, want 403", resp.StatusCode)
	}
}
