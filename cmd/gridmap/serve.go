package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gridmap/gridmap/internal/app"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg := loadConfig()
	fs := newFlags("serve")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on (GRIDMAP_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Err != nil {
		return cfg.Err
	}
	log := newLogger(stderr, cfg.LogLevel)
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	a := app.New(st, log, cfg.HTTP)
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
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", "http://"+cfg.Addr)
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
