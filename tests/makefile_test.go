package tests

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestMakeRunAddr: make run serves where GRIDMAP_ADDR says, and make run
// ADDR=… wins over it (make -n prints the commands without running them).
func TestMakeRunAddr(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{name: "default", want: "serve --addr 127.0.0.1:8080"},
		{name: "GRIDMAP_ADDR", env: []string{"GRIDMAP_ADDR=127.0.0.1:18473"}, want: "serve --addr 127.0.0.1:18473"},
		{name: "ADDR", args: []string{"ADDR=127.0.0.1:18474"}, want: "serve --addr 127.0.0.1:18474"},
		{name: "ADDR over GRIDMAP_ADDR", env: []string{"GRIDMAP_ADDR=127.0.0.1:18473"}, args: []string{"ADDR=127.0.0.1:18474"}, want: "serve --addr 127.0.0.1:18474"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("make", append([]string{"-n", "-C", "..", "run"}, tt.args...)...)
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GRIDMAP_ADDR=") && !strings.HasPrefix(kv, "ADDR=") && !strings.HasPrefix(kv, "MAKEFLAGS=") {
					env = append(env, kv)
				}
			}
			cmd.Env = append(env, tt.env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n run: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("make -n run %v with %v does not %q:\n%s", tt.args, tt.env, tt.want, out)
			}
		})
	}
}

// TestMakeTestFuzzBoundedByInputs: make test fuzzes a number of inputs per
// target, never for a time, so a busy machine cannot fail it (the fuzzer
// reports a baseline pass that outlasts -fuzztime 5s as a failure).
func TestMakeTestFuzzBoundedByInputs(t *testing.T) {
	b, err := os.ReadFile("../scripts/test.sh")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)then fuzztime=(\S+); fi`)
	m := re.FindSubmatch(b)
	if m == nil {
		t.Fatal("scripts/test.sh sets no default fuzztime")
	}
	if !regexp.MustCompile(`^[0-9]+x$`).Match(m[1]) {
		t.Errorf("make test fuzzes for %s: want a number of inputs such as 2000x", m[1])
	}
	cmd := exec.Command("../scripts/test.sh")
	cmd.Env = append(os.Environ(), "GRIDMAP_FUZZTIME=5s", "GRIDMAP_TEST_PORT=1") // refused before any cluster starts
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "make fuzz FUZZTIME=5s") {
		t.Errorf("scripts/test.sh with GRIDMAP_FUZZTIME=5s: %v\n%s", err, out)
	}
}
