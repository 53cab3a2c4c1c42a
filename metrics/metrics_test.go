package metrics

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	home  = Route{"GET", "/"}
	items = Route{"GET", "/items/{id}"}
	only  = Route{"POST", "/only-new"}
)

func find(t *testing.T, s *Snapshot, rt Route) *RouteCounts {
	t.Helper()
	for _, rc := range s.Routes {
		if rc.Route == rt {
			return rc
		}
	}
	t.Fatalf("no counts for %v in %v", rt, s.Routes)
	return nil
}

func TestAnonymousRegionCountsByRouteStatusAndLatency(t *testing.T) {
	r := NewRegion([]Route{home, items}, Process{Slot: 0, Started: time.Unix(1700000000, 0)})
	r.Observe(0, 200, 300*time.Microsecond)
	r.Observe(0, 200, 20*time.Second) // beyond the last bucket: only +Inf
	r.Observe(1, 404, 2*time.Millisecond)
	r.Observe(-1, 404, time.Millisecond) // unmatched
	r.Observe(99, 999, time.Millisecond) // unknown id, impossible status: still counted once
	r.Publish(Gauges{Pending: 2, OpenConnections: 5})
	s, err := Gather("", r)
	if err != nil {
		t.Fatal(err)
	}
	h := find(t, s, home)
	if h.ByStatus[200] != 2 || h.Count != 2 || h.Buckets[0] != 1 || h.SumMicros != 20_000_300 {
		t.Fatalf("home: %+v", h)
	}
	var inBuckets uint64
	for _, n := range h.Buckets {
		inBuckets += n
	}
	if inBuckets != 1 {
		t.Fatalf("a 20 s request landed in a bucket: %v", h.Buckets)
	}
	if u := find(t, s, Unmatched); u.Count != 2 || u.ByStatus[404] != 1 {
		t.Fatalf("unmatched: %+v", u)
	}
	if last := s.Routes[len(s.Routes)-1].Route; last != Unmatched {
		t.Fatalf("unmatched is not last: %v", last)
	}
	if len(s.Workers) != 1 || s.Workers[0].Pending != 2 || s.Workers[0].OpenConnections != 5 || s.Workers[0].Started != 1700000000 {
		t.Fatalf("workers: %+v", s.Workers)
	}
}

// Two regions in one directory, as two workers keep them: a scrape sums them.
func TestGatherSumsTheRegionsOfADirectory(t *testing.T) {
	dir := t.TempDir()
	a, err := CreateRegion(dir, []Route{home, items}, Process{Slot: 0, Restarts: 2, Started: time.Unix(100, 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// A second process's region: a child process, so the lock is really another's.
	b := startRegionProcess(t, dir, 1, "home=3,items=1")
	a.Observe(0, 200, time.Millisecond)
	a.Observe(1, 200, time.Millisecond)
	a.Publish(Gauges{Pending: 1, OpenConnections: 2, WebSocketsOpen: 1, WebSocketMessagesIn: 4, WebSocketMessagesOut: 5})

	s, err := Gather(dir, a)
	if err != nil {
		t.Fatal(err)
	}
	if n := find(t, s, home).ByStatus[200]; n != 4 {
		t.Fatalf("home 200: %d, want 1 + 3", n)
	}
	if n := find(t, s, items).Count; n != 2 {
		t.Fatalf("items: %d, want 1 + 1", n)
	}
	if len(s.Workers) != 2 || s.Workers[0].Restarts != 2 || s.Workers[1].Slot != 1 || s.Workers[1].OpenConnections != 7 {
		t.Fatalf("workers: %+v", s.Workers)
	}
	if s.WebSocketMessagesIn != 4+1 || s.WebSocketMessagesOut != 5 {
		t.Fatalf("websocket messages: %d in, %d out", s.WebSocketMessagesIn, s.WebSocketMessagesOut)
	}

	// The other process exits: its gauges go, its counters stay, also once retired.
	b.stop(t)
	s, _ = Gather(dir, a)
	if len(s.Workers) != 1 || find(t, s, home).ByStatus[200] != 4 {
		t.Fatalf("after the exit: workers %+v, home %+v", s.Workers, find(t, s, home))
	}
	if err := Retire(dir, b.pid); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, strconv.Itoa(b.pid)+fileSuffix)); !os.IsNotExist(err) {
		t.Fatalf("the retired region is still there: %v", err)
	}
	s, _ = Gather(dir, a)
	if find(t, s, home).ByStatus[200] != 4 || find(t, s, items).Count != 2 || s.WebSocketMessagesIn != 5 {
		t.Fatalf("after retiring: %+v %+v", find(t, s, home), s)
	}

	// A later worker with other routes (a reload with new code) is retired into the same file.
	c := startRegionProcess(t, dir, 1, "home=1,only=2")
	c.stop(t)
	if err := Retire(dir, c.pid); err != nil {
		t.Fatal(err)
	}
	s, _ = Gather(dir, a)
	if find(t, s, home).ByStatus[200] != 5 || find(t, s, only).Count != 2 || find(t, s, items).Count != 2 {
		t.Fatalf("after the second retirement: %+v", s.Routes)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"+fileSuffix))
	if len(files) != 2 {
		t.Fatalf("files: %v, want this region and retired.metrics", files)
	}
	if err := Retire(dir, 1); err != nil {
		t.Fatalf("retiring a process without a region: %v", err)
	}
}

func TestGatherReportsUnreadableFilesAndSumsTheRest(t *testing.T) {
	dir := t.TempDir()
	a, err := CreateRegion(dir, []Route{home}, Process{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Observe(0, 200, time.Millisecond)
	os.WriteFile(filepath.Join(dir, "junk"+fileSuffix), []byte("not a region at all, but long enough to be read as one......................................................................................................................."), 0o600)
	s, err := Gather(dir, a)
	if err == nil || !strings.Contains(err.Error(), "junk.metrics is not a metrics region") {
		t.Fatalf("error: %v", err)
	}
	if find(t, s, home).Count != 1 {
		t.Fatal("the readable region was not summed")
	}
}

func TestRenderIsPrometheusText(t *testing.T) {
	r := NewRegion([]Route{home, {"GET", `/q"x`}}, Process{Slot: 0, Restarts: 1, Started: time.Unix(42, 0)})
	r.Observe(0, 200, 700*time.Microsecond)
	r.Observe(1, 503, 3*time.Millisecond)
	r.Publish(Gauges{Pending: 3, OpenConnections: 1})
	s, _ := Gather("", r)
	text := string(Render(s))
	for _, want := range []string{
		"# TYPE bolt_requests_total counter\n",
		`bolt_requests_total{method="GET",route="/",status="200"} 1` + "\n",
		`bolt_requests_total{method="GET",route="/q\"x",status="503"} 1` + "\n",
		`bolt_request_duration_seconds_bucket{method="GET",route="/",le="0.0005"} 0` + "\n",
		`bolt_request_duration_seconds_bucket{method="GET",route="/",le="0.001"} 1` + "\n",
		`bolt_request_duration_seconds_bucket{method="GET",route="/",le="+Inf"} 1` + "\n",
		`bolt_request_duration_seconds_sum{method="GET",route="/"} 0.000700` + "\n",
		"bolt_python_pending 3\n",
		"bolt_open_connections 1\n",
		"bolt_worker_processes 1\n",
		`bolt_worker_restarts_total{worker="0"} 1` + "\n",
		`bolt_process_start_time_seconds{worker="0"} 42` + "\n",
		`bolt_websocket_messages_total{direction="in"} 0` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "(unmatched)") {
		t.Error("a route without requests is rendered")
	}
}

func BenchmarkObserve(b *testing.B) {
	r, err := CreateRegion(b.TempDir(), []Route{home, items}, Process{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Observe(1, 200, time.Millisecond)
		}
	})
}

// regionProcess is this test binary re-run as a process that keeps a region in a
// directory (see TestMain) until its stdin closes.
type regionProcess struct {
	cmd *exec.Cmd
	pid int
	in  interface{ Close() error }
}

func startRegionProcess(t *testing.T, dir string, slot int, counts string) *regionProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "METRICS_TEST_REGION="+dir, "METRICS_TEST_SLOT="+strconv.Itoa(slot),
		"METRICS_TEST_COUNTS="+counts)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make([]byte, 6)
	if _, err := out.Read(ready); err != nil || string(ready) != "ready\n" {
		t.Fatalf("the region process did not start: %q %v", ready, err)
	}
	p := &regionProcess{cmd: cmd, pid: cmd.Process.Pid, in: in}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

func (p *regionProcess) stop(t *testing.T) {
	t.Helper()
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("region process: %v", err)
	}
}

func TestMain(m *testing.M) {
	if dir := os.Getenv("METRICS_TEST_REGION"); dir != "" {
		os.Exit(regionProcessMain(dir))
	}
	os.Exit(m.Run())
}

func regionProcessMain(dir string) int {
	slot, _ := strconv.Atoi(os.Getenv("METRICS_TEST_SLOT"))
	known := map[string]Route{"home": home, "items": items, "only": only}
	var routes []Route
	var counts []int
	for _, pair := range strings.Split(os.Getenv("METRICS_TEST_COUNTS"), ",") {
		name, n, _ := strings.Cut(pair, "=")
		routes = append(routes, known[name])
		c, _ := strconv.Atoi(n)
		counts = append(counts, c)
	}
	r, err := CreateRegion(dir, routes, Process{Slot: slot, Started: time.Now()})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 1
	}
	for id, n := range counts {
		for range n {
			r.Observe(id, 200, time.Millisecond)
		}
	}
	r.Publish(Gauges{OpenConnections: 7, WebSocketMessagesIn: 1})
	os.Stdout.WriteString("ready\n")
	os.Stdin.Read(make([]byte, 1)) // until the test closes stdin
	return 0
}
