package lru

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestGetBuildsOnceForConcurrentCallers(t *testing.T) {
	c := New[string, int](4, nil)
	var builds atomic.Int64
	release := make(chan struct{})
	build := func(context.Context) (int, error) {
		builds.Add(1)
		<-release
		return 7, nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.Get(context.Background(), "k", build); v != 7 || err != nil {
				t.Errorf("Get = %d, %v; want 7, nil", v, err)
			}
		}()
	}
	close(release)
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want once", n)
	}
}

func TestLeastRecentlyUsedOut(t *testing.T) {
	c := New[string, string](2, nil)
	built := map[string]int{}
	get := func(k string) {
		t.Helper()
		v, err := c.Get(context.Background(), k, func(context.Context) (string, error) { built[k]++; return k, nil })
		if v != k || err != nil {
			t.Fatalf("Get(%s) = %q, %v", k, v, err)
		}
	}
	get("a")
	get("b")
	get("a") // a is now the most recently used
	get("c") // b out
	get("a")
	get("b")
	if built["a"] != 1 || built["b"] != 2 || built["c"] != 1 {
		t.Errorf("builds %v, want a once, b twice (evicted), c once", built)
	}
	if n := c.Len(); n != 2 {
		t.Errorf("keeps %d, want 2", n)
	}
}

func TestFailuresAreNotKept(t *testing.T) {
	c := New[int, int](2, nil)
	boom := errors.New("boom")
	if _, err := c.Get(context.Background(), 1, func(context.Context) (int, error) { return 0, boom }); err != boom {
		t.Fatalf("err %v, want boom", err)
	}
	v, err := c.Get(context.Background(), 1, func(context.Context) (int, error) { return 3, nil })
	if v != 3 || err != nil {
		t.Errorf("after a failure Get = %d, %v; want a new build: 3, nil", v, err)
	}
}

func TestStaleIsBuiltAgain(t *testing.T) {
	var stale atomic.Bool
	c := New(2, func(k int, v int) bool { return stale.Load() })
	n := 0
	build := func(context.Context) (int, error) { n++; return n, nil }
	c.Get(context.Background(), 1, build)
	if v, _ := c.Get(context.Background(), 1, build); v != 1 {
		t.Errorf("fresh value built again: %d", v)
	}
	stale.Store(true)
	if v, _ := c.Get(context.Background(), 1, build); v != 2 {
		t.Errorf("stale value kept: %d, want 2", v)
	}
}

// A caller that gives up gets its context's error; the build goes on for
// the others and is kept.
func TestCallerGivesUpBuildGoesOn(t *testing.T) {
	c := New[int, int](2, nil)
	release := make(chan struct{})
	started := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, 1, func(bctx context.Context) (int, error) {
			close(started)
			<-release
			return 5, bctx.Err()
		})
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	close(release)
	v, err := c.Get(context.Background(), 1, func(context.Context) (int, error) { return 9, nil })
	if v != 5 || err != nil {
		t.Errorf("Get = %d, %v; want the first build's 5, nil", v, err)
	}
}

// Entries still building are not evicted (they would be built twice).
func TestInFlightNotEvicted(t *testing.T) {
	c := New[int, int](1, nil)
	release := make(chan struct{})
	started := make(chan struct{})
	done := make(chan int)
	go func() {
		v, _ := c.Get(context.Background(), 1, func(context.Context) (int, error) { close(started); <-release; return 1, nil })
		done <- v
	}()
	<-started
	c.Get(context.Background(), 2, func(context.Context) (int, error) { return 2, nil })
	close(release)
	<-done
	builds := 0
	v, _ := c.Get(context.Background(), 1, func(context.Context) (int, error) { builds++; return 10, nil })
	if v != 1 || builds != 0 {
		t.Errorf("the entry building while 2 came in was evicted: Get(1) = %d after %d builds", v, builds)
	}
}
