package tests

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/postgis"
)

// BenchmarkReplicaRead: one page of the case queue (ListIncidents, 20
// rows) from the primary (the baseline) and from a streaming standby,
// which costs the check that the standby has replayed the primary's
// position (one query on each) before the read itself.
func BenchmarkReplicaRead(b *testing.B) {
	c, primary := ownCluster(b)
	sb := startStandby(b, c)
	ctx := context.Background()
	// 50 cases, posted through an instance.
	n := startNode(b, primary, postgis.Options{})
	ix, _ := n.app.Live.Index()
	var items []any
	for i := 0; len(items) < 50; i++ {
		if g := ix.At(i % ix.Len()); g.Level == gridmap.LevelMicro {
			items = append(items, incident(fmt.Sprintf("BENCH-%d", i), inside(b, ix, g.Code), "dispute"))
		}
	}
	if resp := planReq(b, "POST", n.srv.URL+"/api/v1/incidents", map[string]any{"incidents": items}, nil, nil); resp.StatusCode != 201 {
		b.Fatalf("posting the cases: %d", resp.StatusCode)
	}
	direct, err := postgis.Open(ctx, primary)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	viaStandby, err := postgis.OpenWith(ctx, primary, postgis.Options{ReadURLs: []string{withPort(b, primary, sb.port)}})
	if err != nil {
		b.Fatal(err)
	}
	defer viaStandby.Close()
	awaitTrue(b, 30*time.Second, "the standby is in use", func() bool {
		rs, _ := viaStandby.Replicas()
		return rs[0].Up
	})
	f := gridmap.IncidentFilter{Limit: 20}
	for _, bc := range []struct {
		name string
		st   *postgis.Store
	}{{"primary", direct}, {"standby", viaStandby}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				n := 0
				if err := bc.st.ListIncidents(ctx, f, func(gridmap.Incident) error { n++; return nil }); err != nil || n != 20 {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
		})
	}
	if rs, primaryReads := viaStandby.Replicas(); rs[0].Reads == 0 || primaryReads > rs[0].Reads/100 {
		b.Errorf("the standby served %d reads, the primary %d", rs[0].Reads, primaryReads)
	}
}
