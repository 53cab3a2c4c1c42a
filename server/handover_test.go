package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// waitingPython tells which pulls would wait, as pyhost.Loop does.
type waitingPython struct {
	*fakePython
	waits func(stream, pulled int) bool
}

func (w waitingPython) Waiting(stream int) bool { return w.waits(stream, w.pullCount(stream)) }

// streamServer serves GET /events (stream 3: a first event, a second one 20 ms later,
// which makes the stream slow, a third once release is closed, then the end) and GET
// /json; the fake tells which pulls would wait.
func streamServer(t *testing.T) (addr string, s *Server, py *fakePython, release chan struct{}) {
	t.Helper()
	release = make(chan struct{})
	py = newFake(map[int]func(seenRequest) pyReply{
		0: func(seenRequest) pyReply {
			return pyReply{status: 200, headers: []string{"content-type", "text/event-stream"}, streaming: true, stream: 3}
		},
		1: answer(200, "ok"),
	})
	py.pull = func(stream, n int) (int, string) {
		switch n {
		case 0:
			return 0, "data: first\n\n"
		case 1:
			time.Sleep(2 * slowStreamWait)
			return 0, "data: second\n\n"
		case 2:
			<-release
			return 0, "data: third\n\n"
		}
		return 1, ""
	}
	table := newTable(RouteSpec{Method: "GET", Path: "/events", HandlerID: 0}, RouteSpec{Method: "GET", Path: "/json", HandlerID: 1})
	s, _ = newTestServer(t, table, waitingPython{py, slowUntil(release)})
	return serveLoopback(t, s), s, py, release
}

// slowUntil tells that the second and third pulls wait, the third until release closes.
func slowUntil(release chan struct{}) func(stream, pulled int) bool {
	return func(stream, pulled int) bool {
		select {
		case <-release:
			return false
		default:
			return pulled == 1 || pulled == 2
		}
	}
}

func dialTest(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	return conn, bufio.NewReader(conn)
}

// readChunk reads one chunk of a chunked body and returns its bytes ("" for the last).
func readChunk(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	size, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("chunk size: %v", err)
	}
	var n int
	for _, c := range strings.TrimSpace(size) {
		n = n*16 + strings.IndexRune("0123456789abcdef", c)
	}
	data := make([]byte, n+2)
	if _, err := io.ReadFull(r, data); err != nil {
		t.Fatalf("chunk of %d bytes: %v", n, err)
	}
	return string(data[:n])
}

func readHead(t *testing.T, r *bufio.Reader) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// A slow stream waiting for its next event leaves fasthttp: its events still arrive as
// produced, and once it ends the connection serves the next request.
func TestAStreamThatWaitsIsHandedOverAndTheConnectionServesTheNextRequest(t *testing.T) {
	addr, s, py, release := streamServer(t)
	conn, r := dialTest(t, addr)
	io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
	resp := readHead(t, r)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("head %d %v", resp.StatusCode, resp.Header)
	}
	// http.ReadResponse wraps the body; the chunks are read from the connection itself.
	for _, want := range []string{"data: first\n\n", "data: second\n\n"} {
		if got := readChunk(t, r); got != want {
			t.Fatalf("event %q, want %q", got, want)
		}
	}
	waitFor(t, func() bool { return s.handedOver.Load() == 1 }, "the slow stream to be handed over")
	if n := s.OpenConnections(); n != 1 {
		t.Errorf("%d open connections while the stream is handed over, want 1", n)
	}
	close(release)
	if got := readChunk(t, r); got != "data: third\n\n" {
		t.Fatalf("third event %q", got)
	}
	if got := readChunk(t, r); got != "" {
		t.Fatalf("last chunk %q", got)
	}

	io.WriteString(conn, "GET /json HTTP/1.1\r\nHost: x\r\n\r\n")
	next := readHead(t, r)
	body, _ := io.ReadAll(next.Body)
	if next.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("the next request on the connection got %d %q", next.StatusCode, body)
	}
	if c := py.closedStreams(); len(c) != 0 {
		t.Errorf("CloseStream%v for a stream that ended", c)
	}
	waitFor(t, func() bool { return s.handedOver.Load() == 0 }, "the stream's writer to be done")
}

// A client that leaves during a handed-over stream gets its generator closed.
func TestAClientLeavingAHandedOverStreamClosesTheGenerator(t *testing.T) {
	addr, s, py, release := streamServer(t)
	chunk := strings.Repeat("x", 32<<10)
	py.pull = func(stream, n int) (int, string) {
		switch n {
		case 1:
			time.Sleep(2 * slowStreamWait)
		case 2:
			<-release
		}
		return 0, chunk // endless
	}
	conn, r := dialTest(t, addr)
	io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
	readHead(t, r)
	readChunk(t, r)
	readChunk(t, r)
	waitFor(t, func() bool { return s.handedOver.Load() == 1 }, "the slow stream to be handed over")
	conn.Close()
	close(release)
	select {
	case id := <-py.closedCh:
		if id != 3 {
			t.Errorf("closed stream %d, want 3", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CloseStream not called after the client left")
	}
}

// A request pipelined behind a stream keeps the stream with fasthttp, which answers
// the pipelined request after it.
func TestARequestPipelinedBehindAStreamIsAnswered(t *testing.T) {
	addr, s, _, release := streamServer(t)
	conn, r := dialTest(t, addr)
	io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n")
	readHead(t, r)
	for _, want := range []string{"data: first\n\n", "data: second\n\n"} {
		if got := readChunk(t, r); got != want {
			t.Fatalf("event %q, want %q", got, want)
		}
	}
	time.Sleep(2 * slowStreamWait) // the writer waits for the third event by now
	if n := s.handedOver.Load(); n != 0 {
		t.Errorf("the stream was handed over with a request read behind it")
	}
	close(release)
	for readChunk(t, r) != "" {
	}
	next := readHead(t, r)
	body, _ := io.ReadAll(next.Body)
	if next.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("the pipelined request got %d %q", next.StatusCode, body)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Handed-over streams count under BOLT_MAX_CONNECTIONS: with room for one connection
// and a stream open, the next client is refused with 503.
func TestHandedOverStreamsCountUnderMaxConnections(t *testing.T) {
	release := make(chan struct{})
	py := newFake(map[int]func(seenRequest) pyReply{
		0: func(seenRequest) pyReply { return pyReply{status: 200, streaming: true, stream: 3} },
		1: answer(200, "ok"),
	})
	py.pull = func(stream, n int) (int, string) {
		switch n {
		case 1:
			time.Sleep(2 * slowStreamWait)
		case 2:
			<-release
		case 3:
			return 1, ""
		}
		return 0, "data\n"
	}
	table := newTable(RouteSpec{Method: "GET", Path: "/events", HandlerID: 0}, RouteSpec{Method: "GET", Path: "/json", HandlerID: 1})
	table.Settings.MaxConnections = 1
	s, _ := newTestServer(t, table, waitingPython{py, slowUntil(release)})
	addr := serveLoopback(t, s)
	defer close(release)

	conn, r := dialTest(t, addr)
	io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
	readHead(t, r)
	readChunk(t, r)
	readChunk(t, r)
	waitFor(t, func() bool { return s.handedOver.Load() == 1 }, "the slow stream to be handed over")
	if answer := getOn(t, addr, "/json"); answer.StatusCode != 503 {
		t.Fatalf("a connection over the limit got %d, want 503", answer.StatusCode)
	}
}
