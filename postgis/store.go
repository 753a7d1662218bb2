// Package postgis stores grids in PostgreSQL/PostGIS through pgx/v5. All SQL
// of the service lives here, as constants beside the method that runs it.
package postgis

import (
	"context"
	"errors"
	"fmt"
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
// opposed to a query it refused.
func isConnErr(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err)
}
