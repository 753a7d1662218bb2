package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// commands returns the commands run dispatches, read from its switch in
// main.go, so a new command cannot be left out of the help.
func commands(tb testing.TB) (cmds []string, doc string) {
	tb.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments)
	if err != nil {
		tb.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "run" {
			continue
		}
		ast.Inspect(fn, func(n ast.Node) bool {
			cc, ok := n.(*ast.CaseClause)
			if !ok {
				return true
			}
			for _, e := range cc.List {
				if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					if s != "help" && !strings.HasPrefix(s, "-") {
						cmds = append(cmds, s)
					}
				}
			}
			return true
		})
	}
	if len(cmds) < 5 {
		tb.Fatalf("found only commands %v in run", cmds)
	}
	return cmds, f.Doc.Text()
}

// TestHelpListsEveryCommand: gridmap --help and the package doc name every
// command run accepts.
func TestHelpListsEveryCommand(t *testing.T) {
	cmds, doc := commands(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		if !strings.Contains(out.String(), "\n  "+c+" ") {
			t.Errorf("gridmap --help does not list %s:\n%s", c, out.String())
		}
		if !strings.Contains(doc, "gridmap "+c) {
			t.Errorf("the package doc does not show gridmap %s:\n%s", c, doc)
		}
	}
}
