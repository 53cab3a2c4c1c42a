package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// serveLoopback runs s on a loopback port until the test ends and returns its address.
func serveLoopback(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Shutdown(5 * time.Second); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Shutdown")
		}
	})
	return ln.Addr().String()
}

// rawExchange writes a raw request on a new connection and returns everything the
// server sends until it closes the connection.
func rawExchange(t *testing.T, addr, request string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(conn)
	// A server that closes with request bytes still unread makes the kernel reset the
	// connection; what it sent before is still the whole response.
	if err != nil && (len(out) == 0 || !errors.Is(err, syscall.ECONNRESET)) {
		t.Fatalf("reading the response: %v (got %q)", err, out)
	}
	return string(out)
}

func TestStreamFlushesEachChunk(t *testing.T) {
	release := make(chan struct{})
	py := newFake(map[int]func(seenRequest) pyReply{
		0: func(seenRequest) pyReply {
			return pyReply{status: 200, headers: []string{"content-type", "text/event-stream"}, streaming: true, stream: 3}
		},
	})
	py.pull = func(stream, n int) (int, string) {
		switch n {
		case 0:
			return 0, "data: first\n\n"
		case 1:
			<-release // the client must have read the first chunk by now
			return 0, "data: second\n\n"
		}
		return 1, ""
	}
	s, _ := newTestServer(t, newTable(RouteSpec{Method: "GET", Path: "/events", HandlerID: 0}), py)
	addr := serveLoopback(t, s)

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/events")
	if err != nil {
		close(release)
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("Transfer-Encoding %v, want chunked", resp.TransferEncoding)
	}

	first := make(chan string, 1)
	br := bufio.NewReader(resp.Body)
	go func() {
		buf := make([]byte, len("data: first\n\n"))
		_, err := io.ReadFull(br, buf)
		if err != nil {
			first <- "error: " + err.Error()
			return
		}
		first <- string(buf)
	}()
	select {
	case got := <-first:
		if got != "data: first\n\n" {
			t.Errorf("first chunk %q", got)
		}
		close(release)
	case <-time.After(5 * time.Second):
		t.Error("the first chunk was not flushed before the second was produced")
		close(release)
		<-first
	}
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "data: second\n\n" {
		t.Errorf("rest %q, %v", rest, err)
	}
	if n := py.pullCount(3); n != 3 {
		t.Errorf("%d pulls, want 3", n)
	}
	if c := py.closedStreams(); len(c) != 0 {
		t.Errorf("CloseStream%v for a stream that ended", c)
	}
}

func TestStreamClientDisconnectClosesStream(t *testing.T) {
	py := newFake(map[int]func(seenRequest) pyReply{
		0: func(seenRequest) pyReply { return pyReply{status: 200, streaming: true, stream: 11} },
	})
	chunk := strings.Repeat("x", 32*1024)
	py.pull = func(stream, n int) (int, string) { return 0, chunk } // endless
	s, _ := newTestServer(t, newTable(RouteSpec{Method: "GET", Path: "/endless", HandlerID: 0}), py)
	addr := serveLoopback(t, s)

	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET /endless HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Fatalf("status line %q, %v", status, err)
	}
	if _, err := io.ReadFull(br, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	select {
	case id := <-py.closedCh:
		if id != 11 {
			t.Errorf("closed stream %d, want 11", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("CloseStream not called after the client left (%d pulls)", py.pullCount(11))
	}
	pulls := py.pullCount(11)
	if pulls < 1 {
		t.Errorf("%d pulls", pulls)
	}
}

func TestHeadOverConnection(t *testing.T) {
	py := newFake(map[int]func(seenRequest) pyReply{
		0: answer(200, "hello world", "content-type", "text/plain"),
		1: func(seenRequest) pyReply { return pyReply{status: 200, streaming: true, stream: 5} },
	})
	py.pull = func(stream, n int) (int, string) {
		if n == 0 {
			return 0, "chunk"
		}
		return 1, ""
	}
	table := newTable(
		RouteSpec{Method: "GET", Path: "/doc", HandlerID: 0},
		RouteSpec{Method: "GET", Path: "/stream", HandlerID: 1},
	)
	s, _ := newTestServer(t, table, py)
	addr := serveLoopback(t, s)

	out := rawExchange(t, addr, "HEAD /doc HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	head, body, found := strings.Cut(out, "\r\n\r\n")
	if !found || !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("response %q", out)
	}
	if body != "" {
		t.Errorf("HEAD response has a body: %q", body)
	}
	if !strings.Contains(head, "\r\nContent-Length: 11") {
		t.Errorf("Content-Length of the GET body missing:\n%s", head)
	}

	out = rawExchange(t, addr, "HEAD /stream HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	head, body, _ = strings.Cut(out, "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200") || body != "" {
		t.Errorf("HEAD on a stream: %q", out)
	}
	select {
	case id := <-py.closedCh:
		if id != 5 {
			t.Errorf("closed stream %d, want 5", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("HEAD on a stream did not close it")
	}
	if n := py.pullCount(5); n != 0 {
		t.Errorf("HEAD pulled %d chunks", n)
	}

	// GET still streams the body.
	out = rawExchange(t, addr, "GET /stream HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	if !strings.Contains(out, "\r\n\r\n5\r\nchunk\r\n0\r\n\r\n") {
		t.Errorf("GET on a stream: %q", out)
	}
}

func TestBodyLimitOverConnection(t *testing.T) {
	const limit = 1024
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "stored")})
	table := newTable(RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"body"}})
	table.Settings.MaxUploadSize = limit
	s, _ := newTestServer(t, table, py)
	addr := serveLoopback(t, s)

	client := &fasthttp.Client{ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	post := func(size int) (*fasthttp.Response, error) {
		req, resp := fasthttp.AcquireRequest(), &fasthttp.Response{}
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI("http://" + addr + "/upload")
		req.Header.SetMethod("POST")
		req.SetBody(bytes.Repeat([]byte("b"), size))
		return resp, client.DoTimeout(req, resp, 10*time.Second)
	}

	resp, err := post(limit)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 || string(resp.Body()) != "stored" {
		t.Errorf("body at the limit: %d %q", resp.StatusCode(), resp.Body())
	}
	if got := py.lastRequest(t); len(got.Body) != limit {
		t.Errorf("Python got %d body bytes, want %d", len(got.Body), limit)
	}

	resp, err = post(limit + 1)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"detail":"Request body too large (max %d bytes)"}`, limit)
	if resp.StatusCode() != 413 || string(resp.Body()) != want || string(resp.Header.ContentType()) != "application/json" {
		t.Errorf("over the limit: %d %q %q", resp.StatusCode(), resp.Header.ContentType(), resp.Body())
	}
	if n := py.doCount(); n != 1 {
		t.Errorf("Python called %d times, want 1 (only the body at the limit)", n)
	}
}

func TestOversizedHeaderBlockOverConnection(t *testing.T) {
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "ok")})
	table := newTable(RouteSpec{Method: "GET", Path: "/x", HandlerID: 0})
	table.Settings.MaxHeaderSize = 4096
	table.Settings.MaxHeaderBytes = 16384
	s, _ := newTestServer(t, table, py)
	addr := serveLoopback(t, s)

	out := rawExchange(t, addr, "GET /x HTTP/1.1\r\nHost: test\r\nX-Huge: "+strings.Repeat("h", 20000)+"\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 431") || !strings.HasSuffix(out, "Request headers too large") {
		t.Errorf("response %.200q", out)
	}
	out = rawExchange(t, addr, "GET /x HTTP/1.1\r\nHost: test\r\nConnection: close\r\nX-Big: "+strings.Repeat("h", 5000)+"\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 400") || !strings.HasSuffix(out, "Header value too large (max 4096 bytes)") {
		t.Errorf("response %.200q", out)
	}
	if n := py.doCount(); n != 0 {
		t.Errorf("Python called %d times", n)
	}
}
