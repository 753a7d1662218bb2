package tests

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
