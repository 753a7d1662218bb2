package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/live"
	"github.com/gridmap/gridmap/tiles"
)

// Prometheus metrics (issue 7), served at GET /metrics (ClassMetrics: a
// viewer token, or open with GRIDMAP_OPEN=…,metrics). Each Server has its
// own registry: no package state.
//
//	gridmap_http_requests_total{method,route,status}            requests by route template
//	gridmap_http_request_duration_seconds{method,route,status}  their latency
//	gridmap_auth_denied_total{code}                            401 (unauthorized), 403 (forbidden), 503 (unavailable)
//	gridmap_lookup_points_total{kind}                          points looked up: single, batch
//	gridmap_ingest_incidents_total{result}                     posted incidents: created, existing, rejected
//	gridmap_index_grids, _vertices, _bytes, _data_version      the in-memory grid index
//	gridmap_index_build_seconds, gridmap_tile_set_build_seconds, gridmap_incident_aggregate_load_seconds
//	gridmap_tile_cache_{hits,misses,evictions,invalidated}_total, _entries, _bytes
//	gridmap_incident_aggregate_incidents, _bytes
//	gridmap_db_pool_*                                          the PostgreSQL pool
//	gridmap_incident_feed_lag_seconds, _last_read_age_seconds  the incident change feed
//	gridmap_read_replica_*, gridmap_read_primary_reads_total    read replicas (metrics_replicas.go)
//	go_*, process_*                                            the Go runtime and the process (RSS)

// StatsSources are what /metrics reads besides the Server's own state;
// internal/app fills them. Nil fields are left out.
type StatsSources struct {
	// Pool returns the database pool's counters.
	Pool func() PoolStats
	// Feed returns the incident change feed's state.
	Feed func() live.FeedStats
	// Builds receives the build times of the index, tile sets and the
	// incident aggregate (see BuildTimes.Observe).
	Builds *BuildTimes
	// Replicas returns the read replicas and the reads that went to the
	// primary instead (metrics_replicas.go); nil without replicas.
	Replicas func() ([]ReplicaStats, int64)
}

// PoolStats are a database pool's gauges and counters (pgxpool.Stat).
type PoolStats struct {
	Acquired, Idle, Total, Max, Constructing                  int32
	Acquires, EmptyAcquires, CanceledAcquires, NewConnections int64
	AcquireWait                                               time.Duration
}

type obsKey struct {
	method, route string
	status        int
}

type obsPair struct {
	count prometheus.Counter
	dur   prometheus.Observer
}

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	pairs    sync.Map // obsKey → *obsPair
	denied   *prometheus.CounterVec
	points   *prometheus.CounterVec
	ingest   *prometheus.CounterVec
}

func newMetrics(s *Server, d Deps) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gridmap_http_requests_total",
			Help: "HTTP requests by method, route template and status."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gridmap_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route template and status, in seconds.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"method", "route", "status"}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gridmap_auth_denied_total",
			Help: "Requests refused by authentication or authorisation, by error code."}, []string{"code"}),
		points: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gridmap_lookup_points_total",
			Help: "Points looked up in the grid index, by kind (single, batch)."}, []string{"kind"}),
		ingest: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gridmap_ingest_incidents_total",
			Help: "Incidents posted over HTTP, by result (created, existing, rejected)."}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.duration, m.denied, m.points, m.ingest,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
	}
	if s.index != nil {
		reg.MustRegister(indexCollector{s.index})
	}
	if ts, ok := d.Tiles.(interface{ TileCacheStats() tiles.CacheStats }); ok {
		counter("gridmap_tile_cache_hits_total", "Grid tiles served from the cache.", func() float64 { return float64(ts.TileCacheStats().Hits) })
		counter("gridmap_tile_cache_misses_total", "Grid tiles cut because the cache had none.", func() float64 { return float64(ts.TileCacheStats().Misses) })
		counter("gridmap_tile_cache_evictions_total", "Grid tiles dropped from the cache for room.", func() float64 { return float64(ts.TileCacheStats().Evictions) })
		counter("gridmap_tile_cache_invalidated_total", "Grid tiles dropped from the cache because their grids changed.", func() float64 { return float64(ts.TileCacheStats().Invalidated) })
		gauge("gridmap_tile_cache_entries", "Grid tiles in the cache.", func() float64 { return float64(ts.TileCacheStats().Entries) })
		gauge("gridmap_tile_cache_bytes", "Bytes of the grid tile cache.", func() float64 { return float64(ts.TileCacheStats().Bytes) })
	}
	if d.Heat != nil {
		gauge("gridmap_incident_aggregate_incidents", "Incidents in the in-memory aggregate (0 while it loads).", func() float64 {
			if a := d.Heat(); a != nil {
				return float64(a.Len())
			}
			return 0
		})
		gauge("gridmap_incident_aggregate_bytes", "Bytes of the in-memory incident aggregate.", func() float64 {
			if a := d.Heat(); a != nil {
				return float64(a.Bytes())
			}
			return 0
		})
	}
	if pf := d.Stats.Pool; pf != nil {
		gauge("gridmap_db_pool_acquired_conns", "Database connections in use.", func() float64 { return float64(pf().Acquired) })
		gauge("gridmap_db_pool_idle_conns", "Idle database connections.", func() float64 { return float64(pf().Idle) })
		gauge("gridmap_db_pool_total_conns", "Database connections open or opening.", func() float64 { return float64(pf().Total) })
		gauge("gridmap_db_pool_max_conns", "The pool's bound on connections.", func() float64 { return float64(pf().Max) })
		gauge("gridmap_db_pool_constructing_conns", "Database connections being opened.", func() float64 { return float64(pf().Constructing) })
		counter("gridmap_db_pool_acquires_total", "Connections taken from the pool.", func() float64 { return float64(pf().Acquires) })
		counter("gridmap_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", func() float64 { return float64(pf().EmptyAcquires) })
		counter("gridmap_db_pool_canceled_acquires_total", "Acquires given up (request ended or timed out).", func() float64 { return float64(pf().CanceledAcquires) })
		counter("gridmap_db_pool_new_conns_total", "Connections opened (reconnects included).", func() float64 { return float64(pf().NewConnections) })
		counter("gridmap_db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", func() float64 { return pf().AcquireWait.Seconds() })
	}
	if ff := d.Stats.Feed; ff != nil {
		gauge("gridmap_incident_feed_lag_seconds", "Age of the newest incident change at the feed's last read: write to memory.", func() float64 { return ff().Lag.Seconds() })
		gauge("gridmap_incident_feed_last_read_age_seconds", "Seconds since the incident feed last read the database successfully.", func() float64 {
			if t := ff().LastRead; !t.IsZero() {
				return time.Since(t).Seconds()
			}
			return -1
		})
	}
	if d.Stats.Replicas != nil {
		reg.MustRegister(replicaCollector{d.Stats.Replicas})
	}
	if b := d.Stats.Builds; b != nil {
		reg.MustRegister(b.index, b.tiles, b.agg)
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observe counts one request. Observers are cached per (method, route,
// status): a lookup costs a map read, not a label hash.
func (m *metrics) observe(method, route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	k := obsKey{method, route, status}
	p, ok := m.pairs.Load(k)
	if !ok {
		code := strconv.Itoa(status)
		p, _ = m.pairs.LoadOrStore(k, &obsPair{
			count: m.requests.WithLabelValues(method, route, code),
			dur:   m.duration.WithLabelValues(method, route, code),
		})
	}
	op := p.(*obsPair)
	op.count.Inc()
	op.dur.Observe(took.Seconds())
}

func (m *metrics) authDenied(code string) {
	if m != nil {
		m.denied.WithLabelValues(code).Inc()
	}
}

// lookupPoints counts points looked up ("single" or "batch").
func (m *metrics) lookupPoints(kind string, n int) {
	if m != nil {
		m.points.WithLabelValues(kind).Add(float64(n))
	}
}

// ingested counts the outcome of posted incidents.
func (m *metrics) ingested(created, existing, rejected int) {
	if m == nil {
		return
	}
	m.ingest.WithLabelValues("created").Add(float64(created))
	m.ingest.WithLabelValues("existing").Add(float64(existing))
	m.ingest.WithLabelValues("rejected").Add(float64(rejected))
}

// indexCollector reports the current grid index at scrape time.
type indexCollector struct {
	index func() (*geo.Index, int64)
}

var (
	indexGridsDesc    = prometheus.NewDesc("gridmap_index_grids", "Grids in the in-memory index.", nil, nil)
	indexVerticesDesc = prometheus.NewDesc("gridmap_index_vertices", "Boundary vertices in the in-memory index.", nil, nil)
	indexBytesDesc    = prometheus.NewDesc("gridmap_index_bytes", "Approximate bytes of the in-memory index.", nil, nil)
	indexVersionDesc  = prometheus.NewDesc("gridmap_index_data_version", "Data version of the grids in the index.", nil, nil)
)

func (c indexCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- indexGridsDesc
	ch <- indexVerticesDesc
	ch <- indexBytesDesc
	ch <- indexVersionDesc
}

func (c indexCollector) Collect(ch chan<- prometheus.Metric) {
	ix, ver := c.index()
	if ix == nil {
		return
	}
	vertices, bytes := ix.Stats()
	ch <- prometheus.MustNewConstMetric(indexGridsDesc, prometheus.GaugeValue, float64(ix.Len()))
	ch <- prometheus.MustNewConstMetric(indexVerticesDesc, prometheus.GaugeValue, float64(vertices))
	ch <- prometheus.MustNewConstMetric(indexBytesDesc, prometheus.GaugeValue, float64(bytes))
	ch <- prometheus.MustNewConstMetric(indexVersionDesc, prometheus.GaugeValue, float64(ver))
}

// BuildTimes records how long the grid index, the tile sets and the
// incident aggregate took to build. Give Observe to the builders
// (live.Options.OnBuild).
type BuildTimes struct {
	index, tiles, agg prometheus.Histogram
}

// NewBuildTimes returns empty build-time histograms.
func NewBuildTimes() *BuildTimes {
	h := func(name, help string) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help,
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}})
	}
	return &BuildTimes{
		index: h("gridmap_index_build_seconds", "Time to load the grids and build the in-memory index."),
		tiles: h("gridmap_tile_set_build_seconds", "Time to build a grid tile set."),
		agg:   h("gridmap_incident_aggregate_load_seconds", "Time of the first load of the incident aggregate."),
	}
}

// Observe records one build of kind live.BuildIndex, live.BuildTiles or
// live.BuildAggregate (others are ignored); it has the signature of
// live.Options.OnBuild.
func (b *BuildTimes) Observe(kind string, took time.Duration, _ int64) {
	switch kind {
	case live.BuildIndex:
		b.index.Observe(took.Seconds())
	case live.BuildTiles:
		b.tiles.Observe(took.Seconds())
	case live.BuildAggregate:
		b.agg.Observe(took.Seconds())
	}
}
