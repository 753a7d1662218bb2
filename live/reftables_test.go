package live

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
)

// TestTTLValue: a value is read again only after the TTL, and while the
// database is unreachable the last good copy is served.
func TestTTLValue(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := ttlValue[int]{ttl: 10 * time.Second, now: func() time.Time { return now }}
	loads := 0
	var fail error
	load := func(context.Context) (int, error) {
		loads++
		if fail != nil {
			return 0, fail
		}
		return loads, nil
	}
	ctx := context.Background()
	down := gridmap.Errorf(gridmap.EUNAVAILABLE, "down")

	fail = down
	if _, err := v.get(ctx, load); gridmap.ErrorCode(err) != gridmap.EUNAVAILABLE {
		t.Fatalf("no copy yet and the database down: err %v, want EUNAVAILABLE", err)
	}
	fail = nil
	if got, err := v.get(ctx, load); got != 2 || err != nil {
		t.Fatalf("first read = %d, %v", got, err)
	}
	now = now.Add(9 * time.Second)
	if got, _ := v.get(ctx, load); got != 2 || loads != 2 {
		t.Errorf("within the TTL: %d after %d loads, want the copy (2) without a load", got, loads)
	}
	now = now.Add(time.Second)
	if got, _ := v.get(ctx, load); got != 3 {
		t.Errorf("after the TTL: %d, want a new read (3)", got)
	}
	now = now.Add(time.Minute)
	fail = down
	if got, err := v.get(ctx, load); got != 3 || err != nil {
		t.Errorf("database down: %d, %v; want the last good copy 3", got, err)
	}
	fail = errors.New("a bug")
	if _, err := v.get(ctx, load); err == nil {
		t.Errorf("another error is not hidden by the copy")
	}
}
