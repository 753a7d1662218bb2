package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// TestListenerOneConnection: every channel is heard on one connection; each
// subscriber hears only its channel, and after the connection breaks every
// subscriber is called with "" again (catch up) once it is back.
func TestListenerOneConnection(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := testdb.Store(t)
	channels := []string{postgis.GridsChannel, postgis.IncidentsChannel, postgis.TokensChannel}
	heard := map[string]chan string{}
	ln := st.NewListener()
	for _, c := range channels {
		ch := make(chan string, 16)
		heard[c] = ch
		ln.Subscribe(c, func(payload string) { ch <- payload })
	}
	done := make(chan struct{})
	go func() { ln.Run(ctx); close(done) }()
	next := func(c string) string {
		t.Helper()
		select {
		case p := <-heard[c]:
			return p
		case <-time.After(time.Minute): // a guard against hanging, not a timing assertion
			t.Fatalf("nothing heard on %s", c)
			return ""
		}
	}
	catchUp := func(when string) {
		t.Helper()
		for _, c := range channels {
			if p := next(c); p != "" {
				t.Fatalf("%s: %s first heard %q, want the catch-up call (\"\")", when, c, p)
			}
		}
	}
	listeners := func() int {
		t.Helper()
		var n int
		err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	catchUp("first subscription")
	if n := listeners(); n != 1 {
		t.Errorf("%d listening connections, want 1 for %d channels", n, len(channels))
	}
	if _, err := st.Pool().Exec(ctx, `SELECT pg_notify($1, '42')`, postgis.GridsChannel); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `SELECT pg_notify($1, 'x')`, postgis.TokensChannel); err != nil {
		t.Fatal(err)
	}
	if p := next(postgis.GridsChannel); p != "42" {
		t.Errorf("grids heard %q, want 42", p)
	}
	if p := next(postgis.TokensChannel); p != "x" {
		t.Errorf("tokens heard %q, want x", p)
	}
	if len(heard[postgis.IncidentsChannel]) != 0 {
		t.Errorf("incidents heard another channel's notification")
	}

	// Break the listening connection, as a database restart does.
	var killed int
	err := st.Pool().QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminating the listener: %d, %v", killed, err)
	}
	catchUp("after reconnecting")
	if n := listeners(); n != 1 {
		t.Errorf("%d listening connections after reconnecting, want 1", n)
	}
	if _, err := st.Pool().Exec(ctx, `SELECT pg_notify($1, '')`, postgis.IncidentsChannel); err != nil {
		t.Fatal(err)
	}
	next(postgis.IncidentsChannel)
	cancel()
	<-done
}
