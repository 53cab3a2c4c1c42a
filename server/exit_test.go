package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"djangobolt/middleware"
)

// Every response leaves through one exit (handle → Pipeline.Finish), so every kind of
// answer, whoever wrote it, carries the same CORS headers and is compressed by the
// same rule: a buffered body or a whole text-like file is, a Python stream is not, and a
// preflight answer is complete as written.
func TestEveryAnswerLeavesThroughOneExit(t *testing.T) {
	const origin = "https://app.example"
	dir := t.TempDir()
	static := filepath.Join(dir, "static")
	css := strings.Repeat("body { color: red }\n", 50)
	if err := os.MkdirAll(static, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "report.css"), filepath.Join(static, "site.css")} {
		if err := os.WriteFile(p, []byte(css), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jwtAuth := []middleware.AuthBackendConfig{{Type: "jwt", Secret: jwtSecret}}
	table := newTable(
		RouteSpec{Method: "GET", Path: "/data", HandlerID: 0},
		RouteSpec{Method: "GET", Path: "/stream", HandlerID: 1},
		RouteSpec{Method: "GET", Path: "/file", HandlerID: 2},
		RouteSpec{Method: "GET", Path: "/missing-file", HandlerID: 3},
		RouteSpec{Method: "GET", Path: "/broken", HandlerID: 4},
		RouteSpec{Method: "GET", Path: "/bad-status", HandlerID: 5},
		RouteSpec{Method: "GET", Path: "/silent", HandlerID: 6},
		RouteSpec{Method: "GET", Path: "/guarded", HandlerID: 7, Security: &middleware.RouteConfig{
			AuthBackends: jwtAuth, Guards: []middleware.GuardConfig{{Type: "is_authenticated"}}}},
		RouteSpec{Method: "GET", Path: "/limited", HandlerID: 8, Security: &middleware.RouteConfig{
			Middleware: []middleware.MiddlewareConfig{{Type: "rate_limit", RPS: 0.001, Burst: ptr(1)}}}},
		RouteSpec{Method: "POST", Path: "/only-post", HandlerID: 9},
		RouteSpec{Method: "GET", Path: "/slash/", HandlerID: 10},
		RouteSpec{Method: "GET", Path: "/own-cors", HandlerID: 11, Security: &middleware.RouteConfig{
			Middleware: []middleware.MiddlewareConfig{{Type: "cors", Origins: []string{"https://own.example"}}}}},
	)
	table.Global.CORS = &middleware.MiddlewareConfig{Type: "cors", Origins: []string{origin}}
	table.Global.Compression = &middleware.CompressionConfig{Backend: "gzip", MinimumSize: 10, GzipCompressLevel: 6,
		BrotliQuality: 4, BrotliLgwin: 22, ZstdLevel: 3}
	table.Static = &StaticConfig{URLPrefix: "/static", Directories: []StaticDir{{Root: static}}}
	table.Settings.AllowedHosts = []string{"api.example", "localhost"}
	table.Settings.MaxHeaderCount = 20
	big := `{"items":"` + strings.Repeat("x", 400) + `"}`
	py := newFake(map[int]func(seenRequest) pyReply{
		0: answer(200, big, "content-type", "application/json"),
		1: func(seenRequest) pyReply {
			return pyReply{status: 200, headers: []string{"content-type", "text/plain"}, streaming: true, stream: 3}
		},
		2:  sendFile(filepath.Join(dir, "report.css"), "content-type", "text/css"),
		3:  sendFile(filepath.Join(dir, "nope.css")),
		4:  func(seenRequest) pyReply { return pyReply{err: os.ErrInvalid} },
		5:  answer(42, ""),
		6:  func(seenRequest) pyReply { return pyReply{noAnswer: true} },
		7:  answer(200, "never"),
		8:  answer(200, big, "content-type", "application/json"),
		11: answer(200, big, "content-type", "application/json"),
	})
	py.pull = func(stream, n int) (int, string) {
		if n == 0 {
			return 0, strings.Repeat("chunk ", 100)
		}
		return 1, ""
	}
	s, _ := newTestServer(t, table, py)
	s.Handler()(newCtx("GET", "/limited", "Host", "api.example")) // takes the one token

	manyHeaders := []string{}
	for i := range 25 {
		manyHeaders = append(manyHeaders, "X-H"+itoa(i), "v")
	}
	cases := []struct {
		name       string
		method     string
		uri        string
		headers    []string
		status     int
		compressed bool   // Finish compressed the body
		acao       string // the Access-Control-Allow-Origin Finish must add
	}{
		{"python buffered", "GET", "/data", nil, 200, true, origin},
		{"python stream", "GET", "/stream", nil, 200, false, origin},
		{"python file", "GET", "/file", nil, 200, true, origin},
		{"file error", "GET", "/missing-file", nil, 404, false, origin},
		{"python failed", "GET", "/broken", nil, 500, false, origin},
		{"invalid status", "GET", "/bad-status", nil, 500, false, origin},
		{"no answer", "GET", "/silent", nil, 500, false, origin},
		{"guard 401", "GET", "/guarded", nil, 401, false, origin},
		{"rate limit 429", "GET", "/limited", nil, 429, false, origin},
		{"no route 404", "GET", "/nowhere", nil, 404, false, origin},
		{"method 405", "GET", "/only-post", nil, 405, false, origin},
		{"automatic OPTIONS", "OPTIONS", "/only-post", nil, 200, false, origin},
		{"slash redirect", "GET", "/slash", nil, 308, false, origin},
		{"static file", "GET", "/static/site.css", nil, 200, true, origin},
		{"static 404", "GET", "/static/none.css", nil, 404, false, origin},
		{"refused Host", "GET", "/data", []string{"Host", "evil.example"}, 400, false, origin},
		{"too many headers", "GET", "/data", manyHeaders, 400, false, origin},
		{"route's own policy", "GET", "/own-cors", nil, 200, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			headers := append([]string{"Host", "api.example", "Origin", origin, "Accept-Encoding", "gzip"}, tc.headers...)
			ctx := newCtx(tc.method, tc.uri, headers...)
			if tc.headers != nil && tc.headers[0] == "Host" {
				ctx.Request.Header.SetHost(tc.headers[1])
			}
			s.Handler()(ctx)
			r := send(t, ctx)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%s%s", r.status, tc.status, r.raw, r.body)
			}
			if got := r.get("Access-Control-Allow-Origin"); got != tc.acao || r.count("Access-Control-Allow-Origin") > 1 {
				t.Errorf("Access-Control-Allow-Origin %q (%d times), want %q once\n%s", got, r.count("Access-Control-Allow-Origin"), tc.acao, r.raw)
			}
			if got := r.get("Content-Encoding") == "gzip"; got != tc.compressed {
				t.Errorf("compressed = %v, want %v\n%s", got, tc.compressed, r.raw)
			}
		})
	}

	// A preflight answer is complete: nothing is added to it afterwards.
	ctx := newCtx("OPTIONS", "/nowhere", "Host", "api.example", "Origin", origin, "Access-Control-Request-Method", "GET", "Accept-Encoding", "gzip")
	s.Handler()(ctx)
	r := send(t, ctx)
	if r.status != 204 || r.get("Access-Control-Allow-Origin") != origin || r.get("Vary") != "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" {
		t.Errorf("preflight:\n%s", r.raw)
	}
}
