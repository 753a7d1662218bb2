package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/gridmap/gridmap/internal/app"
)

// cmdServe serves until ctx ends. The log (JSON) goes to stderr; what a
// person needs next (the pages' URLs, the database, how to make a token)
// goes to stdout once the address is bound.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := loadConfig()
	fs := newFlags("serve")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on (GRIDMAP_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Err != nil {
		return cfg.Err
	}
	if err := cfg.needDB(); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	// Bind first: a taken port is said at once, before any work.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot serve on %s: the address is already in use (another gridmap or program listens there). "+
				"Choose another with GRIDMAP_ADDR=127.0.0.1:8091, gridmap serve --addr 127.0.0.1:8091 or make run ADDR=127.0.0.1:8091", cfg.Addr)
		}
		return fmt.Errorf("cannot serve on %s (GRIDMAP_ADDR, --addr): %w", cfg.Addr, err)
	}
	defer ln.Close()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	a := app.NewWith(st, log, cfg.HTTP, cfg.Window)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.Run(ctx)

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	base := baseURL(ln.Addr().(*net.TCPAddr))
	log.Info("serving", "addr", base)
	printNext(stdout, base, cfg.DatabaseURL, os.Args[0])
	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", cfg.Addr, err)
	case <-ctx.Done():
	}
	// SIGTERM: stop accepting, let in-flight requests finish.
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// baseURL is the URL a browser on this machine opens for a bound address:
// an unspecified host (0.0.0.0, ::) is reached on the loopback.
func baseURL(a *net.TCPAddr) string {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(a.Port))
}

// printNext tells a newcomer where to go once the server is up. The
// database URL is shown without its password.
func printNext(w io.Writer, base, databaseURL, self string) {
	db := databaseURL
	if u, err := url.Parse(databaseURL); err == nil {
		db = u.Redacted()
	}
	if !strings.Contains(self, "/") {
		self = "gridmap"
	}
	fmt.Fprintf(w, `gridmap is serving on %[1]s
  wall map:  %[1]s/
  editor:    %[1]s/editor
  case desk: %[1]s/desk
  roster:    %[1]s/roster
  ranking:   %[1]s/ranking
  reports:   %[1]s/reports
  field app: %[1]s/field (phones: a worker signs in with a reporter token's QR code, made with --url)
  API:       %[1]s/api/v1/openapi.json
  database:  DATABASE_URL='%[2]s'
  a token (for the editor, writes, and personal data):
             DATABASE_URL='%[2]s' %[3]s token create --role admin --name YOUR-NAME
`, base, db, self)
}
