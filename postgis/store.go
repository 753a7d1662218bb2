// Package postgis stores grids in PostgreSQL/PostGIS through pgx/v5. All SQL
// of the service lives here, as constants beside the method that runs it.
package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
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
// safe for concurrent use; it holds only a connection pool.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects a pool to the database at url (a libpq URL or DSN). It does
// not migrate. Errors: EUNAVAILABLE when the database cannot be reached.
func Open(ctx context.Context, url string) (*Store, error) {
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
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis.Open: %w", err)
	}
	s := &Store{pool: pool}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

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
	_, err = p.Up(ctx)
	return err
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
