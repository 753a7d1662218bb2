package httpapi

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gridmap/gridmap"
)

// Limits (issue 7). Request bodies are bounded by Config.MaxBodyBytes,
// batches by MaxBatchPoints and intake.MaxBatch, request time by
// TrustConfig.RequestTimeout (through the request context, so every query
// ends with it) and the http.Server's timeouts, database connections by
// the pool's size (pool_max_conns in DATABASE_URL). This file adds the
// rate limit: a token bucket per token, or per client address for requests
// without a token, answering 429 with Retry-After past it.

const (
	// limiterIdle is how long an unused bucket is kept.
	limiterIdle = 10 * time.Minute
	// limiterMax bounds the number of buckets (client addresses are many).
	limiterMax = 100_000
)

// limiter holds one token bucket per key ("t<id>" for a token, the client
// address otherwise). nil when neither rate is set.
type limiter struct {
	perToken, perIP rate.Limit
	burstToken      int
	burstIP         int
	proxies         []netip.Prefix

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newLimiter(cfg TrustConfig) *limiter {
	if cfg.RatePerToken <= 0 && cfg.RatePerIP <= 0 {
		return nil
	}
	l := &limiter{perToken: rate.Inf, perIP: rate.Inf, buckets: map[string]*bucket{}, lastSweep: time.Now(),
		proxies: cfg.TrustedProxies}
	burst := func(r float64) int {
		if cfg.RateBurst > 0 {
			return cfg.RateBurst
		}
		return max(1, int(math.Ceil(2*r)))
	}
	if cfg.RatePerToken > 0 {
		l.perToken, l.burstToken = rate.Limit(cfg.RatePerToken), burst(cfg.RatePerToken)
	}
	if cfg.RatePerIP > 0 {
		l.perIP, l.burstIP = rate.Limit(cfg.RatePerIP), burst(cfg.RatePerIP)
	}
	return l
}

// allow takes one request from the caller's bucket. Past the limit it
// sets Retry-After (whole seconds until a request would be allowed) and
// returns ETOOMANY. Health checks and metrics scrapes are not limited.
func (l *limiter) allow(w http.ResponseWriter, r *http.Request, p Principal) error {
	if l == nil {
		return nil
	}
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return nil
	}
	var key string
	lim, burst := l.perIP, l.burstIP
	if p.Anonymous() {
		key = clientAddr(r, l.proxies)
	} else {
		key = "t" + strconv.FormatInt(p.TokenID, 10)
		lim, burst = l.perToken, l.burstToken
	}
	if lim == rate.Inf {
		return nil
	}
	now := time.Now()
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= limiterMax || now.Sub(l.lastSweep) > time.Minute {
			l.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(lim, burst)}
		l.buckets[key] = b
	}
	b.used = now
	res := b.lim.ReserveN(now, 1)
	delay := res.DelayFrom(now)
	if delay > 0 {
		res.CancelAt(now)
	}
	l.mu.Unlock()
	if delay == 0 {
		return nil
	}
	secs := max(1, int(math.Ceil(delay.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	who := "this client address"
	if !p.Anonymous() {
		who = "this token"
	}
	return gridmap.Errorf(gridmap.ETOOMANY, "%s sends more than %g requests a second (bursts of %d); retry after %d s", who, float64(lim), burst, secs)
}

// sweep drops buckets unused for limiterIdle (all of them when there are
// still too many: a flood of addresses must not grow memory). l.mu is held.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.used) > limiterIdle {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= limiterMax {
		clear(l.buckets)
	}
}

// clientAddr is the client's IP address: the connection's peer, or, when
// the peer is a trusted proxy, the nearest address in X-Forwarded-For that
// is not one (proxies append the peer they saw, so the rightmost untrusted
// entry is the one no client can forge).
func clientAddr(r *http.Request, proxies []netip.Prefix) string {
	host, fromProxy := peer(r, proxies)
	if !fromProxy {
		return host
	}
	hops := r.Header.Values("X-Forwarded-For")
	farthest := host
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return host // a malformed chain: count it against the proxy
			}
			if !trusted(a.Unmap(), proxies) {
				return a.Unmap().String()
			}
			farthest = a.Unmap().String()
		}
	}
	return farthest // every hop is a proxy of ours
}

// peer is the connection's peer address and whether it is a trusted proxy,
// whose X-Forwarded-* headers count.
func peer(r *http.Request, proxies []netip.Prefix) (host string, trustedProxy bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	return host, err == nil && trusted(addr, proxies)
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseProxies reads a comma-separated list of addresses and CIDR
// prefixes (GRIDMAP_TRUSTED_PROXIES), such as "127.0.0.1,10.0.0.0/8".
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
