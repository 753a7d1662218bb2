package httpapi

import (
	"net/http/httptest"
	"testing"
)

// TestClientAddr: X-Forwarded-For counts only from a trusted proxy, and
// then only its rightmost untrusted entry (what no client can forge).
func TestClientAddr(t *testing.T) {
	proxies, err := ParseProxies("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"127.0.0.1:5000", nil, "127.0.0.1"},
		{"127.0.0.1:5000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"127.0.0.1:5000", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},            // the client wrote the first
		{"127.0.0.1:5000", []string{"203.0.113.7, 10.1.2.3"}, "203.0.113.7"},                // two proxies
		{"127.0.0.1:5000", []string{"203.0.113.9", "203.0.113.7, 10.1.2.3"}, "203.0.113.7"}, // repeated headers
		{"127.0.0.1:5000", []string{"10.9.9.9"}, "10.9.9.9"},                                // all trusted: the farthest
		{"127.0.0.1:5000", []string{"not-an-ip"}, "127.0.0.1"},
		{"192.0.2.1:5000", []string{"203.0.113.7"}, "192.0.2.1"}, // not a proxy: header ignored
		{"[::ffff:127.0.0.1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := clientAddr(r, proxies); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
	if got := clientAddr(httptest.NewRequest("GET", "/", nil), nil); got != "192.0.2.1" {
		t.Errorf("no proxies: %s", got)
	}
	if _, err := ParseProxies("10.0.0.0/8, example.com"); err == nil {
		t.Error("ParseProxies accepted a host name")
	}
}
