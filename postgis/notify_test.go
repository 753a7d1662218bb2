package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap"
)

// The store's incident writes are announced after they commit (the
// trigger leaves them to the store), other writers' by the trigger; a
// listener sees both, and a single post is the single-row path.
func TestIncidentNotices(t *testing.T) {
	st, ix, version := demoStreet(t)
	// The guard only stops a hung test; nothing here is timed.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := st.Pool().Config().ConnConfig.Copy()
	delete(cfg.RuntimeParams, "gridmap.notify") // an outside client
	listener, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(context.Background())
	if _, err := listener.Exec(ctx, "LISTEN "+gridmap.IncidentsChannel); err != nil {
		t.Fatal(err)
	}
	var notify string
	if err := st.Pool().QueryRow(ctx, `SHOW gridmap.notify`).Scan(&notify); err != nil || notify != "after_commit" {
		t.Fatalf("the pool's gridmap.notify: %q, %v", notify, err)
	}

	res, err := postRecords(t, st, ix, version, []map[string]any{rec("N-1", centre(t, ix))}, false)
	if err != nil || res.Created != 1 || len(res.Items) != 1 || !res.Items[0].Created || res.Items[0].Incident.GridCode == "" {
		t.Fatalf("single post: %+v, %v", res, err)
	}
	if _, err := listener.WaitForNotification(ctx); err != nil {
		t.Fatalf("no notice after the store's post: %v", err)
	}
	// The same external id again: the stored one, not a second.
	again, err := postRecords(t, st, ix, version, []map[string]any{rec("N-1", centre(t, ix))}, false)
	if err != nil || again.Created != 0 || again.Existing != 1 || again.Items[0].Created || again.Items[0].Incident.ID != res.Items[0].Incident.ID {
		t.Fatalf("single post again: %+v, %v", again, err)
	}
	// An unknown category on the single-row path: refused, nothing stored.
	bad := rec("N-2", centre(t, ix))
	bad["category"] = "no_such_category"
	if _, err := postRecords(t, st, ix, version, []map[string]any{bad}, false); gridmap.ErrorCode(err) != gridmap.EINVALID {
		t.Fatalf("unknown category: %v", err)
	}
	// Drain what the repeat may have announced, then an outside writer.
	for {
		wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := listener.WaitForNotification(wctx)
		wcancel()
		if err != nil {
			break
		}
	}
	if _, err := listener.Exec(ctx, `UPDATE incident SET department = 'psql' WHERE external_id = 'N-1'`); err != nil {
		t.Fatal(err)
	}
	other, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	if _, err := other.Exec(ctx, `UPDATE incident SET department = 'outside' WHERE external_id = 'N-1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := listener.WaitForNotification(ctx); err != nil {
		t.Fatalf("no notice after an outside write: %v", err)
	}
	var n int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM incident WHERE external_id LIKE 'N-%'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d incidents stored, want 1 (%v)", n, err)
	}
}
