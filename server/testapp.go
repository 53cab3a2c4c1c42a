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

// Serve runs one request and writes the answer to resp: the status, the headers as a
// client receives them (no Transfer-Encoding: the body is whole) and the whole body,
// a file or a stream read to its end. A stream that fails keeps what it produced, as
// a client on a connection would see.
func (a *TestApp) Serve(method, path, query []byte, headers []protocol.KV, body []byte, resp *protocol.Response) {
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
	if out.IsBodyStream() {
		var buf bytes.Buffer
		_, _ = io.Copy(&buf, out.BodyStream())
		out.CloseBodyStream()
		out.SetBodyRaw(buf.Bytes())
		out.Header.SetContentLength(buf.Len())
	}
	resp.Status = out.StatusCode()
	if !ctx.IsHead() {
		resp.Body = append(resp.Body[:0], out.Body()...)
	}
	out.Header.VisitAll(func(k, v []byte) {
		if !bytes.EqualFold(k, []byte(fasthttp.HeaderTransferEncoding)) {
			resp.AddHeader(k, v)
		}
	})
}
