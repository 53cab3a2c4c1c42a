package server

import (
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Streams handed over. While fasthttp writes a response body it holds the
// connection's serving goroutine, its write buffer, its request context and, when
// request bodies are streamed (body.go), its read buffer, which is as large as the
// largest request head: most of what an open stream costs, for as long as it lasts (an
// SSE client may stay for hours). So a slow stream (one whose chunk kept the writer
// waiting slowStreamWait already) leaves fasthttp the next time it has to wait for
// Python: WriteTo ends with errHandedOver, fasthttp puts its buffers, request
// context and goroutine back to their pools, and a goroutine that holds only the
// connection and the stream writes the rest, each batch flushed as it comes. A fast
// stream, whose producer keeps up with the writer, stays with fasthttp: leaving costs
// a goroutine and a new start of fasthttp's serving loop.
//
// After the last chunk the connection serves its next requests: the goroutine waits
// for the first byte of the next one under the keep-alive timeout, then gives the
// connection back to fasthttp (ServeConn). Bytes fasthttp has buffered would go back to
// its pool with the read buffer, so a stream leaves only while none of the next
// request has been read (a client that pipelines a request behind the stream keeps it
// with fasthttp).

// slowStreamWait is how long a wait for a chunk marks a stream as slow.
const slowStreamWait = 10 * time.Millisecond

// errHandedOver ends fasthttp's part of a response whose stream was handed over.
var errHandedOver = errors.New("stream handed over")

// waiter is a Python host that can tell whether a stream's next pull would wait
// (pyhost.Loop).
type waiter interface {
	Waiting(stream int) bool
}

// handover is a stream's way out of fasthttp; see above.
type handover struct {
	s       *Server
	c       *conn
	ctx     *fasthttp.RequestCtx // until started
	waiting func(stream int) bool
	slow    bool // a chunk kept the writer waiting slowStreamWait
	started bool
	resume  bool // the connection serves further requests after the stream
	size    [18]byte
	vec     [3][]byte
}

// handover returns the way out for a stream answered on ctx, or nil where the stream
// stays with fasthttp: a connection that is not one of the server's own (in-memory
// tests), a client that does not read chunked bodies (HTTP/1.0), a status without a
// body, or a host that cannot tell whether a stream waits.
func (s *Server) handover(ctx *fasthttp.RequestCtx, r *route) *handover {
	w, ok := s.python.(waiter)
	if !ok {
		return nil
	}
	c, ok := ctx.Conn().(*conn)
	if !ok || !ctx.Request.Header.IsHTTP11() || !hasBody(ctx.Response.StatusCode()) {
		return nil
	}
	return &handover{s: s, c: c, ctx: ctx, waiting: w.Waiting}
}

// hasBody reports whether a response of this status carries a body (RFC 9110 §6.4.1).
func hasBody(status int) bool {
	return status >= 200 && status != fasthttp.StatusNoContent && status != fasthttp.StatusNotModified
}

// ready reports whether the stream should leave now: its next pull would wait, and
// nothing past the request has been read from the socket (the connection's guard has
// begun one head more than the requests fasthttp read, and has seen no byte of it).
// It runs on fasthttp's goroutine, in WriteTo, the only one that reads the connection.
func (h *handover) ready(stream int) bool {
	g := h.c.guard
	g.starts = 0
	return g == freshGuard && h.c.guard.starts == h.c.requests+1 && h.waiting(stream)
}

// start hands the stream over; it runs on fasthttp's goroutine, in WriteTo, with the
// head and every chunk so far flushed.
func (h *handover) start(p *pythonStream) {
	h.started = true
	// fasthttp has marked the head Connection: close where the request, the keep-alive
	// setting or a shutdown asked for it.
	h.resume = !h.ctx.Response.Header.ConnectionClose()
	h.ctx = nil
	// fasthttp closes the connection once its part of the response has ended.
	h.c.keepOpen.Add(1)
	go h.run(p)
}

// freshGuard is a guard that has seen no byte of the head it waits for (starts aside).
var freshGuard = func() headGuard { var g headGuard; g.start(); g.starts = 0; return g }()

// run writes the rest of the stream, then closes the connection or serves its next
// requests.
func (h *handover) run(p *pythonStream) {
	s, c := h.s, h.c
	s.handedOver.Add(1)
	_, err := p.WriteTo(h)
	if err == nil {
		_, err = c.Conn.Write(lastChunk)
	}
	p.stop() // a disconnect (a failed write) closes the generator
	s.handedOver.Add(-1)
	if err != nil || !h.resume || s.draining.Load() {
		// A stream that broke ends without its last chunk: the client sees it broken.
		c.Close()
		return
	}
	s.resume(c)
}

var (
	crlf      = []byte("\r\n")
	lastChunk = []byte("0\r\n\r\n")
)

// Write sends b as one chunk, its framing and bytes in one system call.
func (h *handover) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	size := strconv.AppendInt(h.size[:0], int64(len(b)), 16)
	h.vec = [3][]byte{append(size, crlf...), b, crlf}
	bufs := net.Buffers(h.vec[:])
	_, err := bufs.WriteTo(h.c.Conn)
	h.vec = [3][]byte{}
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// resume waits for the first bytes of the connection's next request as an idle
// keep-alive connection (Shutdown closes it), then gives the connection back to
// fasthttp, which reads them first (readahead.go).
func (s *Server) resume(c *conn) {
	c.idleSince.Store(time.Now().UnixNano())
	if s.draining.Load() || c.SetReadDeadline(time.Now().Add(s.http.IdleTimeout)) != nil || c.fill() != nil {
		c.Close()
		return
	}
	s.http.ServeConn(c)
}

// full reports that the connections being served, handed-over streams included, are
// BOLT_MAX_CONNECTIONS: fasthttp counts only its own.
func (s *Server) full() bool {
	return int(s.OpenConnections()) >= s.http.Concurrency
}

// refuseConn answers a connection over BOLT_MAX_CONNECTIONS as fasthttp does, and closes it.
func refuseConn(c net.Conn) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(c, refusal)
	c.Close()
}

var refusal = func() string {
	text := "The connection cannot be served because Server.Concurrency limit exceeded"
	return "HTTP/1.1 503 Service Unavailable\r\nServer: django-bolt\r\nContent-Type: text/plain\r\n" +
		"Content-Length: " + strconv.Itoa(len(text)) + "\r\nConnection: close\r\n\r\n" + text
}()

// fasthttpLog is the logger fasthttp reports connection errors to, without the
// handed-over streams: their serving goroutine ends with errHandedOver on purpose.
type fasthttpLog struct{ *log.Logger }

func (l fasthttpLog) Printf(format string, args ...any) {
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, errHandedOver) {
			return
		}
	}
	l.Logger.Printf(format, args...)
}
