package server

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// The server's own view of its connections, for three jobs fasthttp leaves to it: refusing
// bare-LF request heads at once (protocol.go, headguard.go), draining keep-alive connections
// without dropping a request (Shutdown), and keeping read deadlines cheap (deadline.go).

// listener wraps each accepted connection in a conn and keeps the set of open ones.
type listener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*conn]struct{}
	// full reports that no connection can be taken on (BOLT_MAX_CONNECTIONS, counting
	// the streams written outside fasthttp: handover.go).
	full func() bool
}

func newListener(ln net.Listener) *listener {
	return &listener{Listener: ln, conns: make(map[*conn]struct{})}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	for err == nil && l.full != nil && l.full() {
		refuseConn(c)
		c, err = l.Listener.Accept()
	}
	if err != nil {
		return nil, err
	}
	tc := &conn{Conn: c, owner: l}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			tc.raw, tc.readFD = raw, tc.readReady
		}
	}
	tc.guard.start()
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

// open is the number of connections not closed yet.
func (l *listener) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// closeIdle closes the connections that have waited at least grace for their next
// request. A connection whose next request starts meanwhile is left alone.
func (l *listener) closeIdle(grace time.Duration) {
	limit := time.Now().Add(-grace).UnixNano()
	l.mu.Lock()
	var idle []*conn
	for c := range l.conns {
		if t := c.idleSince.Load(); t > 0 && t <= limit && c.idleSince.CompareAndSwap(t, claimed) {
			idle = append(idle, c)
		}
	}
	l.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
}

// claimed marks a connection closeIdle is closing.
const claimed = -1

// conn is one client connection.
type conn struct {
	net.Conn
	owner     *listener
	closeOnce sync.Once
	// When the connection started to wait for its next request (Unix ns); 0 while a
	// request is read, handled or answered.
	idleSince atomic.Int64

	guard headGuard // bare-LF detection in request heads (protocol.go)

	linger atomic.Bool // drain the client's input before closing (linger.go)

	readDeadline lazyDeadline // see deadline.go

	// keepOpen counts the closes to ignore: fasthttp closes a connection whose stream
	// was handed over once its part of the response has ended (handover.go).
	keepOpen atomic.Int32
	requests int // requests fasthttp began to read on the connection

	// Read ahead of fasthttp's first-byte read (readahead.go): pending holds bytes read
	// and scanned, not handed out yet, in the pooled buffer ahead; readErr is the
	// error to hand out after them.
	pending []byte
	ahead   *aheadBuffer
	readErr error
	raw     syscall.RawConn // the socket's; nil without one
	readFD  func(fd uintptr) bool
	got     int   // what readFD read
	gotErr  error // and its error
}

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 1 && len(c.pending) == 0 && c.readErr == nil {
		// fasthttp's read of the first byte of a request (readahead.go).
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.pending) > 0 || c.readErr != nil {
		return c.readPending(p) // scanned already, when it was read
	}
	n, err := c.Conn.Read(p)
	for n == 0 && err != nil && c.readDeadline.rearm(c.Conn, err) {
		n, err = c.Conn.Read(p)
	}
	if n > 0 {
		c.arrived()
		if at := c.guard.scan(p[:n]); at >= 0 {
			// The bytes before the bare LF are handed over with the error, so the
			// server sees a request that began and answers it (an empty read would
			// be taken for a client closing a keep-alive connection).
			return at, errBareLF
		}
	}
	return n, err
}

// arrived marks the connection busy: bytes of a request came.
func (c *conn) arrived() {
	if t := c.idleSince.Load(); t > 0 {
		c.idleSince.CompareAndSwap(t, 0) // unless closeIdle claimed it first
	}
}

// ReadFrom keeps sendfile for file responses: the server writes files through the
// connection's io.ReaderFrom.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

func (c *conn) Close() error {
	for n := c.keepOpen.Load(); n > 0; n = c.keepOpen.Load() {
		if c.keepOpen.CompareAndSwap(n, n-1) {
			return nil
		}
	}
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		if c.linger.Load() {
			// fasthttp's serving goroutine goes on at once (linger.go).
			go c.closeAfterDrain()
			err = nil
			return
		}
		err = c.close()
	})
	return err
}

func (c *conn) close() error {
	err := c.Conn.Close()
	c.owner.mu.Lock()
	delete(c.owner.conns, c)
	c.owner.mu.Unlock()
	return err
}

// connState follows fasthttp's view of each connection: idle once its response is
// written, active again when the next request begins.
func connState(nc net.Conn, state fasthttp.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	switch state {
	case fasthttp.StateIdle:
		c.idleSince.Store(time.Now().UnixNano())
	case fasthttp.StateActive:
		c.idleSince.Store(0)
		c.requests++
	case fasthttp.StateHijacked:
		c.idleSince.Store(0)
	}
}

// drainIdleGrace is how long a keep-alive connection may wait for its next request
// once the server drains: a client that sends it within that time is answered (with
// Connection: close), one that waits longer finds the connection closed, as it would
// after the keep-alive timeout.
const drainIdleGrace = time.Second

// drain stops accepting, answers every further request with Connection: close, closes
// connections idle for drainIdleGrace, and returns when no connection is left or at
// the deadline.
func (s *Server) drain(deadline time.Time) {
	s.draining.Store(true)
	ln := s.ln.Load()
	if ln == nil {
		return
	}
	if err := ln.Listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		s.errorLog.Printf("closing the listener: %v", err)
	}
	for ln.open() > 0 && time.Now().Before(deadline) {
		ln.closeIdle(drainIdleGrace)
		time.Sleep(20 * time.Millisecond)
	}
}
