package server

import (
	"bytes"
	"errors"
	"io"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

// Request bodies. fasthttp reads a body whole before the handler runs unless the
// server streams request bodies; then the handler reads it from the connection and a
// large multipart upload goes straight to a temporary file (spool.go), never whole in
// memory. Streaming costs every open connection its read buffer for as long as it
// stays open (fasthttp cannot hand the buffer back between requests then), so the
// server streams bodies only when some route parses forms and a body can outgrow
// BOLT_MEMORY_SPOOL_THRESHOLD (streamsBodies).

// streamsBodies reports whether the table needs request bodies streamed: some route
// parses forms and a body within BOLT_MAX_UPLOAD_SIZE can exceed the spool threshold.
func streamsBodies(t *Table, routes []*route) bool {
	if t.Settings.MemorySpoolThreshold >= t.Settings.MaxUploadSize {
		return false
	}
	for _, r := range routes {
		if r != nil && r.forms {
			return true
		}
	}
	return false
}

// maxKeptBody is the largest body buffer an exchange keeps for the next request.
const maxKeptBody = 64 << 10

// declaredTooLarge answers 413 to a streamed request whose Content-Length is over
// BOLT_MAX_UPLOAD_SIZE, before routing, as fasthttp does when it reads bodies itself.
// The body is left unread: the connection closes after the answer.
func (s *Server) declaredTooLarge(ctx *fasthttp.RequestCtx) bool {
	if !ctx.Request.IsBodyStream() {
		return false
	}
	limit := s.table.Settings.MaxUploadSize
	if ctx.Request.Header.ContentLength() <= limit {
		return false
	}
	middleware.WriteJSON(ctx, fasthttp.StatusRequestEntityTooLarge, protocol.BodyTooLarge(limit))
	closeAfterDraining(ctx)
	return true
}

// takeBody gets the request body the route reads: a large multipart body of a route
// that parses forms into a temporary file (x.body), any other body into x.payload. It
// returns false after answering itself (a body over the limit, a broken or timed-out
// upload, a file that cannot be written).
func (s *Server) takeBody(ctx *fasthttp.RequestCtx, r *route, x *exchange) bool {
	if r.want&protocol.WantBody == 0 {
		return true
	}
	if !ctx.Request.IsBodyStream() {
		body := ctx.PostBody()
		if s.spoolable(ctx, r, len(body)) {
			return s.spool(ctx, r, x, nil, bytes.NewReader(body), len(body))
		}
		x.payload = body
		return true
	}
	// Streamed: the Content-Length (if any) is within the limit (declaredTooLarge).
	limit := s.table.Settings.MaxUploadSize
	stream := ctx.RequestBodyStream()
	size := ctx.Request.Header.ContentLength()
	if s.spoolable(ctx, r, size) {
		return s.spool(ctx, r, x, nil, io.LimitReader(stream, int64(limit)+1), size)
	}
	// A chunked body declares no size: it is read into memory up to the spool
	// threshold, and to a file past it if the route spools.
	inMemory := limit
	if size < 0 && s.spoolable(ctx, r, s.table.Settings.MemorySpoolThreshold+1) {
		inMemory = s.table.Settings.MemorySpoolThreshold
	}
	var err error
	x.buf, err = readUpTo(stream, x.buf[:0], size, inMemory+1)
	if err == nil && len(x.buf) > inMemory && inMemory < limit {
		return s.spool(ctx, r, x, x.buf, io.LimitReader(stream, int64(limit-len(x.buf))+1), size)
	}
	x.payload = x.buf
	return s.bodyRead(ctx, len(x.buf), size, err)
}

// readUpTo appends what r holds to buf, up to max bytes; size (the Content-Length, or
// -1) sizes buf once. It allocates nothing when buf is large enough: this is the path
// of every small body on a server that streams bodies.
func readUpTo(r io.Reader, buf []byte, size, max int) ([]byte, error) {
	if size > cap(buf) {
		buf = make([]byte, 0, size)
	}
	for len(buf) < max && len(buf) != size {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), max)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// bodyRead answers a body of n bytes that could not be read whole, ended before its
// Content-Length (size, or -1) or was over the limit (a chunked body declares no
// size); true when the body is fine.
func (s *Server) bodyRead(ctx *fasthttp.RequestCtx, n, size int, err error) bool {
	limit := s.table.Settings.MaxUploadSize
	if err == nil && size >= 0 && n != size {
		err = io.ErrUnexpectedEOF
	}
	switch {
	case err == nil && n <= limit:
		return true
	case err == nil:
		middleware.WriteJSON(ctx, fasthttp.StatusRequestEntityTooLarge, protocol.BodyTooLarge(limit))
		closeAfterDraining(ctx)
		return false
	case isTimeout(err):
		middleware.WriteText(ctx, fasthttp.StatusRequestTimeout, protocol.TextRequestTimeout)
	default:
		// A truncated or malformed body: the cause stays in the server, as for heads.
		middleware.WriteJSON(ctx, fasthttp.StatusBadRequest, protocol.BodyNotHTTP11)
	}
	// What is left of the body is not read: this is the connection's last answer.
	ctx.SetConnectionClose()
	return false
}

func isTimeout(err error) bool {
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}
