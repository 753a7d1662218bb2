package postgis

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
)

// GridsChannel is the NOTIFY channel on which every change to grid versions
// or members is announced (see migration 00002); the payload is the new data
// version.
const GridsChannel = gridmap.GridsChannel

// The listener is live's change feed.
var _ gridmap.ChangeFeed = (*Listener)(nil)

// Listener holds one connection in LISTEN on every channel subscribed to
// (GridsChannel, IncidentsChannel, TokensChannel), with one reconnect loop
// for them all.
type Listener struct {
	pool *pgxpool.Pool
	// url, when set, is a direct connection to listen on instead of one
	// of the pool's (Options.ListenURL).
	url     string
	mu      sync.Mutex
	subs    []subscription
	started bool
}

type subscription struct {
	channel string
	fn      func(payload string)
}

// NewListener returns a listener on the store's database. Subscribe to it,
// then Run it.
func (s *Store) NewListener() *Listener { return &Listener{pool: s.pool, url: s.listenURL} }

// Subscribe calls fn(payload) for every notification on channel from any
// instance, and fn("") after every (re)subscription, the first included, so
// the subscriber catches up on any change it missed while the connection
// was down. fn runs on the listener's goroutine: keep it short or hand off.
// Subscribe before Run.
func (l *Listener) Subscribe(channel string, fn func(payload string)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		panic("postgis: Listener.Subscribe after Run")
	}
	l.subs = append(l.subs, subscription{channel, fn})
}

// Run listens until ctx ends. When the connection breaks (database restart)
// it reconnects with backoff, and once subscribed again calls every
// subscriber with "".
func (l *Listener) Run(ctx context.Context) {
	l.mu.Lock()
	l.started = true
	subs := l.subs
	l.mu.Unlock()
	const maxBackoff = 5 * time.Second
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if subscribed := l.listenOnce(ctx, subs); subscribed {
			backoff = 100 * time.Millisecond
		}
		// A broken connection (or ctx ended); try again.
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listenOnce listens on one connection until it breaks; subscribed says
// whether it got as far as LISTENing.
func (l *Listener) listenOnce(ctx context.Context, subs []subscription) (subscribed bool) {
	conn, err := l.connect(ctx)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	var stmts []string
	seen := map[string]bool{}
	for _, s := range subs {
		if !seen[s.channel] {
			seen[s.channel] = true
			stmts = append(stmts, "LISTEN "+pgx.Identifier{s.channel}.Sanitize())
		}
	}
	if _, err := conn.Exec(ctx, strings.Join(stmts, "; ")); err != nil {
		return false
	}
	for _, s := range subs {
		s.fn("")
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		for _, s := range subs {
			if s.channel == n.Channel {
				s.fn(n.Payload)
			}
		}
	}
}

// connect opens the listening connection: on its own URL when one is set,
// else one taken from the pool for good (a LISTENing connection must not
// go back to the pool).
func (l *Listener) connect(ctx context.Context) (*pgx.Conn, error) {
	if l.url != "" {
		return pgx.Connect(ctx, l.url)
	}
	pc, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return pc.Hijack(), nil
}
