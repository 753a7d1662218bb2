package postgis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridmap/gridmap"
)

// Options are the settings of OpenWith beyond the primary's URL.
type Options struct {
	// ReadURLs are streaming standbys of the primary. Reads that may go
	// to a standby (Store.read) use one that has replayed the primary's
	// WAL up to where it was when the read began; otherwise the primary.
	ReadURLs []string
	// MaxLag is how far (in time) a standby may fall behind the primary
	// before it is left for the primary until it catches up (default 5 s).
	MaxLag time.Duration
	// ListenURL, when set, is a direct connection to the primary for the
	// change feed's LISTEN (behind PgBouncer in transaction mode a LISTEN
	// through the pooler hears nothing).
	ListenURL string
}

// Tuning of the replica reads.
const (
	// replicaCheckEvery is how often each standby's replay position and
	// the primary's WAL position are compared.
	replicaCheckEvery = 500 * time.Millisecond
	// catchUpWait bounds how long a read waits for a standby to replay up
	// to the primary's position before it goes to the primary instead.
	catchUpWait = 250 * time.Millisecond
)

// replica is one standby and what the checks last found.
type replica struct {
	name string // host:port, without credentials
	pool *pgxpool.Pool
	// up: reachable, in recovery, and within MaxLag. problem says why not.
	up      atomic.Bool
	problem atomic.Pointer[string]
	// replayed is the last replay position seen (WAL byte position).
	replayed atomic.Uint64
	lag      atomic.Int64 // ns behind the primary at the last check
	reads    atomic.Int64 // reads served
	// samples are primary WAL positions not yet replayed here, oldest
	// first: the lag is the age of the oldest (only the checker writes).
	samples []lsnSample
}

type lsnSample struct {
	at  time.Time
	lsn uint64
}

// ReplicaStats describe one standby for /readyz and /metrics.
type ReplicaStats struct {
	Name string
	// Up says reads may go to it; Problem says why not.
	Up      bool
	Problem string
	// Lag is how long the oldest change it has not replayed is waiting.
	Lag   time.Duration
	Reads int64
}

// Replicas returns the state of every standby, in the order configured,
// and how many reads that could have gone to a standby went to the
// primary instead.
func (s *Store) Replicas() (rs []ReplicaStats, primaryReads int64) {
	for _, r := range s.replicas {
		st := ReplicaStats{Name: r.name, Up: r.up.Load(), Lag: time.Duration(r.lag.Load()), Reads: r.reads.Load()}
		if p := r.problem.Load(); p != nil {
			st.Problem = *p
		}
		rs = append(rs, st)
	}
	return rs, s.primaryReads.Load()
}

func openReplicas(ctx context.Context, urls []string) ([]*replica, error) {
	var out []*replica
	for _, u := range urls {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			closeReplicas(out)
			return nil, fmt.Errorf("GRIDMAP_READ_DATABASE_URL: %q is not a valid PostgreSQL URL: %v", redact(u), err)
		}
		if cfg.MaxConns < 8 {
			cfg.MaxConns = 8 // as the primary's pool (Open)
		}
		// Lazy: a standby down at start is checked again, not fatal.
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			closeReplicas(out)
			return nil, fmt.Errorf("postgis.Open: replica %s: %w", redact(u), err)
		}
		r := &replica{name: fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port), pool: pool}
		msg := "not checked yet"
		r.problem.Store(&msg)
		out = append(out, r)
	}
	return out, nil
}

func closeReplicas(rs []*replica) {
	for _, r := range rs {
		r.pool.Close()
	}
}

// redact drops the password from a URL for messages.
func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(unparsable URL)"
}

// checkReplicas compares every standby with the primary until done.
func (s *Store) checkReplicas() {
	defer s.wg.Done()
	t := time.NewTicker(replicaCheckEvery)
	defer t.Stop()
	for {
		s.checkReplicasOnce()
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

func (s *Store) checkReplicasOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	primary, err := s.primaryLSN(ctx)
	now := time.Now()
	for _, r := range s.replicas {
		if err != nil {
			// Without the primary's position no standby can be trusted
			// to be current; reads fail over to the primary anyway.
			r.setDown("the primary's WAL position could not be read")
			continue
		}
		r.check(ctx, primary, now, s.maxLag, s.log)
	}
}

// check reads r's replay position and updates its state.
func (r *replica) check(ctx context.Context, primary uint64, now time.Time, maxLag time.Duration, log *slog.Logger) {
	var inRecovery bool
	var replay *string
	err := r.pool.QueryRow(ctx, `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text`).Scan(&inRecovery, &replay)
	switch {
	case err != nil:
		r.setDown("unreachable")
		return
	case !inRecovery || replay == nil:
		r.setDown("not a standby (not in recovery): its data cannot be compared with the primary's")
		return
	}
	lsn, err := parseLSN(*replay)
	if err != nil {
		r.setDown("unreadable replay position")
		return
	}
	r.replayed.Store(lsn)
	r.samples = append(r.samples, lsnSample{now, primary})
	i := 0
	for i < len(r.samples) && r.samples[i].lsn <= lsn {
		i++
	}
	r.samples = r.samples[i:]
	var lag time.Duration
	if len(r.samples) > 0 {
		lag = now.Sub(r.samples[0].at)
	}
	r.lag.Store(int64(lag))
	if lag > maxLag {
		r.setDown(fmt.Sprintf("lagging %s behind the primary (bound %s)", lag.Round(time.Millisecond), maxLag))
		return
	}
	r.problem.Store(nil)
	if r.up.CompareAndSwap(false, true) {
		log.Info("read replica in use", "replica", r.name)
	}
}

// setDown is the checker's: reads leave r until a check finds it well.
func (r *replica) setDown(why string) {
	r.samples = r.samples[:0]
	r.problem.Store(&why)
	r.up.Store(false)
}

// primaryLSN returns the primary's WAL write position. A transaction
// committed (synchronously, as gridmap's writes are) before the call has
// its commit record written below it, so a standby that has replayed up to
// it sees them all. Not the insert position: at a page boundary that one
// points past the page header, where an idle standby's replay never gets.
func (s *Store) primaryLSN(ctx context.Context) (uint64, error) {
	var t string
	if err := s.pool.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&t); err != nil {
		return 0, err
	}
	return parseLSN(t)
}

// parseLSN reads a pg_lsn ("16/B374D848") as a byte position.
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("bad LSN %q", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad LSN %q", s)
	}
	return h<<32 | l, nil
}

// pickReplica returns a standby that is up and has replayed everything
// the primary had written when the call began (waiting up to
// catchUpWait), or nil: read from the primary. A read on what it returns
// therefore sees every write committed before the read began, on any
// instance: a writer's next read sees its write, and the change feed
// never reads a snapshot older than the notice it follows.
func (s *Store) pickReplica(ctx context.Context) *replica {
	n := len(s.replicas)
	if n == 0 {
		return nil
	}
	var up []*replica
	start := int(s.nextReplica.Add(1))
	for i := range n {
		if r := s.replicas[(start+i)%n]; r.up.Load() {
			up = append(up, r)
		}
	}
	if len(up) == 0 {
		return nil
	}
	target, err := s.primaryLSN(ctx)
	if err != nil {
		return nil // the primary's own error comes from the read
	}
	wait := 1 * time.Millisecond
	deadline := time.Now().Add(catchUpWait)
	for {
		for _, r := range up {
			if r.replayed.Load() >= target {
				return r
			}
		}
		alive := up[:0]
		for _, r := range up {
			var t string
			err := r.pool.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&t)
			if err != nil {
				if ctx.Err() == nil {
					r.leave(s.log, err) // gone since the last check: no waiting on it
				}
				continue
			}
			alive = append(alive, r)
			if lsn, err := parseLSN(t); err == nil {
				if lsn > r.replayed.Load() {
					r.replayed.Store(lsn)
				}
				if lsn >= target {
					return r
				}
			}
		}
		up = alive
		if len(up) == 0 || time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
		wait = min(wait*2, 32*time.Millisecond)
	}
}

// delivered marks an error after a read had handed rows to its caller:
// it is not run again on the primary (the caller would see rows twice).
// A read that can go on from where it stopped says how in resume.
type delivered struct {
	err    error
	resume func(p *pgxpool.Pool) error
}

func (d delivered) Error() string { return d.err.Error() }

// read runs fn on a current standby (see pickReplica) or the primary. A
// standby that fails under fn (stopped, restarting) is left and fn runs on
// the primary, so a stopped standby fails no request, unless fn had
// already delivered rows (it wraps its error in delivered). A read the
// standby cancelled for a recovery conflict is repeated on the primary too.
func (s *Store) read(ctx context.Context, fn func(p *pgxpool.Pool) error) error {
	r := s.pickReplica(ctx)
	if r == nil {
		if len(s.replicas) > 0 {
			s.primaryReads.Add(1)
		}
		return unwrapDelivered(fn(s.pool))
	}
	err := fn(r.pool)
	var d delivered
	if errors.As(err, &d) {
		if d.resume == nil || ctx.Err() != nil || !standbyFailed(d.err) {
			r.reads.Add(1)
			return d.err
		}
		s.leaveFailed(r, d.err)
		s.primaryReads.Add(1)
		return unwrapDelivered(d.resume(s.pool))
	}
	if err == nil || ctx.Err() != nil || !standbyFailed(err) {
		r.reads.Add(1)
		return err
	}
	s.leaveFailed(r, err)
	s.primaryReads.Add(1)
	return unwrapDelivered(fn(s.pool))
}

// standbyFailed reports whether err is the standby's failure rather than
// the read's: a broken connection, or a read cancelled for a conflict with
// recovery (replayed vacuum), which the primary would answer.
func standbyFailed(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "40001" || isConnErr(err) || gridmap.ErrorCode(err) == gridmap.EUNAVAILABLE
}

// leaveFailed leaves r after a failed read, unless it was a recovery
// conflict: the standby itself is well then.
func (s *Store) leaveFailed(r *replica, err error) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "40001" {
		r.leave(s.log, err)
	}
}

// leave stops reads going to r after one failed until the next check
// finds it well again.
func (r *replica) leave(log *slog.Logger, err error) {
	if r.up.CompareAndSwap(true, false) {
		why := "failed a read: " + err.Error()
		r.problem.Store(&why)
		log.Warn("read replica failed a read; reading from the primary until it answers again", "replica", r.name, "err", err)
	}
}

func unwrapDelivered(err error) error {
	var d delivered
	if errors.As(err, &d) {
		return d.err
	}
	return err
}
