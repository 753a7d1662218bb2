// Command loadtest drives a running gridmap server on this machine with a
// mix of lookups, tiles, statistics and incident posts for a fixed time,
// then prints, per route, the requests, their rate and latency
// percentiles, the errors, and the server's resident memory over the run.
// It exits 1 on any error or when the memory keeps growing.
//
//	go run ./scripts/loadtest -url http://127.0.0.1:8080 -token gm_… [-duration 60s] [-workers 16]
//
// It only talks to loopback addresses, with a bounded number of workers
// (at most 64) for a bounded time (at most 10 minutes). scripts/loadtest.sh
// (make loadtest) sets up a server with the demo street for it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type route struct {
	name   string
	weight int
	ok     []int // statuses that are answers, not errors
	do     func(w *worker) (*http.Request, error)
}

type result struct {
	lat    []time.Duration
	status map[int]int
	errors int
	sample string // one error, for the report
}

type worker struct {
	rng   *rand.Rand
	id    int
	posts int
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the server (loopback only)")
	token := flag.String("token", os.Getenv("GRIDMAP_LOADTEST_TOKEN"), "a reporter (or admin) token (GRIDMAP_LOADTEST_TOKEN)")
	duration := flag.Duration("duration", 60*time.Second, "how long to run (at most 10m)")
	workers := flag.Int("workers", 16, "concurrent clients (at most 64)")
	warmup := flag.Duration("warmup", 5*time.Second, "untimed load before the measurement")
	flag.Parse()
	if err := run(*base, *token, *duration, *warmup, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(base, token string, duration, warmup time.Duration, nworkers int) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if err := loopbackOnly(u.Hostname()); err != nil {
		return err
	}
	if duration <= 0 || duration > 10*time.Minute || nworkers < 1 || nworkers > 64 {
		return errors.New("-duration must be in (0, 10m] and -workers in [1, 64]")
	}
	if token == "" {
		return errors.New("-token: a reporter token is needed to post incidents (gridmap token create --role reporter --name loadtest)")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	get := func(path string, v any) error {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		if v == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			return err
		}
		return json.NewDecoder(resp.Body).Decode(v)
	}

	// Wait for the server (scripts/loadtest.sh starts it just before).
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/readyz did not answer 200 within 60 s (%v)", base, err)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// What to ask for: points inside grids, tiles with grids.
	var tj struct {
		Bounds []float64
		Tiles  []string
	}
	if err := get("/tiles/grids.json", &tj); err != nil || len(tj.Bounds) != 4 {
		return fmt.Errorf("reading the TileJSON: %v", err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var pts [][2]float64
	for tries := 0; len(pts) < 500 && tries < 20000; tries++ {
		p := [2]float64{tj.Bounds[0] + rng.Float64()*(tj.Bounds[2]-tj.Bounds[0]), tj.Bounds[1] + rng.Float64()*(tj.Bounds[3]-tj.Bounds[1])}
		if get(fmt.Sprintf("/api/v1/lookup?lon=%g&lat=%g", p[0], p[1]), nil) == nil {
			pts = append(pts, p)
		}
	}
	if len(pts) < 10 {
		return errors.New("found no points inside grids")
	}
	var gridTiles, heatTiles []string
	for z := 11; z <= 15; z++ {
		x0, y0 := tileOf(tj.Bounds[0], tj.Bounds[3], z)
		x1, y1 := tileOf(tj.Bounds[2], tj.Bounds[1], z)
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				gridTiles = append(gridTiles, fmt.Sprintf("/tiles/grids/%d/%d/%d.mvt", z, x, y))
				heatTiles = append(heatTiles, fmt.Sprintf("/tiles/heat/%d/%d/%d.mvt?category=dispute,hazard", z, x, y))
			}
		}
	}
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	cats := []string{"dispute", "hazard", "public_request", "service_request", "environment", "public_security"}
	levels := []string{"micro", "village", "street"}
	req := func(method, path string, body []byte, ctype string) (*http.Request, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		r, err := http.NewRequest(method, base+path, rd)
		if err != nil {
			return nil, err
		}
		r.Header.Set("Authorization", "Bearer "+token)
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		return r, nil
	}
	routes := []route{
		{"GET /api/v1/lookup", 50, []int{200}, func(w *worker) (*http.Request, error) {
			p := pts[w.rng.IntN(len(pts))]
			return req("GET", fmt.Sprintf("/api/v1/lookup?lon=%g&lat=%g", p[0], p[1]), nil, "")
		}},
		{"POST /api/v1/lookup (100 points)", 4, []int{200}, func(w *worker) (*http.Request, error) {
			var b strings.Builder
			b.WriteString("lon,lat\n")
			for range 100 {
				p := pts[w.rng.IntN(len(pts))]
				fmt.Fprintf(&b, "%g,%g\n", p[0], p[1])
			}
			return req("POST", "/api/v1/lookup", []byte(b.String()), "text/csv")
		}},
		{"GET /tiles/grids/{z}/{x}/{y}.mvt", 20, []int{200, 204}, func(w *worker) (*http.Request, error) {
			return req("GET", gridTiles[w.rng.IntN(len(gridTiles))], nil, "")
		}},
		{"GET /tiles/heat/{z}/{x}/{y}.mvt", 6, []int{200, 204}, func(w *worker) (*http.Request, error) {
			return req("GET", heatTiles[w.rng.IntN(len(heatTiles))], nil, "")
		}},
		{"GET /api/v1/stats/grids", 10, []int{200}, func(w *worker) (*http.Request, error) {
			return req("GET", "/api/v1/stats/grids?level="+levels[w.rng.IntN(len(levels))]+"&status=open", nil, "")
		}},
		{"POST /api/v1/incidents", 10, []int{201}, func(w *worker) (*http.Request, error) {
			w.posts++
			p := pts[w.rng.IntN(len(pts))]
			body, _ := json.Marshal(map[string]any{
				"external_id": fmt.Sprintf("LOAD-%s-%d-%d", runID, w.id, w.posts), "category": cats[w.rng.IntN(len(cats))],
				"source": "hotline", "lon": p[0], "lat": p[1], "reported_at": time.Now().Format(time.RFC3339),
				"description": "（压测数据，虚构）", "reporter": map[string]string{"name": "压测", "phone": "199-0537-0000"},
			})
			return req("POST", "/api/v1/incidents", body, "application/json")
		}},
	}
	total := 0
	for _, r := range routes {
		total += r.weight
	}

	results := make([]*result, len(routes))
	for i := range results {
		results[i] = &result{status: map[int]int{}}
	}
	var mu sync.Mutex
	var measuring atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration)
	defer cancel()
	var wg sync.WaitGroup
	for id := range nworkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{rng: rand.New(rand.NewPCG(uint64(id), 99)), id: id}
			for ctx.Err() == nil {
				n := w.rng.IntN(total)
				k := 0
				for n >= routes[k].weight {
					n -= routes[k].weight
					k++
				}
				r := routes[k]
				hr, err := r.do(w)
				if err != nil {
					continue
				}
				start := time.Now()
				resp, err := client.Do(hr)
				status := 0
				var sample string
				if err == nil {
					status = resp.StatusCode
					if !slices.Contains(r.ok, status) {
						b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
						sample = fmt.Sprintf("%d %s", status, b)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				} else if ctx.Err() != nil {
					return // the run ended under this request
				} else {
					sample = err.Error()
				}
				took := time.Since(start)
				if !measuring.Load() {
					continue
				}
				res := results[k]
				mu.Lock()
				res.lat = append(res.lat, took)
				res.status[status]++
				if sample != "" {
					res.errors++
					if res.sample == "" {
						res.sample = sample
					}
				}
				mu.Unlock()
			}
		}()
	}

	// Memory: the server's RSS from its /metrics, every 5 s.
	rss := func() float64 {
		r, err := req("GET", "/metrics", nil, "")
		if err != nil {
			return 0
		}
		resp, err := client.Do(r)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "process_resident_memory_bytes "); ok {
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return f
			}
		}
		return 0
	}
	time.Sleep(warmup)
	measuring.Store(true)
	start := time.Now()
	var samples []float64
	samples = append(samples, rss())
	tick := time.NewTicker(5 * time.Second)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			samples = append(samples, rss())
		}
	}
	tick.Stop()
	wg.Wait()
	elapsed := time.Since(start)
	samples = append(samples, rss())

	// Report.
	fmt.Printf("loadtest: %s against %s, %d workers, %s warm-up, run %s\n\n", elapsed.Round(time.Second), base, nworkers, warmup, runID)
	fmt.Println("| route | requests | per second | p50 | p95 | p99 | max | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	errs, all := 0, 0
	for i, r := range routes {
		res := results[i]
		slices.Sort(res.lat)
		n := len(res.lat)
		all += n
		errs += res.errors
		if n == 0 {
			fmt.Printf("| %s | 0 | | | | | | |\n", r.name)
			continue
		}
		q := func(p float64) string { return ms(res.lat[min(n-1, int(p*float64(n)))]) }
		fmt.Printf("| %s | %d | %.0f | %s | %s | %s | %s | %d |\n", r.name, n, float64(n)/elapsed.Seconds(),
			q(0.50), q(0.95), q(0.99), ms(res.lat[n-1]), res.errors)
	}
	fmt.Printf("| all | %d | %.0f | | | | | %d |\n\n", all, float64(all)/elapsed.Seconds(), errs)
	mb := func(f float64) string { return fmt.Sprintf("%.0f MB", f/1e6) }
	maxRSS := slices.Max(samples)
	fmt.Printf("server RSS: %s at the start of the measurement, %s at the end, %s at most (samples every 5 s: %s)\n",
		mb(samples[0]), mb(samples[len(samples)-1]), mb(maxRSS), strings.Join(mapf(samples, mb), ", "))
	var failed []string
	for i, r := range routes {
		if results[i].errors > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d errors, e.g. %s (statuses %v)", r.name, results[i].errors, results[i].sample, results[i].status))
		}
	}
	// Stable: the second half of the run grows the RSS by under 10%.
	mid := samples[len(samples)/2]
	if samples[0] == 0 || mid == 0 {
		failed = append(failed, "could not read process_resident_memory_bytes from /metrics")
	} else if end := samples[len(samples)-1]; end > mid*1.10 {
		failed = append(failed, fmt.Sprintf("RSS still growing: %s at mid-run, %s at the end", mb(mid), mb(end)))
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "\n"))
	}
	fmt.Println("no errors; RSS stable")
	return nil
}

func mapf(xs []float64, f func(float64) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// tileOf returns the web-mercator tile x, y holding lon, lat at zoom z.
func tileOf(lon, lat float64, z int) (int, int) {
	n := float64(int(1) << z)
	x := int((lon + 180) / 360 * n)
	s := math.Sin(lat * math.Pi / 180)
	y := int((0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)) * n)
	return x, y
}

// loopbackOnly refuses hosts that are not this machine.
func loopbackOnly(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address: the load test only runs against this machine (127.0.0.1, ::1, localhost)", host)
	}
	return nil
}
