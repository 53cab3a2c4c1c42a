package server

import (
	"bytes"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

var hdrContentLength = []byte("content-length")

// writeResponse turns Python's answer into the HTTP response: a buffered body, a file
// sent from disk, or a stream pulled chunk by chunk. The route's pipeline finishes it
// (CORS, compression) like every other response; see handle.
func (s *Server) writeResponse(ctx *fasthttp.RequestCtx, r *route, resp *protocol.Response) {
	if resp.Err != nil {
		s.errorLog.Printf("handler %s (%s %s) produced no response: %v", r.spec.Name, ctx.Method(), ctx.Path(), resp.Err)
		middleware.WriteJSON(ctx, fasthttp.StatusInternalServerError, protocol.BodyInternal)
		return
	}
	if resp.Status < 100 || resp.Status > 999 {
		s.errorLog.Printf("handler %s returned the invalid status code %d", r.spec.Name, resp.Status)
		middleware.WriteJSON(ctx, fasthttp.StatusInternalServerError, protocol.BodyInternal)
		return
	}
	ctx.SetStatusCode(resp.Status)
	h := &ctx.Response.Header
	for i := 0; i < resp.NumHeaders(); i++ {
		name, value := resp.Header(i)
		// The core frames the body itself; a user content-length could only contradict it.
		if !bytes.EqualFold(name, hdrContentLength) {
			h.AddBytesKV(name, value)
		}
	}
	switch {
	case resp.Stream >= 0:
		s.stream(ctx, r, resp.Stream)
	case resp.File != "":
		serveFile(ctx, resp.File) // its error answers replace the response
	default:
		// Swapped, not copied: the response takes the exchange's buffer and the
		// exchange keeps the response's for its next body, so a large body is not
		// copied a second time.
		resp.Body = ctx.Response.SwapBody(resp.Body)
	}
}
