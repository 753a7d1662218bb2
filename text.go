package gridmap

import (
	"fmt"
	"sort"
	"unicode"
	"unicode/utf8"
)

// Text that enters gridmap — a path, a query parameter, a JSON string, a
// CSV cell, a command-line flag — is checked where it enters with the rules
// below, so bad bytes are refused with a message naming the field instead
// of reaching PostgreSQL (which refuses NUL and invalid UTF-8 in text with
// an error a client cannot act on) or being stored mangled.

// Limits on text fields, in characters.
const (
	// MaxName bounds a one-line text: a name, a title, an actor, a
	// department, a contact.
	MaxName = 200
	// MaxText bounds a free text: a description, an attribute value.
	MaxText = 10000
)

// TextProblem says what is wrong with s as text of at most max characters
// (0: any length), "" when nothing. Text is valid UTF-8 without NUL and
// without U+FFFD (the replacement character: a JSON decoder turns invalid
// UTF-8 into it, so it marks bytes that were not text). A line (multiline
// false) holds no control character at all; multiline text may hold tabs
// and line breaks. The answer reads after the field's name: "description
// holds a NUL byte (U+0000)". It does not allocate when s is fine.
func TextProblem(s string, max int, multiline bool) string {
	n := 0
	for i := 0; i < len(s); n++ {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if !multiline || c != '\t' && c != '\n' && c != '\r' {
					return controlProblem(rune(c), multiline)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Sprintf("is not valid UTF-8 text (byte 0x%02X at byte offset %d); send UTF-8", s[i], i)
		case r == utf8.RuneError:
			return "holds U+FFFD, the replacement character, which marks bytes that were not valid UTF-8; send the text as UTF-8"
		case unicode.IsControl(r):
			return controlProblem(r, multiline)
		}
		i += size
	}
	if max > 0 && n > max {
		return fmt.Sprintf("is %d characters long; at most %d are allowed", n, max)
	}
	return ""
}

func controlProblem(r rune, multiline bool) string {
	if r == 0 {
		return "holds a NUL byte (U+0000), which text may not hold"
	}
	if multiline {
		return fmt.Sprintf("holds the control character U+%04X; text may hold tabs and line breaks but no other control character", r)
	}
	return fmt.Sprintf("holds the control character U+%04X; it must be one line of text without control characters", r)
}

// CheckText returns an EINVALID error naming field when s breaks the
// rules of TextProblem, nil otherwise.
func CheckText(field, s string, max int, multiline bool) error {
	if p := TextProblem(s, max, multiline); p != "" {
		return Errorf(EINVALID, "%s %s", field, p)
	}
	return nil
}

// CheckJSONText checks the strings of a decoded JSON value (attributes):
// object keys as lines of at most MaxName characters, string values as
// multiline text of at most MaxText, at any depth. Errors: EINVALID naming
// the path of the bad string, e.g. attributes.note or attributes.tags[2].
func CheckJSONText(field string, v any) error {
	switch v := v.(type) {
	case string:
		return CheckText(field, v, MaxText, true)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the first bad key named is the same every time
		for _, k := range keys {
			if p := TextProblem(k, MaxName, false); p != "" {
				return Errorf(EINVALID, "%s has a key that %s", field, p)
			}
			if err := CheckJSONText(field+"."+k, v[k]); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range v {
			if err := CheckJSONText(fmt.Sprintf("%s[%d]", field, i), x); err != nil {
				return err
			}
		}
	}
	return nil
}
