package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
	"golang.org/x/sys/unix"

	"djangobolt/protocol"
)

// wsDecision is the handler's answer to a handshake: accept, or close before accepting.
type wsDecision struct {
	accept      bool
	subprotocol []byte
	headers     []protocol.KV
	code        int
	reason      string
}

type wsOut struct {
	op   int // protocol.WSText, WSBytes or WSClose
	data []byte
	code int
}

// Connection states.
const (
	wsWaiting = iota // handshake waits for the handler's decision
	wsOpen           // frames flow both ways
	wsClosing        // a close frame is queued or sent
	wsDone           // the socket is closed
)

// Server-side limits that are not settings: a close handshake waits this long for
// the client's answer, and more pings than this per second close the connection.
const (
	wsCloseWait   = 2 * time.Second
	wsMaxPingRate = 100
)

// wsConn is one WebSocket. A goroutine reads it; messages waiting to be sent are
// written by a goroutine of the writer pool (wsWriters), so an idle socket costs one
// parked goroutine and its buffers.
type wsConn struct {
	id       uint64
	hub      *wsHub
	route    *wsRoute
	decision chan wsDecision
	pending  atomic.Int32 // messages handed to the loop and not yet taken by Python
	done     chan struct{}

	mu          sync.Mutex
	state       int
	conn        *websocket.Conn
	raw         syscall.RawConn // the TCP socket under conn, for its send queue (nil: unknown)
	out         []wsOut
	writing     bool
	pythonKnows bool // the handler closed, or was told the connection is gone
	heartbeat   *time.Timer
	pingCount   int
	pingWindow  time.Time
	finishOnce  sync.Once
	peerClosed  bool // the client's close frame arrived (reader goroutine only)
}

// command applies one handler command; it runs on the loop thread and never waits on
// the client (see sendLocked).
func (c *wsConn) command(cmd *protocol.WSCommand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case wsWaiting:
		d := wsDecision{accept: cmd.Op == protocol.WSAccept, code: cmd.Code, reason: string(cmd.Data), headers: cmd.Headers}
		switch cmd.Op {
		case protocol.WSAccept:
			if cmd.Subprotocol {
				d.subprotocol = cmd.Data
			}
			c.state = wsOpen
		case protocol.WSClose:
			c.state = wsClosing
			c.pythonKnows = true
		default:
			return // sends before accept are dropped
		}
		c.decision <- d
	case wsOpen:
		switch cmd.Op {
		case protocol.WSText, protocol.WSBytes:
			if len(c.out) >= int(c.hub.settings.channelSize) {
				// The client does not read: never buffer without bound.
				c.pythonKnows = true
				c.state = wsClosing
				c.out = c.out[:0]
				c.abortLocked(websocket.ClosePolicyViolation, "Client too slow to read")
				return
			}
			c.sendLocked(wsOut{op: cmd.Op, data: cmd.Data})
		case protocol.WSClose:
			c.state = wsClosing
			c.pythonKnows = true
			c.enqueueLocked(wsOut{op: protocol.WSClose, code: cmd.Code, data: cmd.Data})
		}
	}
}

// Messages up to this size are written on the loop thread when the socket's send queue
// is empty: the kernel takes them at once (a TCP send buffer is never smaller than
// 4 KiB), and the write costs no hand-off to a writer goroutine and back.
const wsDirectWriteMax = 2048

// sendLocked writes a data message at once when nothing else waits to be written and
// the socket can take it without blocking; otherwise it queues it for a writer.
func (c *wsConn) sendLocked(m wsOut) {
	if c.conn == nil || c.writing || len(c.out) > 0 || len(m.data) > wsDirectWriteMax || !sendQueueEmpty(c.raw) {
		c.enqueueLocked(m)
		return
	}
	conn := c.conn
	c.writing = true
	c.mu.Unlock()
	// The deadline only guards against the impossible: this write does not wait.
	_ = conn.SetWriteDeadline(time.Now().Add(wsDirectWriteDeadline))
	kind := websocket.BinaryMessage
	if m.op == protocol.WSText {
		kind = websocket.TextMessage
	}
	err := conn.WriteMessage(kind, m.data)
	c.mu.Lock()
	c.writing = false
	if err != nil {
		// The reader sees the closed socket and tells the handler.
		_ = conn.NetConn().Close()
		c.out = nil
		return
	}
	c.hub.messagesOut.Add(1)
	if len(c.out) > 0 {
		c.writing = true
		wsWriters.run(c)
	}
}

const wsDirectWriteDeadline = 100 * time.Millisecond

// sendQueueEmpty reports whether nothing waits in the socket's send queue (SIOCOUTQ).
func sendQueueEmpty(raw syscall.RawConn) bool {
	if raw == nil {
		return false
	}
	queued := -1
	_ = raw.Control(func(fd uintptr) {
		if n, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ); err == nil {
			queued = n
		}
	})
	return queued == 0
}

// rawConn digs the TCP socket out of a hijacked connection; nil when there is none.
func rawConn(nc net.Conn) syscall.RawConn {
	if h, ok := nc.(interface{ UnsafeConn() net.Conn }); ok {
		nc = h.UnsafeConn()
	}
	if w, ok := nc.(*conn); ok {
		nc = w.Conn
	}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			return raw
		}
	}
	return nil
}

func (c *wsConn) enqueueLocked(m wsOut) {
	c.out = append(c.out, m)
	if c.conn != nil && !c.writing {
		c.writing = true
		wsWriters.run(c)
	}
}

// abandon gives up on a handshake the handler never answered.
func (c *wsConn) abandon() {
	c.mu.Lock()
	c.state = wsDone
	tell := !c.pythonKnows
	c.pythonKnows = true
	c.mu.Unlock()
	if tell {
		c.hub.py.WSClosed(c.id, websocket.CloseAbnormalClosure, "")
	}
	c.finish()
}

// upgrade completes the handshake as the handler decided (websocket_upgrade.go).
func (c *wsConn) upgrade(ctx *fasthttp.RequestCtx, d wsDecision) {
	r := handshakeRequest(ctx)
	extra := make(http.Header, len(d.headers)+1)
	if len(d.subprotocol) > 0 {
		extra.Set("Sec-WebSocket-Protocol", string(d.subprotocol))
	}
	for _, h := range d.headers {
		extra.Add(string(h.Key), string(h.Value))
	}
	ctx.HijackSetNoResponse(true)
	// The connection is served on a goroutine of its own, so that fasthttp frees the
	// handshake's request context at once (KeepHijackedConns): finish closes it.
	ctx.Hijack(func(hijacked net.Conn) {
		conn, err := upgradeHijacked(hijacked, r, extra)
		if err != nil {
			// The 101 could not be written: the client is gone.
			_ = hijacked.Close()
			c.mu.Lock()
			tell := !c.pythonKnows
			c.pythonKnows, c.state = true, wsDone
			c.mu.Unlock()
			if tell {
				c.hub.py.WSClosed(c.id, websocket.CloseAbnormalClosure, "")
			}
			c.finish()
			return
		}
		if d.accept {
			go c.serve(conn)
			return
		}
		go c.refuse(conn, d)
	})
}

// refuse completes the handshake of a handler that closed before accepting: the
// client sees its close code.
func (c *wsConn) refuse(conn *websocket.Conn, d wsDecision) {
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	c.closeHandshake(conn, d.code, d.reason)
	for {
		if _, _, err := conn.NextReader(); err != nil {
			break
		}
	}
	c.finish()
}

// serve runs the reader of an accepted connection until it ends.
func (c *wsConn) serve(conn *websocket.Conn) {
	h := c.hub
	st := &h.settings
	conn.SetPingHandler(func(data string) error {
		if !c.allowPing() {
			c.serverClose(websocket.ClosePolicyViolation, "Too many pings")
			return errors.New("ping flood")
		}
		_ = conn.SetReadDeadline(time.Now().Add(st.clientTimeout))
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(st.clientTimeout))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			return err
		}
		return nil
	})
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(st.clientTimeout))
	})
	_ = conn.SetReadDeadline(time.Now().Add(st.clientTimeout))
	// The library checks each frame header against the limit, so a huge declared length
	// is refused (close 1009) before any of it is read.
	conn.SetReadLimit(st.maxMessage)

	raw := rawConn(conn.NetConn())
	c.mu.Lock()
	c.conn = conn
	c.raw = raw
	if len(c.out) > 0 && !c.writing {
		c.writing = true
		wsWriters.run(c)
	}
	c.heartbeat = time.AfterFunc(st.heartbeat, c.ping)
	c.mu.Unlock()

	code, reason := c.readLoop(conn)
	c.mu.Lock()
	tell := !c.pythonKnows
	c.pythonKnows = true
	closing := c.state == wsClosing
	c.mu.Unlock()
	if tell {
		h.py.WSClosed(c.id, code, reason)
	}
	if closing {
		// Our close frame is queued or sent: let the writer finish it, then read (and
		// drop) what the client still sends for a moment, so that closing the socket
		// with unread data does not reset it under the close frame.
		for deadline := time.Now().Add(wsCloseWait); c.isWriting() && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if !c.peerClosed {
			nc := conn.NetConn()
			_ = nc.SetReadDeadline(time.Now().Add(wsCloseWait / 2))
			_, _ = io.Copy(io.Discard, nc)
		}
	}
	c.finish()
}

// readLoop reads messages until the connection ends and returns the close code the
// handler sees.
func (c *wsConn) readLoop(conn *websocket.Conn) (int, string) {
	h := c.hub
	st := &h.settings
	for {
		kind, r, err := conn.NextReader()
		if err != nil {
			return c.readError(err)
		}
		data, err := io.ReadAll(io.LimitReader(r, st.maxMessage+1))
		if err != nil {
			return c.readError(err)
		}
		if int64(len(data)) > st.maxMessage {
			c.serverClose(websocket.CloseMessageTooBig, "Message too large")
			return websocket.CloseMessageTooBig, "Message too large"
		}
		text := kind == websocket.TextMessage
		if text && !utf8.Valid(data) {
			c.serverClose(websocket.CloseInvalidFramePayloadData, "Invalid UTF-8 in text frame")
			return websocket.CloseInvalidFramePayloadData, "Invalid UTF-8 in text frame"
		}
		_ = conn.SetReadDeadline(time.Now().Add(st.clientTimeout))
		if c.pending.Add(1) > st.channelSize {
			c.serverClose(websocket.CloseInternalServerErr, "Inbound queue full")
			return websocket.CloseInternalServerErr, "Inbound queue full"
		}
		h.messagesIn.Add(1)
		h.py.WSMessage(c.id, text, data, &c.pending)
	}
}

// readError maps why reading stopped to the code the handler sees.
func (c *wsConn) readError(err error) (int, string) {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		c.peerClosed = true
		return ce.Code, ce.Text // the library has answered the close frame
	case errors.As(err, &ne) && ne.Timeout():
		c.mu.Lock()
		closing := c.state >= wsClosing
		c.mu.Unlock()
		if closing {
			return websocket.CloseNormalClosure, ""
		}
		// Silence past the client timeout: a dead peer or a half-open connection.
		c.serverClose(websocket.CloseGoingAway, "Client timed out")
		return websocket.CloseGoingAway, "Client timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.As(err, &ne):
		return websocket.CloseAbnormalClosure, ""
	case errors.Is(err, websocket.ErrReadLimit):
		// The library has sent close 1009 (without a reason).
		c.markClosing()
		return websocket.CloseMessageTooBig, "Message too large"
	default:
		// A protocol error (bad mask, bad opcode, oversized control frame...): the
		// library has sent close 1002 with the reason.
		return websocket.CloseProtocolError, err.Error()
	}
}

func (c *wsConn) allowPing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if now.Sub(c.pingWindow) > time.Second {
		c.pingWindow, c.pingCount = now, 0
	}
	c.pingCount++
	return c.pingCount <= wsMaxPingRate
}

// ping is the heartbeat: a ping every interval; the read deadline does the rest.
func (c *wsConn) ping() {
	c.mu.Lock()
	conn, open := c.conn, c.state == wsOpen
	c.mu.Unlock()
	if !open || conn == nil {
		return
	}
	if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.hub.settings.clientTimeout)) == nil {
		c.mu.Lock()
		if c.state == wsOpen {
			c.heartbeat.Reset(c.hub.settings.heartbeat)
		}
		c.mu.Unlock()
	}
}

// serverClose starts a close handshake the server decided on (limits, timeouts,
// shutdown); the handler is told with the same code if it does not know yet.
func (c *wsConn) serverClose(code int, reason string) {
	c.mu.Lock()
	if c.state >= wsClosing {
		c.mu.Unlock()
		return
	}
	c.state = wsClosing
	c.out = c.out[:0]
	tell := !c.pythonKnows
	c.pythonKnows = true
	c.enqueueLocked(wsOut{op: protocol.WSClose, code: code, data: []byte(reason)})
	c.mu.Unlock()
	if tell {
		c.hub.py.WSClosed(c.id, code, reason)
	}
}

// abortLocked closes a connection whose writes are stuck: the close frame is tried
// with a short deadline, then the socket goes.
func (c *wsConn) abortLocked(code int, reason string) {
	conn := c.conn
	c.hub.py.WSClosed(c.id, code, reason)
	if conn == nil {
		return
	}
	go func() {
		_ = conn.WriteControl(websocket.CloseMessage, closeMessage(code, reason), time.Now().Add(100*time.Millisecond))
		_ = conn.NetConn().Close()
	}()
}

// writeLoop sends queued messages until the queue is empty, then returns.
func (c *wsConn) writeLoop() {
	timeout := c.hub.settings.clientTimeout
	for {
		c.mu.Lock()
		if len(c.out) == 0 || c.state == wsDone {
			c.writing = false
			c.mu.Unlock()
			return
		}
		m := c.out[0]
		c.out[0] = wsOut{}
		c.out = c.out[1:]
		conn := c.conn
		c.mu.Unlock()

		var err error
		if m.op == protocol.WSClose {
			c.closeHandshake(conn, m.code, string(m.data))
			continue
		}
		_ = conn.SetWriteDeadline(time.Now().Add(timeout))
		if m.op == protocol.WSText {
			err = conn.WriteMessage(websocket.TextMessage, m.data)
		} else {
			err = conn.WriteMessage(websocket.BinaryMessage, m.data)
		}
		if err != nil {
			// A peer that stopped reading or vanished: the reader sees the closed socket.
			_ = conn.NetConn().Close()
			c.mu.Lock()
			c.out, c.writing = nil, false
			c.mu.Unlock()
			return
		}
		c.hub.messagesOut.Add(1)
	}
}

// closeHandshake sends a close frame and closes the socket once the client answers
// (the reader sees its close frame) or after wsCloseWait.
func (c *wsConn) closeHandshake(conn *websocket.Conn, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, closeMessage(code, reason), time.Now().Add(wsCloseWait))
	time.AfterFunc(wsCloseWait, func() { _ = conn.NetConn().Close() })
	_ = conn.SetReadDeadline(time.Now().Add(wsCloseWait))
}

// closeMessage formats a close frame payload; reasons longer than a control frame
// allows are cut at a UTF-8 boundary.
func closeMessage(code int, reason string) []byte {
	if code == websocket.CloseNoStatusReceived || code == 0 {
		code = websocket.CloseNormalClosure
	}
	if len(reason) > 123 {
		reason = reason[:123]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	return websocket.FormatCloseMessage(code, reason)
}

// finish releases the connection once.
func (c *wsConn) finish() {
	c.finishOnce.Do(func() {
		c.mu.Lock()
		c.state = wsDone
		conn := c.conn
		if c.heartbeat != nil {
			c.heartbeat.Stop()
		}
		c.out = nil
		c.mu.Unlock()
		close(c.done)
		if conn != nil {
			_ = conn.NetConn().Close()
		}
		c.hub.forget(c)
	})
}

func (c *wsConn) markClosing() {
	c.mu.Lock()
	if c.state < wsClosing {
		c.state = wsClosing
	}
	c.mu.Unlock()
}

func (c *wsConn) isWriting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writing
}
