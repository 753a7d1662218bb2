package postgis_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
)

// TestAttachmentStore: the same file stored by many at once is one row,
// one of them told it created it; its metadata and bytes read back; a
// PDF has no thumbnail; the grids of the cases that use it are listed.
func TestAttachmentStore(t *testing.T) {
	st, ix, version := demoStreet(t)
	ctx := context.Background()
	body, thumb := []byte("stripped photo bytes"), []byte("thumbnail bytes")
	sum := sha256.Sum256(body)
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, gridmap.ChinaTime)
	a := gridmap.Attachment{ID: hex.EncodeToString(sum[:]), MediaType: "image/jpeg", ExifTime: &at, ExifPosition: &[2]float64{116.812345, 35.551234}}

	var mu sync.Mutex
	var wg sync.WaitGroup
	created := 0
	for range 8 {
		wg.Go(func() {
			got, c, err := st.PutAttachment(ctx, a, body, thumb)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || got.ID != a.ID || got.Size != len(body) || !got.HasThumbnail || got.ExifTime == nil || !got.ExifTime.Equal(at) {
				t.Errorf("PutAttachment: %+v %v", got, err)
			}
			if c {
				created++
			}
		})
	}
	wg.Wait()
	var rows int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM attachment`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if created != 1 || rows != 1 {
		t.Errorf("%d told they created it, %d rows; want 1 and 1", created, rows)
	}

	f, err := st.Attachment(ctx, a.ID)
	if err != nil || string(f.Body) != string(body) || f.Cases != 0 || len(f.Grids) != 0 || f.ExifPosition == nil ||
		math.Abs(f.ExifPosition[0]-116.812345) > 1e-9 || math.Abs(f.ExifPosition[1]-35.551234) > 1e-9 {
		t.Errorf("Attachment: %+v %v", f, err)
	}
	if f, err := st.Thumbnail(ctx, a.ID); err != nil || string(f.Body) != string(thumb) || f.MediaType != "image/jpeg" {
		t.Errorf("Thumbnail: %+v %v", f, err)
	}

	// Refused: an id that is not the bytes' SHA-256; unknown ids.
	bad := a
	bad.ID = strings.Repeat("ab", 32)
	if _, _, err := st.PutAttachment(ctx, bad, body, nil); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("a wrong id: %v, want EINVALID", err)
	}
	for _, id := range []string{strings.Repeat("0", 64), "nope", strings.Repeat("0", 63)} {
		if _, err := st.Attachment(ctx, id); gridmap.ErrorCode(err) != gridmap.ENOTFOUND {
			t.Errorf("Attachment(%q): %v, want ENOTFOUND", id, err)
		}
	}
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	ps := sha256.Sum256(pdf)
	p := gridmap.Attachment{ID: hex.EncodeToString(ps[:]), MediaType: "application/pdf"}
	if got, c, err := st.PutAttachment(ctx, p, pdf, nil); err != nil || !c || got.HasThumbnail || got.ExifTime != nil || got.ExifPosition != nil {
		t.Errorf("a PDF: %+v %v %v", got, c, err)
	}
	if _, err := st.Thumbnail(ctx, p.ID); gridmap.ErrorCode(err) != gridmap.ENOTFOUND {
		t.Errorf("a PDF's thumbnail: %v, want ENOTFOUND", err)
	}

	// Two cases in one grid use the photo: counted, the grid listed once.
	var grids []string
	for _, ext := range []string{"ATT-A", "ATT-B"} {
		id := newCase(t, st, ix, version, ext)
		if _, err := st.AddStep(ctx, id, caseflow.Step{Kind: caseflow.StepRegister, Attachments: []string{a.ID},
			Actor: caseflow.Actor{Person: "指挥中心 张演示", Role: caseflow.RoleDispatcher}}, nil); err != nil {
			t.Fatal(err)
		}
		in, err := st.Incident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		grids = append(grids, in.GridCode)
	}
	f, err = st.Attachment(ctx, a.ID)
	if err != nil || f.Cases != 2 || !slices.Equal(f.Grids, slices.Compact(grids)) {
		t.Errorf("used by two cases in %v: %d cases, grids %v, %v", grids, f.Cases, f.Grids, err)
	}
}
