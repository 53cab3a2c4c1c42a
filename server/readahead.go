package server

import (
	"io"
	"os"
	"sync"
	"syscall"
)

// A connection waiting for its next request holds no read buffer (fasthttp's
// ReduceMemoryUsage): fasthttp reads the request's first byte alone, then takes a
// buffer from its pool for the rest. That is what lets 10,000 idle keep-alive
// connections or open streams cost little, but it makes two read system calls of
// every request, where a server that keeps a buffer per connection makes one.
//
// fill keeps the memory and saves the call: it waits until the socket is readable
// without holding a buffer (through the socket's RawConn, on the Go runtime's poller),
// then reads whatever has arrived into a pooled buffer in one call. conn.Read hands
// those bytes out, the first byte to fasthttp's first read and the rest to the next,
// which empties the buffer back into its pool.

// aheadSize holds a request head of the usual size with room to spare; more stays in
// the socket for the next read.
const aheadSize = 4 << 10

type aheadBuffer [aheadSize]byte

var aheadPool = sync.Pool{New: func() any { return new(aheadBuffer) }}

// fill reads what the socket has into c.pending, waiting for it under the read
// deadline, and scans it like every read (headguard.go). It returns the read's error
// when nothing was read.
func (c *conn) fill() error {
	var n int
	var err error
	if c.raw != nil {
		err = c.raw.Read(c.readFD)
		for err != nil && c.readDeadline.rearm(c.Conn, err) {
			err = c.raw.Read(c.readFD)
		}
		if err == nil {
			n, err = c.got, c.gotErr
		}
		c.got, c.gotErr = 0, nil
	} else {
		// A connection with no socket under it (tests): its read waits with the buffer.
		c.ahead = aheadPool.Get().(*aheadBuffer)
		n, err = c.Conn.Read(c.ahead[:])
		for n == 0 && err != nil && c.readDeadline.rearm(c.Conn, err) {
			n, err = c.Conn.Read(c.ahead[:])
		}
	}
	if n == 0 {
		c.releaseAhead()
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	b := c.ahead[:n]
	c.arrived()
	if at := c.guard.scan(b); at >= 0 {
		// The bytes before the bare LF are handed out, then the error (see Read).
		b, err = b[:at], errBareLF
	}
	c.pending, c.readErr = b, err // an error that came with bytes comes after them
	if len(b) == 0 {
		c.releaseAhead()
	}
	return nil
}

// readReady is the socket's read callback (c.readFD, made once per connection): it
// reads into a pooled buffer, which it gives back when the socket has nothing yet, so
// that the wait that follows holds none.
func (c *conn) readReady(fd uintptr) bool {
	if c.ahead == nil {
		c.ahead = aheadPool.Get().(*aheadBuffer)
	}
	for {
		n, err := syscall.Read(int(fd), c.ahead[:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			aheadPool.Put(c.ahead)
			c.ahead = nil
			return false
		case err != nil:
			c.got, c.gotErr = 0, os.NewSyscallError("read", err)
		case n == 0:
			c.got, c.gotErr = 0, io.EOF
		default:
			c.got, c.gotErr = n, nil
		}
		return true
	}
}

// readPending hands out the bytes fill read, then the error that came with them; Read
// calls it while either is left.
func (c *conn) readPending(p []byte) (int, error) {
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	if n > 0 {
		if len(c.pending) == 0 {
			c.releaseAhead()
		}
		return n, nil
	}
	err := c.readErr
	c.readErr = nil
	return 0, err
}

func (c *conn) releaseAhead() {
	if c.ahead != nil {
		c.pending = nil
		aheadPool.Put(c.ahead)
		c.ahead = nil
	}
}
