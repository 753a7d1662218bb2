// Package postgis stores grids in PostgreSQL/PostGIS through pgx/v5. All SQL
// of the service lives here, as constants beside the method that runs it.
package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/migrations"
)

// Store is the PostGIS implementation of the root service interfaces. It is
// safe for concurrent use; it holds a connection pool and the goroutine
// that announces its incident writes (notifyIncidents).
type Store struct {
	pool *pgxpool.Pool
	// changed wakes the announcer; done stops it.
	changed chan struct{}
	done    chan struct{}
	stopped chan struct{}

	// replicas are the standbys reads may go to (replicas.go), checked
	// by a goroutine counted in wg.
	replicas     []*replica
	nextReplica  atomic.Uint64
	primaryReads atomic.Int64
	maxLag       time.Duration
	wg           sync.WaitGroup
	log          *slog.Logger
	// listenURL, when set, is the direct connection the Listener uses.
	listenURL string
}

// Open connects a pool to the database at url (a libpq URL or DSN). It does
// not migrate. Errors: EUNAVAILABLE when the database cannot be reached.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith is Open with read replicas and a listening connection of its
// own (see Options). A standby that cannot be reached at start is not an
// error: reads go to the primary until it answers.
func OpenWith(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, gridmap.Errorf(gridmap.EINVALID, "DATABASE_URL is not a valid PostgreSQL URL: %v", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	// Bulk imports stage rows in temporary tables; room for 200,000
	// incidents keeps the stage out of temporary files (allocated only by a
	// session that uses it, and settable only before its first temp table).
	if _, ok := cfg.ConnConfig.RuntimeParams["temp_buffers"]; !ok {
		cfg.ConnConfig.RuntimeParams["temp_buffers"] = "64MB"
	}
	// The incident trigger leaves the change notice of this pool's writes
	// to notifyIncidents (migration 00010).
	cfg.ConnConfig.RuntimeParams["gridmap.notify"] = "after_commit"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis.Open: %w", err)
	}
	s := &Store{pool: pool, changed: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{}),
		maxLag: o.MaxLag, log: slog.Default(), listenURL: o.ListenURL}
	if s.maxLag <= 0 {
		s.maxLag = 5 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pctx); err != nil {
		pool.Close()
		return nil, err
	}
	if s.replicas, err = openReplicas(ctx, o.ReadURLs); err != nil {
		pool.Close()
		return nil, err
	}
	go s.announce()
	if len(s.replicas) > 0 {
		s.wg.Add(1)
		go s.checkReplicas()
	}
	return s, nil
}

// Close stops the announcer (after a last notice when one is due) and
// closes the pool.
func (s *Store) Close() {
	close(s.done)
	<-s.stopped
	s.wg.Wait()
	closeReplicas(s.replicas)
	s.pool.Close()
}

// notifyIncidents says that incident rows were committed: the announcer
// sends one NOTIFY on IncidentsChannel for every burst of calls, each
// after the call. A NOTIFY inside the writing transaction would hold
// PostgreSQL's global notify lock through that transaction's commit flush,
// serialising every writer (single posts at 400/s where plain inserts do
// several thousand); sent alone, with synchronous_commit off, it holds it
// for microseconds. The data is durable before the notice: a notice lost
// in a crash loses nothing, as listeners reload on reconnecting.
func (s *Store) notifyIncidents() {
	select {
	case s.changed <- struct{}{}:
	default: // one is pending: it covers this write too
	}
}

// commitIncidents commits tx, which wrote incident rows, and announces it.
func (s *Store) commitIncidents(ctx context.Context, tx pgx.Tx) error {
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	s.notifyIncidents()
	return nil
}

const announceSQL = `BEGIN; SET LOCAL synchronous_commit TO off; SELECT pg_notify('` + gridmap.IncidentsChannel + `', ''); COMMIT`

func (s *Store) announce() {
	defer close(s.stopped)
	for {
		select {
		case <-s.changed:
		case <-s.done:
			select {
			case <-s.changed:
			default:
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := s.pool.Exec(ctx, announceSQL); err != nil {
			slog.Warn("postgis: incident change notice not sent; listeners catch up when they reconnect or on the next notice", "err", err)
		}
		cancel()
		// Writes during the gap share the next notice.
		select {
		case <-time.After(noticeGap):
		case <-s.done:
		}
	}
}

// noticeGap is the least time between two incident change notices. Each
// notice costs a transaction here and, on every instance, a wake-up and a
// read of the change feed: at one notice per burst, single posts at
// 1,000/s sent ~400 notices/s, which took half of PostgreSQL's CPU per post
// and a third of gridmap's (BENCHMARKS.md, issue 14). At 20 ms, the feed
// lags a write by at most that much more.
const noticeGap = 20 * time.Millisecond

// Pool exposes the pool for tests and benchmarks in other packages.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping reports whether the database answers. Errors: EUNAVAILABLE.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the database is not reachable", Details: nil}
	}
	return nil
}

// Migrate applies every pending migration from migrations.FS. Concurrent
// callers (several instances starting at once) are serialised by goose's
// advisory lock.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer gridmap.Wrap(&err, "postgis.Migrate")
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	if _, err = p.Up(ctx); err != nil {
		return err
	}
	return s.EnsureIncidentMonthsAhead(ctx)
}

// mapErr turns driver errors into application errors where the cause is the
// caller's: a missing row, a unique or foreign-key violation.
func mapErr(err error, what string) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return gridmap.Errorf(gridmap.ENOTFOUND, "%s not found", what)
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return gridmap.Errorf(gridmap.ECONFLICT, "%s already exists", what)
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return gridmap.Errorf(gridmap.EINVALID, "%s refers to something that does not exist", what)
	case archivedErr(err) != nil:
		return archivedErr(err) // gridmap_ensure_incident_month refused the month
	case isConnErr(err):
		return &gridmap.Error{Code: gridmap.EUNAVAILABLE, Message: "the database is not reachable; try again shortly"}
	}
	return err
}

// isConnErr reports whether err means the database could not be reached, as
// opposed to a query it refused: no connection, a connection that broke
// (the server restarting or shutting down: SQLSTATE class 08, 57P01–57P03),
// too many connections, or a timeout.
func isConnErr(err error) bool {
	var ce *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case errors.As(err, &ce), pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.As(err, &netErr):
		return true
	}
	// A connection the server closed under a query: pgconn says "conn closed".
	return strings.Contains(err.Error(), "conn closed")
}
