package server

import (
	"io"
	"time"

	"github.com/valyala/fasthttp"
)

// A body refused while it arrives (413 for its size, 422 for a file over its limits) is
// left unread and the connection closes after the answer. Closing a socket that still
// has unread input makes the kernel answer the client's next bytes with a reset, which
// can reach a client still sending the body before it has read the answer: it then
// reports "connection reset" instead of the answer. So such a connection, once
// answered, stops sending (a FIN after the answer) and reads and discards what the
// client still sends, until the client closes, for at most lingerTimeout and
// lingerLimit bytes, and only then closes. The draining is the connection's own: fasthttp's
// serving goroutine and its place under BOLT_MAX_CONNECTIONS are free as soon as the
// answer is written, so refused uploads cannot keep other clients waiting.

const (
	lingerTimeout = 2 * time.Second
	lingerLimit   = 4 << 20
)

// closeAfterDraining makes the answer written on ctx the connection's last, lingering on
// close as described above.
func closeAfterDraining(ctx *fasthttp.RequestCtx) {
	ctx.SetConnectionClose()
	if c, ok := ctx.Conn().(*conn); ok {
		c.linger.Store(true)
	}
}

// closeAfterDrain drains the client's input, then closes.
func (c *conn) closeAfterDrain() {
	c.drainInput()
	c.close()
}

// drainInput shuts the sending side of c and discards its input until the client
// closes, the deadline passes or lingerLimit bytes were read.
func (c *conn) drainInput() {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		if cw.CloseWrite() != nil {
			return // the client has gone already
		}
	}
	if c.Conn.SetReadDeadline(time.Now().Add(lingerTimeout)) != nil {
		return
	}
	io.CopyN(io.Discard, c.Conn, lingerLimit)
}
