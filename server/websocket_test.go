package server

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

// fakeWS stands in for the event loop's WebSocket side: handler 0 accepts and echoes,
// handler 1 closes before accepting with 4403, handler 2 answers each message with a
// batch of wsBurst messages of every size. Like the loop, it answers on a thread of its
// own, one batch after the other in the order the events came.
type fakeWS struct {
	*fakePython
	sink    protocol.WSSink
	batches chan []protocol.WSCommand

	mu     sync.Mutex
	closed map[uint64]int // the code each handler was told
}

func (f *fakeWS) SetWSSink(s protocol.WSSink) {
	f.sink = s
	go func() {
		for cmds := range f.batches {
			f.sink(cmds)
		}
	}()
}

func (f *fakeWS) WSOpen(conn uint64, req *protocol.Request) {
	cmd := protocol.WSCommand{Conn: conn, Op: protocol.WSAccept}
	if req.Handler == 1 {
		cmd = protocol.WSCommand{Conn: conn, Op: protocol.WSClose, Code: 4403, Data: []byte("no")}
	}
	f.batches <- []protocol.WSCommand{cmd}
}

func (f *fakeWS) WSMessage(conn uint64, text bool, data []byte, pending *atomic.Int32) {
	pending.Add(-1)
	op := protocol.WSBytes
	if text {
		op = protocol.WSText
	}
	if string(data) == "burst" {
		var cmds []protocol.WSCommand
		for i, m := range wsBurst {
			cmds = append(cmds, protocol.WSCommand{Conn: conn, Op: protocol.WSText + i%2, Data: []byte(m)})
		}
		f.batches <- cmds
		return
	}
	f.batches <- []protocol.WSCommand{{Conn: conn, Op: op, Data: data}}
}

func (f *fakeWS) WSClosed(conn uint64, code int, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed[conn] = code
}

func (f *fakeWS) codes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, c := range f.closed {
		out = append(out, c)
	}
	return out
}

// Small messages are written at once on the calling thread, large ones (and those
// queued behind them) by a writer goroutine: the client must get them all, in order.
var wsBurst = []string{"one", strings.Repeat("2", 3*wsDirectWriteMax), "three", "four", strings.Repeat("5", 100000), "six"}

func wsTable(origins ...string) *Table {
	t := newTable()
	t.WebSockets = []WebSocketSpec{{Path: "/ws/echo", HandlerID: 0, Name: "echo"}, {Path: "/ws/refuse", HandlerID: 1, Name: "refuse"}}
	t.Global = middleware.GlobalConfig{CORSAllowedOrigins: origins}
	st := &t.Settings
	st.WSMaxConnections, st.WSChannelSize, st.WSHeartbeatInterval, st.WSClientTimeout, st.WSMaxMessageSize = 2, 10, 5, 10, 64
	return t
}

func startWS(t testing.TB, table *Table) (string, *fakeWS, *Server) {
	t.Helper()
	py := &fakeWS{fakePython: &fakePython{}, closed: map[uint64]int{}, batches: make(chan []protocol.WSCommand, 1024)}
	t.Cleanup(func() { close(py.batches) }) // after the server has stopped
	s, _ := newTestServer(t, table, py)
	return serveLoopback(t, s), py, s
}

func dial(t *testing.T, addr, path string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial("ws://"+addr+path, header)
	if c != nil {
		t.Cleanup(func() { c.Close() })
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
	return c, resp, err
}

func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				return ce.Code
			}
			t.Fatalf("read ended without a close frame: %v", err)
		}
	}
}

func TestWebSocketEcho(t *testing.T) {
	addr, _, _ := startWS(t, wsTable())
	c, _, err := dial(t, addr, "/ws/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"a", "héllo", strings.Repeat("x", 64)} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
		kind, got, err := c.ReadMessage()
		if err != nil || kind != websocket.TextMessage || string(got) != m {
			t.Fatalf("echo of %q: %d %q %v", m, kind, got, err)
		}
	}
}

func TestWebSocketMessagesOfABatchArriveInOrder(t *testing.T) {
	addr, _, _ := startWS(t, wsTable())
	c, _, err := dial(t, addr, "/ws/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 20; round++ {
		if err := c.WriteMessage(websocket.TextMessage, []byte("burst")); err != nil {
			t.Fatal(err)
		}
		for i, want := range wsBurst {
			kind, got, err := c.ReadMessage()
			wantKind := websocket.TextMessage
			if i%2 == 1 {
				wantKind = websocket.BinaryMessage
			}
			if err != nil || kind != wantKind || string(got) != want {
				t.Fatalf("round %d, message %d: kind %d, %d bytes (%.10q), %v", round, i, kind, len(got), got, err)
			}
		}
	}
}

func TestWebSocketRefusals(t *testing.T) {
	addr, _, _ := startWS(t, wsTable("https://ok.example"))
	_, resp, err := dial(t, addr, "/ws/echo", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("foreign origin: %v %v", resp, err)
	}
	if _, _, err := dial(t, addr, "/ws/echo", http.Header{"Origin": {"https://ok.example"}}); err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	if _, _, err := dial(t, addr, "/ws/echo", nil); err != nil {
		t.Fatal(err)
	}
	// The cap (2) is reached.
	_, resp, err = dial(t, addr, "/ws/echo", nil)
	if err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("over the cap: %v %v", resp, err)
	}
	out := rawExchange(t, addr, "GET /ws/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 400") {
		t.Fatalf("plain GET: %q", out)
	}
}

func TestWebSocketNoGlobalCORSRefusesEveryOrigin(t *testing.T) {
	addr, _, _ := startWS(t, wsTable())
	_, resp, err := dial(t, addr, "/ws/echo", http.Header{"Origin": {"http://" + addr}})
	if err == nil || resp.StatusCode != 403 {
		t.Fatalf("want 403, got %v %v", resp, err)
	}
}

func TestWebSocketCloseBeforeAcceptAndUnknownPath(t *testing.T) {
	addr, _, _ := startWS(t, wsTable())
	c, _, err := dial(t, addr, "/ws/refuse", nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, c); code != 4403 {
		t.Fatalf("close before accept: %d", code)
	}
	c, _, err = dial(t, addr, "/ws/nowhere", nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, c); code != websocket.CloseNormalClosure {
		t.Fatalf("unknown path: %d", code)
	}
}

func TestWebSocketLimits(t *testing.T) {
	addr, py, _ := startWS(t, wsTable())
	c, _, _ := dial(t, addr, "/ws/echo", nil)
	_ = c.WriteMessage(websocket.BinaryMessage, make([]byte, 65))
	if code := closeCode(t, c); code != websocket.CloseMessageTooBig {
		t.Fatalf("oversized: %d", code)
	}
	c, _, _ = dial(t, addr, "/ws/echo", nil)
	_ = c.WriteMessage(websocket.TextMessage, []byte{0xff})
	if code := closeCode(t, c); code != websocket.CloseInvalidFramePayloadData {
		t.Fatalf("invalid UTF-8: %d", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(py.codes()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := py.codes()
	if len(got) != 2 || got[0]+got[1] != 1009+1007 {
		t.Fatalf("handlers were told %v", got)
	}
}

func TestWebSocketShutdownClosesWithGoingAway(t *testing.T) {
	addr, py, s := startWS(t, wsTable())
	c, _, err := dial(t, addr, "/ws/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() { done <- closeCode(t, c) }()
	start := time.Now()
	s.ws.shutdown(timeoutCtx(t, 200*time.Millisecond))
	if code := <-done; code != websocket.CloseGoingAway {
		t.Fatalf("close code %d", code)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Fatal("closed before the drain timeout")
	}
	if got := py.codes(); len(got) != 1 || got[0] != websocket.CloseGoingAway {
		t.Fatalf("handler told %v", got)
	}
}

func timeoutCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestWebSocketMalformedHandshakes(t *testing.T) {
	addr, _, _ := startWS(t, wsTable())
	base := "Host: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
	for _, tc := range []struct{ request, status string }{
		{"GET /ws/echo HTTP/1.1\r\n" + base + "Sec-WebSocket-Version: 13\r\n\r\n", "400"},
		{"GET /ws/echo HTTP/1.1\r\n" + base + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n\r\n", "400"},
		{"GET /ws/echo HTTP/1.1\r\n" + base + "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", "400"},
		{"POST /ws/echo HTTP/1.1\r\n" + base + "Content-Length: 0\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", "405"},
	} {
		if got := statusLine(t, addr, tc.request); !strings.HasPrefix(got, "HTTP/1.1 "+tc.status) {
			t.Errorf("%q: got %q", tc.request, got)
		}
	}
}

// statusLine sends request on a new connection and returns the answer's first line.
func statusLine(t *testing.T, addr, request string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return line
}
