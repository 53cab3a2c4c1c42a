package server

import (
	"bytes"
	"errors"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

// HTTP framing rules fasthttp leaves to the server: which protocol versions are
// served, request heads with bare-LF line endings, and Expect: 100-continue for a
// body that is over the limit anyway.

// serveHTTP is the server's request handler: the protocol checks around observed.
func (s *Server) serveHTTP(ctx *fasthttp.RequestCtx) {
	if checkProtocol(ctx) {
		s.observed(ctx)
	}
	if s.draining.Load() && !ctx.Hijacked() {
		// Shutdown: this is the connection's last response.
		ctx.SetConnectionClose()
	}
	resyncHeadGuard(ctx)
}

// checkProtocol answers 505 to a request whose HTTP major version is not 1
// ("HTTP/9.9", "HTTP/2.0" in an HTTP/1 request line). Higher minor versions are
// served as HTTP/1.1 (RFC 9112 §2.3).
func checkProtocol(ctx *fasthttp.RequestCtx) bool {
	proto := ctx.Request.Header.Protocol()
	if len(proto) == len("HTTP/1.1") && bytes.HasPrefix(proto, []byte("HTTP/1.")) {
		return true
	}
	middleware.WriteJSON(ctx, fasthttp.StatusHTTPVersionNotSupported, protocol.BodyHTTPVersion)
	ctx.SetConnectionClose()
	return false
}

// expectContinue decides an Expect: 100-continue request from its head alone: a
// declared body over MaxUploadSize is refused with 413 before the client is invited
// to send it (fasthttp then closes the connection).
func (s *Server) expectContinue(ctx *fasthttp.RequestCtx) int {
	limit := s.table.Settings.MaxUploadSize
	if n := ctx.Request.Header.ContentLength(); limit > 0 && n > limit {
		// No handler runs: this body is the answer.
		ctx.Response.Header.SetContentType(protocol.ContentTypeJSON)
		ctx.Response.SetBodyRaw(protocol.BodyTooLarge(limit))
		return fasthttp.StatusRequestEntityTooLarge
	}
	return fasthttp.StatusContinue
}

// errBareLF is the read error of a connection whose request head ends its lines with a
// bare LF. fasthttp accepts a bare LF only in the request line and otherwise waits for
// the CRLF CRLF that never comes, until the read timeout; RFC 9112 §2.2 lets a server
// reject such heads, which the error handler does at once.
var errBareLF = errors.New("request head with bare LF line endings")

// resyncHeadGuard is called once a request was handled, its body read: a guard that
// stopped following the connection's framing scans the next request head.
func resyncHeadGuard(ctx *fasthttp.RequestCtx) {
	if ctx.Hijacked() {
		return
	}
	if c, ok := ctx.Conn().(*conn); ok {
		c.guard.resync()
	}
}
