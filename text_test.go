package gridmap_test

import (
	"strings"
	"testing"

	"github.com/gridmap/gridmap"
)

func TestTextProblem(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		max       int
		multiline bool
		want      string // "" for fine, else part of the problem
	}{
		{"plain", "王演示 Grid-01", 200, false, ""},
		{"empty", "", 200, false, ""},
		{"multiline text", "line one\nline two\r\n\ttabbed", 0, true, ""},
		{"NUL", "a\x00b", 0, true, "NUL"},
		{"NUL in a line", "\x00", 200, false, "NUL"},
		{"invalid UTF-8", "\xC3\x28", 0, true, "not valid UTF-8"},
		{"lone continuation byte", "ok\x80", 0, false, "byte 0x80 at byte offset 2"},
		{"replacement character", "caf\uFFFD", 0, true, "U+FFFD"},
		{"bell", "ring\a", 0, true, "U+0007"},
		{"newline in a line", "two\nlines", 200, false, "U+000A"},
		{"tab in a line", "a\tb", 200, false, "U+0009"},
		{"DEL", "a\x7fb", 0, true, "U+007F"},
		{"C1 control", "a\u0085b", 0, true, "U+0085"},
		{"at the limit", strings.Repeat("格", 200), 200, false, ""},
		{"over the limit", strings.Repeat("格", 201), 200, false, "201 characters long; at most 200"},
		{"no limit", strings.Repeat("x", 100000), 0, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := gridmap.TextProblem(tc.in, tc.max, tc.multiline)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("TextProblem(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTextProblemAllocs(t *testing.T) {
	s := "王演示 Grid-01 " + strings.Repeat("x", 100)
	if n := testing.AllocsPerRun(100, func() { gridmap.TextProblem(s, gridmap.MaxName, false) }); n != 0 {
		t.Errorf("TextProblem of good text allocates %v times; the request fast paths call it", n)
	}
}

func TestCheckJSONText(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"fine", map[string]any{"note": "a\nb", "n": 1.0, "tags": []any{"x", true, nil}}, ""},
		{"NUL value", map[string]any{"note": "a\x00"}, "attributes.note holds a NUL"},
		{"NUL key", map[string]any{"a\x00": "x"}, "attributes has a key that holds a NUL"},
		{"nested", map[string]any{"tags": []any{"ok", map[string]any{"k": "\uFFFD"}}}, "attributes.tags[1].k holds U+FFFD"},
		{"newline in a key", map[string]any{"a\nb": 1.0}, "key that holds the control character U+000A"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := gridmap.CheckJSONText("attributes", tc.in)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (err == nil || gridmap.ErrorCode(err) != gridmap.EINVALID || !strings.Contains(gridmap.ErrorMessage(err), tc.want)):
				t.Errorf("error %v, want EINVALID with %q", err, tc.want)
			}
		})
	}
}
