package postgis

import (
	"context"
	"strconv"
	"time"
)

// GridsChannel is the NOTIFY channel on which every change to grid versions
// or members is announced (see migration 00002); the payload is the new data
// version.
const GridsChannel = "gridmap_grids"

// ListenGrids calls onChange(version) whenever grids change on any
// instance, until ctx ends. It holds one pooled connection in LISTEN; when
// that connection breaks (database restart) it reconnects with backoff and
// calls onChange(0) once subscribed again, so the caller catches up on any
// change it missed. It also calls onChange(0) after the first subscription.
// onChange runs on the listener's goroutine: keep it short or hand off.
func (s *Store) ListenGrids(ctx context.Context, onChange func(version int64)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, onChange)
		if ctx.Err() != nil {
			return
		}
		_ = err // a broken connection; try again
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, onChange func(int64)) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection must not go back to the pool.
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+GridsChannel); err != nil {
		return err
	}
	onChange(0)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		v, _ := strconv.ParseInt(n.Payload, 10, 64)
		onChange(v)
	}
}
