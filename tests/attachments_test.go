package tests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/caseflow"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/media/mediatest"
)

type attachmentResp struct {
	ID           string
	MediaType    string      `json:"media_type"`
	Size         int         `json:"size"`
	Width        *int        `json:"width"`
	Height       *int        `json:"height"`
	ExifTime     *time.Time  `json:"exif_time"`
	ExifPosition *[2]float64 `json:"exif_position"`
	URL          string      `json:"url"`
	ThumbnailURL *string     `json:"thumbnail_url"`
}

// upload posts b as an attachment; ctype "multipart" sends it as a
// browser's form does, in a part named file of type partType.
func upload(t *testing.T, base, token, ctype, partType string, b []byte) (*http.Response, attachmentResp, problem) {
	t.Helper()
	body := b
	if ctype == "multipart" {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("note", "门口照片")
		h := map[string][]string{"Content-Disposition": {`form-data; name="file"; filename="IMG_0001.jpg"`}, "Content-Type": {partType}}
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(b)
		_ = mw.Close()
		body, ctype = buf.Bytes(), mw.FormDataContentType()
	}
	resp, got := do(t, "POST", base+"/api/v1/attachments", token, ctype, string(body))
	var a attachmentResp
	var p problem
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("upload answer: %v: %s", err, got)
		}
	} else {
		_ = json.Unmarshal(got, &p)
	}
	return resp, a, p
}

// app1Segments lists the JPEG segments before the first scan whose
// marker is APP1 (EXIF, XMP), walked here independently of package media.
func app1Segments(t *testing.T, b []byte) int {
	t.Helper()
	n := 0
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatalf("not a JPEG: % x", b[:min(len(b), 8)])
	}
	for i := 2; i+4 <= len(b) && b[i] == 0xFF && b[i+1] != 0xDA; i += 2 + int(binary.BigEndian.Uint16(b[i+2:])) {
		if b[i+1] == 0xE1 {
			n++
		}
	}
	return n
}

// TestAttachmentsRoundTrip uploads photos and a PDF over HTTP into a real
// PostGIS, reads them back as each role, and gives one to a step.
func TestAttachmentsRoundTrip(t *testing.T) {
	const limit = 200 << 10
	srv, a, _ := authInstance(t, demoDB(t), httpapi.Config{MaxAttachmentBytes: limit})
	ctx := context.Background()
	base := srv.URL
	admin := mint(t, a, gridmap.RoleAdmin, "admin", "")
	reporter := mint(t, a, gridmap.RoleReporter, "网格员 王演示", "")
	viewer := mint(t, a, gridmap.RoleViewer, "viewer", "")
	planner := mint(t, a, gridmap.RolePlanner, "planner", "")
	const here, there = "37081200100101", "37081200100102"
	scopedHere := mint(t, a, gridmap.RoleReporter, "网格员 本格", here)
	scopedThere := mint(t, a, gridmap.RoleReporter, "网格员 邻格", there)
	rows := func() (n int) {
		t.Helper()
		if err := a.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM attachment`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A phone photo with EXIF time and GPS.
	exif := mediatest.EXIF{Time: "2026:11:25 09:30:00", Offset: "+08:00", Lon: 116.812345, Lat: 35.551234}
	photo := mediatest.JPEG(1200, 900, exif)
	resp, att, p := upload(t, base, reporter, "image/jpeg", "", photo)
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %+v", resp.StatusCode, p)
	}
	wantTime := time.Date(2026, 11, 25, 9, 30, 0, 0, gridmap.ChinaTime)
	switch {
	case len(att.ID) != 64 || att.MediaType != "image/jpeg" || att.Width == nil || *att.Width != 1200 || *att.Height != 900:
		t.Errorf("answer %+v", att)
	case att.ExifTime == nil || !att.ExifTime.Equal(wantTime):
		t.Errorf("exif_time %v, want %v", att.ExifTime, wantTime)
	case att.ExifPosition == nil || math.Abs(att.ExifPosition[0]-116.812345) > 1e-6 || math.Abs(att.ExifPosition[1]-35.551234) > 1e-6:
		t.Errorf("exif_position %v", att.ExifPosition)
	case att.URL != base+"/api/v1/attachments/"+att.ID || att.ThumbnailURL == nil || *att.ThumbnailURL != att.URL+"/thumbnail":
		t.Errorf("urls %s %v", att.URL, att.ThumbnailURL)
	case resp.Header.Get("Location") != "/api/v1/attachments/"+att.ID:
		t.Errorf("Location %q", resp.Header.Get("Location"))
	}

	// Served without EXIF, the bytes its id names, cached for good.
	resp, got := do(t, "GET", att.URL, admin, "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET: %d %s", resp.StatusCode, got)
	}
	sum := sha256.Sum256(got)
	h := resp.Header
	switch {
	case hex.EncodeToString(sum[:]) != att.ID || len(got) != att.Size:
		t.Errorf("served %d bytes whose SHA-256 is not the id", len(got))
	case h.Get("Content-Type") != "image/jpeg" || h.Get("ETag") != `"`+att.ID+`"` || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.HasPrefix(h.Get("Content-Disposition"), "inline; filename=") ||
		!strings.Contains(h.Get("Cache-Control"), "private"):
		t.Errorf("headers %v", h)
	}
	if n := app1Segments(t, got); n != 0 || bytes.Contains(got, []byte("Exif\x00\x00")) || bytes.Contains(got, []byte("王演示")) {
		t.Errorf("the served photo keeps its metadata: %d APP1 segments", n)
	}
	if img, err := jpeg.Decode(bytes.NewReader(got)); err != nil || img.Bounds().Dx() != 1200 {
		t.Errorf("the served photo does not decode: %v", err)
	}
	if app1Segments(t, photo) != 2 {
		t.Fatalf("the test photo should have two APP1 segments (EXIF, XMP)")
	}
	req, _ := http.NewRequest("GET", att.URL, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("If-None-Match", `"`+att.ID+`"`)
	if r2, err := http.DefaultClient.Do(req); err != nil || r2.StatusCode != 304 {
		t.Errorf("If-None-Match: %v %v, want 304", r2.StatusCode, err)
	}
	resp, got = do(t, "GET", *att.ThumbnailURL, reporter, "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %s", resp.StatusCode, got)
	}
	if img, err := jpeg.Decode(bytes.NewReader(got)); err != nil || img.Bounds() != image.Rect(0, 0, 320, 240) {
		t.Errorf("thumbnail: %v %v, want 320 × 240", err, img)
	}

	// The same file again, as a browser's form sends it: the same id,
	// stored once. The same photo with other EXIF is the same file too.
	for i, again := range [][]byte{photo, mediatest.JPEG(1200, 900, mediatest.EXIF{Time: "2020:01:01 08:00:00"})} {
		resp, a2, p := upload(t, base, reporter, "multipart", "image/jpeg", again)
		if resp.StatusCode != 200 || a2.ID != att.ID || a2.ExifTime == nil || !a2.ExifTime.Equal(wantTime) {
			t.Errorf("upload %d again: %d %+v %+v; want 200 with the first upload's answer", i, resp.StatusCode, a2, p)
		}
	}
	if n := rows(); n != 1 {
		t.Errorf("%d attachment rows, want 1", n)
	}

	// Refused, with nothing stored.
	big := append(mediatest.JPEG(64, 64, exif), make([]byte, limit)...)
	for _, c := range []struct {
		name, ctype string
		body        []byte
		status      int
		says        string
	}{
		{"too big", "image/jpeg", big, 413, "larger than 204800 bytes"},
		{"garbage", "image/jpeg", []byte("this is not a photo"), 415, "not a JPEG, PNG or WebP image or a PDF"},
		{"text", "text/plain", []byte("hello"), 415, "text/plain is not taken"},
		{"png sent as jpeg", "image/jpeg", mediatest.PNG(8, 8, exif), 415, "is a PNG image but came as Content-Type image/jpeg"},
		{"truncated", "image/jpeg", photo[:len(photo)/2], 400, "damaged"},
		{"multipart without a file", "multipart", nil, 400, "no part named file"},
	} {
		var resp *http.Response
		var p problem
		if c.name == "multipart without a file" {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("note", "x")
			_ = mw.Close()
			r, b := do(t, "POST", base+"/api/v1/attachments", reporter, mw.FormDataContentType(), buf.String())
			_ = json.Unmarshal(b, &p)
			resp = r
		} else {
			resp, _, p = upload(t, base, reporter, c.ctype, "", c.body)
		}
		wantProblem(t, resp, p, c.status)
		if !strings.Contains(p.Detail, c.says) {
			t.Errorf("%s: %q does not say %q", c.name, p.Detail, c.says)
		}
	}
	if n := rows(); n != 1 {
		t.Errorf("%d attachment rows after refused uploads, want 1", n)
	}

	// PNG and WebP are stripped by chunk; a PDF is a download.
	resp, pngAtt, p := upload(t, base, admin, "image/png", "", mediatest.PNG(400, 200, exif))
	if resp.StatusCode != 201 || pngAtt.ExifPosition == nil || *pngAtt.Width != 400 {
		t.Fatalf("png: %d %+v %+v", resp.StatusCode, pngAtt, p)
	}
	_, got = do(t, "GET", pngAtt.URL, admin, "", "")
	if _, err := png.Decode(bytes.NewReader(got)); err != nil || bytes.Contains(got, []byte("eXIf")) || bytes.Contains(got, []byte("tEXt")) {
		t.Errorf("the served PNG: %v, or it keeps eXIf or tEXt", err)
	}
	if resp, w, p := upload(t, base, admin, "", "", mediatest.WebP(exif)); resp.StatusCode != 201 || w.MediaType != "image/webp" || w.ExifTime == nil {
		t.Errorf("webp: %d %+v %+v", resp.StatusCode, w, p)
	}
	// A photo the camera stored sideways is stored upright, without EXIF.
	resp, side, p := upload(t, base, admin, "image/jpeg", "", mediatest.JPEG(300, 200, mediatest.EXIF{Orientation: 6, Time: "2026:11:25 09:31:00"}))
	if resp.StatusCode != 201 || side.Width == nil || *side.Width != 200 || *side.Height != 300 || side.ExifTime == nil {
		t.Fatalf("a sideways photo: %d %+v %+v", resp.StatusCode, side, p)
	}
	_, got = do(t, "GET", side.URL, admin, "", "")
	if img, err := jpeg.Decode(bytes.NewReader(got)); err != nil || img.Bounds() != image.Rect(0, 0, 200, 300) || app1Segments(t, got) != 0 {
		t.Errorf("the sideways photo as served: %v %v, or it has APP1", err, img.Bounds())
	}
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	resp, pdfAtt, p := upload(t, base, admin, "application/pdf", "", pdf)
	if resp.StatusCode != 201 || pdfAtt.ThumbnailURL != nil || pdfAtt.Width != nil {
		t.Fatalf("pdf: %d %+v %+v", resp.StatusCode, pdfAtt, p)
	}
	if resp, got := do(t, "GET", pdfAtt.URL, admin, "", ""); resp.StatusCode != 200 || !bytes.Equal(got, pdf) ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("pdf: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := do(t, "GET", pdfAtt.URL+"/thumbnail", admin, "", ""); resp.StatusCode != 404 {
		t.Errorf("pdf thumbnail: %d, want 404", resp.StatusCode)
	}

	// A step names the photo; an unknown id is refused.
	ix, _ := a.Live.Index()
	resp, body := do(t, "POST", base+"/api/v1/incidents", admin, "application/json", mustJSON(t, incident("ATT-1", inside(t, ix, here), "hazard")))
	var inc struct{ ID int64 }
	if resp.StatusCode != 201 || json.Unmarshal(body, &inc) != nil {
		t.Fatalf("posting a case: %d %s", resp.StatusCode, body)
	}
	dispatcher := caseflow.Actor{Person: "指挥中心 张演示", Role: caseflow.RoleDispatcher}
	unknown := strings.Repeat("0", 64)
	_, err := a.Store.AddStep(ctx, inc.ID, caseflow.Step{Kind: caseflow.StepRegister, Actor: dispatcher, Attachments: []string{unknown}}, nil)
	if gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(gridmap.ErrorMessage(err), unknown) {
		t.Errorf("a step naming an attachment never uploaded: %v, want EINVALID naming it", err)
	}
	res, err := a.Store.AddStep(ctx, inc.ID, caseflow.Step{Kind: caseflow.StepRegister, Actor: dispatcher, Attachments: []string{att.ID}}, nil)
	if err != nil || len(res.Step.Attachments) != 1 {
		t.Fatalf("a step naming the photo: %v", err)
	}
	steps, err := a.Store.Steps(ctx, inc.ID)
	if err != nil || len(steps) != 1 || len(steps[0].Attachments) != 1 || steps[0].Attachments[0] != att.ID {
		t.Errorf("steps %+v, %v", steps, err)
	}

	// Who may read: personal data.
	for _, c := range []struct {
		who, token, url string
		want            int
	}{
		{"anonymous", "", att.URL, 401},
		{"viewer", viewer, att.URL, 403},
		{"viewer thumbnail", viewer, *att.ThumbnailURL, 403},
		{"planner", planner, att.URL, 403},
		{"reporter scoped to the case's grid", scopedHere, att.URL, 200},
		{"reporter scoped to another grid", scopedThere, att.URL, 403},
		{"reporter scoped to another grid, thumbnail", scopedThere, *att.ThumbnailURL, 403},
		{"reporter scoped to another grid, a file no case uses", scopedThere, pngAtt.URL, 200},
		{"viewer, a file no case uses", viewer, pngAtt.URL, 403},
		{"admin, unknown id", admin, base + "/api/v1/attachments/" + unknown, 404},
		{"admin, not an id", admin, base + "/api/v1/attachments/" + strings.Repeat("G", 64), 404},
	} {
		resp, got := do(t, "GET", c.url, c.token, "", "")
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d: %.200s", c.who, resp.StatusCode, c.want, got)
		}
		if c.want >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %s, want a problem", c.who, resp.Header.Get("Content-Type"))
		}
	}
	for role, tok := range map[string]string{"viewer": viewer, "planner": planner} {
		if resp, _, _ := upload(t, base, tok, "image/jpeg", "", photo); resp.StatusCode != 403 {
			t.Errorf("upload as %s: %d, want 403", role, resp.StatusCode)
		}
	}
	t.Logf("photo %d bytes, stored %d (%s)", len(photo), att.Size, strconv.Itoa(len(photo)-att.Size)+" bytes of metadata stripped")
}
