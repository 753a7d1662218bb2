package httpapi

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReplicaStats describe one read replica (a streaming standby) for
// /metrics: whether reads may go to it, how far behind it is, how many
// reads it served.
type ReplicaStats struct {
	Name  string // host:port
	Up    bool
	Lag   time.Duration
	Reads int64
}

// replicaCollector reports the read replicas at scrape time:
//
//	gridmap_read_replica_up{replica}            1 when reads may go to it
//	gridmap_read_replica_lag_seconds{replica}   age of the oldest change it has not replayed
//	gridmap_read_replica_reads_total{replica}   reads it served
//	gridmap_read_primary_reads_total            reads that could have gone to a standby but went to the primary
type replicaCollector struct {
	stats func() ([]ReplicaStats, int64)
}

var (
	replicaUpDesc      = prometheus.NewDesc("gridmap_read_replica_up", "1 when reads may go to this standby (reachable, replaying, within the lag bound).", []string{"replica"}, nil)
	replicaLagDesc     = prometheus.NewDesc("gridmap_read_replica_lag_seconds", "Age of the oldest primary change this standby has not replayed.", []string{"replica"}, nil)
	replicaReadsDesc   = prometheus.NewDesc("gridmap_read_replica_reads_total", "Reads served by this standby.", []string{"replica"}, nil)
	primaryFallbackDsc = prometheus.NewDesc("gridmap_read_primary_reads_total", "Reads that could have gone to a standby but went to the primary (none current, or it failed).", nil, nil)
)

func (c replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicaUpDesc
	ch <- replicaLagDesc
	ch <- replicaReadsDesc
	ch <- primaryFallbackDsc
}

func (c replicaCollector) Collect(ch chan<- prometheus.Metric) {
	rs, primary := c.stats()
	for _, r := range rs {
		up := 0.0
		if r.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaUpDesc, prometheus.GaugeValue, up, r.Name)
		ch <- prometheus.MustNewConstMetric(replicaLagDesc, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
		ch <- prometheus.MustNewConstMetric(replicaReadsDesc, prometheus.CounterValue, float64(r.Reads), r.Name)
	}
	ch <- prometheus.MustNewConstMetric(primaryFallbackDsc, prometheus.CounterValue, float64(primary))
}
