package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/internal/testdb"
)

// TestServePortTaken: a taken address is refused before anything says
// "serving", and the error says how to choose another.
func TestServePortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Never reached: the address is checked first.
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"serve", "--addr", l.Addr().String()}, &out, &errOut)
	if err == nil {
		t.Fatal("serve on a taken address succeeded")
	}
	for _, want := range []string{l.Addr().String(), "already in use", "GRIDMAP_ADDR=", "--addr", "make run ADDR="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(errOut.String()+out.String(), "serving") {
		t.Errorf("said serving on a taken address:\n%s%s", out.String(), errOut.String())
	}
}

// TestServePrintsNext: once bound, serve tells a newcomer the URLs of the
// wall map and the editor, the database, and how to make a token; the URLs
// answer.
func TestServePrintsNext(t *testing.T) {
	url := testdb.URL(t)
	t.Setenv("DATABASE_URL", url)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
		done <- err
	}()
	defer func() {
		cancel()
		go io.Copy(io.Discard, pr)
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var text strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		text.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "token create") {
			break
		}
	}
	out := text.String()
	base := ""
	if _, rest, ok := strings.Cut(out, "serving on "); ok {
		base, _, _ = strings.Cut(rest, "\n")
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("no bound URL in:\n%s", out)
	}
	for _, want := range []string{
		"wall map:  " + base + "/\n",
		"editor:    " + base + "/editor\n",
		"case desk: " + base + "/desk\n",
		"roster:    " + base + "/roster\n",
		"ranking:   " + base + "/ranking\n",
		"reports:   " + base + "/reports\n",
		"field app: " + base + "/field (phones",
		"DATABASE_URL='" + url + "'",
		"token create --role admin --name",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, path := range []string{"/", "/editor", "/desk", "/roster", "/healthz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// The pages answer 503 when static/dist was not built.
		if resp.StatusCode != 200 && !(path != "/healthz" && resp.StatusCode == 503) {
			t.Errorf("GET %s: %s", path, resp.Status)
		}
	}
}
