package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

// Reading frames. github.com/gobwas/ws checks each frame header (RFC 6455 opcodes,
// masking, reserved bits, control frame size and fragmentation, continuation order)
// and unmasks payloads; what is left here is taking frames apart as their bytes come,
// and the conversation: assembling fragments into a message within
// BOLT_WS_MAX_MESSAGE_SIZE, UTF-8 of text messages, pings, pongs and the close
// handshake.
//
// A reader runs only while a socket has bytes: the poller wakes one, it reads frames
// through a pooled buffer until the socket is empty, and the socket is armed again.
// At most wsMaxReaders read at once, so that a burst (every client closing at once)
// never makes a goroutine per socket. A reader never waits for a client: when the
// socket runs dry in the middle of a frame, what has arrived stays with the connection
// (the first bytes of a header in carry, the payload so far in msg) and the reader
// goes back to its pool; the next wake-up goes on where it stopped. So a client that
// stops halfway through a frame costs the bytes it sent, not a goroutine, and the
// sweeper closes it once the frame has taken longer than the client timeout, as it
// closes a silent client (wsConn.heartbeat).

// The read buffer is a reader's while it reads, never an idle socket's.
const wsReadBufferSize = 4096

var wsReadBuffers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, wsReadBufferSize) }}

// wsStep is where a reader is after a frame.
type wsStep uint8

const (
	wsNext wsStep = iota // a whole frame was read
	wsWait               // the socket ran dry in the middle of a frame
	wsEnd                // reading stops
)

// readReady reads what the connection has, then arms its socket again; it runs on a
// reader given one of the places.
func (c *wsConn) readReady() {
	br := wsReadBuffers.Get().(*bufio.Reader)
	br.Reset((*wsSource)(c))
	var (
		code   int
		reason string
		step   wsStep
	)
	for {
		// Between frames an empty buffer ends the wake-up: the socket is armed again,
		// and the poller wakes a reader at once if more has come.
		if code, reason, step = c.readFrame(br); step != wsNext || br.Buffered() == 0 && len(c.carry) == 0 {
			break
		}
	}
	if step == wsWait {
		// The start of a header stays with the connection (a payload is in c.msg
		// already): at most a header and a control frame's payload.
		if n := br.Buffered(); n > 0 {
			b, _ := br.Peek(n)
			c.carry = bytes.Clone(b)
		}
	}
	br.Reset(nil)
	wsReadBuffers.Put(br)
	// The place is given back before the socket is armed: the next event for it may
	// come at once.
	<-wsReaderPlaces
	if step == wsEnd {
		c.ended(code, reason)
		return
	}
	if c.hub.poller.watch(c) != nil {
		c.lost() // the socket is closed already
	}
}

// errSocketEmpty ends a read that would wait for the client.
var errSocketEmpty = errors.New("websocket: no more bytes for now")

// wsSource is what a reader's buffer reads: the bytes the connection kept (carry),
// then the socket as long as it has bytes. The first read of a wake-up the poller
// signalled goes to the socket unasked; every other one asks the kernel first
// (SIOCINQ), so that no read waits.
type wsSource wsConn

func (s *wsSource) Read(p []byte) (int, error) {
	c := (*wsConn)(s)
	if len(c.carry) > 0 {
		n := copy(p, c.carry)
		if c.carry = c.carry[n:]; len(c.carry) == 0 {
			c.carry = nil
		}
		return n, nil
	}
	if !c.readable && !socketReadable(c.raw) {
		return 0, errSocketEmpty
	}
	c.readable = false
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

// dispatchRead hands c to a reader once one of the places is free; readable tells
// that the poller found its socket readable, so that the first read will not wait.
func dispatchRead(c *wsConn, readable bool) {
	wsReaderPlaces <- struct{}{}
	c.readable = readable
	wsReaders.run(c)
}

// readFrame reads one frame, or goes on with the one the last wake-up left halfway,
// and acts on it; the step says whether reading goes on, and with wsEnd the close code
// the handler sees.
func (c *wsConn) readFrame(br *bufio.Reader) (code int, reason string, step wsStep) {
	if c.left == 0 {
		if code, reason, step = c.readHeader(br); step != wsNext || c.left == 0 {
			return code, reason, step
		}
	}
	// The payload is read into the message as it comes: a client that declares a
	// large frame and sends little of it holds little memory.
	for c.left > 0 {
		if len(c.msg) == cap(c.msg) {
			c.msg = slices.Grow(c.msg, int(min(c.left, max(int64(len(c.msg)), wsPayloadStep))))
		}
		room := c.msg[len(c.msg):cap(c.msg)]
		if int64(len(room)) > c.left {
			room = room[:c.left]
		}
		n, err := br.Read(room)
		ws.Cipher(room[:n], c.hdr.Mask, int(c.hdr.Length-c.left))
		c.msg = c.msg[:len(c.msg)+n]
		if c.left -= int64(n); c.left > 0 && err != nil {
			return c.readError(err)
		}
	}
	return c.endOfFrame()
}

// A payload up to this size is given its whole buffer at once; a larger one grows
// as it arrives, doubling.
const wsPayloadStep = 16 << 10

// readHeader takes the next frame header apart once all of it has come, and a control
// frame whole (its payload is at most 125 bytes); a data frame's payload is left for
// readFrame, with c.hdr and c.left set (an empty one is done with at once).
func (c *wsConn) readHeader(br *bufio.Reader) (int, string, wsStep) {
	b, err := br.Peek(2)
	if len(b) > 0 && !c.begun {
		// The client timeout counts from the first byte of a frame.
		c.begun = true
		c.lastRead.Store(time.Now().UnixNano())
	}
	if err != nil {
		return c.readError(err)
	}
	size := 2
	if b[1]&0x80 != 0 {
		size += 4
	}
	switch b[1] & 0x7f {
	case 126:
		size += 2
	case 127:
		size += 8
	}
	whole := size
	if b[0]&0x08 != 0 && b[1]&0x7f < 126 {
		whole += int(b[1] & 0x7f) // a control frame
	}
	if b, err = br.Peek(whole); err != nil {
		return c.readError(err)
	}
	h, err := parseHeader(b[:size])
	if err != nil {
		return c.closeWith(int(ws.StatusProtocolError), err.Error())
	}
	if err := ws.CheckHeader(h, c.frames); err != nil {
		return c.closeWith(int(ws.StatusProtocolError), err.Error())
	}
	if h.OpCode.IsControl() {
		p := b[size:whole]
		ws.Cipher(p, h.Mask, 0)
		code, reason, step := c.control(h.OpCode, p)
		_, _ = br.Discard(whole)
		c.begun = false
		return code, reason, step
	}
	// The declared length is checked before any of the payload is read.
	if int64(len(c.msg))+h.Length > c.hub.settings.maxMessage {
		return c.closeWith(int(ws.StatusMessageTooBig), "Message too large")
	}
	_, _ = br.Discard(size)
	if !c.frames.Fragmented() {
		c.msgOp = h.OpCode
	}
	c.hdr, c.left = h, h.Length
	if c.left == 0 {
		return c.endOfFrame()
	}
	return 0, "", wsNext
}

// parseHeader reads a frame header (RFC 6455, section 5.2) from b, which holds all of
// it and nothing more.
func parseHeader(b []byte) (ws.Header, error) {
	h := ws.Header{
		Fin:    b[0]&0x80 != 0,
		Rsv:    (b[0] & 0x70) >> 4,
		OpCode: ws.OpCode(b[0] & 0x0f),
		Masked: b[1]&0x80 != 0,
		Length: int64(b[1] & 0x7f),
	}
	switch h.Length {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		n := binary.BigEndian.Uint64(b[2:])
		if n>>63 != 0 {
			return h, ws.ErrHeaderLengthMSB
		}
		h.Length = int64(n)
	}
	if h.Masked {
		copy(h.Mask[:], b[len(b)-4:])
	}
	return h, nil
}

// endOfFrame acts on a data frame whose payload has all come: the last frame of a
// message delivers it.
func (c *wsConn) endOfFrame() (int, string, wsStep) {
	c.begun = false
	if !c.hdr.Fin {
		c.frames = c.frames.Set(ws.StateFragmented)
		return 0, "", wsNext
	}
	c.frames = c.frames.Clear(ws.StateFragmented)
	msg := c.msg
	c.msg = nil // the handler's from here
	if msg == nil {
		msg = []byte{} // an empty message, not none
	}
	return c.deliver(c.msgOp == ws.OpText, msg)
}

// deliver hands a whole message to the handler.
func (c *wsConn) deliver(text bool, data []byte) (int, string, wsStep) {
	h := c.hub
	if text && !utf8.Valid(data) {
		return c.closeWith(int(ws.StatusInvalidFramePayloadData), "Invalid UTF-8 in text frame")
	}
	if c.pending.Add(1) > h.settings.channelSize {
		return c.closeWith(int(ws.StatusInternalServerError), "Inbound queue full")
	}
	h.messagesIn.Add(1)
	h.py.WSMessage(c.id, text, data, &c.pending)
	return 0, "", wsNext
}

// control answers a ping, notes a pong, and answers the client's close frame.
func (c *wsConn) control(op ws.OpCode, p []byte) (int, string, wsStep) {
	switch op {
	case ws.OpPing:
		if !c.allowPing() {
			return c.closeWith(int(ws.StatusPolicyViolation), "Too many pings")
		}
		if c.writeFrame(ws.OpPong, p, time.Now().Add(wsControlWriteWait)) != nil {
			return int(ws.StatusAbnormalClosure), "", wsEnd
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
		return int(code), reason, wsEnd
	}
	return 0, "", wsNext
}

// A reader answering a ping or a close frame waits at most this long for the socket to
// take the answer: a client that does not read its socket is not worth a reader.
const wsControlWriteWait = time.Second

// closeWith closes the connection with code and ends reading.
func (c *wsConn) closeWith(code int, reason string) (int, string, wsStep) {
	c.serverClose(code, reason)
	return code, reason, wsEnd
}

// readError maps why a read stopped to what the reader does next.
func (c *wsConn) readError(err error) (int, string, wsStep) {
	if errors.Is(err, errSocketEmpty) {
		return 0, "", wsWait
	}
	// EOF, a reset, a closed socket: the client is gone without a close frame.
	return int(ws.StatusAbnormalClosure), "", wsEnd
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
