package main

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// TestTokenCommand creates, lists and revokes tokens through the CLI: the
// token is alone on the last line of create's output, the database keeps
// only its hash, revoke takes the id or the token itself.
func TestTokenCommand(t *testing.T) {
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	out, errOut, err := runCmd(t, "token", "create", "--role", "reporter", "--name", "12345 热线")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	tok := lines[len(lines)-1]
	id, secret, ok := gridmap.ParseToken(tok)
	if !ok {
		t.Fatalf("the last line %q is not a token:\n%s", tok, out)
	}
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts, err := st.Tokens(context.Background())
	if err != nil || len(ts) != 1 || ts[0].ID != id || ts[0].Role != gridmap.RoleReporter || ts[0].Name != "12345 热线" {
		t.Fatalf("stored tokens %+v (%v)", ts, err)
	}
	if string(ts[0].Hash) == secret || strings.Contains(string(ts[0].Hash), secret) {
		t.Fatal("the secret is stored in plain text")
	}
	if string(ts[0].Hash) != string(gridmap.HashTokenSecret(secret)) {
		t.Fatal("the stored hash is not the SHA-256 of the secret")
	}

	out, _, err = runCmd(t, "token", "list")
	if err != nil || !strings.Contains(out, "12345 热线") || strings.Contains(out, secret) {
		t.Fatalf("token list: %v\n%s", err, out)
	}
	// A second token, revoked by the token itself; the first by id.
	out2, _, err := runCmd(t, "token", "create", "--role", "viewer", "--name", "大屏")
	if err != nil {
		t.Fatal(err)
	}
	tok2 := strings.TrimSpace(out2[strings.LastIndex(strings.TrimRight(out2, "\n"), "\n"):])
	for _, arg := range []string{strconv.FormatInt(id, 10), tok2} {
		if out, errOut, err := runCmd(t, "token", "revoke", arg); err != nil || !strings.Contains(out, "revoked") {
			t.Fatalf("token revoke %s: %v\n%s%s", arg, err, out, errOut)
		}
	}
	ts, _ = st.Tokens(context.Background())
	for _, x := range ts {
		if x.RevokedAt == nil {
			t.Errorf("token %d not revoked", x.ID)
		}
	}

	for _, args := range [][]string{
		{"token", "create", "--role", "boss", "--name", "x"},
		{"token", "create", "--role", "viewer"},
		{"token", "create", "--role", "viewer", "--name", "x", "--grid", "37081200100101"},
		{"token", "create", "--role", "reporter", "--name", "x", "--grid", "nope"},
		{"token", "revoke", "99999"},
		{"token", "revoke", "gm_bad"},
		{"token"},
	} {
		if _, _, err := runCmd(t, args...); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

// TestTokenCommandBadName: a name (or grid) that is not one line of text
// is refused naming the flag, and nothing is stored (issue 12); the store
// refuses it too.
func TestTokenCommandBadName(t *testing.T) {
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	for _, c := range []struct{ flag, value string }{
		{"--name", "a\x00b"}, {"--name", "\xC3\x28"}, {"--name", "two\nlines"}, {"--name", strings.Repeat("名", 201)},
		{"--grid", "37081200100101\x00"},
	} {
		args := []string{"token", "create", "--role", "reporter", "--name", "王演示"}
		if c.flag == "--name" {
			args[5] = c.value
		} else {
			args = append(args, c.flag, c.value)
		}
		_, errOut, err := runCmd(t, args...)
		if gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(errOut, c.flag+" ") {
			t.Errorf("token create %s %q: %v\n%s; want EINVALID naming %s", c.flag, c.value, err, errOut, c.flag)
		}
	}
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ts, err := st.Tokens(context.Background()); err != nil || len(ts) != 0 {
		t.Errorf("stored tokens after refusals: %+v %v", ts, err)
	}
	if _, _, err := st.CreateToken(context.Background(), "a\x00b", gridmap.RoleViewer, ""); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("the store took a NUL in a token name: %v", err)
	}
}

// TestTokenCommandDepartment: a department token names its department
// (required for that role, refused for any other, checked against the
// department table); a dispatcher has none.
func TestTokenCommandDepartment(t *testing.T) {
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	out, errOut, err := runCmd(t, "token", "create", "--role", "department", "--department", "police", "--name", "派出所李演示")
	if err != nil || !strings.Contains(out, "department police") {
		t.Fatalf("token create --role department: %v\n%s%s", err, out, errOut)
	}
	if _, errOut, err := runCmd(t, "token", "create", "--role", "dispatcher", "--name", "指挥中心"); err != nil {
		t.Fatalf("token create --role dispatcher: %v\n%s", err, errOut)
	}
	for _, args := range [][]string{
		{"--role", "department", "--name", "x"},
		{"--role", "department", "--department", "nowhere", "--name", "x"},
		{"--role", "dispatcher", "--department", "police", "--name", "x"},
		{"--role", "department", "--department", "police", "--grid", "37081200100101", "--name", "x"},
	} {
		_, errOut, err := runCmd(t, append([]string{"token", "create"}, args...)...)
		if err == nil || !strings.Contains(err.Error()+errOut, "department") && !strings.Contains(err.Error()+errOut, "grid") {
			t.Errorf("token create %v: %v %s", args, err, errOut)
		}
	}
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts, err := st.Tokens(context.Background())
	if err != nil || len(ts) != 2 || ts[0].Role != gridmap.RoleDepartment || ts[0].Department != "police" ||
		ts[1].Role != gridmap.RoleDispatcher || ts[1].Department != "" {
		t.Fatalf("stored tokens %+v (%v)", ts, err)
	}
	// The store refuses what the command does, and the table too.
	if _, _, err := st.CreateTokenFor(context.Background(), gridmap.TokenSpec{Name: "x", Role: gridmap.RoleDepartment}); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Errorf("the store took a department token without a department: %v", err)
	}
	if _, err := st.Pool().Exec(context.Background(),
		`INSERT INTO api_token (name, role, secret_hash, department) VALUES ('x', 'viewer', $1, 'police')`, make([]byte, 32)); err == nil {
		t.Errorf("api_token took a viewer with a department")
	}
	out, _, _ = runCmd(t, "token", "list")
	if !strings.Contains(out, "DEPARTMENT") || !strings.Contains(out, "police") {
		t.Errorf("token list does not show the department:\n%s", out)
	}
}

// TestTokenQR prints a grid worker's sign-in link as a QR code: the link
// carries the token in its fragment, the terminal code is the link's
// (rendered again here from the link the command printed), the PNG is a
// 512-pixel image, and the token is still alone on the last line. --qr
// without --url is refused before any token is made.
func TestTokenQR(t *testing.T) {
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	if _, _, err := runCmd(t, "token", "create", "--role", "reporter", "--name", "王演示", "--qr"); err == nil || !strings.Contains(err.Error(), "--url") {
		t.Fatalf("--qr without --url: %v", err)
	}
	if _, _, err := runCmd(t, "token", "create", "--role", "reporter", "--name", "王演示", "--url", "grid.example.cn"); err == nil {
		t.Fatal("a --url without a scheme was taken")
	}
	file := filepath.Join(t.TempDir(), "qr.png")
	out, errOut, err := runCmd(t, "token", "create", "--role", "reporter", "--name", "王演示",
		"--url", "https://grid.example.cn/", "--qr", "--qr-png", file)
	if err != nil {
		t.Fatalf("token create --qr: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	tok := lines[len(lines)-1]
	if _, _, ok := gridmap.ParseToken(tok); !ok {
		t.Fatalf("the last line %q is not a token:\n%s", tok, out)
	}
	link := "https://grid.example.cn/field#token=" + tok
	if !strings.Contains(out, "sign-in link (keep it as secret as the token): "+link+"\n") {
		t.Errorf("no sign-in link %s in:\n%s", link, out)
	}
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	if code := q.ToSmallString(false); !strings.Contains(out, code) || !strings.ContainsAny(code, "█▀▄") {
		t.Errorf("the terminal QR code is not the link's:\n%s", out)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() != 512 || img.Bounds().Dy() != 512 {
		t.Errorf("the PNG: %v, %v", err, img)
	}
}
