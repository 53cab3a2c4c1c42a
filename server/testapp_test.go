package server

import (
	"io"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"djangobolt/protocol"
)

func newTestApp(t *testing.T, table *Table, py Python) *TestApp {
	t.Helper()
	doc, err := msgpack.Marshal(table)
	if err != nil {
		t.Fatal(err)
	}
	app, err := NewTestApp(doc, py, false)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// serve runs one request through app.Serve, as the test client does, and reads a body
// still being produced to its end.
func serve(app *TestApp, method, uri string, body string, headers ...string) *protocol.Response {
	resp, open := serveOpen(app, method, uri, body, headers...)
	if open != nil {
		rest, err := io.ReadAll(open)
		resp.Body = append(resp.Body, rest...)
		if err != nil {
			resp.Err = err
		}
		open.Close()
	}
	return resp
}

// serveOpen runs one request and hands back the body still being produced, if any.
func serveOpen(app *TestApp, method, uri string, body string, headers ...string) (*protocol.Response, io.ReadCloser) {
	path, query, _ := strings.Cut(uri, "?")
	var kv []protocol.KV
	for i := 0; i+1 < len(headers); i += 2 {
		kv = append(kv, protocol.KV{Key: []byte(headers[i]), Value: []byte(headers[i+1])})
	}
	var resp protocol.Response
	resp.Reset()
	open := app.Serve([]byte(method), []byte(path), []byte(query), kv, []byte(body), &resp)
	return &resp, open
}

func responseHeader(resp *protocol.Response, name string) (string, int) {
	value, n := "", 0
	for i := 0; i < resp.NumHeaders(); i++ {
		if k, v := resp.Header(i); strings.EqualFold(string(k), name) {
			value, n = string(v), n+1
		}
	}
	return value, n
}

// The in-process test client answers a body over BOLT_MAX_UPLOAD_SIZE as a connection
// does: 413 with the same body, before any handler runs.
func TestTestAppRefusesBodiesOverTheLimit(t *testing.T) {
	table := newTable(RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"body"}})
	table.Settings.MaxUploadSize = 100
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "stored")})
	app := newTestApp(t, table, py)
	for _, tc := range []struct {
		size   int
		status int
		body   string
	}{
		{100, 200, "stored"},
		{101, 413, `{"detail":"Request body too large (max 100 bytes)"}`},
	} {
		r := serve(app, "POST", "/upload", strings.Repeat("x", tc.size))
		if r.Status != tc.status || string(r.Body) != tc.body {
			t.Errorf("%d bytes: %d %q, want %d %q", tc.size, r.Status, r.Body, tc.status, tc.body)
		}
	}
	if n := py.doCount(); n != 1 {
		t.Errorf("Python called %d times, want 1", n)
	}
}

// Serve hands back what a client would read: the request as sent (query, headers,
// body), a stream's chunks without chunked framing, no body for HEAD.
func TestTestAppServe(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "POST", Path: "/echo", HandlerID: 0, Needs: []string{"query", "headers", "body"}},
		RouteSpec{Method: "GET", Path: "/stream", HandlerID: 1},
	)
	py := newFake(map[int]func(seenRequest) pyReply{
		0: func(r seenRequest) pyReply {
			v, _ := r.header("x-token")
			return pyReply{status: 201, body: string(r.Query) + "|" + v + "|" + string(r.Body), headers: []string{"content-type", "text/plain"}}
		},
		1: func(seenRequest) pyReply { return pyReply{status: 200, streaming: true, stream: 4} },
	})
	py.pull = func(stream, n int) (int, string) {
		if n < 2 {
			return 0, "chunk"
		}
		return 1, ""
	}
	app := newTestApp(t, table, py)

	r := serve(app, "POST", "/echo?a=1", "payload", "X-Token", "t1")
	if r.Status != 201 || string(r.Body) != "a=1|t1|payload" {
		t.Errorf("echo: %d %q", r.Status, r.Body)
	}
	if ct, _ := responseHeader(r, "Content-Type"); ct != "text/plain" {
		t.Errorf("Content-Type %q", ct)
	}
	r = serve(app, "GET", "/stream", "")
	if string(r.Body) != "chunkchunk" || r.Err != nil {
		t.Errorf("stream body %q, %v", r.Body, r.Err)
	}
	if _, n := responseHeader(r, "Content-Length"); n != 0 {
		t.Error("Content-Length handed back for a stream")
	}
	if _, n := responseHeader(r, "Transfer-Encoding"); n != 0 {
		t.Error("Transfer-Encoding handed back: there is no framing to undo")
	}
	if r = serve(app, "HEAD", "/stream", ""); r.Status != 200 || len(r.Body) != 0 {
		t.Errorf("HEAD: %d %q", r.Status, r.Body)
	}
	if closed := py.closedStreams(); len(closed) != 1 || closed[0] != 4 {
		t.Errorf("closed streams %v: HEAD closes its stream unread", closed)
	}
}

// A stream is handed over chunk by chunk as Python produces it: Serve returns before
// the first pull, each Read answers one chunk, and closing before the end closes the
// generator. An endless stream can be read for a few chunks and closed.
func TestTestAppStreamsIncrementally(t *testing.T) {
	table := newTable(RouteSpec{Method: "GET", Path: "/events", HandlerID: 0})
	py := newFake(map[int]func(seenRequest) pyReply{
		0: func(seenRequest) pyReply { return pyReply{status: 200, streaming: true, stream: 7} },
	})
	py.pull = func(stream, n int) (int, string) { return 0, "data: " + strings.Repeat("x", n) + "\n\n" }
	app := newTestApp(t, table, py)

	r, body := serveOpen(app, "GET", "/events", "")
	if r.Status != 200 || body == nil {
		t.Fatalf("%d, open body %v", r.Status, body)
	}
	if n := py.pullCount(7); n != 0 {
		t.Fatalf("%d pulls before the first read", n)
	}
	buf := make([]byte, 1024)
	for i := 0; i < 3; i++ {
		n, err := body.Read(buf)
		if want := "data: " + strings.Repeat("x", i) + "\n\n"; err != nil || string(buf[:n]) != want {
			t.Fatalf("read %d: %q, %v; want %q", i, buf[:n], err, want)
		}
	}
	if n := py.pullCount(7); n != 3 {
		t.Errorf("%d pulls for 3 reads", n)
	}
	body.Close()
	if closed := py.closedStreams(); len(closed) != 1 || closed[0] != 7 {
		t.Errorf("closed streams %v, want [7]", closed)
	}
}

// A stream that fails ends with an error after what it produced.
func TestTestAppStreamFailure(t *testing.T) {
	table := newTable(RouteSpec{Method: "GET", Path: "/s", HandlerID: 0})
	py := newFake(map[int]func(seenRequest) pyReply{
		0: func(seenRequest) pyReply { return pyReply{status: 200, streaming: true, stream: 1} },
	})
	py.pull = func(stream, n int) (int, string) {
		if n == 0 {
			return 0, "partial"
		}
		return 2, "boom"
	}
	app := newTestApp(t, table, py)
	r := serve(app, "GET", "/s", "")
	if string(r.Body) != "partial" || r.Err == nil || !strings.Contains(r.Err.Error(), "boom") {
		t.Errorf("body %q, error %v", r.Body, r.Err)
	}
}
