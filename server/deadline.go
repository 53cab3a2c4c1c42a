package server

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// fasthttp moves a connection's read deadline twice per request: to the keep-alive
// timeout before it waits for the next request, to the read timeout once its first byte
// arrives. Each move is a timer update in the Go runtime, a measurable part of what a
// short answer costs. lazyDeadline keeps the deadline asked for and moves the socket's
// own only when the new one comes sooner. A socket deadline that passes before the one
// asked for ends a read with a timeout that conn.Read does not report: it moves the
// socket's deadline to the one asked for and reads again. So a read still times out
// exactly when asked, and a busy connection sets the socket's deadline about once per
// read timeout instead of twice per request.
//
// A hijacked connection (a WebSocket) may be read beneath the conn, by the socket's file
// descriptor, so there every deadline must be the socket's own: fasthttp clears both
// deadlines with SetDeadline just before it hands a hijacked connection over, and from
// that call on the conn passes every deadline straight to the socket.
type lazyDeadline struct {
	mu     sync.Mutex
	asked  time.Time // the deadline asked for; zero: none
	armed  time.Time // the socket's deadline; zero: none
	direct bool      // SetDeadline was called: every deadline is the socket's
}

// SetReadDeadline records t and moves the socket's deadline only if t comes before it.
func (c *conn) SetReadDeadline(t time.Time) error {
	d := &c.readDeadline
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.direct && !d.armed.IsZero() && (t.IsZero() || !t.Before(d.armed)) {
		d.asked = t // the socket's deadline comes first; rearm moves it on
		return nil
	}
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	d.asked, d.armed = t, t
	return nil
}

// SetDeadline hands the connection's deadlines over to the socket for good (see above).
func (c *conn) SetDeadline(t time.Time) error {
	d := &c.readDeadline
	d.mu.Lock()
	defer d.mu.Unlock()
	d.direct = true
	d.asked, d.armed = t, t
	return c.Conn.SetDeadline(t)
}

// rearm is called with the error of a read that returned nothing. When it is a
// timeout of the socket's deadline that came before the one asked for, rearm moves
// the socket's deadline to the one asked for and returns true: read again.
func (d *lazyDeadline) rearm(sock net.Conn, err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.direct || d.asked.Equal(d.armed) || (!d.asked.IsZero() && !time.Now().Before(d.asked)) {
		return false // the deadline asked for has passed
	}
	if sock.SetReadDeadline(d.asked) != nil {
		return false
	}
	d.armed = d.asked
	return true
}
