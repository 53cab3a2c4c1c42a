package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

func TestRequestPartsReachPython(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "GET", Path: "/health", HandlerID: 0, Name: "health"},
		RouteSpec{Method: "GET", Path: "/users/{id}", HandlerID: 1, Needs: []string{"params"}, Name: "user"},
		RouteSpec{Method: "GET", Path: "/files/{rest:path}", HandlerID: 2, Needs: []string{"params", "query"}, Name: "file"},
		RouteSpec{Method: "POST", Path: "/items", HandlerID: 3, Needs: []string{"headers", "body"}, Name: "create"},
		RouteSpec{Method: "GET", Path: "/search", HandlerID: 4, Needs: []string{"query"}, Name: "search"},
		RouteSpec{Method: "GET", Path: "/prefs", HandlerID: 5, Needs: []string{"cookies"}, Name: "prefs"},
		RouteSpec{Method: "GET", Path: "/orgs/{org}/repos/{repo}", HandlerID: 6, Needs: []string{"params"}, Name: "repo"},
	)
	handlers := map[int]func(seenRequest) pyReply{}
	for id := range 7 {
		handlers[id] = answer(200, fmt.Sprintf("handler %d", id), "content-type", "text/plain")
	}

	tests := []struct {
		name    string
		method  string
		uri     string
		headers []string
		body    string

		handler  int
		want     protocol.Want
		path     string
		params   []string
		query    *string  // nil: no query sent
		sentBody *string  // nil: no body sent
		hdrs     []string // headers that must be sent (name, value)
	}{
		{name: "static route sends nothing extra", method: "GET", uri: "/health?x=1", headers: []string{"X-Extra", "1"}, body: "ignored",
			handler: 0, want: 0, path: "/health"},
		{name: "param percent-decoded, path raw", method: "GET", uri: "/users/a%20b%2Fc", headers: []string{"X-Extra", "1"},
			handler: 1, want: protocol.WantParams, path: "/users/a%20b%2Fc", params: []string{"id", "a b/c"}},
		{name: "param plus and malformed escapes kept", method: "GET", uri: "/users/x+y%zz%4",
			handler: 1, want: protocol.WantParams, path: "/users/x+y%zz%4", params: []string{"id", "x+y%zz%4"}},
		{name: "param utf-8", method: "GET", uri: "/users/%C3%A9t%C3%A9",
			handler: 1, want: protocol.WantParams, path: "/users/%C3%A9t%C3%A9", params: []string{"id", "été"}},
		{name: "path param and raw query", method: "GET", uri: "/files/css/site%2Emin.css?v=1&x=%20y",
			handler: 2, want: protocol.WantParams | protocol.WantQuery, path: "/files/css/site%2Emin.css",
			params: []string{"rest", "css/site.min.css"}, query: ptr("v=1&x=%20y")},
		{name: "two params in order", method: "GET", uri: "/orgs/acme/repos/bolt%21",
			handler: 6, want: protocol.WantParams, path: "/orgs/acme/repos/bolt%21", params: []string{"org", "acme", "repo", "bolt!"}},
		{name: "headers lower-cased and body", method: "POST", uri: "/items?q=1", body: `{"a":1}`,
			headers: []string{"X-Mixed-Case", "Keep Value Case", "Content-Type", "application/json"},
			handler: 3, want: protocol.WantHeaders | protocol.WantBody, path: "/items", sentBody: ptr(`{"a":1}`),
			hdrs: []string{"x-mixed-case", "Keep Value Case", "content-type", "application/json"}},
		{name: "query only", method: "GET", uri: "/search?q=go+lang&page=2", headers: []string{"X-Extra", "1"},
			handler: 4, want: protocol.WantQuery, path: "/search", query: ptr("q=go+lang&page=2")},
		{name: "query absent is empty", method: "GET", uri: "/search",
			handler: 4, want: protocol.WantQuery, path: "/search", query: ptr("")},
		{name: "cookies need the headers", method: "GET", uri: "/prefs", headers: []string{"Cookie", "theme=dark"},
			handler: 5, want: protocol.WantHeaders, path: "/prefs", hdrs: []string{"cookie", "theme=dark"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			py := newFake(handlers)
			s, _ := newTestServer(t, table, py)
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			ctx := newCtxBody(tc.method, tc.uri, body, tc.headers...)
			s.Handler()(ctx)

			if py.doCount() != 1 {
				t.Fatalf("Python called %d times, want 1", py.doCount())
			}
			got := py.lastRequest(t)
			if got.Handler != tc.handler {
				t.Errorf("handler = %d, want %d", got.Handler, tc.handler)
			}
			if got.Want != tc.want {
				t.Errorf("Want = %04b, want %04b", got.Want, tc.want)
			}
			if got.Method != tc.method || got.Path != tc.path {
				t.Errorf("method, path = %q, %q, want %q, %q", got.Method, got.Path, tc.method, tc.path)
			}
			if !reflect.DeepEqual(got.Params, tc.params) {
				t.Errorf("params = %q, want %q", got.Params, tc.params)
			}
			switch {
			case tc.query == nil && got.Query != nil:
				t.Errorf("query %q sent although not needed", got.Query)
			case tc.query != nil && string(got.Query) != *tc.query:
				t.Errorf("query = %q, want %q", got.Query, *tc.query)
			}
			switch {
			case tc.sentBody == nil && got.Body != nil:
				t.Errorf("body %q sent although not needed", got.Body)
			case tc.sentBody != nil && string(got.Body) != *tc.sentBody:
				t.Errorf("body = %q, want %q", got.Body, *tc.sentBody)
			}
			if tc.want&protocol.WantHeaders == 0 && len(got.Headers) > 0 {
				t.Errorf("headers %q sent although not needed", got.Headers)
			}
			for i := 0; i < len(got.Headers); i += 2 {
				if name := got.Headers[i]; name != strings.ToLower(name) {
					t.Errorf("header name %q is not lower-case", name)
				}
			}
			for i := 0; i+1 < len(tc.hdrs); i += 2 {
				if v, ok := got.header(tc.hdrs[i]); !ok || v != tc.hdrs[i+1] {
					t.Errorf("header %q = %q (present %v), want %q; sent %q", tc.hdrs[i], v, ok, tc.hdrs[i+1], got.Headers)
				}
			}
			if got.Context != nil {
				t.Errorf("context %v for a route without security", got.Context)
			}
			r := send(t, ctx)
			if r.status != 200 || r.body != fmt.Sprintf("handler %d", tc.handler) {
				t.Errorf("response %d %q", r.status, r.body)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestRequestPartsDoNotLeakBetweenRequests(t *testing.T) {
	// The exchange buffers are pooled: a request must not see the previous one's parts.
	table := newTable(
		RouteSpec{Method: "POST", Path: "/a/{x}", HandlerID: 0, Needs: []string{"params", "headers", "body", "query"}},
		RouteSpec{Method: "GET", Path: "/b", HandlerID: 1},
	)
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "a"), 1: answer(200, "b")})
	s, _ := newTestServer(t, table, py)
	for range 3 {
		s.Handler()(newCtxBody("POST", "/a/one?q=1", []byte("body"), "X-A", "1"))
		s.Handler()(newCtx("GET", "/b"))
		got := py.lastRequest(t)
		if len(got.Params) != 0 || len(got.Headers) != 0 || got.Query != nil || got.Body != nil || got.Want != 0 {
			t.Fatalf("second request carries parts of the first: %+v", got)
		}
	}
}

func TestNoRouteAnswers(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "GET", Path: "/a", HandlerID: 0},
		RouteSpec{Method: "POST", Path: "/a", HandlerID: 1},
		RouteSpec{Method: "POST", Path: "/b", HandlerID: 2},
		RouteSpec{Method: "GET", Path: "/c/{id}", HandlerID: 3},
		RouteSpec{Method: "PUT", Path: "/c/{id}", HandlerID: 4},
	)
	const notAllowed = `{"detail":"Method Not Allowed"}`
	tests := []struct {
		method, uri string
		status      int
		contentType string
		body        string
		allow       string
	}{
		{"GET", "/nope", 404, "text/plain; charset=utf-8", "Not Found", ""},
		{"GET", "/a/b", 404, "text/plain; charset=utf-8", "Not Found", ""},
		{"OPTIONS", "/nope", 404, "text/plain; charset=utf-8", "Not Found", ""},
		{"DELETE", "/a", 405, "application/json", notAllowed, "GET, POST, HEAD, OPTIONS"},
		{"PROPFIND", "/a", 405, "application/json", notAllowed, "GET, POST, HEAD, OPTIONS"},
		{"GET", "/b", 405, "application/json", notAllowed, "POST, OPTIONS"},
		{"HEAD", "/b", 405, "application/json", "", "POST, OPTIONS"}, // no GET route, so no automatic HEAD
		{"DELETE", "/c/7", 405, "application/json", notAllowed, "GET, PUT, HEAD, OPTIONS"},
		{"OPTIONS", "/a", 200, "application/json", "{}", "GET, POST, HEAD, OPTIONS"},
		{"OPTIONS", "/b", 200, "application/json", "{}", "POST, OPTIONS"},
		{"OPTIONS", "/c/7", 200, "application/json", "{}", "GET, PUT, HEAD, OPTIONS"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.uri, func(t *testing.T) {
			py := newFake(nil)
			s, _ := newTestServer(t, table, py)
			ctx := newCtx(tc.method, tc.uri)
			s.Handler()(ctx)
			r := send(t, ctx)
			if r.status != tc.status || r.body != tc.body {
				t.Errorf("got %d %q, want %d %q", r.status, r.body, tc.status, tc.body)
			}
			if ct := r.get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tc.contentType)
			}
			if allow := r.get("Allow"); allow != tc.allow {
				t.Errorf("Allow = %q, want %q", allow, tc.allow)
			}
			if py.doCount() != 0 {
				t.Errorf("Python called %d times for a request answered in Go", py.doCount())
			}
		})
	}
}

func TestAutomaticHead(t *testing.T) {
	table := newTable(RouteSpec{Method: "GET", Path: "/doc/{id}", HandlerID: 0, Needs: []string{"params"}})
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "hello world", "content-type", "text/plain", "x-doc", "1")})
	s, _ := newTestServer(t, table, py)
	ctx := newCtx("HEAD", "/doc/9")
	s.Handler()(ctx)
	r := send(t, ctx)
	if r.status != 200 || r.body != "" {
		t.Errorf("HEAD got %d %q", r.status, r.body)
	}
	if cl := r.get("Content-Length"); cl != "11" {
		t.Errorf("Content-Length = %q, want the GET body's 11", cl)
	}
	if r.get("X-Doc") != "1" || r.get("Content-Type") != "text/plain" {
		t.Errorf("headers of the GET handler missing: %q", r.raw)
	}
	got := py.lastRequest(t)
	if got.Handler != 0 || got.Method != "HEAD" || !reflect.DeepEqual(got.Params, []string{"id", "9"}) {
		t.Errorf("Python saw %+v", got)
	}
}

func TestExplicitHeadAndOptionsRoutesWin(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "GET", Path: "/x", HandlerID: 0},
		RouteSpec{Method: "HEAD", Path: "/x", HandlerID: 1},
		RouteSpec{Method: "OPTIONS", Path: "/x", HandlerID: 2},
	)
	py := newFake(map[int]func(seenRequest) pyReply{
		0: answer(200, "get"),
		1: answer(200, "", "x-from", "head"),
		2: answer(204, "", "x-from", "options", "allow", "GET"),
	})
	s, _ := newTestServer(t, table, py)
	for _, tc := range []struct {
		method  string
		handler int
		status  int
		from    string
	}{
		{"HEAD", 1, 200, "head"},
		{"OPTIONS", 2, 204, "options"},
		{"GET", 0, 200, ""},
	} {
		ctx := newCtx(tc.method, "/x")
		s.Handler()(ctx)
		r := send(t, ctx)
		if got := py.lastRequest(t); got.Handler != tc.handler {
			t.Errorf("%s went to handler %d, want %d", tc.method, got.Handler, tc.handler)
		}
		if r.status != tc.status || r.get("X-From") != tc.from {
			t.Errorf("%s: %d X-From %q, want %d %q", tc.method, r.status, r.get("X-From"), tc.status, tc.from)
		}
	}
	if py.doCount() != 3 {
		t.Errorf("Python called %d times, want 3", py.doCount())
	}
}

func TestHeaderLimits(t *testing.T) {
	const limit = 64
	table := newTable(RouteSpec{Method: "GET", Path: "/h", HandlerID: 0, Needs: []string{"headers"}})
	table.Settings.MaxHeaderSize = limit
	withHeaders := func(n, size int) []string {
		var hs []string
		for i := range n {
			hs = append(hs, fmt.Sprintf("X-H-%03d", i), strings.Repeat("v", size))
		}
		return hs
	}
	if base := newCtx("GET", "/h"); base.Request.Header.Len() != 0 {
		t.Fatalf("the bare test request already has %d headers", base.Request.Header.Len())
	}
	tests := []struct {
		name    string
		headers []string
		status  int
		body    string
	}{
		{"100 headers", withHeaders(100, 1), 200, "ok"},
		{"101 headers", withHeaders(101, 1), 400, "Too many headers"},
		{"value at the limit", withHeaders(1, limit), 200, "ok"},
		{"value over the limit", withHeaders(1, limit+1), 400, "Header value too large (max 64 bytes)"},
		{"long value among many", append(withHeaders(10, 1), "X-Big", strings.Repeat("b", limit+1)), 400,
			"Header value too large (max 64 bytes)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "ok")})
			s, _ := newTestServer(t, table, py)
			ctx := newCtx("GET", "/h", tc.headers...)
			s.Handler()(ctx)
			r := send(t, ctx)
			if r.status != tc.status || r.body != tc.body {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, tc.status, tc.body)
			}
			wantCalls := 0
			if tc.status == 200 {
				wantCalls = 1
				if got := py.lastRequest(t); len(got.Headers)/2 != len(tc.headers)/2 {
					t.Errorf("Python got %d headers, want %d", len(got.Headers)/2, len(tc.headers)/2)
				}
			} else if ct := r.get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if py.doCount() != wantCalls {
				t.Errorf("Python called %d times, want %d", py.doCount(), wantCalls)
			}
		})
	}
}

func TestPythonResponseWrittenThrough(t *testing.T) {
	table := newTable(RouteSpec{Method: "POST", Path: "/items", HandlerID: 0})
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(201, `{"id":1}`,
		"content-type", "application/json",
		"x-custom", "custom value",
		"content-length", "999",
		"Content-Length", "5",
		"set-cookie", "a=1; Path=/",
		"set-cookie", "b=2; Path=/",
		"location", "/items/1",
	)})
	s, _ := newTestServer(t, table, py)
	ctx := newCtx("POST", "/items")
	s.Handler()(ctx)
	r := send(t, ctx)
	if r.status != 201 || r.body != `{"id":1}` {
		t.Fatalf("got %d %q", r.status, r.body)
	}
	for name, want := range map[string]string{
		"Content-Type":   "application/json",
		"X-Custom":       "custom value",
		"Location":       "/items/1",
		"Content-Length": "8", // the body's length, not Python's 999 or 5
	} {
		if got := r.get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if n := r.count("Content-Length"); n != 1 {
		t.Errorf("%d Content-Length lines:\n%s", n, r.raw)
	}
	if n := r.count("Set-Cookie"); n != 2 {
		t.Errorf("%d Set-Cookie lines, want 2:\n%s", n, r.raw)
	}
}

func TestPythonFailureBecomes500(t *testing.T) {
	tests := []struct {
		name   string
		reply  pyReply
		status int
		log    string
	}{
		{"error", pyReply{err: errors.New("loop exploded")}, 500, "produced no response: loop exploded"},
		{"status 0", pyReply{status: 0, body: "x"}, 500, "invalid status code 0"},
		{"status 99", pyReply{status: 99, body: "x"}, 500, "invalid status code 99"},
		{"status 1000", pyReply{status: 1000, body: "x"}, 500, "invalid status code 1000"},
		{"status -1", pyReply{status: -1, body: "x"}, 500, "invalid status code -1"},
		{"status 999 is valid", pyReply{status: 999, body: "x"}, 999, ""},
		{"status 418 is valid", pyReply{status: 418, body: "x"}, 418, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := newTable(RouteSpec{Method: "GET", Path: "/x", HandlerID: 0, Name: "app.views.x", Security: &middleware.RouteConfig{
				Middleware: []middleware.MiddlewareConfig{{Type: "cors", Origins: []string{"https://app.example"}}},
			}})
			reply := tc.reply
			reply.headers = []string{"x-from-python", "1"}
			py := newFake(map[int]func(seenRequest) pyReply{0: func(seenRequest) pyReply { return reply }})
			s, logs := newTestServer(t, table, py)
			ctx := newCtx("GET", "/x", "Origin", "https://app.example")
			s.Handler()(ctx)
			r := send(t, ctx)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if tc.status != 500 {
				if logs.String() != "" {
					t.Errorf("unexpected log: %s", logs)
				}
				return
			}
			if r.body != `{"detail":"Internal Server Error"}` || r.get("Content-Type") != "application/json" {
				t.Errorf("body %q, Content-Type %q", r.body, r.get("Content-Type"))
			}
			if r.get("X-From-Python") != "" {
				t.Error("headers of the failed response were sent")
			}
			if r.get("Access-Control-Allow-Origin") != "https://app.example" {
				t.Errorf("the 500 lacks the route's CORS headers:\n%s", r.raw)
			}
			if l := logs.String(); !strings.Contains(l, tc.log) || !strings.Contains(l, "app.views.x") {
				t.Errorf("log %q should name the handler and contain %q", l, tc.log)
			}
		})
	}
}

func TestFileResponse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.txt")
	const content = "file served from disk\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	table := newTable(
		RouteSpec{Method: "GET", Path: "/file", HandlerID: 0},
		RouteSpec{Method: "GET", Path: "/upper", HandlerID: 1},
		RouteSpec{Method: "GET", Path: "/missing", HandlerID: 2},
	)
	py := newFake(map[int]func(seenRequest) pyReply{
		0: sendFile(path, "content-type", "text/plain", "x-other", "kept", "content-length", "1"),
		// A header is never a file signal: a handler that sets this one sends it as it is.
		1: answer(200, "not a file", "X-Bolt-File-Path", path),
		2: sendFile(filepath.Join(dir, "nope.txt")),
	})
	s, _ := newTestServer(t, table, py)

	tests := []struct {
		method, uri string
		status      int
		body        string
		length      string
	}{
		{"GET", "/file", 200, content, fmt.Sprint(len(content))},
		{"HEAD", "/file", 200, "", fmt.Sprint(len(content))},
		{"GET", "/upper", 200, "not a file", "10"},
		{"GET", "/missing", 404, "File not found", "14"},
	}
	for _, tc := range tests {
		ctx := newCtx(tc.method, tc.uri)
		s.Handler()(ctx)
		r := send(t, ctx)
		if r.status != tc.status || r.body != tc.body || r.get("Content-Length") != tc.length {
			t.Errorf("%s %s: %d %q (Content-Length %q), want %d %q (%s)", tc.method, tc.uri,
				r.status, r.body, r.get("Content-Length"), tc.status, tc.body, tc.length)
		}
		wantHeader := 0
		if tc.uri == "/upper" {
			wantHeader = 1
		}
		if r.count("X-Bolt-File-Path") != wantHeader {
			t.Errorf("%s %s: X-Bolt-File-Path sent %d times, want %d:\n%s", tc.method, tc.uri,
				r.count("X-Bolt-File-Path"), wantHeader, r.raw)
		}
	}
	ctx := newCtx("GET", "/file")
	s.Handler()(ctx)
	r := send(t, ctx)
	if r.get("X-Other") != "kept" || r.get("Content-Type") != "text/plain" || r.get("ETag") == "" {
		t.Errorf("headers lost:\n%s", r.raw)
	}
}

func TestFileErrorKeepsCORSHeaders(t *testing.T) {
	table := newTable(RouteSpec{Method: "GET", Path: "/missing", HandlerID: 0, Security: &middleware.RouteConfig{
		Middleware: []middleware.MiddlewareConfig{{Type: "cors", Origins: []string{"https://app.example"}}},
	}})
	py := newFake(map[int]func(seenRequest) pyReply{
		0: sendFile(filepath.Join(t.TempDir(), "nope.txt")),
	})
	s, _ := newTestServer(t, table, py)
	ctx := newCtx("GET", "/missing", "Origin", "https://app.example")
	s.Handler()(ctx)
	r := send(t, ctx)
	if r.status != 404 {
		t.Fatalf("status %d, want 404", r.status)
	}
	// A cross-origin client can only read the 404 with the CORS headers, which every
	// other error response of the route (401, 403, 429, 500) carries.
	if got := r.get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("Access-Control-Allow-Origin = %q on the 404:\n%s", got, r.raw)
	}
}

func TestStreamedResponseInMemory(t *testing.T) {
	chunks := []string{"alpha,", "beta,", "gamma"}
	table := newTable(
		RouteSpec{Method: "GET", Path: "/stream", HandlerID: 0},
		RouteSpec{Method: "GET", Path: "/broken", HandlerID: 1},
	)
	newPy := func() *fakePython {
		py := newFake(map[int]func(seenRequest) pyReply{
			0: func(seenRequest) pyReply {
				return pyReply{status: 200, headers: []string{"content-type", "text/plain", "content-length", "3"}, streaming: true, stream: 7}
			},
			1: func(seenRequest) pyReply { return pyReply{status: 200, streaming: true, stream: 8} },
		})
		py.pull = func(stream, n int) (int, string) {
			if stream == 8 && n == 1 {
				return 2, "generator raised"
			}
			if n < len(chunks) {
				return 0, chunks[n]
			}
			return 1, ""
		}
		return py
	}

	t.Run("GET pulls to the end", func(t *testing.T) {
		py := newPy()
		s, _ := newTestServer(t, table, py)
		ctx := newCtx("GET", "/stream")
		s.Handler()(ctx)
		if n := py.pullCount(7); n != 0 {
			t.Errorf("%d pulls before the body was written", n)
		}
		r := send(t, ctx)
		if r.status != 200 || r.body != strings.Join(chunks, "") {
			t.Errorf("got %d %q", r.status, r.body)
		}
		if r.get("Transfer-Encoding") != "chunked" || r.count("Content-Length") != 0 {
			t.Errorf("a stream must be chunked without Content-Length:\n%s", r.raw)
		}
		if n := py.pullCount(7); n != len(chunks)+1 {
			t.Errorf("%d pulls, want %d (every chunk and the end)", n, len(chunks)+1)
		}
		if c := py.closedStreams(); len(c) != 0 {
			t.Errorf("CloseStream%v called for a stream that ended", c)
		}
	})
	t.Run("HEAD closes without pulling", func(t *testing.T) {
		py := newPy()
		s, _ := newTestServer(t, table, py)
		ctx := newCtx("HEAD", "/stream")
		s.Handler()(ctx)
		r := send(t, ctx)
		if r.status != 200 || r.body != "" {
			t.Errorf("got %d %q", r.status, r.body)
		}
		if c := py.closedStreams(); !reflect.DeepEqual(c, []int{7}) {
			t.Errorf("closed streams %v, want [7]", c)
		}
		if n := py.pullCount(7); n != 0 {
			t.Errorf("%d pulls for HEAD", n)
		}
	})
	t.Run("failure breaks the body", func(t *testing.T) {
		py := newPy()
		s, _ := newTestServer(t, table, py)
		ctx := newCtx("GET", "/broken")
		s.Handler()(ctx)
		_, err := trySend(ctx)
		if err == nil || !strings.Contains(err.Error(), "generator raised") {
			t.Errorf("writing the body: %v, want the stream's failure", err)
		}
		if n := py.pullCount(8); n != 2 {
			t.Errorf("%d pulls, want 2", n)
		}
		if c := py.closedStreams(); len(c) != 0 {
			t.Errorf("CloseStream%v after Python reported the failure itself", c)
		}
	})
}

func TestNewRejectsBadTables(t *testing.T) {
	tests := []struct {
		name   string
		routes []RouteSpec
		want   []string
	}{
		{"unknown need", []RouteSpec{{Method: "GET", Path: "/x", Needs: []string{"cookie"}}},
			[]string{"GET /x", `"cookie"`}},
		{"duplicate route", []RouteSpec{{Method: "GET", Path: "/x", HandlerID: 0, Name: "a.first"}, {Method: "GET", Path: "/x", HandlerID: 1, Name: "a.second"}},
			[]string{"a.second"}},
		{"bad pattern", []RouteSpec{{Method: "GET", Path: "x", Name: "a.bad"}}, []string{"a.bad"}},
		{"unknown guard", []RouteSpec{{Method: "GET", Path: "/x", Security: &middleware.RouteConfig{
			Guards: []middleware.GuardConfig{{Type: "is_wizard"}}}}}, []string{"GET /x", "is_wizard"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(newTable(tc.routes...), newFake(nil), nil)
			if err == nil {
				t.Fatal("New accepted the table")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
