package server

import (
	"bytes"
	"io"
	"log"
	"net"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// TestApp is an in-process app of the test client (django_bolt.testing): each request
// runs through the handler a connection's request would, built from plain values.
// By default it runs routing, authentication, guards and the handler; httpLayer adds
// what a real connection would also get: CORS, rate limiting and compression. A body
// over BOLT_MAX_UPLOAD_SIZE is answered 413 either way, as a connection's would be.
type TestApp struct {
	handler fasthttp.RequestHandler
}

// NewTestApp compiles the route table doc; py runs the handlers (pyhost.Inline).
func NewTestApp(doc []byte, py Python, httpLayer bool) (*TestApp, error) {
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
	return &TestApp{handler: func(ctx *fasthttp.RequestCtx) {
		if limit > 0 && len(ctx.Request.Body()) > limit {
			// On a connection fasthttp refuses it while reading, before any handler.
			s.handleParseError(ctx, fasthttp.ErrBodyTooLarge)
			return
		}
		s.observed(ctx)
	}}, nil
}

var testClientAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}

// Serve runs one request and writes the answer to resp: the status and the headers as
// a client receives them (no Transfer-Encoding: there is no framing to undo). A body
// that is whole is in resp.Body and Serve returns nil. A body still being produced (a
// stream, a file) is returned instead, for the caller to read as it comes and to close:
// a stream hands over each chunk as the generator yields it (each Read answers at most
// one chunk), and closing it before its end closes the generator, whose finally blocks
// then run. A stream that fails ends with an error after what it produced, as a client
// on a connection would see.
func (a *TestApp) Serve(method, path, query []byte, headers []protocol.KV, body []byte, resp *protocol.Response) io.ReadCloser {
	var req fasthttp.Request
	req.Header.SetMethodBytes(method)
	uri := append([]byte(nil), path...)
	if len(query) > 0 {
		uri = append(append(uri, '?'), query...)
	}
	req.SetRequestURIBytes(uri)
	for _, h := range headers {
		req.Header.AddBytesKV(h.Key, h.Value)
	}
	req.SetBody(body)
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, testClientAddr, nil)
	a.handler(&ctx)

	out := &ctx.Response
	resp.Status = out.StatusCode()
	out.Header.VisitAll(func(k, v []byte) {
		if !bytes.EqualFold(k, []byte(fasthttp.HeaderTransferEncoding)) {
			resp.AddHeader(k, v)
		}
	})
	if !out.IsBodyStream() {
		if !ctx.IsHead() {
			resp.Body = append(resp.Body[:0], out.Body()...)
		}
		return nil
	}
	stream := out.BodyStream()
	if ctx.IsHead() {
		closeBody(stream)
		return nil
	}
	if rc, ok := stream.(io.ReadCloser); ok {
		return rc
	}
	return io.NopCloser(stream)
}

func closeBody(r io.Reader) {
	if c, ok := r.(io.Closer); ok {
		_ = c.Close()
	}
}
