package server

import (
	"io"
	"log"

	"github.com/valyala/fasthttp"
)

// NewTestHandler builds the handler of an in-process test app (django_bolt.testing).
// By default it runs routing, authentication, guards and the handler; httpLayer adds
// what a real connection would also get: CORS, rate limiting and compression. A body
// over BOLT_MAX_UPLOAD_SIZE is answered 413 either way, as a connection's would be.
func NewTestHandler(doc []byte, py Python, httpLayer bool) (fasthttp.RequestHandler, error) {
	t, err := DecodeTable(doc)
	if err != nil {
		return nil, err
	}
	if !httpLayer {
		t.Global.Compression = nil
		t.Global.CORS = nil
		for i := range t.Routes {
			if sec := t.Routes[i].Security; sec != nil {
				sec.Middleware = nil
			}
		}
	}
	s, err := New(t, py, log.New(io.Discard, "", 0))
	if err != nil {
		return nil, err
	}
	limit := t.Settings.MaxUploadSize
	return func(ctx *fasthttp.RequestCtx) {
		if limit > 0 && len(ctx.Request.Body()) > limit {
			// On a connection fasthttp refuses it while reading, before any handler.
			s.handleParseError(ctx, fasthttp.ErrBodyTooLarge)
			return
		}
		s.observed(ctx)
	}, nil
}
