package gridmap_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The direction of dependencies between the packages (DESIGN.md, "Shape of
// the code"), checked on what `go list` says: every package of the module
// with its test variants, and each one's transitive dependencies.

const module = "github.com/gridmap/gridmap/"

// purePkgs depend on no storage, no HTTP and no wiring: they import
// neither postgis nor httpapi nor internal/app, nor anything that does.
// live and intake are built on other branches: until they exist, go list
// does not list them and nothing is checked for them (the test logs it);
// once merged they are held to the rule with no change here.
var purePkgs = []string{"geo", "tiles", "heat", "plan", "live", "intake", "media", "indicators", "report"}

// notFromPure are what purePkgs must not depend on.
var notFromPure = []string{"postgis", "httpapi", "internal/app"}

// apart are pairs that do not know about each other: the first must not
// depend on the second.
var apart = [][2]string{{"postgis", "httpapi"}, {"httpapi", "postgis"}}

// wiring is the composition root: only the binaries (cmd/...) and the
// end-to-end tests (tests) may depend on it.
const wiring = "internal/app"

// mustExist are the packages the rules are about that are on every branch:
// if one is renamed or moved, the rules would check nothing for it.
var mustExist = []string{"geo", "tiles", "heat", "plan", "postgis", "httpapi", "internal/app", "tests"}

// listedPkg is the part of `go list -json` the rules read.
type listedPkg struct {
	ImportPath string
	ForTest    string   // for a test variant: the package under test
	Deps       []string // transitive
}

// shortName is the package path inside the module, without the test
// variant's " [x.test]": "geo" for geo, its test variant and geo_test.
func shortName(p string) string {
	p, _, _ = strings.Cut(p, " ")
	return strings.TrimPrefix(p, module)
}

// owner is the package the entry's code belongs to: a test variant or an
// external test package (geo_test) counts as the package it tests.
func owner(p listedPkg) string {
	if p.ForTest != "" {
		return shortName(p.ForTest)
	}
	return shortName(p.ImportPath)
}

// depViolations returns one line per broken rule.
func depViolations(pkgs []listedPkg) []string {
	var bad []string
	for _, p := range pkgs {
		if strings.HasSuffix(p.ImportPath, ".test") {
			continue // the generated main of a test binary
		}
		who := owner(p)
		deps := map[string]bool{}
		for _, d := range p.Deps {
			deps[shortName(d)] = true
		}
		if slices.Contains(purePkgs, who) {
			for _, n := range notFromPure {
				if deps[n] {
					bad = append(bad, p.ImportPath+" depends on "+n+": "+who+" is pure (no storage, HTTP or wiring)")
				}
			}
		}
		for _, a := range apart {
			if who == a[0] && deps[a[1]] {
				bad = append(bad, p.ImportPath+" depends on "+a[1]+": "+a[0]+" and "+a[1]+" do not know about each other")
			}
		}
		if deps[wiring] && who != wiring && who != "tests" && !strings.HasPrefix(who, "cmd/") {
			bad = append(bad, p.ImportPath+" depends on "+wiring+": only cmd/... and tests may")
		}
	}
	return bad
}

// goList runs `go list -test -json ./...` in the module root.
func goList(tb testing.TB) []listedPkg {
	tb.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("go", "list", "-test", "-json", "./...")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			tb.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestDependencyDirection checks the module as it is.
func TestDependencyDirection(t *testing.T) {
	pkgs := goList(t)
	have := map[string]bool{}
	for _, p := range pkgs {
		have[shortName(p.ImportPath)] = true
	}
	for _, n := range mustExist {
		if !have[n] {
			t.Errorf("package %s is not in the module: the dependency rules name it, update them", n)
		}
	}
	for _, n := range purePkgs {
		if !have[n] {
			t.Logf("package %s does not exist (yet): nothing checked for it", n)
		}
	}
	for _, v := range depViolations(pkgs) {
		t.Error(v)
	}
}

// TestDependencyRulesCatch feeds the rules a made-up module that breaks
// each of them once, and one that keeps them.
func TestDependencyRulesCatch(t *testing.T) {
	m := func(names ...string) []string {
		for i, n := range names {
			names[i] = module + n
		}
		return names
	}
	for _, c := range []struct {
		name string
		pkg  listedPkg
		bad  bool
	}{
		{"geo imports postgis", listedPkg{ImportPath: module + "geo", Deps: m("postgis")}, true},
		{"heat reaches httpapi through another package", listedPkg{ImportPath: module + "heat", Deps: m("geo", "httpapi")}, true},
		{"live imports internal/app", listedPkg{ImportPath: module + "live", Deps: m("internal/app")}, true},
		{"intake imports postgis", listedPkg{ImportPath: module + "intake", Deps: m("postgis")}, true},
		{"geo's external tests import postgis",
			listedPkg{ImportPath: module + "geo_test [" + module + "geo.test]", ForTest: module + "geo", Deps: m("postgis [" + module + "geo.test]")}, true},
		{"postgis imports httpapi", listedPkg{ImportPath: module + "postgis", Deps: m("httpapi")}, true},
		{"httpapi imports postgis", listedPkg{ImportPath: module + "httpapi", Deps: m("postgis")}, true},
		{"httpapi imports internal/app", listedPkg{ImportPath: module + "httpapi", Deps: m("internal/app")}, true},
		{"cmd/gridmap imports internal/app", listedPkg{ImportPath: module + "cmd/gridmap", Deps: m("internal/app", "postgis", "httpapi")}, false},
		{"tests import internal/app", listedPkg{ImportPath: module + "tests [" + module + "tests.test]", ForTest: module + "tests", Deps: m("internal/app")}, false},
		{"heat imports geo", listedPkg{ImportPath: module + "heat", Deps: m("geo")}, false},
		{"postgis imports geo and plan", listedPkg{ImportPath: module + "postgis", Deps: m("geo", "plan")}, false},
		{"a test main", listedPkg{ImportPath: module + "geo.test", Deps: m("postgis")}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := depViolations([]listedPkg{c.pkg})
			if (len(v) > 0) != c.bad {
				t.Errorf("violations %q, want some: %v", v, c.bad)
			}
		})
	}
}
