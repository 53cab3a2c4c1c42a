package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// rawWS is a client on a bare socket, so that frames can be sent in any pieces: split
// anywhere, or in the same write as the handshake.
type rawWS struct {
	net.Conn
	r *bufio.Reader
}

const wsTestKey = "dGhlIHNhbXBsZSBub25jZQ=="

// dialRaw sends the upgrade request for path followed by early (frames sent before the
// 101) in one write, and reads the 101.
func dialRaw(t testing.TB, addr, path string, early []byte) *rawWS {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	handshake := "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + wsTestKey + "\r\n\r\n"
	if _, err := nc.Write(append([]byte(handshake), early...)); err != nil {
		t.Fatal(err)
	}
	c := &rawWS{Conn: nc, r: bufio.NewReader(nc)}
	status, err := c.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 101") {
		t.Fatalf("status line %q, %v", status, err)
	}
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			return c
		}
	}
}

// clientFrame is a masked frame as a client sends it.
func clientFrame(fin bool, op ws.OpCode, payload []byte) []byte {
	var b bytes.Buffer
	mask := ws.NewMask()
	_ = ws.WriteHeader(&b, ws.Header{Fin: fin, OpCode: op, Length: int64(len(payload)), Masked: true, Mask: mask})
	masked := bytes.Clone(payload)
	ws.Cipher(masked, mask, 0)
	b.Write(masked)
	return b.Bytes()
}

// next reads one frame the server sent.
func (c *rawWS) next(t testing.TB) (ws.OpCode, []byte) {
	t.Helper()
	h, err := ws.ReadHeader(c.r)
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.r, p); err != nil {
		t.Fatalf("reading a payload: %v", err)
	}
	return h.OpCode, p
}

// expect reads frames until one that is not a heartbeat ping, and checks it.
func (c *rawWS) expect(t testing.TB, op ws.OpCode, payload []byte) {
	t.Helper()
	for {
		got, p := c.next(t)
		if got == ws.OpPing && op != ws.OpPing {
			continue
		}
		if got != op || !bytes.Equal(p, payload) {
			t.Fatalf("got opcode %v with %d bytes (%.20q), want %v with %d bytes (%.20q)", got, len(p), p, op, len(payload), payload)
		}
		return
	}
}

func wsReadTable(adjust func(*Settings)) *Table {
	t := wsTable()
	st := &t.Settings
	st.WSMaxConnections, st.WSChannelSize, st.WSMaxMessageSize = 5000, 100, 1<<20
	st.WSHeartbeatInterval, st.WSClientTimeout = 30, 60
	if adjust != nil {
		adjust(st)
	}
	return t
}

// Frames are taken apart wherever the client's writes split them: in the header, in the
// payload, between the fragments of a message and in a control frame between them.
func TestWebSocketFramesSplitAnywhereAreReadWhole(t *testing.T) {
	addr, _, _ := startWS(t, wsReadTable(nil))
	c := dialRaw(t, addr, "/ws/echo", nil)
	_ = c.Conn.(*net.TCPConn).SetNoDelay(true)
	long := bytes.Repeat([]byte("0123456789"), 30) // a 16-bit length
	var stream []byte
	stream = append(stream, clientFrame(true, ws.OpText, []byte("hello"))...)
	stream = append(stream, clientFrame(false, ws.OpText, []byte("frag"))...)
	stream = append(stream, clientFrame(true, ws.OpPing, []byte("p"))...)
	stream = append(stream, clientFrame(false, ws.OpContinuation, []byte("men"))...)
	stream = append(stream, clientFrame(true, ws.OpContinuation, []byte("ted"))...)
	stream = append(stream, clientFrame(true, ws.OpBinary, long)...)
	for i := range stream {
		if _, err := c.Write(stream[i : i+1]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // each byte in a segment of its own
	}
	c.expect(t, ws.OpText, []byte("hello"))
	c.expect(t, ws.OpPong, []byte("p"))
	c.expect(t, ws.OpText, []byte("fragmented"))
	c.expect(t, ws.OpBinary, long)

	// A payload past 64 KiB, in pieces of every size.
	big := bytes.Repeat([]byte("abcdefg"), 30000)
	frame := clientFrame(true, ws.OpBinary, big)
	for at, step := 0, 1; at < len(frame); step = step*3 + 1 {
		end := min(at+step, len(frame))
		if _, err := c.Write(frame[at:end]); err != nil {
			t.Fatal(err)
		}
		at = end
		time.Sleep(time.Millisecond)
	}
	c.expect(t, ws.OpBinary, big)
}

// Thousands of clients that stop halfway through a frame (in its header or in its
// payload) hold no goroutine each while they wait, and each frame completed later
// arrives whole.
func TestWebSocketHalfSentFramesHoldNoGoroutine(t *testing.T) {
	const clients = 2000
	addr, _, _ := startWS(t, wsReadTable(nil))
	conns := make([]*rawWS, clients)
	frames := make([][]byte, clients)
	payloads := make([][]byte, clients)
	for i := range conns {
		conns[i] = dialRaw(t, addr, "/ws/echo", nil)
		payloads[i] = []byte(fmt.Sprintf("client %d: %s", i, strings.Repeat("x", i%3000)))
		frames[i] = clientFrame(true, ws.OpText, payloads[i])
	}
	before := runtime.NumGoroutine()
	// Half stop inside the header, half inside the payload.
	cut := func(i int) int {
		if i%2 == 0 {
			return 1 + i%5
		}
		return len(frames[i]) / 2
	}
	for i, c := range conns {
		if _, err := c.Write(frames[i][:cut(i)]); err != nil {
			t.Fatal(err)
		}
	}
	// Readers run only while bytes arrive: at most wsMaxReaders of them at once, parked in
	// their pool afterwards. A goroutine per waiting client would show within this window.
	most := 0
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		most = max(most, runtime.NumGoroutine()-before)
	}
	t.Logf("%d clients halfway through a frame: at most %d goroutines more than before", clients, most)
	if limit := wsMaxReaders + 50; most > limit {
		t.Fatalf("%d clients in the middle of a frame made %d goroutines (at most %d expected)", clients, most, limit)
	}
	for i, c := range conns {
		if _, err := c.Write(frames[i][cut(i):]); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range conns {
		c.expect(t, ws.OpText, payloads[i])
		c.Close()
	}
}

// A frame not completed within the client timeout closes the connection as a silent
// client does: 1001 "Client timed out", which the handler sees too.
func TestWebSocketAFrameLeftHalfwayTimesOut(t *testing.T) {
	addr, py, _ := startWS(t, wsReadTable(func(st *Settings) { st.WSClientTimeout = 0.3 }))
	c := dialRaw(t, addr, "/ws/echo", nil)
	frame := clientFrame(true, ws.OpText, []byte("never finished"))
	if _, err := c.Write(frame[:8]); err != nil {
		t.Fatal(err)
	}
	op, p := c.next(t)
	if op != ws.OpClose || len(p) < 2 || binary.BigEndian.Uint16(p) != 1001 || string(p[2:]) != "Client timed out" {
		t.Fatalf("got opcode %v, payload %q", op, p)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(py.codes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := py.codes(); len(got) != 1 || got[0] != 1001 {
		t.Fatalf("handler told %v", got)
	}
}

// Frames sent in the same write as the handshake (before the 101, which a client should
// wait for) are read like any others: in order, a frame left halfway among them is
// completed by the bytes that follow, and the connection is then watched like any
// other, with heartbeat pings.
func TestWebSocketFramesSentWithTheHandshake(t *testing.T) {
	addr, _, _ := startWS(t, wsReadTable(func(st *Settings) { st.WSHeartbeatInterval = 0.2 }))
	last := clientFrame(true, ws.OpText, []byte("last, sent in two halves"))
	var early []byte
	early = append(early, clientFrame(true, ws.OpText, []byte("early"))...)
	early = append(early, clientFrame(false, ws.OpBinary, []byte("frag"))...)
	early = append(early, clientFrame(true, ws.OpContinuation, []byte("mented"))...)
	early = append(early, clientFrame(true, ws.OpText, bytes.Repeat([]byte("z"), 6000))...)
	early = append(early, last[:10]...)
	c := dialRaw(t, addr, "/ws/echo", early)
	c.expect(t, ws.OpText, []byte("early"))
	c.expect(t, ws.OpBinary, []byte("fragmented"))
	c.expect(t, ws.OpText, bytes.Repeat([]byte("z"), 6000))
	if _, err := c.Write(last[10:]); err != nil {
		t.Fatal(err)
	}
	c.expect(t, ws.OpText, []byte("last, sent in two halves"))
	c.expect(t, ws.OpPing, nil)
	// The ping is answered, and the connection still echoes.
	if _, err := c.Write(append(clientFrame(true, ws.OpPong, nil), clientFrame(true, ws.OpText, []byte("after"))...)); err != nil {
		t.Fatal(err)
	}
	c.expect(t, ws.OpText, []byte("after"))
}

// The limits hold for frames sent with the handshake as for any others.
func TestWebSocketFramesSentWithTheHandshakeAreLimited(t *testing.T) {
	addr, py, _ := startWS(t, wsReadTable(func(st *Settings) { st.WSMaxMessageSize = 64 }))
	c := dialRaw(t, addr, "/ws/echo", clientFrame(true, ws.OpBinary, make([]byte, 65)))
	op, p := c.next(t)
	if op != ws.OpClose || len(p) < 2 || binary.BigEndian.Uint16(p) != 1009 || string(p[2:]) != "Message too large" {
		t.Fatalf("got opcode %v, payload %q", op, p)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(py.codes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := py.codes(); len(got) != 1 || got[0] != 1009 {
		t.Fatalf("handler told %v", got)
	}
}
