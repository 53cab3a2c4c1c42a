package server

import (
	"io"
	"log"
	"testing"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
)

// The answers the server makes without Python, on a table shaped like a real project's:
// compression on, static files, the rest of a Django site, a WebSocket route and routes
// with parameters beside the ones answered. They are what a flood of unknown paths,
// unauthenticated calls, spent rate limits and preflights costs, so they allocate nothing.

func goSideTable(tb testing.TB) *Table {
	one := 1
	t := newTable(
		RouteSpec{Method: "GET", Path: "/", HandlerID: 0, Name: "root"},
		RouteSpec{Method: "GET", Path: "/items/{item_id}", HandlerID: 1, Needs: []string{"params", "query"}, Name: "item"},
		RouteSpec{Method: "PUT", Path: "/items/{item_id}", HandlerID: 2, Needs: []string{"params", "body"}, Name: "item_put"},
		RouteSpec{Method: "GET", Path: "/auth/me", HandlerID: 3, Name: "me", Security: &middleware.RouteConfig{
			AuthBackends: []middleware.AuthBackendConfig{{Type: "jwt", Secret: jwtSecret}},
			Guards:       []middleware.GuardConfig{{Type: "is_authenticated"}}}},
		// One request per 50 s: after the first, every request of a test is refused.
		RouteSpec{Method: "GET", Path: "/limited", HandlerID: 4, Name: "limited", Security: &middleware.RouteConfig{
			Middleware: []middleware.MiddlewareConfig{{Type: "rate_limit", RPS: 0.02, Burst: &one}}}},
		RouteSpec{Method: "GET", Path: "/cors", HandlerID: 5, Name: "cors", Security: &middleware.RouteConfig{
			Middleware: []middleware.MiddlewareConfig{{Type: "cors", Origins: []string{"http://example.com"}}}}},
		RouteSpec{Method: "GET", Path: "/router/hello", HandlerID: 6, Name: "hello"},
	)
	t.Global.Compression = &middleware.CompressionConfig{Backend: "gzip", MinimumSize: 500, GzipCompressLevel: 6,
		BrotliQuality: 4, BrotliLgwin: 22, ZstdLevel: 3, GzipFallback: true}
	t.Static = &StaticConfig{URLPrefix: "/static", Directories: []StaticDir{{Root: tb.TempDir()}}}
	t.Site = &SiteSpec{Route: RouteSpec{Method: "GET", Path: "/", HandlerID: 7, Name: "site"},
		Exact: []string{"/admin"}, Prefixes: []string{"/admin/"}}
	t.WebSockets = []WebSocketSpec{{Path: "/ws/echo", HandlerID: 8, Name: "echo"}}
	t.Settings.WSMaxConnections, t.Settings.WSChannelSize, t.Settings.WSHeartbeatInterval = 100, 10, 5
	t.Settings.WSClientTimeout, t.Settings.WSMaxMessageSize = 10, 1<<20
	return t
}

type goSideAnswer struct {
	name   string
	ctx    *fasthttp.RequestCtx
	status int
}

func goSideAnswers() []goSideAnswer {
	const host = "127.0.0.1:8000"
	return []goSideAnswer{
		{"404", newCtx("GET", "/no/such/route", "Host", host), 404},
		{"401", newCtx("GET", "/auth/me", "Host", host), 401},
		{"429", newCtx("GET", "/limited", "Host", host), 429},
		{"preflight", newCtx("OPTIONS", "/cors", "Host", host, "Origin", "http://example.com",
			"Access-Control-Request-Method", "GET"), 204},
		{"308", newCtx("GET", "/router/hello/", "Host", host), 308},
	}
}

// goSideHandler is the server's handler for goSideTable, with the rate limit spent.
func goSideHandler(tb testing.TB) fasthttp.RequestHandler {
	s, err := New(goSideTable(tb), instantPython{}, log.New(io.Discard, "", 0))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.shared.Close() })
	h := s.Handler()
	h(newCtx("GET", "/limited", "Host", "127.0.0.1:8000"))
	return h
}

func TestGoSideAnswersAllocateNothing(t *testing.T) {
	h := goSideHandler(t)
	for _, a := range goSideAnswers() {
		h(a.ctx)
		if got := a.ctx.Response.StatusCode(); got != a.status {
			t.Fatalf("%s: status %d, want %d", a.name, got, a.status)
		}
		if n := testing.AllocsPerRun(100, func() {
			a.ctx.Response.Reset()
			h(a.ctx)
		}); n != 0 {
			t.Errorf("%s: %v allocations per answer", a.name, n)
		}
	}
}

// BenchmarkGoSideAnswers is the handler's share of each answer, without the
// connection; bench/run.py measures the whole (endpoints 404, auth-401, rate-429,
// preflight, slash-308).
func BenchmarkGoSideAnswers(b *testing.B) {
	h := goSideHandler(b)
	for _, a := range goSideAnswers() {
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h(a.ctx)
				if a.ctx.Response.StatusCode() != a.status {
					b.Fatalf("status %d", a.ctx.Response.StatusCode())
				}
				a.ctx.Response.Reset()
			}
		})
	}
}
