package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

// Reading frames. github.com/gobwas/ws reads and checks each frame header (RFC 6455
// opcodes, masking, reserved bits, control frame size and fragmentation, continuation
// order) and unmasks payloads; what is left here is the conversation: assembling
// fragments into a message within BOLT_WS_MAX_MESSAGE_SIZE, UTF-8 of text messages,
// pings, pongs and the close handshake.
//
// A reader runs only while a socket has bytes: the poller wakes one, it reads frames
// through a pooled buffer until that buffer is empty, and the socket is armed again.
// At most wsMaxReaders read at once, so that a burst (every client closing at once)
// never makes a goroutine per socket. A frame whose first bytes have arrived is read to
// its end, waiting for the rest at most the client timeout; a reader about to wait so
// gives its place to another first (wsSource), so slow clients never hold up the rest.

// The read buffer is a reader's while it reads, never an idle socket's.
const wsReadBufferSize = 4096

var wsReadBuffers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, wsReadBufferSize) }}

// readReady reads what the socket holds, then arms it again; it runs on a reader the
// poller woke.
func (c *wsConn) readReady() {
	c.fills = 0
	br := wsReadBuffers.Get().(*bufio.Reader)
	br.Reset((*wsSource)(c))
	var (
		code   int
		reason string
		end    bool
	)
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(c.hub.settings.clientTimeout))
		if code, reason, end = c.readFrame(br); end || br.Buffered() == 0 {
			break
		}
	}
	br.Reset(nil)
	wsReadBuffers.Put(br)
	if end {
		c.releaseReader()
		c.ended(code, reason)
		return
	}
	// Its place is given back before the socket is armed: the next event for it may
	// come at once.
	c.releaseReader()
	if c.hub.poller.arm(c) != nil {
		c.lost() // the socket is closed already
	}
}

// wsSource is what a reader's buffer reads: the socket, with the reader giving back
// its place before a read that would wait (the first read of a wake-up never does).
type wsSource wsConn

func (s *wsSource) Read(p []byte) (int, error) {
	c := (*wsConn)(s)
	if c.fills++; c.fills > 1 && c.reading && !socketReadable(c.raw) {
		c.releaseReader()
	}
	return c.nc.Read(p)
}

// socketReadable reports whether bytes wait in the socket's receive queue (SIOCINQ).
func socketReadable(raw syscall.RawConn) bool {
	queued := 0
	_ = raw.Control(func(fd uintptr) {
		if n, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil {
			queued = n
		}
	})
	return queued > 0
}

// At most this many readers hold a place at once.
const wsMaxReaders = wsIdleWorkers

var wsReaderPlaces = make(chan struct{}, wsMaxReaders)

// dispatchRead hands a readable socket to a reader once one of the places is free.
func dispatchRead(c *wsConn) {
	wsReaderPlaces <- struct{}{}
	c.reading = true
	wsReaders.run(c)
}

// releaseReader gives back the reader's place, once.
func (c *wsConn) releaseReader() {
	if c.reading {
		c.reading = false
		<-wsReaderPlaces
	}
}

// readBlocking reads a connection the poller cannot watch (one whose first frames
// came with the handshake) on a goroutine of its own, until it ends.
func (c *wsConn) readBlocking() {
	br := bufio.NewReaderSize(c.nc, wsReadBufferSize)
	for {
		// The sweeper closes a silent client; a read only waits for its next frame.
		_ = c.nc.SetReadDeadline(time.Time{})
		if code, reason, end := c.readFrame(br); end {
			c.ended(code, reason)
			return
		}
	}
}

// readFrame reads one frame and acts on it; end reports that reading stops, with the
// close code the handler sees.
func (c *wsConn) readFrame(br *bufio.Reader) (code int, reason string, end bool) {
	h, err := ws.ReadHeader(br)
	if err != nil {
		return c.readError(err)
	}
	if err := ws.CheckHeader(h, c.frames); err != nil {
		return c.closeWith(int(ws.StatusProtocolError), err.Error())
	}
	c.lastRead.Store(time.Now().UnixNano())
	if h.OpCode.IsControl() {
		var buf [ws.MaxControlFramePayloadSize]byte
		p := buf[:h.Length]
		if _, err := io.ReadFull(br, p); err != nil {
			return c.readError(err)
		}
		ws.Cipher(p, h.Mask, 0)
		return c.control(h.OpCode, p)
	}
	// The declared length is checked before any of the payload is read.
	if int64(len(c.msg))+h.Length > c.hub.settings.maxMessage {
		return c.closeWith(int(ws.StatusMessageTooBig), "Message too large")
	}
	fragmented := c.frames.Fragmented()
	var data []byte
	if fragmented {
		n := len(c.msg)
		c.msg = slices.Grow(c.msg, int(h.Length))[:n+int(h.Length)]
		data = c.msg[n:]
	} else {
		data = make([]byte, h.Length)
	}
	if _, err := io.ReadFull(br, data); err != nil {
		return c.readError(err)
	}
	ws.Cipher(data, h.Mask, 0)
	switch {
	case !fragmented && h.Fin:
		return c.deliver(h.OpCode == ws.OpText, data)
	case !fragmented:
		c.msgOp, c.msg = h.OpCode, data
		c.frames = c.frames.Set(ws.StateFragmented)
	case h.Fin:
		msg := c.msg
		c.msg = nil
		c.frames = c.frames.Clear(ws.StateFragmented)
		return c.deliver(c.msgOp == ws.OpText, msg)
	}
	return 0, "", false
}

// deliver hands a whole message to the handler.
func (c *wsConn) deliver(text bool, data []byte) (int, string, bool) {
	h := c.hub
	if text && !utf8.Valid(data) {
		return c.closeWith(int(ws.StatusInvalidFramePayloadData), "Invalid UTF-8 in text frame")
	}
	if c.pending.Add(1) > h.settings.channelSize {
		return c.closeWith(int(ws.StatusInternalServerError), "Inbound queue full")
	}
	h.messagesIn.Add(1)
	h.py.WSMessage(c.id, text, data, &c.pending)
	return 0, "", false
}

// control answers a ping, notes a pong, and answers the client's close frame.
func (c *wsConn) control(op ws.OpCode, p []byte) (int, string, bool) {
	switch op {
	case ws.OpPing:
		if !c.allowPing() {
			return c.closeWith(int(ws.StatusPolicyViolation), "Too many pings")
		}
		if c.writeFrame(ws.OpPong, p, time.Now().Add(wsControlWriteWait)) != nil {
			return int(ws.StatusAbnormalClosure), "", true
		}
	case ws.OpClose:
		c.peerClosed = true
		code, reason := ws.StatusNoStatusRcvd, ""
		if len(p) > 0 {
			code, reason = ws.ParseCloseFrameData(p)
			if len(p) < 2 {
				return c.closeWith(int(ws.StatusProtocolError), "close frame payload of 1 byte")
			}
			if err := ws.CheckCloseFrameData(code, reason); err != nil {
				return c.closeWith(int(ws.StatusProtocolError), err.Error())
			}
		}
		c.mu.Lock()
		answer := c.state < wsClosing
		if answer {
			c.state = wsClosing
		}
		c.mu.Unlock()
		if answer {
			_ = c.writeFrame(ws.OpClose, closeMessage(int(code), ""), time.Now().Add(wsControlWriteWait))
		}
		return int(code), reason, true
	}
	return 0, "", false
}

// A reader answering a ping or a close frame waits at most this long for the socket to
// take the answer: a client that does not read its socket is not worth a reader.
const wsControlWriteWait = time.Second

// closeWith closes the connection with code and ends reading.
func (c *wsConn) closeWith(code int, reason string) (int, string, bool) {
	c.serverClose(code, reason)
	return code, reason, true
}

// readError maps why reading stopped to the code the handler sees.
func (c *wsConn) readError(err error) (int, string, bool) {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		c.mu.Lock()
		closing := c.state >= wsClosing
		c.mu.Unlock()
		if closing {
			return int(ws.StatusNormalClosure), "", true
		}
		// A frame that stopped halfway for the client timeout.
		return c.closeWith(int(ws.StatusGoingAway), "Client timed out")
	case errors.Is(err, ws.ErrHeaderLengthMSB), errors.Is(err, ws.ErrHeaderLengthUnexpected):
		return c.closeWith(int(ws.StatusProtocolError), err.Error())
	default:
		// EOF, a reset, a closed socket: the client is gone without a close frame.
		return int(ws.StatusAbnormalClosure), "", true
	}
}

// writeFrame writes one unfragmented frame, header and payload in one write when the
// payload is small.
func (c *wsConn) writeFrame(op ws.OpCode, payload []byte, deadline time.Time) error {
	fb := wsFrameBuffers.Get().(*frameBuffer)
	fb.b = fb.b[:0]
	_ = ws.WriteHeader(fb, ws.Header{Fin: true, OpCode: op, Length: int64(len(payload))})
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(deadline)
	var err error
	if len(payload) <= wsFrameCopyMax {
		fb.b = append(fb.b, payload...)
		_, err = c.nc.Write(fb.b)
	} else if _, err = c.nc.Write(fb.b); err == nil {
		_, err = c.nc.Write(payload)
	}
	if cap(fb.b) <= 2*wsFrameCopyMax {
		wsFrameBuffers.Put(fb)
	}
	return err
}

// Payloads up to this size are copied behind their header, for one write.
const wsFrameCopyMax = 8192

type frameBuffer struct{ b []byte }

func (f *frameBuffer) Write(p []byte) (int, error) {
	f.b = append(f.b, p...)
	return len(p), nil
}

var wsFrameBuffers = sync.Pool{New: func() any { return &frameBuffer{b: make([]byte, 0, 256)} }}
