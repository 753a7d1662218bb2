package tests

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/media/mediatest"
)

// TestReadmeLayout (issue 12): the Layout section of README.md names every
// folder of Go code (a line starting with its path, or with a parent
// folder's path followed by "/"), with what it owns.
func TestReadmeLayout(t *testing.T) {
	root := ".."
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no ## Layout section")
	}
	if i := strings.Index(layout, "\n## "); i >= 0 {
		layout = layout[:i]
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9_/]*?)/?\s{2,}\S`).FindAllStringSubmatch(layout, -1) {
		named[m[1]] = true
	}
	dirs := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			if dir, _ := filepath.Rel(root, filepath.Dir(path)); dir != "." {
				dirs[filepath.ToSlash(dir)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range dirs {
		ok := named[dir]
		for p := dir; !ok && strings.Contains(p, "/"); {
			p = p[:strings.LastIndex(p, "/")]
			ok = named[p] && regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(p)+`/\s`).MatchString(layout)
		}
		if !ok {
			t.Errorf("README.md's Layout does not name %s: add a line saying what it owns", dir)
		}
	}
}

// TestReadmeExamples (issue 12): the shell examples of the README's
// Incidents, Open311, Plans, Attachments and Work logs sections work as written — tokens made with the
// binary, every curl answered 2xx — against a server as `gridmap serve`
// wires it (the incident example once had no Authorization header: 401).
// Only the address, the binary's path and the database URL are replaced.
func TestReadmeExamples(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("GRIDMAP_TESTDB") == "true" {
			t.Fatal("the README's examples need curl (make test installs it with apt-get: apt-get install curl)")
		}
		t.Skip("the README's examples need curl (Debian: apt-get install curl)")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, sec := range []string{"\n### Incidents\n", "\n### Open311\n", "\n### Plans: redrawing boundaries\n", "\n### Attachments\n", "\n### Roster\n", "\n### Work logs and patrol\n"} {
		_, body, ok := strings.Cut(string(readme), sec)
		if !ok {
			t.Fatalf("README.md has no section %q", strings.TrimSpace(sec))
		}
		if i := strings.Index(body, "\n#"); i >= 0 {
			body = body[:i]
		}
		for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(body, -1) {
			blocks = append(blocks, m[1])
		}
	}
	script := strings.Join(blocks, "\n")
	if strings.Count(script, "curl ") < 1 {
		t.Fatalf("found %d curl examples in the Incidents, Open311 and Plans sections:\n%s", strings.Count(script, "curl "), script)
	}
	url := demoDB(t)
	srv, _, _ := authInstance(t, url, httpapi.Config{})
	script = strings.NewReplacer("http://127.0.0.1:8080", srv.URL, "localhost:8080", srv.URL, "bin/gridmap", gridmapCommand(t),
		"$(scripts/db.sh start .data/pg 55432)", "'"+url+"'").Replace(script)
	// Each curl also prints its status on a line of its own.
	prelude := "set -e\ncurl() { command curl -sS -w '\\nREADME_STATUS=%{http_code}\\n' \"$@\"; }\n"
	// The attachment examples read photo.jpg and write files: in a
	// folder of their own.
	cmd := exec.Command("bash", "-c", prelude+script)
	cmd.Dir = t.TempDir()
	photo := mediatest.JPEG(640, 480, mediatest.EXIF{Time: "2026:11:25 09:30:00", Offset: "+08:00", Lon: 116.81, Lat: 35.55})
	if err := os.WriteFile(filepath.Join(cmd.Dir, "photo.jpg"), photo, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the examples fail: %v\n%s", err, out)
	}
	statuses := regexp.MustCompile(`README_STATUS=(\d+)`).FindAllStringSubmatch(string(out), -1)
	// Every curl whose answer is shown (not read by $(…)) prints a status.
	if shown := len(regexp.MustCompile(`(?m)^curl `).FindAllString(script, -1)); len(statuses) < shown {
		t.Fatalf("%d answers seen:\n%s", len(statuses), out)
	}
	for _, s := range statuses {
		if !strings.HasPrefix(s[1], "2") {
			t.Errorf("an example answered %s:\n%s", s[1], out)
			break
		}
	}
	if b, err := os.ReadFile(filepath.Join(cmd.Dir, "photo-stripped.jpg")); err != nil || len(b) == 0 || strings.Contains(string(b), "Exif\x00\x00") {
		t.Errorf("the attachment example's download: %d bytes, %v, or it has EXIF", len(b), err)
	}
}
