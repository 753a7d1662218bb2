package httpapi

import (
	"context"
	"sync"
	"testing"

	"github.com/gridmap/gridmap"
)

func TestMaskPhone(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"demo block", "199-0537-0007", "199-****-0007"},
		{"mobile", "13812345678", "138****5678"},
		{"spaced", "+86 138 1234 5678", "+86 1** **** 5678"},
		{"landline", "0537-3412345", "053*-***2345"},
		{"short", "12345", "***45"},
		{"empty", "", ""},
		{"extension", "0537-3412345转12", "053*-*****45*12"},
	} {
		if got := MaskPhone(c.in); got != c.want {
			t.Errorf("%s: MaskPhone(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"王演示0001", "王******"}, {"李演示", "李**"}, {"欧阳", "欧*"}, {"A", "A"}, {"", ""},
	} {
		if got := MaskName(c.in); got != c.want {
			t.Errorf("MaskName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseToken(t *testing.T) {
	secret, hash := gridmap.NewTokenSecret()
	tok := gridmap.FormatToken(42, secret)
	id, s, ok := gridmap.ParseToken(tok)
	if !ok || id != 42 || s != secret || string(gridmap.HashTokenSecret(s)) != string(hash) {
		t.Fatalf("ParseToken(%q) = %d, %q, %v", tok, id, s, ok)
	}
	for _, bad := range []string{"", "gm_", "gm_42", "gm_42_", "gm_0_" + secret, "gm_-1_" + secret, "gx_42_" + secret,
		"gm_42_" + secret + "x", "gm_99999999999999999999_" + secret, "gm_4 2_" + secret} {
		if _, _, ok := gridmap.ParseToken(bad); ok {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}

// tokenList is a TokenStore whose tokens a test adds to.
type tokenList struct {
	mu     sync.Mutex
	tokens []gridmap.Token
	reads  int
}

func (l *tokenList) Tokens(context.Context) ([]gridmap.Token, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	return append([]gridmap.Token(nil), l.tokens...), nil
}

// TestTokenCacheFindsNewToken: a token created after a miss reloaded the
// cache is found at once by the next request, not after the change feed
// or a second's wait (a token minted and used straight away was refused).
func TestTokenCacheFindsNewToken(t *testing.T) {
	store := &tokenList{tokens: []gridmap.Token{{ID: 1, Role: gridmap.RoleViewer}}}
	c := &tokenCache{store: store}
	ctx := context.Background()
	if _, ok, err := c.get(ctx, 2); ok || err != nil {
		t.Fatalf("unknown token 2: ok %v, err %v", ok, err)
	}
	store.mu.Lock()
	store.tokens = append(store.tokens, gridmap.Token{ID: 2, Role: gridmap.RoleReporter})
	store.mu.Unlock()
	tok, ok, err := c.get(ctx, 2)
	if !ok || err != nil || tok.Role != gridmap.RoleReporter {
		t.Fatalf("token 2 created after the last reload: %+v, ok %v, err %v", tok, ok, err)
	}
	if _, ok, _ := c.get(ctx, 1); !ok {
		t.Fatal("token 1 not found")
	}
	if store.reads != 2 {
		t.Errorf("%d reads of the store, want 2 (one per miss, none for a hit)", store.reads)
	}
}
