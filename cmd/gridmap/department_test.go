package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/internal/testdb"
)

// TestDepartmentCommand adds, lists and retires a department's person
// through the CLI, and refuses bad flags before touching the database.
func TestDepartmentCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", testdb.URL(t))
	out, errOut, err := runCmd(t, "department", "members", "add", "--department", "police", "--name", "张警官", "--role", "head", "--phone", "139-0000-0000")
	if err != nil || !strings.Contains(out, "added to police") {
		t.Fatalf("add: %v\n%s%s", err, out, errOut)
	}
	id := regexp.MustCompile(`person (\d+)`).FindStringSubmatch(out)[1]
	out, _, err = runCmd(t, "department", "members", "list", "--department", "police")
	if err != nil || !strings.Contains(out, "张警官") || !strings.Contains(out, "139-0000-0000") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, errOut, err := runCmd(t, "department", "members", "retire", "--department", "police", id); err != nil || !strings.Contains(out, "retired") {
		t.Fatalf("retire: %v\n%s%s", err, out, errOut)
	}
	if out, _, _ := runCmd(t, "department", "members", "list"); strings.Contains(out, "张警官") {
		t.Errorf("list after the retirement:\n%s", out)
	}
	if out, _, _ := runCmd(t, "department", "members", "list", "--retired"); !strings.Contains(out, "张警官") {
		t.Errorf("list --retired:\n%s", out)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"bad role", []string{"add", "--department", "police", "--name", "王演示", "--role", "boss"}, "role"},
		{"NUL in name", []string{"add", "--department", "police", "--name", "王\x00", "--role", "staff"}, "name"},
		{"unknown department", []string{"add", "--department", "nope", "--name", "王演示", "--role", "staff"}, "nope"},
		{"retire twice", []string{"retire", "--department", "police", id}, "retired already"},
		{"retire without an id", []string{"retire", "--department", "police"}, "id"},
	} {
		_, _, err := runCmd(t, append([]string{"department", "members"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.want)
		}
	}
}
