package server

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
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

// wsOut is a message waiting to be written: protocol.WSText, WSBytes or WSClose.
type wsOut struct {
	op   int
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

// wsConn is one WebSocket. No goroutine waits on an idle one: the hub's poller wakes a
// reader when the socket has bytes (websocket_poll.go), messages waiting to be sent are
// written by a goroutine of the writer pool, and one sweeper pings and times out all
// connections. An idle socket costs this struct and the kernel's socket.
type wsConn struct {
	id       uint64
	hub      *wsHub
	route    *wsRoute
	decision chan wsDecision // nil once the handshake is answered
	lastRead atomic.Int64    // when the first byte of the client's last frame came (Unix ns)
	pending  atomic.Int32    // messages handed to the loop and not yet taken by Python

	// The frame and message being read, kept from one wake-up to the next; only the
	// reader touches these (one at a time: the socket is armed again only once it has
	// finished).
	carry      []byte    // bytes read and not taken apart yet: a header's start, or frames sent with the handshake
	hdr        ws.Header // the data frame whose payload is being read
	left       int64     // how much of its payload is still to come
	msg        []byte    // the message so far: its fragments and the payload being read
	frames     ws.State  // server side, and fragmented while a message is incomplete
	msgOp      ws.OpCode // the opcode of the message
	begun      bool      // a frame's first bytes came, and not all of it yet
	readable   bool      // the poller found the socket readable: its first read will not wait
	polled     bool      // the socket is in the poller's set
	peerClosed bool      // the client's close frame arrived

	wmu sync.Mutex // one frame at a time on the socket

	mu          sync.Mutex
	nc          net.Conn        // the socket, once the 101 is written
	raw         syscall.RawConn // the TCP socket under nc (nil: unknown)
	out         []wsOut
	lastPing    int64 // when the heartbeat last pinged (Unix ns)
	pingWindow  int64
	pingCount   int32
	finishOnce  sync.Once
	state       uint8
	writing     bool
	pythonKnows bool // the handler closed, or was told the connection is gone
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
				c.abortLocked(int(ws.StatusPolicyViolation), "Client too slow to read")
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
	if c.nc == nil || c.writing || len(c.out) > 0 || len(m.data) > wsDirectWriteMax || !sendQueueEmpty(c.raw) {
		c.enqueueLocked(m)
		return
	}
	c.writing = true
	c.mu.Unlock()
	// The deadline only guards against the impossible: this write does not wait.
	err := c.writeFrame(dataOpCode(m.op), m.data, time.Now().Add(wsDirectWriteDeadline))
	c.mu.Lock()
	c.writing = false
	if err != nil {
		c.out = nil
		go c.lost()
		return
	}
	c.hub.messagesOut.Add(1)
	if len(c.out) > 0 {
		c.writing = true
		wsWriters.run(c)
	}
}

const wsDirectWriteDeadline = 100 * time.Millisecond

func dataOpCode(op int) ws.OpCode {
	if op == protocol.WSText {
		return ws.OpText
	}
	return ws.OpBinary
}

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
	if c.nc != nil && !c.writing {
		c.writing = true
		wsWriters.run(c)
	}
}

// abandon gives up on a handshake the handler never answered.
func (c *wsConn) abandon() {
	c.mu.Lock()
	c.state = wsDone
	c.decision = nil
	c.mu.Unlock()
	c.lost()
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
	// The handshake's request context is freed as soon as this returns
	// (KeepHijackedConns): from here the socket is the connection's, and finish closes it.
	ctx.Hijack(func(hijacked net.Conn) {
		nc, early, err := upgradeHijacked(hijacked, r, extra)
		if err != nil {
			// The 101 could not be written: the client is gone.
			_ = hijacked.Close()
			c.lost()
			return
		}
		c.attach(nc, early, d.accept, d)
	})
}

// attach starts watching a connection whose 101 is written; early holds the bytes the
// client sent after its request, before the 101. A handler that closed before
// accepting gets its close frame sent, and the client's answer read.
func (c *wsConn) attach(nc net.Conn, early []byte, accepted bool, d wsDecision) {
	now := time.Now().UnixNano()
	c.lastRead.Store(now)
	c.frames = ws.StateServerSide
	raw := rawConn(nc)
	c.mu.Lock()
	c.nc, c.raw, c.lastPing, c.decision = nc, raw, now, nil
	if !accepted {
		c.out = append(c.out[:0], wsOut{op: protocol.WSClose, code: d.code, data: []byte(d.reason)})
	}
	if len(c.out) > 0 && !c.writing {
		c.writing = true
		wsWriters.run(c)
	}
	c.mu.Unlock()
	switch {
	case raw == nil:
		c.hub.logf("websocket: %T is not a socket the poller can watch", nc)
		c.lost()
	case len(early) > 0:
		// The poller cannot see bytes already taken from the socket: a reader starts
		// with them, and adds the socket to the poller's set when it is done.
		c.carry = early
		dispatchRead(c, false)
	case c.hub.poller.watch(c) != nil:
		c.lost() // the socket is closed already
	}
}

// lost ends a connection whose socket failed; the handler sees 1006.
func (c *wsConn) lost() {
	c.mu.Lock()
	tell := !c.pythonKnows
	c.pythonKnows = true
	c.mu.Unlock()
	if tell {
		c.hub.py.WSClosed(c.id, int(ws.StatusAbnormalClosure), "")
	}
	c.finish()
}

// ended runs once reading has stopped, with the close code the handler sees: it tells
// the handler, lets a close frame of ours reach the client, and releases the socket.
func (c *wsConn) ended(code int, reason string) {
	c.mu.Lock()
	tell := !c.pythonKnows
	c.pythonKnows = true
	closing := c.state == wsClosing
	nc := c.nc
	c.mu.Unlock()
	if tell {
		c.hub.py.WSClosed(c.id, code, reason)
	}
	if closing && nc != nil {
		// Our close frame is queued or sent: let the writer finish it, then read (and
		// drop) what the client still sends for a moment, so that closing the socket
		// with unread data does not reset it under the close frame.
		for deadline := time.Now().Add(wsCloseWait); c.isWriting() && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if !c.peerClosed {
			_ = nc.SetReadDeadline(time.Now().Add(wsCloseWait / 2))
			var sink [512]byte
			for {
				if _, err := nc.Read(sink[:]); err != nil {
					break
				}
			}
		}
	}
	c.finish()
}

func (c *wsConn) allowPing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now().UnixNano()
	if now-c.pingWindow > int64(time.Second) {
		c.pingWindow, c.pingCount = now, 0
	}
	c.pingCount++
	return c.pingCount <= wsMaxPingRate
}

// heartbeat runs on the hub's sweeper: it closes a client silent past the client
// timeout, or whose last frame began longer ago than that and has not all come
// (1001), and pings an open connection every heartbeat interval. A ping is
// skipped while messages wait to be written: the client timeout judges the client by
// what it sends, and a ping never queues behind a socket that does not drain.
func (c *wsConn) heartbeat(now int64) {
	st := &c.hub.settings
	c.mu.Lock()
	if c.state != wsOpen || c.nc == nil {
		c.mu.Unlock()
		return
	}
	if now-c.lastRead.Load() > int64(st.clientTimeout) {
		// Silence past the client timeout: a dead peer, a half-open connection, or a
		// client that stopped halfway through a frame.
		c.mu.Unlock()
		c.serverClose(int(ws.StatusGoingAway), "Client timed out")
		return
	}
	if now-c.lastPing < int64(st.heartbeat) || c.writing || len(c.out) > 0 || !sendQueueEmpty(c.raw) {
		c.mu.Unlock()
		return
	}
	c.lastPing = now
	c.mu.Unlock()
	if c.writeFrame(ws.OpPing, nil, time.Now().Add(wsDirectWriteDeadline)) != nil {
		c.lost()
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
	c.hub.py.WSClosed(c.id, code, reason)
	if c.nc == nil {
		return
	}
	go func() {
		_ = c.writeFrame(ws.OpClose, closeMessage(code, reason), time.Now().Add(100*time.Millisecond))
		c.finish()
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
		c.mu.Unlock()

		if m.op == protocol.WSClose {
			c.closeHandshake(m.code, string(m.data))
			continue
		}
		if err := c.writeFrame(dataOpCode(m.op), m.data, time.Now().Add(timeout)); err != nil {
			// A peer that stopped reading or vanished.
			c.mu.Lock()
			c.out, c.writing = nil, false
			c.mu.Unlock()
			c.lost()
			return
		}
		c.hub.messagesOut.Add(1)
	}
}

// closeHandshake sends a close frame and closes the socket once the client answers
// (the reader sees its close frame) or after wsCloseWait.
func (c *wsConn) closeHandshake(code int, reason string) {
	_ = c.writeFrame(ws.OpClose, closeMessage(code, reason), time.Now().Add(wsCloseWait))
	time.AfterFunc(wsCloseWait, c.finish)
}

// closeMessage formats a close frame payload; reasons longer than a control frame
// allows are cut at a UTF-8 boundary.
func closeMessage(code int, reason string) []byte {
	if code == int(ws.StatusNoStatusRcvd) || code == 0 {
		code = int(ws.StatusNormalClosure)
	}
	if len(reason) > 123 {
		reason = reason[:123]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	return ws.NewCloseFrameBody(ws.StatusCode(code), reason)
}

// finish releases the connection once.
func (c *wsConn) finish() {
	c.finishOnce.Do(func() {
		c.mu.Lock()
		c.state = wsDone
		nc := c.nc
		c.out = nil
		c.mu.Unlock()
		if nc != nil {
			// Closing the socket also takes it out of the poller's set.
			_ = nc.Close()
		}
		c.hub.forget(c)
	})
}

func (c *wsConn) isWriting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writing
}
