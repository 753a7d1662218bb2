package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap"
	"github.com/gridmap/gridmap/httpapi"
	"github.com/gridmap/gridmap/internal/app"
	"github.com/gridmap/gridmap/postgis"
)

// needBinary returns the path of a program a test drives (haproxy,
// pgbouncer). Missing, the test skips, except in CI (CI=true), whose
// .ci/run installs them: there it fails, so these tests never pass by
// skipping where they are meant to run.
func needBinary(tb testing.TB, name string, paths ...string) string {
	tb.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := name + " is not installed: apt-get install " + name + " (.ci/run does)"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// withPort returns u with its port replaced.
func withPort(tb testing.TB, u string, port int) string {
	tb.Helper()
	p, err := url.Parse(u)
	if err != nil {
		tb.Fatal(err)
	}
	p.Host = fmt.Sprintf("%s:%d", p.Hostname(), port)
	return p.String()
}

// startStandby makes a streaming standby of the cluster c (pg_basebackup
// -R through scripts/db.sh) on a free port; stopped when the test ends.
func startStandby(tb testing.TB, c *cluster) *cluster {
	tb.Helper()
	sb := &cluster{dir: filepath.Join(tb.TempDir(), "standby"), port: freePort(tb)}
	script, _ := filepath.Abs("../scripts/db.sh")
	x := exec.Command(script, "standby", sb.dir, fmt.Sprint(sb.port), fmt.Sprint(c.port))
	x.Env = append(os.Environ(), "GRIDMAP_PG_FSYNC=off")
	if out, err := x.CombinedOutput(); err != nil {
		tb.Fatalf("db.sh standby: %v\n%s", err, out)
	}
	tb.Cleanup(func() { sb.db(tb, "stop") })
	return sb
}

// node is one in-process gridmap instance that can be killed.
type node struct {
	srv    *httptest.Server
	app    *app.App
	cancel context.CancelFunc
}

// kill stops n abruptly: no new connection, every open one cut.
func (n *node) kill() {
	n.srv.Listener.Close()
	n.srv.CloseClientConnections()
	n.cancel()
}

// startNode starts an instance on the primary at url with opts (read
// replicas, a listening URL); requests act as an admin (asAdmin).
func startNode(tb testing.TB, url string, opts postgis.Options) *node {
	tb.Helper()
	st, err := postgis.OpenWith(context.Background(), url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	a := app.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	go a.Run(ctx)
	n := &node{srv: httptest.NewServer(asAdmin(tb, st, a.Handler)), app: a, cancel: cancel}
	tb.Cleanup(func() { n.srv.Close(); cancel(); st.Close() })
	for _, ch := range []<-chan struct{}{a.Live.Loaded(), a.Incidents.Loaded()} {
		select {
		case <-ch:
		case <-time.After(60 * time.Second):
			tb.Fatal("instance not loaded within 60 s")
		}
	}
	return n
}

// startHAProxy runs deploy/haproxy.cfg as written in front of backends,
// and waits until it forwards to every one of them.
func startHAProxy(tb testing.TB, backends ...string) string {
	tb.Helper()
	bin := needBinary(tb, "haproxy", "/usr/sbin/haproxy")
	cfg, _ := filepath.Abs("../deploy/haproxy.cfg")
	front := fmt.Sprintf("127.0.0.1:%d", freePort(tb))
	cmd := exec.Command(bin, "-W", "-db", "-f", cfg)
	cmd.Env = append(os.Environ(), "GRIDMAP_FRONT="+front)
	for i, b := range backends {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GRIDMAP_%d=%s", i+1, strings.TrimPrefix(b, "http://")))
	}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if tb.Failed() {
			tb.Logf("haproxy:\n%s", logs.String())
		}
	})
	base := "http://" + front
	awaitTrue(tb, 30*time.Second, "haproxy answers /readyz", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return base
}

type readyzResp struct {
	Status string
	Checks map[string]string
}

// loadRun sends requests from several goroutines until stop is called,
// counting answers and failures (a transport error or a status other
// than the one expected).
type loadRun struct {
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	ok, fail atomic.Int64
	mu       sync.Mutex
	failures []string
}

func newLoad() *loadRun {
	l := &loadRun{}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

// add runs req(i) for i = 0, 1, … on a goroutine; want is the status
// expected (a post may answer 200 when it repeats an external id).
func (l *loadRun) add(client *http.Client, req func(i int) (*http.Request, []int)) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for i := 0; l.ctx.Err() == nil; i++ {
			r, want := req(i)
			resp, err := client.Do(r)
			if err != nil {
				l.failed(fmt.Sprintf("%s %s: %v", r.Method, r.URL, err))
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			good := false
			for _, w := range want {
				good = good || resp.StatusCode == w
			}
			if !good {
				l.failed(fmt.Sprintf("%s %s: %d %.200s", r.Method, r.URL, resp.StatusCode, body))
				continue
			}
			l.ok.Add(1)
		}
	}()
}

func (l *loadRun) failed(s string) {
	l.fail.Add(1)
	l.mu.Lock()
	if len(l.failures) < 10 {
		l.failures = append(l.failures, s)
	}
	l.mu.Unlock()
}

func (l *loadRun) stop(tb testing.TB, what string) {
	tb.Helper()
	l.cancel()
	l.wg.Wait()
	if n := l.fail.Load(); n > 0 {
		tb.Errorf("%s: %d of %d requests failed: %s", what, n, n+l.ok.Load(), strings.Join(l.failures, "\n"))
	}
	tb.Logf("%s: %d requests answered", what, l.ok.Load())
}

func getReq(u string) func(int) (*http.Request, []int) {
	return func(int) (*http.Request, []int) {
		r, _ := http.NewRequest("GET", u, nil)
		return r, []int{200}
	}
}

// TestReplicasAndBalancer: two instances behind deploy/haproxy.cfg, one
// reading from a real streaming standby. A boundary change and a case
// posted through the balancer reach both; the standby stopped under load
// fails no request (its reads go to the primary, and back when it
// returns); an instance killed under load fails no read through haproxy.
func TestReplicasAndBalancer(t *testing.T) {
	c, primary := ownCluster(t)
	sb := startStandby(t, c)
	standbyURL := withPort(t, primary, sb.port)
	a := startNode(t, primary, postgis.Options{})
	b := startNode(t, primary, postgis.Options{ReadURLs: []string{standbyURL}, MaxLag: 3 * time.Second})
	lb := startHAProxy(t, a.srv.URL, b.srv.URL)
	replica := func() postgis.ReplicaStats {
		rs, _ := b.app.Store.Replicas()
		if len(rs) != 1 {
			t.Fatalf("%d replicas, want 1", len(rs))
		}
		return rs[0]
	}
	awaitTrue(t, 30*time.Second, "the standby is in use", func() bool { return replica().Up })
	var rz readyzResp
	if resp := get(t, b.srv.URL+"/readyz", &rz); resp.StatusCode != 200 || rz.Checks["read_replicas"] != "ok" {
		t.Fatalf("readyz with the standby up: %d %+v", resp.StatusCode, rz)
	}

	// The event stream through haproxy, opened before the changes.
	events := make(chan string, 64)
	sreq, _ := http.NewRequest("GET", lb+"/api/v1/events", nil)
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	sresp, err := http.DefaultClient.Do(sreq.WithContext(sctx))
	if err != nil || sresp.StatusCode != 200 {
		t.Fatalf("event stream through haproxy: %v %v", err, sresp)
	}
	go func() {
		defer sresp.Body.Close()
		sc := bufio.NewScanner(sresp.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "event: ") {
				events <- strings.TrimPrefix(line, "event: ")
			}
		}
	}()

	// A boundary change published through the balancer.
	const m = "37081200100107"
	mw, me := m+"1", m+"2"
	parts, pts := planSplitParts(t, a.app.Store, m)
	readsBefore := replica().Reads
	var pl planResp
	if resp := planReq(t, "POST", lb+"/api/v1/plans", map[string]any{"title": "拆分", "actor": "planner"}, nil, &pl); resp.StatusCode != 201 {
		t.Fatalf("create plan: %d", resp.StatusCode)
	}
	split := map[string]any{"kind": "split", "code": m, "into": []any{
		map[string]any{"code": mw, "name": "西", "boundary": parts[0]},
		map[string]any{"code": me, "name": "东", "boundary": parts[1]},
	}}
	resp := planReq(t, "POST", fmt.Sprintf("%s/api/v1/plans/%d/changes", lb, pl.ID), split, nil, &pl)
	if resp.StatusCode != 200 {
		t.Fatalf("add split: %d", resp.StatusCode)
	}
	var pub planPublishResp
	resp = planReq(t, "POST", fmt.Sprintf("%s/api/v1/plans/%d/publish", lb, pl.ID), map[string]any{"actor": "planner"},
		map[string]string{"If-Match": resp.Header.Get("ETag")}, &pub)
	if resp.StatusCode != 200 || pub.Plan.Status != "published" {
		t.Fatalf("publish: %d %+v", resp.StatusCode, pub)
	}
	published := time.Now()
	for _, n := range []*node{a, b} {
		planWaitFor(t, 15*time.Second, "lookups answer the split grids", func() (bool, string) {
			w, _ := planLookup(t, n.srv.URL, pts[0][0], "")
			e, _ := planLookup(t, n.srv.URL, pts[1][0], "")
			return w == mw && e == me, w + " " + e
		})
	}
	t.Logf("both instances answered the split %v after publishing", time.Since(published))
	if _, v := b.app.Live.Index(); v != pub.DataVersion {
		t.Errorf("instance B's index is at data version %d, want %d", v, pub.DataVersion)
	}

	// A case posted through the balancer.
	posted := time.Now()
	if resp := planReq(t, "POST", lb+"/api/v1/incidents", incident("REPLICA-1", pts[0][1], "hazard"), nil, nil); resp.StatusCode != 201 {
		t.Fatalf("post through haproxy: %d", resp.StatusCode)
	}
	for _, n := range []*node{a, b} {
		planWaitFor(t, 15*time.Second, "the case is counted", func() (bool, string) {
			c := planMicroCounts(t, n.srv.URL+"/api/v1")
			return c[mw] == 1, fmt.Sprint(c[mw])
		})
		var list struct{ Features []json.RawMessage }
		get(t, n.srv.URL+"/api/v1/incidents?format=geojson&grid="+mw, &list)
		if len(list.Features) != 1 {
			t.Errorf("%s lists %d cases in %s, want 1", n.srv.URL, len(list.Features), mw)
		}
	}
	t.Logf("both instances counted the case %v after it was posted", time.Since(posted))
	if r := replica(); r.Reads <= readsBefore {
		t.Errorf("the standby served no read (%d before, %d after)", readsBefore, r.Reads)
	}
	awaitTrue(t, 15*time.Second, "the event stream through haproxy carries the case", func() bool {
		for {
			select {
			case e := <-events:
				if e == "incident" {
					return true
				}
			default:
				return false
			}
		}
	})

	// The standby stopped under load, then started again.
	ix, _ := a.app.Live.Index()
	var probes []orb.Point
	for i := 0; i < ix.Len(); i += 5 {
		if g := ix.At(i); g.Level == gridmap.LevelMicro {
			probes = append(probes, inside(t, ix, g.Code))
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var seq atomic.Int64
	readLoad := func(base string) *loadRun {
		l := newLoad()
		// Lists and exports read the database (the standby on B);
		// counts and lookups read memory.
		l.add(client, getReq(base+"/api/v1/incidents?limit=20"))
		l.add(client, getReq(base+"/api/v1/incidents?limit=50&category=dispute"))
		l.add(client, getReq(base+"/api/v1/incidents?format=geojson&limit=100"))
		l.add(client, getReq(base+"/api/v1/incidents?format=csv&limit=100"))
		l.add(client, getReq(base+"/api/v1/stats/grids?level=micro"))
		l.add(client, func(i int) (*http.Request, []int) {
			p := probes[i%len(probes)]
			r, _ := http.NewRequest("GET", lookupURL(base, p, ""), nil)
			return r, []int{200}
		})
		return l
	}
	load := readLoad(b.srv.URL)
	load.add(client, func(i int) (*http.Request, []int) {
		p := probes[i%len(probes)]
		body := mustJSON(t, incident(fmt.Sprintf("REPLICA-LOAD-%d", seq.Add(1)), p, "dispute"))
		r, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/incidents", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r, []int{201, 200}
	})
	time.Sleep(500 * time.Millisecond)
	_, primaryBefore := b.app.Store.Replicas()
	sb.db(t, "stop")
	awaitTrue(t, 15*time.Second, "the stopped standby is left for the primary", func() bool { return !replica().Up })
	if resp := get(t, b.srv.URL+"/readyz", &rz); resp.StatusCode != 200 || rz.Status != "degraded" || rz.Checks["read_replicas"] == "ok" {
		t.Errorf("readyz with the standby stopped: %d %+v", resp.StatusCode, rz)
	}
	awaitTrue(t, 15*time.Second, "reads go to the primary", func() bool {
		_, p := b.app.Store.Replicas()
		return p > primaryBefore+20
	})
	mt := metricsText(t, b.srv.URL)
	if !strings.Contains(mt, `gridmap_read_replica_up{replica="127.0.0.1:`+fmt.Sprint(sb.port)+`"} 0`) {
		t.Errorf("/metrics does not say the standby is down:\n%s", grepLines(mt, "gridmap_read_"))
	}
	sb.db(t, "start")
	readsStopped := replica().Reads
	awaitTrue(t, 30*time.Second, "the standby is used again", func() bool {
		r := replica()
		return r.Up && r.Reads > readsStopped+20
	})
	load.stop(t, "load on the instance reading from the standby")
	if resp := get(t, b.srv.URL+"/readyz", &rz); resp.StatusCode != 200 || rz.Checks["read_replicas"] != "ok" {
		t.Errorf("readyz with the standby back: %d %+v", resp.StatusCode, rz)
	}

	// The standby's replay paused: once it lags beyond the bound it is
	// left; a case posted meanwhile still reaches B (from the primary);
	// resumed, it is used again.
	sbConn, err := pgx.Connect(context.Background(), standbyURL)
	if err != nil {
		t.Fatal(err)
	}
	defer sbConn.Close(context.Background())
	if _, err := sbConn.Exec(context.Background(), `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	before := planMicroCounts(t, b.srv.URL+"/api/v1")[mw]
	if resp := planReq(t, "POST", lb+"/api/v1/incidents", incident("REPLICA-LAG", pts[0][1], "hazard"), nil, nil); resp.StatusCode != 201 {
		t.Fatalf("post with the standby paused: %d", resp.StatusCode)
	}
	planWaitFor(t, 15*time.Second, "B counts the case posted while its standby is paused", func() (bool, string) {
		c := planMicroCounts(t, b.srv.URL+"/api/v1")
		return c[mw] == before+1, fmt.Sprint(c[mw])
	})
	awaitTrue(t, 30*time.Second, "the paused standby is left as lagging", func() bool {
		r := replica()
		return !r.Up && strings.Contains(r.Problem, "lagging")
	})
	if _, err := sbConn.Exec(context.Background(), `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	awaitTrue(t, 30*time.Second, "the resumed standby is used again", func() bool { return replica().Up })

	// One instance killed under load through the balancer.
	load = readLoad(lb)
	time.Sleep(500 * time.Millisecond)
	answered := load.ok.Load()
	a.kill()
	awaitTrue(t, 15*time.Second, "reads go on through haproxy", func() bool { return load.ok.Load() > answered+200 })
	load.stop(t, "reads through haproxy with an instance killed")
}

// metricsText fetches /metrics.
func metricsText(tb testing.TB, base string) string {
	tb.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// startPgBouncer runs Debian's pgbouncer in transaction mode in front of
// the PostgreSQL server on 127.0.0.1:pgPort and returns its port. As
// root it runs as the postgres user (pgbouncer refuses root).
func startPgBouncer(tb testing.TB, pgPort int) int {
	tb.Helper()
	bin := needBinary(tb, "pgbouncer", "/usr/sbin/pgbouncer")
	dir, err := os.MkdirTemp("", "gridmap-pgbouncer-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	port := freePort(tb)
	// gridmap's connections set temp_buffers and gridmap.notify at
	// startup; a transaction pooler cannot keep session settings, so they
	// are ignored here (README: PgBouncer).
	ini := fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s/userlist.txt
pool_mode = transaction
default_pool_size = 10
max_client_conn = 500
ignore_startup_parameters = temp_buffers,gridmap.notify
`, pgPort, port, dir)
	for name, body := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": `"postgres" ""` + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	asPostgres(tb, cmd)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if tb.Failed() {
			tb.Logf("pgbouncer:\n%s", logs.String())
		}
	})
	awaitTrue(tb, 15*time.Second, "pgbouncer listens", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return port
}

// asPostgres has cmd run as the postgres user when the test runs as root.
func asPostgres(tb testing.TB, cmd *exec.Cmd) {
	tb.Helper()
	if os.Geteuid() != 0 {
		return
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		tb.Fatalf("running as root needs the postgres user: %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
}

// TestPgBouncerTransactionMode: an instance whose pool goes through
// PgBouncer in transaction mode (pgx without named prepared statements:
// default_query_exec_mode=cache_describe) and whose listener has its own
// direct connection (GRIDMAP_LISTEN_DATABASE_URL) answers lookups, takes
// posts (single, repeated, batch, concurrent), publishes a boundary change,
// and follows the change feed both ways with an instance connected
// directly.
func TestPgBouncerTransactionMode(t *testing.T) {
	direct := demoDB(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	pgPort, _ := strconv.Atoi(u.Port())
	bouncer := withPort(t, direct, startPgBouncer(t, pgPort)) + "&default_query_exec_mode=cache_describe"
	p := startNode(t, bouncer, postgis.Options{ListenURL: direct})
	d := startNode(t, direct, postgis.Options{})
	P, D := p.srv.URL+"/api/v1", d.srv.URL+"/api/v1"

	const m = "37081200100107"
	parts, pts := planSplitParts(t, d.app.Store, m)
	if code, _ := planLookup(t, p.srv.URL, pts[0][0], ""); code != m {
		t.Fatalf("lookup through the pgbouncer instance: %s, want %s", code, m)
	}
	// Posts: one, the same again (idempotent), a batch, and concurrent ones.
	if resp := planReq(t, "POST", P+"/incidents", incident("PGB-1", pts[0][0], "hazard"), nil, nil); resp.StatusCode != 201 {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	if resp := planReq(t, "POST", P+"/incidents", incident("PGB-1", pts[0][0], "hazard"), nil, nil); resp.StatusCode != 200 {
		t.Fatalf("repeated post: %d, want 200", resp.StatusCode)
	}
	batch := []any{incident("PGB-2", pts[0][1], "dispute"), incident("PGB-3", pts[1][0], "dispute"), incident("PGB-4", pts[1][1], "dispute")}
	if resp := planReq(t, "POST", P+"/incidents", map[string]any{"incidents": batch}, nil, nil); resp.StatusCode != 201 {
		t.Fatalf("batch post: %d", resp.StatusCode)
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				body := mustJSON(t, incident(fmt.Sprintf("PGB-C-%d-%d", w, i), pts[i%2][0], "hazard"))
				resp, err := http.Post(P+"/incidents", "application/json", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					failed.Add(1)
					t.Errorf("concurrent post: %d %.200s", resp.StatusCode, b)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d concurrent posts failed", failed.Load())
	}
	const want = 4 + 40
	for _, base := range []string{P, D} {
		planWaitFor(t, 15*time.Second, "both instances count the posted cases", func() (bool, string) {
			c := planMicroCounts(t, base)
			return c[m] == want, fmt.Sprint(c[m])
		})
	}
	// The feed the other way: a case posted directly reaches the
	// pgbouncer instance through its own listening connection.
	if resp := planReq(t, "POST", D+"/incidents", incident("PGB-D", pts[1][0], "hazard"), nil, nil); resp.StatusCode != 201 {
		t.Fatalf("direct post: %d", resp.StatusCode)
	}
	planWaitFor(t, 15*time.Second, "the pgbouncer instance counts the direct post", func() (bool, string) {
		c := planMicroCounts(t, P)
		return c[m] == want+1, fmt.Sprint(c[m])
	})

	// A boundary change published through pgbouncer reaches both.
	var pl planResp
	if resp := planReq(t, "POST", P+"/plans", map[string]any{"title": "拆分", "actor": "planner"}, nil, &pl); resp.StatusCode != 201 {
		t.Fatalf("create plan: %d", resp.StatusCode)
	}
	split := map[string]any{"kind": "split", "code": m, "into": []any{
		map[string]any{"code": m + "1", "name": "西", "boundary": parts[0]},
		map[string]any{"code": m + "2", "name": "东", "boundary": parts[1]},
	}}
	resp := planReq(t, "POST", fmt.Sprintf("%s/plans/%d/changes", P, pl.ID), split, nil, &pl)
	if resp.StatusCode != 200 {
		t.Fatalf("add split: %d", resp.StatusCode)
	}
	var pub planPublishResp
	resp = planReq(t, "POST", fmt.Sprintf("%s/plans/%d/publish", P, pl.ID), map[string]any{"actor": "planner"},
		map[string]string{"If-Match": resp.Header.Get("ETag")}, &pub)
	if resp.StatusCode != 200 || pub.Reassigned != want+1 {
		t.Fatalf("publish through pgbouncer: %d %+v", resp.StatusCode, pub)
	}
	for _, n := range []*node{p, d} {
		planWaitFor(t, 15*time.Second, "lookups answer the split", func() (bool, string) {
			w, _ := planLookup(t, n.srv.URL, pts[0][0], "")
			return w == m+"1", w
		})
	}
	// A later post is assigned under the new version through pgbouncer
	// (the import checks the data version in its first statement).
	if resp := planReq(t, "POST", P+"/incidents", incident("PGB-AFTER", pts[1][1], "hazard"), nil, nil); resp.StatusCode != 201 {
		t.Fatalf("post after the split: %d", resp.StatusCode)
	}
	planWaitFor(t, 15*time.Second, "the direct instance counts it in the new grid", func() (bool, string) {
		c := planMicroCounts(t, D)
		return c[m+"2"] >= 1 && c[m] == 0, fmt.Sprint(c[m+"2"], c[m])
	})
}
