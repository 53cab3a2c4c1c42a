package middleware

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fakeClock replaces the store's clock; tests advance it by hand.
type fakeClock struct{ now int64 }

func (c *fakeClock) advance(d time.Duration) { c.now += int64(d) }

func (s *localStore) size() int {
	n := 0
	for i := range s.shards {
		s.shards[i].mu.Lock()
		n += len(s.shards[i].m)
		s.shards[i].mu.Unlock()
	}
	return n
}

func limited(t *testing.T, global GlobalConfig, rl MiddlewareConfig, extra ...func(*RouteConfig)) (*Pipeline, *Shared, *fakeClock) {
	t.Helper()
	s := mustShared(t, global)
	clock := &fakeClock{now: int64(time.Hour)}
	s.local.clock = func() int64 { return clock.now }
	rl.Type = "rate_limit"
	rc := RouteConfig{Route: "GET /r", Middleware: []MiddlewareConfig{rl}}
	for _, f := range extra {
		f(&rc)
	}
	return mustPipeline(t, s, rc), s, clock
}

// passes sends n requests and reports how many got through.
func passes(p *Pipeline, n int, mk func() *fasthttp.RequestCtx) int {
	ok := 0
	for range n {
		if _, handled := p.Before(mk()); !handled {
			ok++
		}
	}
	return ok
}

func TestRateLimitBurstThenLimited(t *testing.T) {
	p, _, clock := limited(t, GlobalConfig{}, MiddlewareConfig{RPS: 5, Burst: intp(10)})
	if got := passes(p, 10, func() *fasthttp.RequestCtx { return get() }); got != 10 {
		t.Fatalf("%d of the first 10 passed", got)
	}
	ctx := newCtx("GET", "192.0.2.1:4000", "Origin", "https://a.example")
	if _, handled := p.Before(ctx); !handled {
		t.Fatal("11th request passed")
	}
	if ctx.Response.StatusCode() != 429 || string(ctx.Response.Header.ContentType()) != "application/json" {
		t.Fatalf("status %d type %q", ctx.Response.StatusCode(), ctx.Response.Header.ContentType())
	}
	var body struct {
		Detail     string `json:"detail"`
		RetryAfter int    `json:"retry_after"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Detail != "Rate limit exceeded. Try again in 1 seconds." || body.RetryAfter != 1 {
		t.Fatalf("body %s", ctx.Response.Body())
	}
	for k, v := range map[string]string{"Retry-After": "1", "X-RateLimit-Limit": "5", "X-RateLimit-Burst": "10"} {
		if got := respHeader(ctx, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// Another client is unaffected; this one gets one token per 200ms back.
	if passes(p, 1, func() *fasthttp.RequestCtx { return newCtx("GET", "192.0.2.2:1") }) != 1 {
		t.Error("a different IP was limited")
	}
	clock.advance(200 * time.Millisecond)
	if got := passes(p, 2, func() *fasthttp.RequestCtx { return get() }); got != 1 {
		t.Errorf("%d passed after one token's worth of time, want 1", got)
	}
	clock.advance(2 * time.Second)
	if got := passes(p, 11, func() *fasthttp.RequestCtx { return get() }); got != 10 {
		t.Errorf("%d passed after a full refill, want 10", got)
	}
}

func TestRateLimitRetryAfterAndDefaults(t *testing.T) {
	p, _, _ := limited(t, GlobalConfig{}, MiddlewareConfig{RPS: 0.25, Burst: intp(1)})
	passes(p, 1, func() *fasthttp.RequestCtx { return get() })
	ctx := get()
	p.Before(ctx)
	if respHeader(ctx, "Retry-After") != "4" || respHeader(ctx, "X-RateLimit-Limit") != "0.25" {
		t.Fatalf("Retry-After %q, limit %q", respHeader(ctx, "Retry-After"), respHeader(ctx, "X-RateLimit-Limit"))
	}

	p, _, _ = limited(t, GlobalConfig{}, MiddlewareConfig{RPS: 3})
	if got := passes(p, 10, func() *fasthttp.RequestCtx { return get() }); got != 6 {
		t.Fatalf("default burst let %d through, want 2*rps = 6", got)
	}
	if got := passes(p, 5, func() *fasthttp.RequestCtx { return newCtx("OPTIONS", "192.0.2.1:4000") }); got != 5 {
		t.Fatalf("OPTIONS limited: %d of 5 passed", got)
	}
}

func TestRateLimitForwardedForOverSeveralHeaderLines(t *testing.T) {
	// A proxy may add its entry as a header line of its own, after the lines the client
	// sent: the lines read in order are one list.
	p, _, _ := limited(t, GlobalConfig{TrustedProxies: []string{"10.0.0.0/8"}}, MiddlewareConfig{RPS: 1, Burst: intp(1)})
	twoLines := func(spoof string) *fasthttp.RequestCtx {
		ctx := newCtx("GET", "10.1.2.3:1")
		ctx.Request.Header.Add("X-Forwarded-For", spoof)
		ctx.Request.Header.Add("X-Forwarded-For", "198.51.100.1")
		return ctx
	}
	if _, handled := p.Before(twoLines("203.0.113.1")); handled {
		t.Fatal("first request limited")
	}
	if _, handled := p.Before(twoLines("203.0.113.2")); !handled {
		t.Fatal("the client's own X-Forwarded-For line chose its bucket")
	}
}

func TestRateLimitKeys(t *testing.T) {
	trusted := GlobalConfig{TrustedProxies: []string{"10.0.0.0/8", "2001:db8::1"}}
	apiKeys := func(rc *RouteConfig) {
		rc.AuthBackends = []AuthBackendConfig{{Type: "api_key", APIKeys: []string{"k1", "k2"}}}
	}
	type req struct {
		peer    string
		headers []string
	}
	cases := []struct {
		name   string
		global GlobalConfig
		key    string
		extra  []func(*RouteConfig)
		a, b   req  // two requests
		shared bool // do they share one bucket?
	}{
		{"ip: same peer", GlobalConfig{}, "ip", nil, req{"192.0.2.1:1", nil}, req{"192.0.2.1:2", nil}, true},
		{"ip: different peers", GlobalConfig{}, "ip", nil, req{"192.0.2.1:1", nil}, req{"192.0.2.2:1", nil}, false},
		{"ip: untrusted peer's XFF ignored", GlobalConfig{}, "ip", nil,
			req{"192.0.2.1:1", []string{"X-Forwarded-For", "198.51.100.1"}}, req{"192.0.2.1:1", []string{"X-Forwarded-For", "198.51.100.2"}}, true},
		{"ip: trusted proxy, XFF first entry", trusted, "ip", nil,
			req{"10.1.2.3:1", []string{"X-Forwarded-For", " 198.51.100.1 , 10.1.1.1"}}, req{"10.9.9.9:1", []string{"X-Forwarded-For", "198.51.100.1"}}, true},
		{"ip: trusted proxy, different clients", trusted, "ip", nil,
			req{"10.1.2.3:1", []string{"X-Forwarded-For", "198.51.100.1"}}, req{"10.1.2.3:1", []string{"X-Forwarded-For", "198.51.100.2"}}, false},
		{"ip: trusted proxy, entries the client wrote itself ignored", trusted, "ip", nil,
			req{"10.1.2.3:1", []string{"X-Forwarded-For", "203.0.113.9, 198.51.100.1"}}, req{"10.1.2.3:1", []string{"X-Forwarded-For", "198.51.100.1"}}, true},
		{"ip: trusted proxy, a made-up entry per request is no new bucket", trusted, "ip", nil,
			req{"10.1.2.3:1", []string{"X-Forwarded-For", "spoof-1, 198.51.100.1, 10.0.0.7"}}, req{"10.1.2.3:1", []string{"X-Forwarded-For", "spoof-2, 198.51.100.1, 10.0.0.7"}}, true},
		{"ip: trusted proxy, an untrusted hop is the client", trusted, "ip", nil,
			req{"10.1.2.3:1", []string{"X-Forwarded-For", "198.51.100.1, 192.0.2.77"}}, req{"192.0.2.77:1", nil}, true},
		{"ip: trusted proxies only, the leftmost is the client", trusted, "ip", nil,
			req{"10.1.2.3:1", []string{"X-Forwarded-For", "10.0.0.8, 10.0.0.9"}}, req{"10.0.0.8:1", nil}, true},
		{"ip: trusted proxy, X-Real-IP", trusted, "ip", nil,
			req{"10.1.2.3:1", []string{"X-Real-IP", "198.51.100.7"}}, req{"192.0.2.50:1", []string{}}, false},
		{"ip: trusted proxy, X-Real-IP matches direct peer", trusted, "ip", nil,
			req{"10.1.2.3:1", []string{"X-Real-IP", "192.0.2.50"}}, req{"192.0.2.50:1", nil}, true},
		{"ip: trusted IPv6 proxy", trusted, "ip", nil,
			req{"[2001:db8::1]:1", []string{"X-Forwarded-For", "198.51.100.1"}}, req{"10.0.0.1:1", []string{"X-Forwarded-For", "198.51.100.1"}}, true},
		{"ip: IPv4-mapped peer", GlobalConfig{}, "ip", nil, req{"[::ffff:192.0.2.1]:1", nil}, req{"192.0.2.1:1", nil}, true},
		{"header", GlobalConfig{}, "X-Tenant", nil,
			req{"192.0.2.1:1", []string{"X-Tenant", "t1"}}, req{"192.0.2.2:1", []string{"x-tenant", "t1"}}, true},
		{"header: different values", GlobalConfig{}, "X-Tenant", nil,
			req{"192.0.2.1:1", []string{"X-Tenant", "t1"}}, req{"192.0.2.1:1", []string{"X-Tenant", "t2"}}, false},
		{"header: missing is \"unknown\"", GlobalConfig{}, "X-Tenant", nil,
			req{"192.0.2.1:1", nil}, req{"192.0.2.2:1", []string{"X-Tenant", "unknown"}}, true},
		{"api_key: same key, different IPs", GlobalConfig{}, "api_key", []func(*RouteConfig){apiKeys},
			req{"192.0.2.1:1", []string{"X-API-Key", "k1"}}, req{"192.0.2.2:1", []string{"X-API-Key", "k1"}}, true},
		{"api_key: different keys", GlobalConfig{}, "api_key", []func(*RouteConfig){apiKeys},
			req{"192.0.2.1:1", []string{"X-API-Key", "k1"}}, req{"192.0.2.1:1", []string{"X-API-Key", "k2"}}, false},
		{"api_key: unauthenticated falls back to ip", GlobalConfig{}, "api_key", []func(*RouteConfig){apiKeys},
			req{"192.0.2.1:1", []string{"X-API-Key", "bad"}}, req{"192.0.2.1:1", nil}, true},
		{"user: same user", GlobalConfig{}, "user", []func(*RouteConfig){apiKeys},
			req{"192.0.2.1:1", []string{"X-API-Key", "k1"}}, req{"192.0.2.9:1", []string{"X-API-Key", "Bearer k1"}}, true},
		{"user: unauthenticated keyed by ip", GlobalConfig{}, "user", []func(*RouteConfig){apiKeys},
			req{"192.0.2.1:1", nil}, req{"192.0.2.2:1", nil}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _ := limited(t, tc.global, MiddlewareConfig{RPS: 1, Burst: intp(1), Key: tc.key}, tc.extra...)
			if _, handled := p.Before(newCtx("GET", tc.a.peer, tc.a.headers...)); handled {
				t.Fatal("first request limited")
			}
			_, handled := p.Before(newCtx("GET", tc.b.peer, tc.b.headers...))
			if handled != tc.shared {
				t.Fatalf("second request limited=%v, want shared bucket=%v", handled, tc.shared)
			}
		})
	}
}

func TestRateLimitKeyTooLong(t *testing.T) {
	p, _, _ := limited(t, GlobalConfig{TrustedProxies: []string{"10.0.0.1"}}, MiddlewareConfig{RPS: 1, Key: "X-Tenant"})
	ctx := get("X-Tenant", strings.Repeat("a", 257))
	if _, handled := p.Before(ctx); !handled || ctx.Response.StatusCode() != 400 || string(ctx.Response.Body()) != `{"detail":"Rate limit key too long"}` {
		t.Fatalf("handled=%v status %d body %s", handled, ctx.Response.StatusCode(), ctx.Response.Body())
	}
	if _, handled := p.Before(get("X-Tenant", strings.Repeat("a", 256))); handled {
		t.Fatal("a 256-byte key was refused")
	}
	ip, _, _ := limited(t, GlobalConfig{TrustedProxies: []string{"10.0.0.1"}}, MiddlewareConfig{RPS: 1})
	if _, handled := ip.Before(newCtx("GET", "10.0.0.1:1", "X-Forwarded-For", strings.Repeat("1", 300))); !handled {
		t.Fatal("an oversized forwarded IP was accepted")
	}
}

func TestRateLimitRunsBeforeAuthUnlessKeyedByIdentity(t *testing.T) {
	guarded := func(rc *RouteConfig) {
		rc.AuthBackends = []AuthBackendConfig{{Type: "api_key", APIKeys: []string{"k1"}}}
		rc.Guards = []GuardConfig{{Type: "is_authenticated"}}
	}
	// Keyed by IP: the limiter counts unauthenticated requests too.
	p, _, _ := limited(t, GlobalConfig{}, MiddlewareConfig{RPS: 1, Burst: intp(2)}, guarded)
	statuses := []int{}
	for range 3 {
		ctx := get()
		p.Before(ctx)
		statuses = append(statuses, ctx.Response.StatusCode())
	}
	if fmt.Sprint(statuses) != "[401 401 429]" {
		t.Fatalf("statuses %v", statuses)
	}
	// Keyed by user: the authenticated user's bucket is separate from IP's.
	p, _, _ = limited(t, GlobalConfig{}, MiddlewareConfig{RPS: 1, Burst: intp(1), Key: "user"}, guarded)
	p.Before(get())
	if _, handled := p.Before(get("X-API-Key", "k1")); handled {
		t.Fatal("user bucket shared with the anonymous IP bucket")
	}
}

func TestRateLimitConfigErrors(t *testing.T) {
	s := mustShared(t, GlobalConfig{})
	for _, tc := range []struct {
		m    MiddlewareConfig
		want string
	}{
		{MiddlewareConfig{}, "rps 0 must be"},
		{MiddlewareConfig{RPS: -1}, "rps -1 must be"},
		{MiddlewareConfig{RPS: 2e6}, "rps 2e+06 must be"},
		{MiddlewareConfig{RPS: 1e-4}, "rps 0.0001 must be"},
		{MiddlewareConfig{RPS: 1, Burst: intp(0)}, "burst 0 must be 1..1000000"},
		{MiddlewareConfig{RPS: 1, Burst: intp(2_000_000)}, "burst 2000000 must be"},
		{MiddlewareConfig{RPS: 1, Key: "bad key"}, `key "bad key" is neither`},
		{MiddlewareConfig{RPS: 1, Origins: []string{"https://a.example"}}, "cors options"},
	} {
		tc.m.Type = "rate_limit"
		_, err := NewPipeline(RouteConfig{Route: "GET /r", Middleware: []MiddlewareConfig{tc.m}}, s)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "route GET /r: middleware[0]") {
			t.Errorf("%+v: err = %v, want %q", tc.m, err, tc.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", ""} {
		if _, err := NewShared(GlobalConfig{TrustedProxies: []string{bad}}, quiet); err == nil {
			t.Errorf("trusted proxy %q accepted", bad)
		}
	}
}

func TestLocalStoreBounded(t *testing.T) {
	s := newLocalStore(storeShards*16, quiet) // 16 buckets per shard
	now := int64(0)
	s.clock = func() int64 { return now }
	second := int64(time.Second)
	key := func(i int) []byte { return fmt.Appendf(nil, "client-%d", i) }

	// A flood of distinct, still-active clients never grows past the cap.
	for i := range 10_000 {
		if ok, _ := s.allow(key(i), second, 5); !ok {
			t.Fatalf("fresh client %d limited", i)
		}
	}
	if n := s.size(); n > storeShards*16 {
		t.Fatalf("%d buckets, cap %d", n, storeShards*16)
	}

	// Idle buckets (refilled completely) carry no information and are swept.
	now += 2 * second
	s.sweep()
	if n := s.size(); n != 0 {
		t.Fatalf("%d buckets left after every bucket refilled", n)
	}

	// Eviction prefers buckets that are already full over active ones.
	for range 5 {
		s.allow([]byte("busy"), second, 5)
	}
	if ok, _ := s.allow([]byte("busy"), second, 5); ok {
		t.Fatal("busy client not limited")
	}
	now += second / 2
	for i := range 10_000 {
		s.allow(key(i), 1, 5) // these refill within a nanosecond
		now++
	}
	if ok, _ := s.allow([]byte("busy"), second, 5); ok {
		t.Fatal("the busy client's bucket was evicted in favour of idle ones")
	}
}

// Forgetting active buckets relaxes the limit for their clients: the server's log says
// so, once per warnEvery however many are forgotten.
func TestLocalStoreLogsForgottenActiveBuckets(t *testing.T) {
	var logs bytes.Buffer
	s := newLocalStore(storeShards*16, log.New(&logs, "", 0))
	now := int64(warnEvery)
	s.clock = func() int64 { return now }
	for i := range 10_000 {
		s.allow(fmt.Appendf(nil, "client-%d", i), int64(time.Hour), 5)
	}
	if n := strings.Count(logs.String(), "rate limiter bucket table full"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logs.String())
	}
	now += int64(warnEvery)
	s.allow([]byte("one more"), int64(time.Hour), 5)
	for i := range 1000 {
		s.allow(fmt.Appendf(nil, "late-%d", i), int64(time.Hour), 5)
	}
	if n := strings.Count(logs.String(), "rate limiter bucket table full"); n != 2 {
		t.Fatalf("logged %d times after another warnEvery, want twice:\n%s", n, logs.String())
	}
}
