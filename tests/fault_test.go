package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/demodata"
	"github.com/gridmap/gridmap/internal/testdb"
	"github.com/gridmap/gridmap/postgis"
)

// freePort returns a TCP port free on the loopback interface.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// cluster is a throwaway PostgreSQL cluster of this test alone, so it can
// be stopped without disturbing the tests sharing make test's cluster.
type cluster struct {
	dir  string
	port int
}

func (c *cluster) db(tb testing.TB, cmd string) string {
	tb.Helper()
	script, _ := filepath.Abs("../scripts/db.sh")
	args := []string{cmd, c.dir}
	if cmd == "start" {
		args = append(args, fmt.Sprint(c.port))
	}
	x := exec.Command(script, args...)
	x.Env = append(os.Environ(), "GRIDMAP_PG_FSYNC=off")
	out, err := x.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		tb.Fatalf("db.sh %s: %v\n%s", cmd, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// ownCluster starts a cluster on a free port with the demo street; it is
// stopped when the test ends.
func ownCluster(tb testing.TB) (*cluster, string) {
	tb.Helper()
	testdb.BaseURL(tb) // skips (or fails under make test) like every PostGIS test
	c := &cluster{dir: filepath.Join(tb.TempDir(), "pg"), port: freePort(tb)}
	url := c.db(tb, "start")
	tb.Cleanup(func() { c.db(tb, "stop") })
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	outline, err := demodata.Yanzhou()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Demo(context.Background(), outline, postgis.DefaultDemo); err != nil {
		tb.Fatal(err)
	}
	return c, url
}

// tally counts answers by phase, kind and status.
type tally struct {
	mu sync.Mutex
	n  map[string]int // "phase kind status" → count
}

func (t *tally) add(phase int32, kind string, status int) {
	t.mu.Lock()
	t.n[fmt.Sprintf("%d %s %d", phase, kind, status)]++
	t.mu.Unlock()
}

func (t *tally) get(phase int32, kind string, status int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n[fmt.Sprintf("%d %s %d", phase, kind, status)]
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]string, 0, len(t.n))
	for k := range t.n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n\t%s: %d", k, t.n[k])
	}
	return b.String()
}

// Phases of the fault test.
const (
	phaseUp       = 0 // the database answers
	phaseStopping = 1 // pg_ctl stop running
	phaseDown     = 2 // stopped
	phaseStarting = 3 // pg_ctl start running, then until writes succeed again
	phaseUpAgain  = 4
)

// TestFaultPostgresRestart stops PostgreSQL under a load of lookups, tiles,
// statistics and incident posts, and starts it again: lookups, tiles and
// statistics keep answering from memory throughout; posts answer 503
// problem+json with Retry-After while it is down (never 500), and succeed
// again once it is back, without restarting anything; /readyz names the
// database while it is down; every acknowledged incident is stored exactly
// once (clients retry a 503 with the same external id, as they should);
// the incident statistics, the grid index and the tokens catch up with
// changes made after the restart.
func TestFaultPostgresRestart(t *testing.T) {
	c, url := ownCluster(t)
	srv, a, _ := authInstance(t, url, httpapi.Config{})
	ix, _ := a.Live.Index()
	reporter := mint(t, a, gridmap.RoleReporter, "fault test", "")
	var pts []orb.Point
	for i := 0; i < ix.Len(); i += 7 {
		if g := ix.At(i); g.Level == gridmap.LevelMicro {
			pts = append(pts, inside(t, ix, g.Code))
		}
	}
	var tj struct{ Bounds []float64 }
	get(t, srv.URL+"/tiles/grids.json", &tj)
	var tilesURLs []string // the tiles with grids, cached
	lo := maptile.At(orb.Point{tj.Bounds[0], tj.Bounds[3]}, 13)
	hi := maptile.At(orb.Point{tj.Bounds[2], tj.Bounds[1]}, 13)
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			u := fmt.Sprintf("%s/tiles/grids/13/%d/%d.mvt", srv.URL, x, y)
			if get(t, u, nil).StatusCode == 200 {
				tilesURLs = append(tilesURLs, u)
			}
		}
	}
	if len(tilesURLs) == 0 {
		t.Fatal("no grid tile at zoom 13")
	}

	var phase atomic.Int32
	counts := &tally{n: map[string]int{}}
	var failures atomic.Int64
	var acked sync.Map // external id → true
	var nAcked atomic.Int64
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second}
	call := func(kind, method, u, ctype, body string, token string) (*http.Response, []byte) {
		ph := phase.Load()
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			failures.Add(1)
			t.Errorf("%s %s: %v", method, u, err)
			return nil, nil
		}
		defer resp.Body.Close()
		var b []byte
		b, _ = readAll(resp)
		counts.add(ph, kind, resp.StatusCode)
		return resp, b
	}
	reader := func(kind string, next func(i int) (method, u, ctype, body string)) {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			m, u, ct, b := next(i)
			if resp, body := call(kind, m, u, ct, b, ""); resp != nil && resp.StatusCode != 200 {
				t.Errorf("%s in phase %d: %d %.200s", kind, phase.Load(), resp.StatusCode, body)
			}
		}
	}
	for w := range 3 {
		wg.Add(1)
		go reader("lookup", func(i int) (string, string, string, string) {
			p := pts[(i*3+w)%len(pts)]
			return "GET", srv.URL + "/api/v1/lookup?lon=" + ftoa(p[0]) + "&lat=" + ftoa(p[1]), "", ""
		})
	}
	wg.Add(3)
	go reader("batch", func(i int) (string, string, string, string) {
		return "POST", srv.URL + "/api/v1/lookup", "application/json", mustJSON(t, map[string]any{"points": pts})
	})
	go reader("tile", func(i int) (string, string, string, string) { return "GET", tilesURLs[i%len(tilesURLs)], "", "" })
	go reader("stats", func(i int) (string, string, string, string) {
		return "GET", srv.URL + "/api/v1/stats/grids?level=village", "", ""
	})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			id := ""
			for {
				if id == "" {
					if ctx.Err() != nil {
						return // nothing pending
					}
					n++
					id = fmt.Sprintf("FAULT-%d-%05d", w, n)
				}
				p := pts[(n*5+w)%len(pts)]
				resp, body := call("post", "POST", srv.URL+"/api/v1/incidents", "application/json", mustJSON(t, incident(id, p, "hazard")), reporter)
				switch {
				case resp == nil:
					time.Sleep(50 * time.Millisecond)
				case resp.StatusCode == 201 || resp.StatusCode == 200:
					if _, dup := acked.LoadOrStore(id, true); !dup {
						nAcked.Add(1)
					}
					id = "" // acknowledged: the next one
				case resp.StatusCode == 503:
					var pr problem
					if err := json.Unmarshal(body, &pr); err != nil || resp.Header.Get("Content-Type") != "application/problem+json" ||
						resp.Header.Get("Retry-After") == "" || pr.Status != 503 || pr.Detail == "" {
						t.Errorf("503 is not problem+json with Retry-After: %v %s", resp.Header, body)
					}
					// A client retries the same external id; this one does
					// not wait the whole Retry-After, to keep the test short.
					time.Sleep(50 * time.Millisecond)
				default:
					t.Errorf("post in phase %d: %d %.300s", phase.Load(), resp.StatusCode, body)
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}

	time.Sleep(2 * time.Second)
	phase.Store(phaseStopping)
	c.db(t, "stop")
	phase.Store(phaseDown)
	time.Sleep(3 * time.Second)
	var ready struct {
		Status string
		Checks map[string]string
	}
	resp := get(t, srv.URL+"/readyz", &ready)
	// Still in rotation: lookups, tiles and statistics are answered from
	// memory; the body says the database is down.
	if resp.StatusCode != 200 || ready.Status != "degraded" || ready.Checks["database"] == "ok" || ready.Checks["index"] != "ok" {
		t.Errorf("/readyz with the database down: %d %+v, want 200 degraded naming the database (and the index fine)", resp.StatusCode, ready)
	}
	phase.Store(phaseStarting)
	restarted := time.Now()
	c.db(t, "start")
	deadline := time.Now().Add(30 * time.Second)
	before := nAcked.Load()
	for nAcked.Load() == before {
		if time.Now().After(deadline) {
			t.Fatalf("no post succeeded within 30 s of starting the database again:%s", counts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	recovered := time.Since(restarted)
	phase.Store(phaseUpAgain)
	time.Sleep(2 * time.Second)
	stopLoad()
	wg.Wait()

	t.Logf("answers by phase (0 up, 1 stopping, 2 down, 3 starting, 4 up again), kind and status:%s", counts)
	t.Logf("writes succeeded again %s after pg_ctl start began; %d incidents acknowledged", recovered.Round(time.Millisecond), nAcked.Load())
	for _, kind := range []string{"lookup", "batch", "tile", "stats"} {
		if counts.get(phaseDown, kind, 200) == 0 {
			t.Errorf("no %s answered while the database was down", kind)
		}
	}
	if counts.get(phaseDown, "post", 503) == 0 || counts.get(phaseDown, "post", 201) > 0 {
		t.Errorf("posts while the database was down: %d × 503, %d × 201; want only 503", counts.get(phaseDown, "post", 503), counts.get(phaseDown, "post", 201))
	}
	if counts.get(phaseUpAgain, "post", 201) == 0 || counts.get(phaseUpAgain, "post", 503) > 0 {
		t.Errorf("posts after recovery: %d × 201, %d × 503", counts.get(phaseUpAgain, "post", 201), counts.get(phaseUpAgain, "post", 503))
	}

	// Every acknowledged incident is stored exactly once, and nothing else.
	var ids []string
	acked.Range(func(k, _ any) bool { ids = append(ids, k.(string)); return true })
	st := a.Store
	var stored, distinct int
	if err := st.Pool().QueryRow(context.Background(),
		`SELECT count(*), count(DISTINCT external_id) FROM incident WHERE external_id LIKE 'FAULT-%'`).Scan(&stored, &distinct); err != nil {
		t.Fatal(err)
	}
	var ackedStored int
	if err := st.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM incident WHERE external_id = ANY($1)`, ids).Scan(&ackedStored); err != nil {
		t.Fatal(err)
	}
	if ackedStored != len(ids) || stored != len(ids) || distinct != stored {
		t.Errorf("%d incidents acknowledged; %d of them stored; %d FAULT rows (%d distinct)", len(ids), ackedStored, stored, distinct)
	}
	// Posting one again stores nothing.
	if resp, body := do(t, "POST", srv.URL+"/api/v1/incidents", reporter, "application/json", mustJSON(t, incident(ids[0], pts[0], "hazard"))); resp.StatusCode != 200 {
		t.Errorf("re-posting %s: %d %s, want 200 (stored before)", ids[0], resp.StatusCode, body)
	}

	// The change feeds caught up: the statistics count every incident,
	// a grid change after the restart reaches the index, a token created
	// after it works.
	var total int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM incident`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	awaitTrue(t, 20*time.Second, "the incident statistics to count every incident", func() bool {
		agg := a.Incidents.Aggregate()
		return agg != nil && agg.Len() == total
	})
	_, v0 := a.Live.Index()
	if _, err := st.Pool().Exec(context.Background(), `UPDATE grid_member SET name = name WHERE id = (SELECT min(id) FROM grid_member)`); err != nil {
		t.Fatal(err)
	}
	awaitTrue(t, 20*time.Second, "the grid index to rebuild after a change made after the restart", func() bool {
		_, v := a.Live.Index()
		return v > v0
	})
	viewer := mint(t, a, gridmap.RoleViewer, "after restart", "")
	if resp, _ := do(t, "GET", srv.URL+"/api/v1/incidents?limit=1", viewer, "", ""); resp.StatusCode != 200 {
		t.Errorf("a token created after the restart: %d", resp.StatusCode)
	}
	resp = get(t, srv.URL+"/readyz", &ready)
	if resp.StatusCode != 200 || ready.Status != "ready" {
		t.Errorf("/readyz after recovery: %d %+v", resp.StatusCode, ready)
	}
	if failures.Load() > 0 {
		t.Errorf("%d requests failed at the transport", failures.Load())
	}
}

func readAll(resp *http.Response) ([]byte, error) {
	var b strings.Builder
	_, err := bufio.NewReader(resp.Body).WriteTo(&b)
	return []byte(b.String()), err
}

func awaitTrue(tb testing.TB, d time.Duration, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFaultSIGTERM runs `gridmap serve`, starts a post whose body is still
// arriving, sends SIGTERM: the server stops accepting connections at once,
// finishes the post (201, stored) and exits 0.
func TestFaultSIGTERM(t *testing.T) {
	url := demoDB(t)
	bin := gridmapCommand(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "GRIDMAP_LOG_LEVEL=info")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	awaitTrue(t, 60*time.Second, "gridmap serve to be ready", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, _, err := st.CreateToken(context.Background(), "sigterm test", gridmap.RoleReporter, "")
	if err != nil {
		t.Fatal(err)
	}
	grids, _, err := st.CurrentGrids(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var pt orb.Point
	for _, g := range grids {
		if g.Level == gridmap.LevelMicro {
			pt = g.Boundary.Bound().Center()
			break
		}
	}
	body := mustJSON(t, incident("SIGTERM-1", pt, "dispute"))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := len(body) / 2
	fmt.Fprintf(conn, "POST /api/v1/incidents HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, tok, len(body), body[:half])
	time.Sleep(300 * time.Millisecond) // the handler is reading the body
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	awaitTrue(t, 10*time.Second, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	if _, err := conn.Write([]byte(body[half:])); err != nil {
		t.Fatalf("finishing the body after SIGTERM: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer of the in-flight post: %v\n%s", err, logs)
	}
	if resp.StatusCode != 201 {
		t.Errorf("in-flight post: %d, want 201", resp.StatusCode)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("gridmap serve exited with %v after SIGTERM\n%s", err, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("gridmap serve still running 30 s after SIGTERM\n%s", logs)
	}
	var n int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM incident WHERE external_id = 'SIGTERM-1'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the in-flight post is stored %d times (%v)", n, err)
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", logs)
	}
}
