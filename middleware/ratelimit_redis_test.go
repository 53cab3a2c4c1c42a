package middleware

import (
	"bytes"
	"context"
	"log"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
)

// startRedis runs a throwaway redis-server on a free loopback port.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed (Debian package redis-server); skipping the cross-process limit test")
	}
	port := freePort(t)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := "redis://127.0.0.1:" + port + "/0"
	opts, _ := redis.ParseURL(url)
	c := redis.NewClient(opts)
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not come up:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return url
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func TestRedisLimitSharedAcrossProcesses(t *testing.T) {
	url := startRedis(t)
	route := RouteConfig{Route: "GET /shared", Middleware: []MiddlewareConfig{{Type: "rate_limit", RPS: 5, Burst: intp(10)}}}
	// Two Shared instances stand for two server processes.
	var pipelines [2]*Pipeline
	for i := range pipelines {
		s := mustShared(t, GlobalConfig{RateLimitBackend: url})
		pipelines[i] = mustPipeline(t, s, route)
	}
	passed := 0
	for i := range 10 {
		if _, handled := pipelines[i%2].Before(get()); !handled {
			passed++
		}
	}
	if passed != 10 {
		t.Fatalf("%d of the first 10 requests passed across both processes", passed)
	}
	for i, p := range pipelines {
		ctx := get()
		if _, handled := p.Before(ctx); !handled || ctx.Response.StatusCode() != 429 || respHeader(ctx, "Retry-After") != "1" {
			t.Fatalf("process %d let the 11th request through (status %d)", i, ctx.Response.StatusCode())
		}
	}
	// The buckets are in Redis, not in either process.
	for i, p := range pipelines {
		if n := p.limit.shared.local.size(); n != 0 {
			t.Errorf("process %d holds %d local buckets", i, n)
		}
	}
	// A different route has its own bucket.
	other := route
	other.Route = "GET /other"
	if _, handled := mustPipeline(t, mustShared(t, GlobalConfig{RateLimitBackend: url}), other).Before(get()); handled {
		t.Error("another route shared the bucket")
	}
	// Tokens come back with time (one per 200 ms): within a bound one more request
	// passes, and the next one, in the other process, is refused again, since the
	// token just taken was the shared bucket's only one.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, handled := pipelines[0].Before(get()); !handled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no token came back within 10 s at 5 per second")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, handled := pipelines[1].Before(get()); !handled {
		t.Error("the other process passed right after the refilled token was taken")
	}
}

func TestRedisUnreachableFallsBackToLocal(t *testing.T) {
	var logs bytes.Buffer
	s, err := NewShared(GlobalConfig{RateLimitBackend: "redis://127.0.0.1:" + freePort(t)}, log.New(&logs, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	p := mustPipeline(t, s, RouteConfig{Route: "GET /down", Middleware: []MiddlewareConfig{{Type: "rate_limit", RPS: 1, Burst: intp(3)}}})
	if got := passes(p, 5, func() *fasthttp.RequestCtx { return get() }); got != 3 {
		t.Fatalf("%d of 5 passed with Redis down, want the local limit of 3", got)
	}
	if !bytes.Contains(logs.Bytes(), []byte("using the in-process limiter")) {
		t.Fatalf("fallback not logged; log: %s", logs.String())
	}
	if n := bytes.Count(logs.Bytes(), []byte("using the in-process limiter")); n != 1 {
		t.Errorf("logged %d times within one backoff window", n)
	}
}

func TestRateLimitBackendErrors(t *testing.T) {
	for _, bad := range []string{"memcached://x", "redis://host:port:bad", "localhost:6379"} {
		if _, err := NewShared(GlobalConfig{RateLimitBackend: bad}, quiet); err == nil {
			t.Errorf("backend %q accepted", bad)
		}
	}
}
