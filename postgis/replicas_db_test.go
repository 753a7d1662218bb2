package postgis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// TestReadFallsBackToPrimary: a standby believed current that fails a read
// (nothing answers at its address) is left, and the read is answered by
// the primary: no error reaches the caller.
func TestReadFallsBackToPrimary(t *testing.T) {
	ctx := context.Background()
	st := testdb.Store(t)
	if err := postgis.AddCurrentReplica(st, "postgres://postgres@127.0.0.1:1/gridmap?sslmode=disable&connect_timeout=2"); err != nil {
		t.Fatal(err)
	}
	_, want, err := st.CurrentGrids(ctx)
	if err != nil {
		t.Fatalf("the read failed instead of going to the primary: %v", err)
	}
	if v, _ := st.DataVersion(ctx); v != want {
		t.Errorf("data version %d from the read, %d on the primary", want, v)
	}
	rs, primary := st.Replicas()
	if len(rs) != 1 || rs[0].Up || !strings.Contains(rs[0].Problem, "failed a read") || rs[0].Reads != 0 || primary != 1 {
		t.Fatalf("after the failed read: %+v, primary reads %d", rs, primary)
	}
	// Left: the next reads go straight to the primary.
	if err := st.ListIncidents(ctx, gridmap.IncidentFilter{Limit: 5}, func(gridmap.Incident) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, primary = st.Replicas(); primary != 2 {
		t.Errorf("primary reads %d, want 2", primary)
	}
}

// TestReplicaNotAStandby: a read URL that is not a standby (here the
// primary itself) is never read from: its data cannot be compared with the
// primary's WAL position.
func TestReplicaNotAStandby(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t)
	st, err := postgis.OpenWith(ctx, url, postgis.Options{ReadURLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rs []postgis.ReplicaStats
	for i := 0; i < 200; i++ { // the checker's first round; bounded
		if rs, _ = st.Replicas(); strings.Contains(rs[0].Problem, "not a standby") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rs[0].Up || !strings.Contains(rs[0].Problem, "not a standby") {
		t.Fatalf("replica state %+v, want left as not a standby", rs)
	}
	if _, err := st.CountIncidents(ctx, true); err != nil {
		t.Fatal(err)
	}
	if rs, primary := st.Replicas(); rs[0].Reads != 0 || primary != 1 {
		t.Errorf("reads %d on the non-standby, %d on the primary; want 0 and 1", rs[0].Reads, primary)
	}
}
