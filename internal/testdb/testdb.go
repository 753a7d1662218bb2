// Package testdb gives tests a fresh, migrated PostGIS database each.
//
// The server comes from GRIDMAP_TEST_DATABASE_URL (make test starts one).
// Without it a test skips with a message saying how to run it, unless
// GRIDMAP_TESTDB=true, as under make test and CI: then it fails, so PostGIS
// tests can never pass by skipping.
package testdb

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/migrations"
	"github.com/gridmap/gridmap/postgis"
)

var (
	once     sync.Once
	tmplName string
	tmplErr  error
	counter  atomic.Int64
)

// BaseURL returns the test server URL or skips/fails tb as described above.
func BaseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("GRIDMAP_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("GRIDMAP_TESTDB") == "true" {
			tb.Fatal("GRIDMAP_TESTDB=true but GRIDMAP_TEST_DATABASE_URL is empty: run `make test`")
		}
		tb.Skip("PostGIS test: run `make test`, or set GRIDMAP_TEST_DATABASE_URL to a PostGIS server's URL")
	}
	return u
}

// URL creates a fresh database migrated to the latest schema and returns its
// URL; the database is dropped when the test ends.
func URL(tb testing.TB) string {
	tb.Helper()
	base := BaseURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	once.Do(func() { tmplName, tmplErr = template(ctx, base) })
	if tmplErr != nil {
		tb.Fatalf("preparing the migrated template database: %v", tmplErr)
	}
	name := fmt.Sprintf("gridmap_test_%d_%d", os.Getpid(), counter.Add(1))
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connecting to the test server: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmplName}.Sanitize()); err != nil {
		tb.Fatalf("creating %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("dropping %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("dropping %s: %v", name, err)
		}
	})
	return withDB(tb, base, name)
}

// Store opens a Store on a fresh database (see URL), closed at cleanup.
func Store(tb testing.TB) *postgis.Store {
	tb.Helper()
	st, err := postgis.Open(context.Background(), URL(tb))
	if err != nil {
		tb.Fatalf("opening store: %v", err)
	}
	tb.Cleanup(st.Close)
	return st
}

func withDB(tb testing.TB, base, db string) string {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("GRIDMAP_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + db
	return u.String()
}

// template makes, once per schema, a migrated database to copy from. Its
// name carries a hash of the migrations so a schema change gets a new one;
// an advisory lock keeps parallel test binaries from racing to build it.
func template(ctx context.Context, base string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("gridmap_tmpl_%x", h.Sum(nil)[:6])
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(7311)`); err != nil {
		return "", err
	}
	defer admin.Exec(context.Background(), `SELECT pg_advisory_unlock(7311)`)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + building
	st, err := postgis.Open(ctx, u.String())
	if err != nil {
		return "", err
	}
	err = st.Migrate(ctx)
	st.Close()
	if err != nil {
		return "", err
	}
	_, err = admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{name}.Sanitize())
	return name, err
}
