package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReporterName(t *testing.T) {
	for _, c := range []struct{ name, first, last, want string }{
		{"Chinese: family name first, no space", "小明", "王", "王小明"},
		{"Latin", "Ada", "Lovelace", "Ada Lovelace"},
		{"first only", "小明", "", "小明"},
		{"last only", "", "王", "王"},
		{"none", "", "", ""},
	} {
		if got := reporterName(c.first, c.last); got != c.want {
			t.Errorf("%s: reporterName(%q, %q) = %q, want %q", c.name, c.first, c.last, got, c.want)
		}
	}
}

func TestOpen311English(t *testing.T) {
	for _, c := range []struct {
		name, query, accept string
		want, err           bool
	}{
		{"default Chinese", "", "", false, false},
		{"locale=en", "locale=en", "", true, false},
		{"locale=en-GB", "locale=en-GB", "zh-CN", true, false},
		{"locale=zh wins over Accept-Language", "locale=zh", "en", false, false},
		{"Accept-Language English first", "", "en-US,zh;q=0.8", true, false},
		{"Accept-Language Chinese first", "", "zh-CN,en;q=0.8", false, false},
		{"an unknown locale", "locale=fr", "", false, true},
	} {
		r := httptest.NewRequest("GET", "/open311/v2/services.json?"+c.query, nil)
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		got, err := open311English(r)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%s: %v, %v; want %v, error %v", c.name, got, err, c.want, c.err)
		}
	}
}

func TestOpen311Form(t *testing.T) {
	for _, c := range []struct {
		name  string
		form  map[string][]string
		field string // the field the error names; "" for none
	}{
		{"good", map[string][]string{"service_code": {"hazard"}, "description": {"a\nb"}}, ""},
		{"a line break in a name", map[string][]string{"first_name": {"a\nb"}}, "first_name"},
		{"a NUL", map[string][]string{"phone": {"1\x002"}}, "phone"},
		{"invalid UTF-8", map[string][]string{"description": {"\xff"}}, "description"},
		{"an unknown field", map[string][]string{"colour": {"red"}}, "colour"},
		{"a field twice", map[string][]string{"lat": {"1", "2"}}, "lat"},
		{"an attribute", map[string][]string{"attribute[x]": {"1"}}, "attribute[x]"},
		{"a media_url without a host", map[string][]string{"media_url": {"https:///a.jpg"}}, "media_url"},
	} {
		_, err := open311Form(c.form)
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (err == nil || !containsField(err, c.field)):
			t.Errorf("%s: %v; want an error naming %s", c.name, err, c.field)
		}
	}
}

func containsField(err error, field string) bool {
	return strings.Contains(err.Error(), field+":")
}
